"""training.data: the batch of each step, whichever order the steps ask for it."""

from __future__ import annotations

import torch

from training import config, data


def test_batches_ahead_are_the_batches_of_each_step() -> None:
    """The GPU path draws the next batch in a thread; whatever order steps ask, each gets its own batch."""
    tc = config.TrainConfig(out="unused", channels=4, core_hidden=8, batch_size=8, train_size=8, regime="adversarial")
    cfg = config.model_config(tc)
    batches = data.Batches(tc, cfg, 0, torch.device("cpu"), ahead=True)
    try:
        for step in (0, 1, 2, 5, 6, 3):  # in order (served from the thread) and jumps (drawn afresh)
            ep, real = batches.get(step)
            want_ep, want_real = data.sample_batch(tc, cfg, step, 0)
            assert torch.equal(ep, want_ep) and torch.equal(real, want_real), step
    finally:
        batches.close()


def test_the_pair_discriminator_sees_a_real_frame_and_the_next() -> None:
    """--adver-pairs: real transitions from other episodes, where the single-frame discriminator saw frames."""
    tc = config.TrainConfig(out="unused", batch_size=16, train_size=8, game_steps=3, regime="adversarial")
    pairs = config.TrainConfig(**{**tc.__dict__, "adver_pairs": True})
    cfg = config.model_config(tc)
    _, frames = data.sample_batch(tc, cfg, 0, 0)
    ep, real = data.sample_batch(pairs, cfg, 0, 0)
    assert frames.shape == (16, 8, 8) and real.shape == (16, 2, 8, 8)
    assert torch.equal(real[:, 1], cfg.env.rollout(real[:, 0], 1)[:, -1])  # one game step apart
    assert not any(torch.equal(real[i], ep[i, :2]) for i in range(16))  # other episodes than the batch's own
