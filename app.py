"""The imagination demo: pick a checkpoint and a start board, and see what the network imagines.

    python app.py                      # http://127.0.0.1:7860, the bundled zoo, offline
    python app.py --help               # host, port, default checkpoint, --online, --local-folders

The Space's entry (README front matter ``sdk: gradio``, ``app_file: app.py``): it sets the
environment the libraries read when they are imported, then starts the demo, which lives in
``imagination/demo/`` (the page, its events and handlers, the checks of what visitors send).

The page opens on an episode already drawn: the showcase checkpoint (one that imagines) on a
board that moves. "Compare regimes" runs one board through the baseline, autoencoder and
adversarial checkpoints; "Intervene" edits what the network imagines at step i and lets it
imagine on; "Beyond the paper" shows a checkpoint's extrapolation, faithfulness and probes.
Every event has an ``api_name``, so ``gradio_client`` can drive the same functions.
"""

from __future__ import annotations

import os

# Before gradio / huggingface_hub / matplotlib are imported: they read these at import time.
# setdefault, so a caller (tests, a Space) can override any of them.
for _key, _value in {
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_SSR_MODE": "False",
    "MPLBACKEND": "Agg",
    # Gradio rebuilds a pandas summary of every recorded event (up to 10,000) after each event, for
    # its monitoring view: ~2 ms per request on a fresh app, ~17 ms once the record is full. Every
    # 1,000 events is often enough (benchmarks/README.md).
    "GRADIO_ANALYTICS_CACHE_FREQUENCY": "1000",
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}.items():
    os.environ.setdefault(_key, _value)

from imagination.demo.cli import main  # noqa: E402

if __name__ == "__main__":
    main()
