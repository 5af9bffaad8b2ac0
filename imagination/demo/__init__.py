"""The demo: a Gradio page (and its API) that shows what a checkpoint imagines, and its server.

Top to bottom: ``cli`` (``python app.py``) -> ``page`` (the sections in order, and the events
between them) -> ``sections`` (each section's widgets), ``events`` (Gradio's side of each event)
-> ``handlers`` (each event as plain data in and out) -> ``inputs`` (every visitor value,
checked), ``presenters`` (tables and text), ``server`` (checkpoints, output files), ``workers``
(drawing in other processes); ``style`` is how the page looks. Only ``cli``, ``page``,
``sections`` and ``events`` import Gradio (the ``app`` extra).
"""
