"""The demo: a Gradio page (and its API) that shows what a checkpoint imagines, and its server.

Top to bottom: ``cli`` (``python app.py``) -> ``page`` (layout and wiring) -> ``events`` (Gradio's
side of each event) -> ``handlers`` (plain data in and out) -> ``inputs`` (every visitor value,
checked), ``presenters`` (tables and text), ``server`` (checkpoints, output files), ``workers``
(drawing in other processes); ``style`` is how the page looks. Only ``page``, ``events`` and
``cli`` import Gradio (the ``app`` extra).
"""
