"""What the pictures write: the environment's words for a step, a frame and a live cell, and each
model step's kind. Both renderers label a picture the same way from here."""

from __future__ import annotations

from dataclasses import dataclass

from imagination.envs import Environment
from imagination.episode import Episode


@dataclass(frozen=True)
class Words:
    """The words of an ``Environment`` (``Words.of``); the defaults are the words the pictures have always used."""

    step: str = "game step"
    frame: str = "board"
    alive: str = "alive"
    dead: str = "dead"

    @classmethod
    def of(cls, env: Environment | None) -> Words:
        return cls() if env is None else cls(env.step_word, env.frame_word, env.alive_word, env.dead_word)

    @property
    def game(self) -> str:
        """The step word short enough for a column heading: "game" of "game step" ("game 4")."""
        return self.step.removesuffix(" step")


def step_kind(ep: Episode, i: int) -> str:
    """'trained' (a decoding trained against the board), 'imagined', or 'beyond training'."""
    if i > ep.trained_horizon:
        return "beyond training"
    return "trained" if i in ep.trained_steps else "imagined"


def step_heading(ep: Episode, i: int, words: Words) -> str:
    """ "step i", with the environment step it stands for where that differs: "step 2 (game 4)"."""
    game = f" ({words.game} {ep.game_steps[i]})" if ep.game_steps[i] != i else ""
    return f"step {i}{game}"
