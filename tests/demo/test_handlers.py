"""imagination.demo.handlers: one request in, plain data out, without a web framework."""

from __future__ import annotations

import numpy as np
import pytest

from imagination import CheckpointError, life, zoo
from imagination.demo import handlers
from imagination.demo.handlers import BOARD_FIELDS, FIELDS, EpisodeRequest
from imagination.demo.inputs import InputError
from imagination.envs.life import gliders_board


@pytest.fixture(scope="module")
def tied() -> str:
    name = "gol3-autoencoder"
    if name not in zoo.names():
        pytest.skip(f"{name} is not in the bundled zoo")
    return name


def test_a_request_holds_the_values_in_the_apis_order() -> None:
    assert FIELDS == ("checkpoint", "source", "seed", "density", "size", "pattern", "text", "steps", "rule")
    assert BOARD_FIELDS == ("source", "seed", "density", "size", "pattern", "text")
    r = EpisodeRequest.from_args("gol3-autoencoder", "random", 1, 0.3, 20, "glider", "")
    assert (r.source, r.size, r.steps, r.rule) == ("random", 20, None, None)  # left off: the checkpoint's own
    assert EpisodeRequest.for_board("random", 1, 0.3, 20, "", "") == EpisodeRequest(None, "random", 1, 0.3, 20, "", "")
    with pytest.raises(InputError, match="at most 9 values"):
        EpisodeRequest.from_args(*range(10))


def test_run_builds_the_board_in_the_checkpoints_environment(tied: str) -> None:
    r = handlers.run(EpisodeRequest(tied, "gliders", 0, 0.4, 20))
    cfg = r.model.config
    assert np.array_equal(r.board, gliders_board(20, 0, 0.4)) and "gliders" in r.what
    assert r.ep.steps == cfg.model_steps and r.ep.rule == cfg.env.variant() and r.shown == tied
    r = handlers.run(EpisodeRequest(tied, "gliders", 0, 0.4, 20, "", "", "5", "HighLife B36/S23"))
    assert r.ep.steps == 5 and r.ep.rule == life.HIGHLIFE
    with pytest.raises(InputError, match="^steps must be a whole number from 1 to 200, got 201$"):
        handlers.run(EpisodeRequest(tied, "gliders", 0, 0.4, 20, steps=201))


def test_a_long_life_run_shows_a_sample_of_its_steps() -> None:
    """Up to 50 steps a Life panel shows each (wrapped in bands); a long-running checkpoint's 150, about a dozen."""
    assert handlers.shown_steps(50, None) == (None, [])
    shown, keep = handlers.shown_steps(150, None, 7)
    assert shown is not None and len(shown) <= handlers.PANEL_COLUMNS + 1 and {0, 7, 150} <= set(shown)
    assert keep == [7]


def test_load_and_rule_of_a_checkpoint(tied: str) -> None:
    status, rows, steps = handlers.load_checkpoint(tied)
    assert f"Loaded {tied}" in status and rows and steps == zoo.entry(tied).model_steps
    assert handlers.checkpoint_rule(tied) == "B3/S23" and handlers.checkpoint_rule("") is None
    assert handlers.load_checkpoint(" ") == (handlers.PICK_A_CHECKPOINT, [], None)


def test_expected_failures_have_a_message_and_bugs_none() -> None:
    assert handlers.message_of(InputError("seed must be a whole number")) == "seed must be a whole number"
    assert handlers.message_of(CheckpointError("/srv/app/zoo/x: no config.json")) == "…/x: no config.json"
    assert handlers.message_of(RuntimeError("a bug")) is None and handlers.message_of(KeyError("k")) is None


def test_the_analysis_view_is_computed_once_per_checkpoint(tied: str) -> None:
    handlers._analysis_view.cache_clear()
    first = handlers.analysis(tied)
    again = handlers.analysis(tied)
    assert handlers._analysis_view.cache_info().hits == 1 and first[1:] == again[1:]
    assert f"{tied}: beyond the paper" in first[1]
