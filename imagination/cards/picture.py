"""A card's picture: the checkpoint imagining one episode of its fixed eval set, drawn from the saved weights.

Written beside the weights as ``imagination.png`` and embedded in the card by a relative link, so the
Hub's model page shows the imagination before anyone runs code. The episode is the eval set's first
(``EPISODE``): fixed by eval.json's seed, never chosen for how it looks. The picture is the demo's
panel (``figures.episode_panel_png``): a strip with every step at once, the true frames above the
decoder's reading of each hidden state, then the imagined frames and their errors, each step's kind
(trained or imagined) and scores under it. A strip rather than an animation: true against imagined
reads at a glance across all steps, in about a third of the bytes of the demo's GIF of the same episode.
"""

from __future__ import annotations

import json
from pathlib import Path

from imagination.config import ModelConfig
from imagination.episode import Episode, run_episode
from imagination.evaluate import EvalSet, eval_episodes
from imagination.figures import episode_panel_png
from imagination.model import ImaginationModel

PICTURE = "imagination.png"
EPISODE = 0  # which episode of the eval set the picture shows
WIDTH = 1000  # px: up to 8 steps of a 20x20 board in one strip (the zoo's longest run has 5); longer ones wrap


def picture_episode(model: ImaginationModel, eval_set: EvalSet) -> Episode:
    """The card's episode: the eval set's episode ``EPISODE`` run through ``model`` for its trained steps."""
    board = eval_episodes(model.config, eval_set)[EPISODE, 0]
    return run_episode(model, board)


def picture_png(folder: str | Path) -> bytes:
    """The picture of an evaluated folder, from its saved weights and the eval set its eval.json names."""
    folder = Path(folder)
    model = ImaginationModel.from_pretrained(folder)
    eval_set = EvalSet(**json.loads((folder / "eval.json").read_text())["eval_set"])
    ep = picture_episode(model, eval_set)
    return episode_panel_png(ep, env=model.config.env, max_width=WIDTH, compress_level=9)  # stored: smallest


def write_picture(folder: str | Path) -> Path:
    """Write ``imagination.png`` into an evaluated checkpoint folder; the same weights give the same bytes."""
    path = Path(folder) / PICTURE
    path.write_bytes(picture_png(folder))
    return path


def caption(name: str, cfg: ModelConfig) -> str:
    """The card's Markdown for its picture: the image by a relative link, and what it shows."""
    frame = cfg.env.frame_word
    return (
        f"![{name} imagining the first episode of its eval set: true {frame}s above the decoded hidden "
        f"states, step by step]({PICTURE})\n\n"
        f"*The first episode of the fixed eval set, run through these weights: the true {frame}s, the "
        f"decoder's probability at every hidden state, the imagined {frame}s (> 0.5) and their errors. "
        f"Drawn from the saved weights by `python -m imagination.cards FOLDER`.*"
    )
