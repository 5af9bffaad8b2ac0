"""The interpretability metric's properties, as docs/method.md ("The interpretability metric") states them."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

from imagination import life, metrics


@pytest.fixture(scope="module")
def episodes() -> torch.Tensor:
    return life.sample_episodes(300, 3, 20, seed=0)


def test_mcc_identical_is_exactly_one_even_when_constant() -> None:
    zeros = torch.zeros(10, 5, 5)
    assert metrics.mcc(zeros, zeros) == 1.0
    b = life.random_boards(10, 5, 0.5, torch.Generator().manual_seed(0))
    assert metrics.mcc(b, b) == 1.0


def test_mcc_constant_decoding_scores_zero_and_inverse_is_clipped(episodes: torch.Tensor) -> None:
    real = episodes[:, 1]
    assert metrics.mcc(real, torch.zeros_like(real)) == 0.0
    assert metrics.mcc(real, 1 - real) == 0.0  # MCC of -1, clipped at 0


def test_mcc_matches_numpy_formula() -> None:
    g = np.random.default_rng(0)
    t = g.random(1000) < 0.4
    p = np.where(g.random(1000) < 0.8, t, ~t)
    tp, tn = np.sum(t & p), np.sum(~t & ~p)
    fp, fn = np.sum(~t & p), np.sum(t & ~p)
    expected = (tp * tn - fp * fn) / np.sqrt(float((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)))
    assert metrics.mcc(torch.tensor(t), torch.tensor(p.astype(np.float32))) == pytest.approx(expected)


def test_threshold_is_half() -> None:
    t = torch.tensor([0.0, 1.0, 1.0, 0.0])
    assert metrics.mcc(t, torch.tensor([0.49, 0.51, 0.9, 0.1])) == 1.0
    assert metrics.mcc(t, torch.tensor([0.51, 0.51, 0.9, 0.1])) < 1.0


def test_correct_intermediate_states_score_one(episodes: torch.Tensor) -> None:
    assert metrics.interpretability(episodes, episodes.clone(), trained_steps={0, 3}) == 1.0


def test_reordered_correct_states_still_score_one(episodes: torch.Tensor) -> None:
    decoded = episodes.clone()
    decoded[:, [1, 2]] = episodes[:, [2, 1]]
    assert metrics.interpretability(episodes, decoded, trained_steps={0, 3}) == 1.0


def test_repeating_one_correct_state_gets_credit_once(episodes: torch.Tensor) -> None:
    ep = life.sample_episodes(300, 4, 20, seed=1)
    decoded = ep.clone()
    decoded[:, 1:4] = ep[:, 1:2]  # step 1 shown at every untrained step
    score = metrics.interpretability(ep, decoded, trained_steps={0, 4})
    cross = metrics.score_matrix(ep, decoded)
    # full credit for game step 1, and for steps 2, 3 only the (weak) similarity of board 1 to them
    assert score == pytest.approx((1.0 + cross[1, 2] + cross[1, 3]) / 3)
    assert score < 0.75


@pytest.mark.parametrize("copy", [0, 3])
def test_copying_start_or_final_board_scores_near_baseline(episodes: torch.Tensor, copy: int) -> None:
    decoded = episodes[:, [copy] * 4]
    score = metrics.interpretability(episodes, decoded, trained_steps={0, 3})
    # far below 1, but not near 0 on the reference sampler's sparse, evolved boards: 0.31 and 0.36 on these
    # 300 episodes, 0.358 and 0.400 on the eval set (docs/method.md, "Floors"; training/floors.py)
    assert 0.1 < score < 0.4


def test_all_zero_decodings_score_zero(episodes: torch.Tensor) -> None:
    assert metrics.interpretability(episodes, torch.zeros_like(episodes), trained_steps={0, 3}) == 0.0


def test_denominator_is_the_smaller_count() -> None:
    scores = np.array([[0, 0, 0, 0], [0, 0.9, 0.2, 0], [0, 0.1, 0.6, 0], [0, 0, 0, 0], [0, 0.3, 0.5, 0]])
    # 3 untrained model steps (1, 2, 4... here 1, 2, 3) vs 2 untrained game steps: per game step best
    assert metrics.interpretability_from_matrix(scores, [1, 2, 3], [1, 2]) == pytest.approx((0.9 + 0.6) / 2)
    # 1 model step vs 2 game steps: the model step is credited once, with its best game step
    assert metrics.interpretability_from_matrix(scores, [1], [1, 2]) == pytest.approx(0.9)


def test_different_timesteps_pairs_steps_as_method_says() -> None:
    ep = life.sample_episodes(100, 3, 16, seed=2)
    decoded = ep[:, [0, 2, 3]]  # a 2-step model whose middle step shows game step 2
    assert metrics.interpretability(ep, decoded, trained_steps={0, 2}) == 1.0
    assert metrics.per_step_accuracy(ep, decoded) == [1.0, 1.0, 1.0]
    assert [metrics.aligned_game_step(i, 2, 3) for i in range(3)] == [0, 2, 3]
    assert [metrics.aligned_game_step(i, 2, 4) for i in range(3)] == [0, 2, 4]
    assert [metrics.aligned_game_step(i, 3, 3) for i in range(4)] == [0, 1, 2, 3]


def test_best_matching_steps_names_the_game_step_each_model_step_shows() -> None:
    # gol3-model2-shallow's accuracy matrix (3 game steps in 2 model steps), rounded: step 1 is aligned with
    # game step 2 (0.832) but shows game step 1 (0.997)
    acc = np.array([[1.0, 0.808, 0.757, 0.739], [0.809, 0.997, 0.832, 0.785], [0.758, 0.817, 0.927, 0.858]])
    assert [metrics.aligned_game_step(i, 2, 3) for i in range(3)] == [0, 2, 3]
    assert metrics.best_matching_steps(acc) == [(0, 1.0), (1, 0.997), (2, 0.927)]
    assert metrics.best_matching_steps(acc.tolist()) == metrics.best_matching_steps(acc)  # eval.json's lists


def test_best_matching_steps_tie_rule() -> None:
    """A tie goes to the aligned game step when it is among the best, else to the earliest of them."""
    acc = np.array(
        [
            [0.9, 0.9, 0.1],  # aligned 0 ties with 1: 0
            [0.8, 0.8, 0.8],  # aligned 1 ties with 0 and 2: 1 (not the earliest)
            [0.7, 0.7, 0.2],  # aligned 2 is beaten by a tie of 0 and 1: the earliest, 0
        ]
    )
    assert metrics.best_matching_steps(acc) == [(0, 0.9), (1, 0.8), (0, 0.7)]
    with pytest.raises(ValueError, match="matrix"):
        metrics.best_matching_steps(np.array([1.0, 0.5]))


def test_board_scores_report_both_pairings() -> None:
    from imagination.evaluate import board_scores
    from imagination.model import ModelConfig

    ep = life.sample_episodes(100, 3, 16, seed=2)
    decoded = ep[:, [0, 1, 3]]  # a 2-step model whose middle step shows game step 1, not the aligned 2
    s = board_scores(ModelConfig(model_steps=2, game_steps=3, trained_steps=[0, 2]), ep, decoded)
    assert s["per_step_accuracy"][1] < 1.0 and s["per_step_accuracy"][1] == s["accuracy_matrix"][1][2]
    assert s["per_step_best_game_step"] == [0, 1, 3] and s["per_step_best_accuracy"] == [1.0, 1.0, 1.0]


def test_final_error_and_per_step_accuracy(episodes: torch.Tensor) -> None:
    decoded = episodes.clone()
    decoded[:, 3, 0, 0] = 1 - decoded[:, 3, 0, 0]
    assert metrics.final_error(episodes[:, 3], decoded[:, 3]) == pytest.approx(1 / 400)
    acc = metrics.per_step_accuracy(episodes, decoded)
    assert acc[:3] == [1.0, 1.0, 1.0] and acc[3] == pytest.approx(1 - 1 / 400)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(0.0, 1.0))
def test_metric_is_bounded(seed: int, noise: float) -> None:
    g = torch.Generator().manual_seed(seed)
    ep = life.sample_episodes(20, 3, 8, seed=seed % 1000)
    decoded = torch.where(torch.rand(ep.shape, generator=g) < noise, torch.rand(ep.shape, generator=g), ep)
    s = metrics.interpretability(ep, decoded, trained_steps={0, 3})
    assert 0.0 <= s <= 1.0
    m = metrics.score_matrix(ep, decoded)
    assert ((m >= 0) & (m <= 1)).all()


def test_the_monotone_pairing_follows_a_network_at_its_own_pace() -> None:
    """A slower network (each game step shown twice) is paired step by step; a reordering is not rewarded."""
    slow = np.repeat(np.eye(4), 2, axis=0)[:7]  # model steps 0..6 show game steps 0,0,1,1,2,2,3
    assert metrics.monotone_pairing(slow, range(7), range(4)) == [0, 0, 1, 1, 2, 2, 3]
    assert metrics.interpretability_monotone(slow, range(7), range(4)) == 1.0
    reordered = np.eye(4)[[0, 2, 1, 3]]  # steps 1 and 2 swapped: one of them must lose its match
    assert metrics.interpretability_monotone(reordered, range(4), range(4)) == 0.75
    assert metrics.interpretability_from_matrix(reordered, range(4), range(4)) == 1.0  # the reference's metric
    brute = max(  # the dynamic programme against every monotone map of a small random matrix
        sum(s[i, js[i]] for i in range(4))
        for s in [np.random.default_rng(0).random((4, 3))]
        for js in itertools.combinations_with_replacement(range(3), 4)
    )
    s = np.random.default_rng(0).random((4, 3))
    pairs = metrics.monotone_pairing(s, range(4), range(3))
    assert pairs == sorted(pairs) and np.isclose(sum(s[i, j] for i, j in enumerate(pairs)), brute)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 3), st.integers(1, 6), st.integers(1, 6), st.integers(1, 7), st.floats(0, 1), st.integers(0, 2**31)
)
@example(2, 4, 1, 5, 0.734375, 65)  # a CI run's find: pow(x, 0.5) and sqrt(x) one bit apart
def test_the_score_matrix_is_mcc_of_every_pair_to_the_last_bit(n: int, g: int, m: int, side: int, p: float, seed: int):
    """All pairs are counted at once (a maze's run of hundreds of steps): each entry must still be ``mcc``'s,
    identical frames 1.0 and constant ones 0.0 included, bit for bit."""
    rng = np.random.default_rng(seed)
    true = torch.from_numpy((rng.random((n, g, side, side)) < p).astype(np.float32))
    decoded = torch.from_numpy(rng.random((n, m, side, side)).astype(np.float32))
    decoded[:, 0] = true[:, -1]  # one identical pair
    if m > 1:
        decoded[:, 1] = 0.9 if seed % 2 else 0.1  # a constant decoding
    pairs = np.array([[metrics.mcc(true[:, j], decoded[:, i]) for j in range(g)] for i in range(m)])
    assert np.array_equal(metrics.score_matrix(true, decoded), pairs)
