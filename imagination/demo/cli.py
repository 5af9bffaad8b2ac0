"""``python app.py``: the demo's command line, and the server it starts.

Serves this machine only (127.0.0.1) unless told otherwise; offline unless on a Hugging Face Space
(``SPACE_ID`` is set) or started with ``--online``; local folders readable only on loopback or
with ``--local-folders``.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal

import torch

from imagination.demo import handlers, style
from imagination.demo.page import build_demo
from imagination.demo.server import is_loopback, showcase
from imagination.demo.workers import default_workers


def parser() -> argparse.ArgumentParser:
    default = showcase()
    p = argparse.ArgumentParser(
        prog="python app.py",
        description="The imagination demo (Gradio). Serves this machine only (127.0.0.1) unless told otherwise.",
    )
    p.add_argument(
        "--host",
        default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        help="address to listen on (default: %(default)s, this machine only); any other address serves the "
        "network, and then local folders are off unless --local-folders",
    )
    p.add_argument(
        "--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")), help="default: %(default)s"
    )
    p.add_argument(
        "--checkpoint",
        default=default,
        help="checkpoint shown at start: a zoo name or Hub repo id (default: the showcase, a checkpoint that "
        f"imagines: {default or 'none: the zoo is empty'})",
    )
    p.add_argument(
        "--online",
        action=argparse.BooleanOptionalAction,
        default=not handlers.CHECKPOINTS.offline,
        help="fetch Hub repo ids typed by visitors (default: on only on a Hugging Face Space)",
    )
    p.add_argument(
        "--local-folders",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="let visitors load checkpoint folders of this machine by path (default: only when listening on "
        "loopback, and never on a Space)",
    )
    p.add_argument("--share", action="store_true", help="also open a public gradio.live link (off by default)")
    p.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("IMAGINATION_APP_WORKERS", default_workers())),
        help="processes that draw the pictures beside the server's own (default: %(default)s, one per core "
        "but the server's, at most 4; 0 draws in the server process)",
    )
    return p


def local_folders(args: argparse.Namespace) -> bool:
    """Whether visitors may name folders of this machine: when asked for, else only on loopback (no
    public link, not on a Space), where the visitor is whoever runs the app."""
    if args.local_folders is not None:
        return bool(args.local_folders)
    return is_loopback(args.host) and not args.share and os.environ.get("SPACE_ID") is None


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    handlers.CHECKPOINTS.offline = not args.online
    handlers.CHECKPOINTS.local_folders = local_folders(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    torch.set_num_threads(1)  # tiny convolutions: one thread per request beats two fighting for two cores
    demo = build_demo(args.checkpoint)
    # SIGTERM (how a Space or a test stops the app) closes it like Ctrl-C: the workers stop and
    # the output folder is removed, instead of an exit that skips every clean-up.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    demo.launch(
        server_name=args.host,
        server_port=args.port,
        share=args.share,
        ssr_mode=False,
        show_error=False,
        css=style.CSS,
        head=style.head(),
        footer_links=["api"],
        prevent_thread_lock=True,
    )
    # After the page is up: starting a worker imports torch and gradio again, which would slow the
    # start by a second or two; until it is ready the server draws itself.
    handlers.start_drawing(args.workers)
    demo.block_thread()
