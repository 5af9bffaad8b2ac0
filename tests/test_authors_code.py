"""Where the project says it computes a quantity as the authors' code does, against that code's definition.

The authors' code: github.com/wichersn/visualize-nn-imagination (Apache-2.0), ``train/visualize_metric.py`` (the
metric), ``train/train.py`` (scored steps, ``AccuracyInverseMetric``, stopping targets). The reference functions
below restate their definitions in numpy, written for this test; docs/method.md says where the project departs.
The summary tasks' targets and rounding are tested in test_tasks.py; the Life step (dead edges, as their
``convolve2d(..., boundary='fill')``) and the chained sampler in test_life.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imagination import life, metrics
from imagination.evaluate import EVAL_EPISODES, EVAL_SEED, EVAL_SIZE
from imagination.registry import BAR, SUMMARY_BAR
from training.config import TrainConfig, model_config


def their_score(gt: np.ndarray, gen: np.ndarray) -> float:
    """``single_index_metric``: 1.0 if the raw decodings equal the truth; else the MCC of the truth against
    decodings above 0.5, pooled over every cell given, 0 where MCC is undefined (sklearn's), clipped at 0."""
    if np.array_equal(gt, gen):
        return 1.0
    t, p = gt.reshape(-1) > 0.5, gen.reshape(-1) > 0.5
    tp, tn, fp, fn = (float(np.sum(a & b)) for a, b in ((t, p), (~t, ~p), (~t, p), (t, ~p)))
    denom = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return max(0.0, (tp * tn - fp * fn) / denom) if denom else 0.0


def their_metric(true: np.ndarray, decoded: np.ndarray, non_train: set[int]) -> float:
    """``visualize_metric``: trained model step i stands for game step i * (G+1) // (M+1); every other game step
    takes its best score over the untrained model steps; the sum is divided by the smaller count."""
    g1, m1 = true.shape[1], decoded.shape[1]
    game_trained = {i * g1 // m1 for i in set(range(m1)) - non_train}
    game_scored = set(range(g1)) - game_trained
    total = sum(max(their_score(true[:, j], decoded[:, i]) for i in non_train) for j in game_scored)
    return total / min(len(non_train), len(game_scored))


def noisy(episodes: torch.Tensor, seed: int) -> np.ndarray:
    """Decodings that are neither exact nor 0/1: each cell's truth, pulled towards 0.5 and flipped now and then."""
    rng = np.random.default_rng(seed)
    e = episodes.numpy()
    flip = rng.random(e.shape) < 0.15
    return np.where(flip, 1 - e, e) * 0.6 + 0.2 + rng.normal(0, 0.05, e.shape)


@pytest.mark.parametrize(
    "settings, their_untrained",
    [
        ({"regime": "autoencoder"}, {1, 2}),  # use_autoencoder and task gol: boards trained at 0 and T
        ({"regime": "baseline"}, {0, 1, 2}),  # task gol alone: trained at T
        ({"task": "count", "task_size": 1}, {1, 2, 3}),  # summary tasks: the board only at 0 (its autoencoder)
        ({"task": "patch", "task_size": 2}, {1, 2, 3}),
    ],
)
def test_interpretability_is_their_visualize_metric_for_equal_steps(settings: dict, their_untrained: set[int]) -> None:
    """docs/method.md: for equal step counts, the same pooled, clipped MCC, scored steps and aggregation."""
    cfg = model_config(TrainConfig(game_steps=3, **settings))
    assert set(metrics.untrained_steps(3, cfg.trained_steps)) == their_untrained
    ep = life.sample_episodes(200, 3, 12, seed=4)
    decoded = noisy(ep, seed=len(their_untrained))
    ours = metrics.interpretability(ep, torch.from_numpy(decoded), trained_steps=cfg.trained_steps)
    assert 0.3 < ours < 1
    assert ours == pytest.approx(their_metric(ep.numpy(), decoded, their_untrained), abs=1e-12)
    exact = ep.numpy().copy()
    assert metrics.interpretability(ep, ep, trained_steps=cfg.trained_steps) == 1.0
    assert their_metric(ep.numpy(), exact, their_untrained) == 1.0


def test_mcc_is_their_score_on_every_pair_of_steps() -> None:
    ep = life.sample_episodes(100, 3, 12, seed=6)
    decoded = noisy(ep, seed=0)
    ours = metrics.score_matrix(ep, torch.from_numpy(decoded))
    theirs = np.array([[their_score(ep.numpy()[:, j], decoded[:, i]) for j in range(4)] for i in range(4)])
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    # where they part: a constant truth decoded as the same constant, above 0 but not exactly 0. Here 1.0 (the two
    # thresholded arrays are identical); theirs compares raw values, and sklearn's undefined MCC is 0.0
    dead = np.zeros((5, 4, 4))
    assert metrics.mcc(torch.from_numpy(dead), torch.from_numpy(dead + 0.1)) == 1.0
    assert their_score(dead, dead + 0.1) == 0.0


@pytest.fixture(scope="module")
def life3_eval_set() -> torch.Tensor:
    """The fixed eval set of Life with 3 game steps (docs/method.md quotes the table below on it)."""
    return life.sample_episodes(EVAL_EPISODES, 3, EVAL_SIZE, EVAL_SEED)


@pytest.mark.parametrize(
    "boards, ours, theirs",
    [((0, 1, 3), 1.000, 1.314), ((0, 2, 3), 1.000, 0.957), ((3, 3, 3), 0.486, 1.314)],
)
def test_fewer_model_steps_table_of_method_md(
    life3_eval_set: torch.Tensor, boards: tuple[int, ...], ours: float, theirs: float
) -> None:
    """3 game steps in 2 model steps: their trained model step 2 maps to game step 2, so they score game steps 1 and
    3 against model step 1 and divide by 1 (docs/method.md, "Where this departs from the authors' code")."""
    ep = life3_eval_set
    decoded = ep[:, list(boards)]
    got = metrics.interpretability(ep, decoded, trained_steps={0, 2})
    assert round(got, 3) == ours
    assert round(their_metric(ep.numpy(), decoded.numpy(), {1}), 3) == theirs


def test_the_bars_are_their_stopping_targets() -> None:
    """``target_pred_state_metric_val`` 0.01 (the board) and ``target_task_metric_val`` 0.001 (a summary)."""
    assert (BAR, SUMMARY_BAR) == (0.01, 0.001)


def test_board_error_is_their_rounding_wherever_the_output_lies_in_range() -> None:
    """Their board metric is ``AccuracyInverseMetric(1)``: round(raw output) against the board. This code clamps the
    output to [0, 1] and thresholds at 0.5: the same call for every output in (-0.5, 1.5) (half rounds to even, 0,
    as 0.5 is not above the threshold); outside it theirs counts a cell wrong that this code counts right."""
    truth = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0])
    raw = torch.tensor([0.5, 0.5, 0.49, 0.51, -0.49, 1.49, 1.0, 0.0])
    theirs = float((raw.round() != truth).float().mean())
    assert metrics.final_error(truth, raw.clamp(0, 1)) == pytest.approx(theirs) == 0.125
    out_of_range = torch.tensor([1.6, -0.6])
    assert metrics.final_error(torch.tensor([1.0, 0.0]), out_of_range.clamp(0, 1)) == 0.0
    assert float((out_of_range.round() != torch.tensor([1.0, 0.0])).float().mean()) == 1.0
