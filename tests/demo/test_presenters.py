"""imagination.demo.presenters: the tables and text an episode and a checkpoint report, without a web framework."""

from __future__ import annotations

import numpy as np
import pytest

from imagination import zoo
from imagination.demo import presenters
from imagination.envs.life import gliders_board
from imagination.episode import intervene, run_episode
from imagination.tasks import summary_targets


def _load(name: str):
    if name not in zoo.names():
        pytest.skip(f"{name} is not in the bundled zoo")
    return zoo.load(name)


def test_step_table_and_status_of_a_board_checkpoint() -> None:
    model = _load("gol3-autoencoder")
    ep = run_episode(model, gliders_board(20, 0, 0.4), 5)
    table = presenters.step_table(ep)
    assert table["headers"] == presenters.STEP_HEADERS and len(table["data"]) == 6
    assert [r[2] for r in table["data"][4:]] == ["beyond training"] * 2
    status = presenters.run_status("gol3-autoencoder", "a board", ep, model.config)
    assert "past its training" in status and "answer" not in status


@pytest.mark.parametrize("name", ["count2ts-long", "grid2-2", "grid2ts-5size-long", "patch4ts-long"])
def test_summary_task_answers_predicted_vs_true(name: str) -> None:
    model = _load(name)
    cfg = model.config
    board = gliders_board(20, 0, 0.4)
    ep = run_episode(model, board)
    answers = presenters.task_answers(ep, cfg)
    assert answers is not None and answers.predicted.shape == answers.true.shape == ep.summary.shape
    unit = 400 if cfg.task == "count" else cfg.task_size**2
    truth = summary_targets(__import__("torch").from_numpy(ep.true), cfg.task, cfg.task_size).numpy() * unit
    np.testing.assert_allclose(answers.true, truth, atol=1e-5)
    if cfg.task == "count":
        assert answers.cells(0, "true") == str(int(board.sum()))  # the live cells of the start board
    table = presenters.step_table(ep, answers)
    assert table["headers"][-2:] == presenters.TASK_HEADERS and all(len(r) == 7 for r in table["data"])
    assert f"{cfg.task} answer" in presenters.run_status(name, "a board", ep, cfg, answers)
    assert presenters.run_summary(name, board, ep, cfg, answers)["task_answers"]["task"] == cfg.task


def test_intervention_reports_the_task_answer_change() -> None:
    model = _load("count2ts-long")
    board = gliders_board(20, 0, 0.4)
    base = run_episode(model, board)
    edited = base.imagined[1].copy()
    edited[:, :] = 0  # an empty board: the count must drop
    ep = intervene(model, board, 1, edited)
    import torch

    with torch.no_grad():
        hidden = model.continue_from(model.encode(torch.as_tensor(edited, dtype=torch.float32)[None]), 1, 1)
        expected = np.concatenate([base.summary[:1], model.summarize(hidden)[0].numpy()])
    np.testing.assert_allclose(ep.summary, expected, atol=1e-6)  # intervene() gives the edited run's answers
    ep.summary = expected
    answers = (presenters.task_answers(base, model.config), presenters.task_answers(ep, model.config))
    name = "count2ts-long"
    status, summary = presenters.intervention(name, "a board", model.config, board, base, ep, 1, edited, answers)
    assert "**The count answer** at the final step" in status and "(true: " in status
    assert "true: 0" not in status or "→ 0" in status
    assert summary["final_answer_change"] > 0 and summary["task_answers"]["true"][-1] == [[0.0]]


def test_compare_table_pads_shorter_runs() -> None:
    a, b = _load("gol3-baseline"), _load("gol3-autoencoder")
    board = gliders_board(20, 0, 0.4)
    eps = [run_episode(a, board), run_episode(b, board, 5)]
    table = presenters.compare_table(["gol3-baseline", "gol3-autoencoder"], eps, [0.58, None])
    assert table["headers"][:3] == ["checkpoint", "interpretability (card)", "MCC step 0"]
    assert len(table["headers"]) == 8 and table["data"][0][-2:] == [None, None] and table["data"][1][1] is None
    assert "gol3-baseline" in presenters.compare_status(["gol3-baseline", "gol3-autoencoder"], eps, "a board")
