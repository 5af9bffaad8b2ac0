"""What trivial predictors score on the fixed eval set: the floors the zoo's numbers are read against.

    python -m training.floors        # print the floors and rewrite the README's generated block

An interpretability or an error only means something beside what a network that imagines nothing
would get. Three such predictors, scored exactly as the zoo table scores a checkpoint (the same
eval episodes, the same metric, the same untrained steps):

- *copy the start board*: every model step decodes to game step 0 (a core that does nothing);
- *copy the final board*: every model step decodes to game step T (the answer, computed in one go
  and held);
- *all dead*: every cell predicted dead (the plateau a run sits on before it learns anything).

The eval set's boards are mostly already evolved and sparse (the reference's chained sampler), so
these floors are higher than on fresh density-0.5 boards; that is why they are measured here
rather than quoted.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from imagination import life, markdown, metrics
from imagination.evaluate import EvalSet, eval_episodes
from imagination.model import ModelConfig
from training.docs import replace_block

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MARKER = "floors"
STEPS = (2, 3, 4)  # the game-step counts of the zoo's Life checkpoints
EVAL_SET = EvalSet()  # the fixed eval set every zoo score was measured on


@dataclass(frozen=True)
class Floors:
    """What the trivial predictors score under one way of scoring (eval set, steps, scored steps)."""

    copy_start: float  # interpretability when every model step shows the start board
    copy_final: float  # interpretability when every model step shows the final board
    all_dead_error: float  # final-board error of predicting every cell dead
    copy_start_error: float  # final-board error of answering with the start board


@lru_cache(maxsize=16)
def _episodes(game_steps: int, environment: str, eval_set: EvalSet) -> torch.Tensor:
    """The eval episodes the zoo table was measured on; cached because every checkpoint of a game shares them."""
    cfg = ModelConfig(
        game_steps=game_steps,
        model_steps=game_steps,
        trained_steps=[0, game_steps],
        environment=json.loads(environment),
    )
    return eval_episodes(cfg, eval_set)


def _copy_score(
    episodes: torch.Tensor, frame: int, model_steps: int, scored_model: list[int], scored_game: list[int]
) -> float:
    """Interpretability of decoding game step ``frame`` at every model step.

    Every model step shows the same board, so each row of the score matrix is the same: one row is
    computed and repeated, which gives exactly what ``metrics.interpretability`` gives for the full
    stack of copies (tests/test_floors.py checks that) at 1 / (M+1) of the cost.
    """
    row = metrics.score_matrix(episodes, episodes[:, [frame]])
    scores = np.repeat(row, model_steps + 1, axis=0)
    return metrics.interpretability_from_matrix(scores, scored_model, scored_game)


def floors(
    game_steps: int,
    model_steps: int | None = None,
    trained_steps: Iterable[int] | None = None,
    rule: str = life.LIFE,
    wrap: bool = False,
    eval_set: EvalSet = EVAL_SET,
    environment: dict | None = None,
) -> Floors:
    """The floors for a model of this game, step count and board supervision, on the fixed eval set.

    ``trained_steps`` are the model steps trained against a board, as in ``ModelConfig`` (default
    {0, M}: the autoencoder regime); the scored steps follow from them exactly as in
    ``imagination.evaluate.board_scores``. ``environment`` (config.json's object) replaces the Life
    ``rule`` and ``wrap`` for any other environment.
    """
    environment = environment or {"name": "life", "rule": rule, "wrap": wrap}
    m = game_steps if model_steps is None else model_steps
    trained = {0, m} if trained_steps is None else set(trained_steps)
    episodes = _episodes(game_steps, json.dumps(environment, sort_keys=True), eval_set)
    scored_model = metrics.untrained_steps(m, trained)
    scored_game = metrics.untrained_steps(game_steps, metrics.trained_game_steps(trained, m, game_steps))
    final = episodes[:, -1]
    return Floors(
        copy_start=_copy_score(episodes, 0, m, scored_model, scored_game),
        copy_final=_copy_score(episodes, game_steps, m, scored_model, scored_game),
        all_dead_error=metrics.final_error(final, torch.zeros_like(final)),
        copy_start_error=metrics.final_error(final, episodes[:, 0]),
    )


def checkpoint_floors(folder: Path) -> Floors:
    """The floors comparable with one checkpoint's scores: its game, its steps, its scored steps, its eval set."""
    cfg = ModelConfig.from_json(json.loads((folder / "config.json").read_text()))
    ev = json.loads((folder / "eval.json").read_text())
    return floors(
        cfg.game_steps,
        cfg.model_steps,
        tuple(cfg.trained_steps),
        eval_set=EvalSet(**ev["eval_set"]),
        environment=cfg.environment,
    )


# (what is trained against a board, how the README names that scoring) for a model with T steps
SCORINGS = (
    (lambda t: (0, t), "steps 1..T-1: board task with an autoencoder (autoencoder, adversarial, untied, consistency)"),
    (lambda t: (t,), "steps 0..T-1: board task without one (baseline)"),
    (lambda t: (0,), "steps 1..T: summary tasks (count, patch, grid)"),
)


def table(steps: Iterable[int] = STEPS) -> str:
    """The README's floors block: Life on the fixed eval set, model steps = game steps."""
    steps = list(steps)
    per = {t: [floors(t, trained_steps=trained(t)) for trained, _ in SCORINGS] for t in steps}
    columns = [f"{t} game steps" for t in steps]
    copies = [
        [label, *[f"{per[t][k].copy_start:.3f} / {per[t][k].copy_final:.3f}" for t in steps]]
        for k, (_, label) in enumerate(SCORINGS)
    ]
    errors = [
        ["predicting every cell dead", *[f"{100 * per[t][0].all_dead_error:.1f}%" for t in steps]],
        ["answering with the start board", *[f"{100 * per[t][0].copy_start_error:.1f}%" for t in steps]],
    ]
    return (
        markdown.table(["interpretability of copying the start / the final board, scored at", *columns], copies)
        + "\n\n"
        + markdown.table(["final-board error of", *columns], errors)
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m training.floors", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--no-write", action="store_true", help="print the block without rewriting README.md")
    args = p.parse_args(argv)
    body = table()
    if not args.no_write:
        replace_block(README, MARKER, body)
    print(body)


if __name__ == "__main__":
    main()
