"""The paper's interpretability metric and the per-step scores reported beside it.

Inputs are true boards [N, G+1, H, W] (0/1) and decoded board probabilities [N, M+1, H, W];
decodings are thresholded at 0.5. Everything is pooled over the whole eval set, as in the
reference, rather than averaged per board.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import torch

THRESHOLD = 0.5


def _as_bool(x: torch.Tensor | np.ndarray, threshold: float = THRESHOLD) -> torch.Tensor:
    t = torch.as_tensor(x)
    return t > threshold if t.is_floating_point() else t.bool()


def mcc(true: torch.Tensor | np.ndarray, decoded: torch.Tensor | np.ndarray) -> float:
    """Matthews correlation between true cells and decoded cells (thresholded), clipped at 0.

    Exactly 1.0 where the two binary arrays are identical (MCC itself is undefined when one side
    is constant, e.g. an all-dead board decoded as all dead); 0.0 where it is otherwise undefined.
    """
    t = _as_bool(true).reshape(-1)
    p = _as_bool(decoded).reshape(-1)
    if t.shape != p.shape:
        raise ValueError(f"shapes differ: {tuple(t.shape)} vs {tuple(p.shape)}")
    return mcc_from_counts(*confusion(t, p))


def confusion(true: torch.Tensor, decoded: torch.Tensor) -> tuple[int, int, int, int]:
    """(tp, tn, fp, fn) of boolean arrays: counts add up over batches where scores of the parts would not."""
    return (
        int((true & decoded).sum()),
        int((~true & ~decoded).sum()),
        int((~true & decoded).sum()),
        int((true & ~decoded).sum()),
    )


def mcc_from_counts(tp: float, tn: float, fp: float, fn: float) -> float:
    """``mcc`` from the confusion counts: 1.0 when nothing is wrong, 0.0 where it is undefined, clipped at 0."""
    if fp == 0 and fn == 0:
        return 1.0
    # float64 in score_matrix's order and a correctly rounded root (pow(x, 0.5) can differ from it in the
    # last bit), so the two agree bit for bit
    tp, tn, fp, fn = float(tp), float(tn), float(fp), float(fn)
    denom = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    if denom == 0.0:
        return 0.0
    return max(0.0, (tp * tn - fp * fn) / denom)


def _pairwise(
    true: torch.Tensor | np.ndarray,
    decoded: torch.Tensor | np.ndarray,
    score: Callable[[torch.Tensor, torch.Tensor], float],
) -> np.ndarray:
    """score(game step j, model step i) for every pair: [M+1, G+1]."""
    t = _as_bool(true)
    d = _as_bool(decoded)
    return np.array([[score(t[:, j], d[:, i]) for j in range(t.shape[1])] for i in range(d.shape[1])])


_CHUNK_PIXELS = 1 << 20  # a float32 product of 0/1 frames this long counts exactly (below 2**24)


def score_matrix(true: torch.Tensor | np.ndarray, decoded: torch.Tensor | np.ndarray) -> np.ndarray:
    """MCC of every model step i against every game step j: [M+1, G+1], each pooled over the episodes.

    Every pair's ``mcc``, to the last bit, from counts taken for all pairs at once by products of the 0/1
    frames: pair by pair a run of hundreds of steps (a maze) took seconds.
    """
    t, d = _as_bool(true), _as_bool(decoded)
    if t.shape[0] != d.shape[0] or t.shape[2:] != d.shape[2:]:
        raise ValueError(f"shapes differ: {tuple(t.shape)} vs {tuple(d.shape)}")
    tf = t.transpose(0, 1).reshape(t.shape[1], -1)  # [G+1, pixels of every episode]
    df = d.transpose(0, 1).reshape(d.shape[1], -1)
    tp = torch.zeros(df.shape[0], tf.shape[0], dtype=torch.float64)
    for lo in range(0, tf.shape[1], _CHUNK_PIXELS):
        part = slice(lo, lo + _CHUNK_PIXELS)
        tp += (df[:, part].float() @ tf[:, part].float().T).double()
    tp = tp.numpy()
    fp = df.sum(1, dtype=torch.float64).numpy()[:, None] - tp
    fn = tf.sum(1, dtype=torch.float64).numpy()[None, :] - tp
    tn = float(tf.shape[1]) - tp - fp - fn
    denom = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.maximum(0.0, (tp * tn - fp * fn) / denom)
    scores[denom == 0.0] = 0.0
    scores[(fp == 0.0) & (fn == 0.0)] = 1.0  # identical frames (``mcc``'s first case)
    return scores


def accuracy_matrix(true: torch.Tensor | np.ndarray, decoded: torch.Tensor | np.ndarray) -> np.ndarray:
    """Pixel accuracy of every model step i against every game step j: [M+1, G+1]."""
    return _pairwise(true, decoded, lambda t, d: float((t == d).float().mean()))


def aligned_game_step(model_step: int, model_steps: int, game_steps: int) -> int:
    """The game step a model step stands for when the model runs fewer steps than the game.

    Game step j belongs to model step j * T_model // T_game; the first game step paired with model
    step i is ceil(i * T_game / T_model), so step 0 stays 0 and the last stays the last (docs/method.md,
    "Pairing steps when the model runs fewer steps than the game", also says how the metric and the
    authors' code pair them).
    """
    return -(-model_step * game_steps // model_steps)


def per_step_accuracy(true: torch.Tensor | np.ndarray, decoded: torch.Tensor | np.ndarray) -> list[float]:
    """Pixel accuracy of decoder(h_i) against the game step that model step i stands for."""
    acc = accuracy_matrix(true, decoded)
    m, g = acc.shape[0] - 1, acc.shape[1] - 1
    return [float(acc[i, aligned_game_step(i, m, g)]) for i in range(m + 1)]


def best_matching_steps(accuracy: np.ndarray | Sequence[Sequence[float]]) -> list[tuple[int, float]]:
    """For each model step, the game step its decoding matches best and that accuracy.

    ``accuracy`` is :func:`accuracy_matrix` ([M+1, G+1], model step by game step). The aligned
    pairing of :func:`per_step_accuracy` is a convention: when the model runs fewer steps than the
    game (M != T), a model step can stand for another game step than ceil(i * T / M) (``gol3-model2-shallow``'s
    step 1 decodes game step 1, not the aligned 2), and even with M == T a step can show a board other
    than its own. Reporting both says which game step each hidden state actually shows.

    Ties go to the aligned game step when it is among the best, else to the earliest of them, so the
    best-matching step differs from the aligned one only where another game step scores strictly higher.
    """
    acc = np.asarray(accuracy, dtype=float)
    if acc.ndim != 2 or acc.shape[0] < 2 or acc.shape[1] < 2:
        raise ValueError(f"expected a [model steps + 1, game steps + 1] matrix, got shape {acc.shape}")
    m, g = acc.shape[0] - 1, acc.shape[1] - 1
    out = []
    for i, row in enumerate(acc):
        aligned = aligned_game_step(i, m, g)
        j = aligned if row[aligned] == row.max() else int(np.argmax(row))
        out.append((j, float(row[j])))
    return out


def final_error(true_final: torch.Tensor | np.ndarray, decoded_final: torch.Tensor | np.ndarray) -> float:
    """1 - accuracy of the rounded final board (the task metric)."""
    t = _as_bool(true_final)
    d = _as_bool(decoded_final)
    return 1.0 - float((t == d).float().mean())


def interpretability_from_matrix(scores: np.ndarray, model_steps: Sequence[int], game_steps: Sequence[int]) -> float:
    """The reference's aggregation of a score matrix over the untrained steps (for equal step counts; with fewer
    model steps than game steps it departs from theirs, docs/method.md).

    Each untrained game step j takes its best score over the untrained model steps i, and the
    sum is divided by the smaller of the two counts. When there are fewer model steps than game
    steps, the roles swap (each model step takes its best game step) so the score stays in
    [0, 1] and no model step is credited more than once.
    """
    model_steps, game_steps = list(model_steps), list(game_steps)
    if not model_steps or not game_steps:
        raise ValueError("no untrained steps to score (every step was trained against a board)")
    sub = scores[np.ix_(model_steps, game_steps)]
    best = sub.max(axis=0) if len(game_steps) <= len(model_steps) else sub.max(axis=1)
    return float(best.sum() / min(len(model_steps), len(game_steps)))


def untrained_steps(total: int, trained: Iterable[int]) -> list[int]:
    trained = set(trained)
    return [i for i in range(total + 1) if i not in trained]


def trained_game_steps(trained_model_steps: Iterable[int], model_steps: int, game_steps: int) -> set[int]:
    """The game steps a model's board supervision covered: model step 0 sees game step 0 and
    the last model step is trained against the last game step, whatever the step counts."""
    trained = set(trained_model_steps)
    if model_steps == game_steps:
        return trained
    return ({0} if 0 in trained else set()) | ({game_steps} if model_steps in trained else set())


def interpretability(
    true: torch.Tensor | np.ndarray,
    decoded: torch.Tensor | np.ndarray,
    trained_steps: Iterable[int] | None = None,
    *,
    trained_game: Iterable[int] | None = None,
) -> float:
    """How well the decoded hidden states show the intermediate boards (0: not at all, 1: exactly).

    ``trained_steps`` are the model steps whose decodings were trained against a board (e.g.
    {0, T} for the autoencoder regime); the other steps are scored. ``trained_game``
    defaults to the same steps, and to {0, G} when the model runs a different number of steps
    than the game.
    """
    m, g = decoded.shape[1] - 1, true.shape[1] - 1
    trained = {0, m} if trained_steps is None else set(trained_steps)
    if trained_game is None:
        trained_game = trained_game_steps(trained, m, g)
    scores = score_matrix(true, decoded)
    return interpretability_from_matrix(scores, untrained_steps(m, trained), untrained_steps(g, trained_game))


def monotone_pairing(scores: np.ndarray, model_steps: Sequence[int], game_steps: Sequence[int]) -> list[int]:
    """The game step each of ``model_steps`` shows under the best pairing that never goes back in time.

    The aligned pairing (step i <-> game step i) assumes the network keeps the environment's pace; the
    best match of each step alone may jump back and forth. A network that runs an algorithm at its own
    pace (a maze filled more slowly, or several rounds a step) is paired best by a monotone map: each
    model step to one game step, non-decreasing, maximising the summed scores (dynamic programming).
    """
    sub = np.asarray(scores, dtype=float)[np.ix_(list(model_steps), list(game_steps))]
    m, g = sub.shape
    if m == 0 or g == 0:
        raise ValueError("no steps to pair")
    total = np.zeros_like(sub)  # total[i, j]: best summed score of steps 0..i with step i at game step <= j
    total[0] = np.maximum.accumulate(sub[0])
    for i in range(1, m):
        total[i] = np.maximum.accumulate(total[i - 1] + sub[i])
    pairs, j = [0] * m, g - 1
    for i in range(m - 1, -1, -1):  # walk back: the latest game step <= j where step i reaches that best
        reach, best = (total[i - 1] + sub[i] if i else sub[i]), total[i][j]
        while j > 0 and not np.isclose(reach[j], best):
            j -= 1
        pairs[i] = j
    return [list(game_steps)[j] for j in pairs]


def interpretability_monotone(scores: np.ndarray, model_steps: Sequence[int], game_steps: Sequence[int]) -> float:
    """Mean score of the scored model steps under ``monotone_pairing``."""
    pairs = monotone_pairing(scores, model_steps, game_steps)
    return float(np.mean([np.asarray(scores)[i, j] for i, j in zip(model_steps, pairs, strict=True)]))
