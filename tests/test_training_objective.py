"""training.objective: the losses of the model phase (mixed precision, the latent loss, hidden noise)."""

from __future__ import annotations

import pytest
import torch

from imagination import ImaginationModel
from training import config, data, trainer
from training.objective import Objective, latent_loss


def test_summary_head_stays_fp32_under_bf16_autocast() -> None:
    """A count is exact to the cell (up to 400), beyond bf16's precision: mixed precision must spare the head."""
    tc = config.TrainConfig(out="unused", task="count", game_steps=2, channels=4, core_hidden=8, batch_size=4)
    model, extra = trainer.build(tc)
    seen: list[torch.dtype] = []
    assert model.task_head is not None
    model.task_head.register_forward_hook(lambda mod, inp, out: seen.append(out.dtype))
    ep, real = data.sample_batch(tc, model.config, 0, 0)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss, stats = Objective(tc, model, extra)(ep, real, 0.0)
    assert seen == [torch.float32] and loss.dtype == torch.float32
    decoder_out: list[torch.dtype] = []
    model.decoder.register_forward_hook(lambda mod, inp, out: decoder_out.append(out.dtype))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        Objective(tc, model, extra)(ep, real, 0.0)
    assert decoder_out == [torch.bfloat16]  # the rest of the network does run in bf16


# -- the latent consistency loss (docs/analysis.md, "An imagination that keeps running") -------------
def _objective_loss(tc: config.TrainConfig, model: ImaginationModel, ep: torch.Tensor) -> tuple[torch.Tensor, dict]:
    model.zero_grad(set_to_none=True)
    loss, stats = Objective(tc, model, torch.nn.ModuleDict())(ep, torch.empty(0), 0.0)
    loss.backward()
    return loss.detach(), stats


def _plain_run() -> tuple[config.TrainConfig, ImaginationModel, torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
    """A tiny 3-step autoencoder, a batch, and its loss and gradients without any extra term."""
    base = config.TrainConfig(channels=4, core_hidden=8, batch_size=8, train_size=8, game_steps=3)
    model, _ = trainer.build(base)
    ep, _ = data.sample_batch(base, model.config, 0, 0)
    plain, _ = _objective_loss(base, model, ep)
    return base, model, ep, plain, {n: p.grad.clone() for n, p in model.named_parameters()}


def test_latent_loss_pulls_h_T_towards_the_encoding_of_board_T() -> None:
    base, model, ep, plain, plain_grads = _plain_run()
    with torch.no_grad():
        expected = torch.nn.functional.mse_loss(model(ep[:, 0])[:, 3], model.encode(ep[:, -1]))
    assert expected > 0
    grads = {}
    for detach in (True, False):
        tc = config.TrainConfig(**{**base.__dict__, "latent_weight": 2.0, "latent_detach": detach})
        loss, stats = _objective_loss(tc, model, ep)
        assert torch.allclose(loss - plain, 2.0 * expected, rtol=1e-5)
        assert torch.allclose(stats["latent"], expected)
        grads[detach] = {n: p.grad.clone() for n, p in model.named_parameters()}
    # the term moves the core; only the joint variant also moves the encoder through the target
    assert not torch.allclose(grads[True]["core.0.0.weight"], plain_grads["core.0.0.weight"])
    assert torch.allclose(grads[True]["core.0.0.weight"], grads[False]["core.0.0.weight"])
    assert not torch.allclose(grads[True]["encoder.0.weight"], grads[False]["encoder.0.weight"])
    # the decoder never sees it: the board losses stay those of steps 0 and T
    assert torch.allclose(grads[True]["decoder.0.weight"], plain_grads["decoder.0.weight"])
    # relative: the same MSE in units of the target's mean square, so shrinking the encoder does not lower it
    tc = config.TrainConfig(**{**base.__dict__, "latent_weight": 2.0, "latent_relative": True})
    loss, stats = _objective_loss(tc, model, ep)
    with torch.no_grad():
        scale = model.encode(ep[:, -1]).pow(2).mean()
    assert torch.allclose(loss - plain, 2.0 * expected / scale, rtol=1e-5)
    assert config.regime_name(tc) == "autoencoder+latent-relative"
    with pytest.raises(ValueError, match="board task only"):
        config.TrainConfig(task="count", latent_weight=1.0)


def test_only_the_scale_free_latent_loss_leaves_a_common_scale_alone() -> None:
    """The mechanism of the 8,000-step collapse: with the divisor a constant, shrinking both sides lowers the loss."""
    gen = torch.Generator().manual_seed(0)
    last, target = torch.randn(4, 8, 6, 6, generator=gen), torch.randn(4, 8, 6, 6, generator=gen)
    slopes = {}
    for scale_free in (False, True):
        tc = config.TrainConfig(latent_weight=0.3, latent_relative=True, latent_detach=False)
        tc.latent_scale_free = scale_free
        a = torch.tensor(1.0, requires_grad=True)
        loss = latent_loss(a * last, a * target, tc)
        assert torch.allclose(loss, latent_loss(last, target, tc))  # the value is scale-free either way
        (slopes[scale_free],) = torch.autograd.grad(loss, a)
    assert slopes[False] > 0.5 * latent_loss(last, target, tc)  # d/da = 2 x loss: a step down in a pays
    assert abs(float(slopes[True])) < 1e-5
    tc = config.TrainConfig(latent_weight=0.3, latent_relative=True, latent_scale_free=True, latent_detach=False)
    assert config.regime_name(tc) == "autoencoder+latent-joint-scale-free"
    with pytest.raises(ValueError, match="add --latent-relative"):
        config.TrainConfig(latent_weight=0.3, latent_scale_free=True)


def test_two_roads_past_T_agree_from_boards_0_and_T_only() -> None:
    base, model, ep, plain, plain_grads = _plain_run()
    tc = config.TrainConfig(**{**base.__dict__, "agree_weight": 0.5, "agree_steps": 2})
    seen = set()
    for seed in range(8):
        torch.manual_seed(seed)
        loss, stats = _objective_loss(tc, model, ep)
        torch.manual_seed(seed)
        k = int(torch.randint(1, 3, (1,)))  # the draw the objective makes
        seen.add(k)
        with torch.no_grad():
            from_start = model(ep[:, 0], 3 + k)[:, -1]
            from_t = model(ep[:, -1], k)[:, -1]
            expected = torch.nn.functional.mse_loss(from_start, from_t) / from_t.pow(2).mean()
        assert torch.allclose(stats["agree"], expected, rtol=1e-4)
        assert torch.allclose(loss - plain, 0.5 * expected, rtol=1e-4)
    assert seen == {1, 2}
    grads = {n: p.grad for n, p in model.named_parameters()}
    assert not torch.allclose(grads["core.0.0.weight"], plain_grads["core.0.0.weight"])
    assert not torch.allclose(grads["encoder.0.weight"], plain_grads["encoder.0.weight"])
    assert torch.allclose(grads["decoder.0.weight"], plain_grads["decoder.0.weight"])  # no frame past T is read
    assert config.regime_name(tc) == "autoencoder+agree"
    noisy = config.TrainConfig(**{**tc.__dict__, "agree_noise": 0.5})
    values = []
    for _ in range(2):
        torch.manual_seed(0)
        values.append(_objective_loss(noisy, model, ep)[1]["agree"])
    torch.manual_seed(0)
    assert values[0] == values[1] and values[0] != _objective_loss(tc, model, ep)[1]["agree"]
    with pytest.raises(ValueError, match="tied core"):
        config.TrainConfig(agree_weight=1.0, untied=True)


def test_hidden_noise_perturbs_the_core_inputs_not_h0() -> None:
    tc = config.TrainConfig(channels=4, core_hidden=8, batch_size=8, train_size=8, game_steps=3, hidden_noise=0.5)
    model, _ = trainer.build(tc)
    ep, _ = data.sample_batch(tc, model.config, 0, 0)
    objective = Objective(tc, model, torch.nn.ModuleDict())
    with torch.no_grad():
        clean = model(ep[:, 0])
        torch.manual_seed(1)
        noisy = objective._noisy_hidden(ep[:, 0], tc.game_steps)
        torch.manual_seed(1)
        again = objective._noisy_hidden(ep[:, 0], tc.game_steps)
    assert torch.equal(noisy[:, 0], clean[:, 0])  # the step-0 decoder loss sees the true encoding
    assert not torch.allclose(noisy[:, 1:], clean[:, 1:])
    assert torch.equal(noisy, again)  # seeded per step by Batches.get, like the data
    assert config.regime_name(tc) == "autoencoder+noise"
    quiet = config.TrainConfig(**{**tc.__dict__, "hidden_noise": 0.0})
    torch.manual_seed(1)
    loss_quiet, _ = Objective(quiet, model, torch.nn.ModuleDict())(ep, torch.empty(0), 0.0)
    torch.manual_seed(1)
    loss_noisy, _ = objective(ep, torch.empty(0), 0.0)
    assert loss_noisy != loss_quiet


def test_hidden_noise_is_the_same_draw_whatever_the_states_layout() -> None:
    """A bf16 run keeps its states channels-last; the noise on them is drawn cell for cell as on an fp32 run's."""
    tc = config.TrainConfig(channels=4, core_hidden=8, batch_size=8, train_size=8, game_steps=3, hidden_noise=0.5)
    model, _ = trainer.build(tc)
    ep, _ = data.sample_batch(tc, model.config, 0, 0)
    with torch.no_grad():
        torch.manual_seed(1)
        plain = Objective(tc, model, torch.nn.ModuleDict())._noisy_hidden(ep[:, 0], tc.game_steps)
        model.to(memory_format=torch.channels_last)
        torch.manual_seed(1)
        last = Objective(tc, model, torch.nn.ModuleDict())._noisy_hidden(ep[:, 0], tc.game_steps)
        state = model.encode(ep[:, 0])
    assert state.is_contiguous(memory_format=torch.channels_last) and not state.is_contiguous()  # it did change
    torch.testing.assert_close(last, plain)  # only a conv's rounding apart


# -- a new decoder on a frozen summary model ------------------------------------------------------
def test_the_decoded_summary_at_T_is_scored_against_the_task_answer_in_cells() -> None:
    """The summary of the new decoder's board T against the count of board T: 0 for the true board, the
    squared count (in cells) for an empty one; board T itself is read only through that count."""
    tc = config.TrainConfig(
        out="unused", task="count", game_steps=2, channels=4, core_hidden=8, batch_size=4, train_size=10,
        regime="adversarial", adver_summary_weight=0.5, adver_decoder_layers=2,
    )  # fmt: skip
    model, extra = trainer.build(tc)
    assert sum(isinstance(m, torch.nn.Conv2d) for m in extra["decoder"]) == 2
    ep, real = data.sample_batch(tc, model.config, 0, 0)
    objective = Objective(tc, model, extra)
    objective.phase = "decoder"
    last = model(ep[:, 0])[:, -1]
    for decoded, expected in ((ep[:, -1], torch.tensor(0.0)), (torch.zeros_like(ep[:, -1]), ep[:, -1].sum((-2, -1)))):
        model.decode = lambda h, decoder=None, d=decoded: d  # type: ignore[method-assign]
        got = objective._decoded_summary_loss(last, ep[:, -1])
        assert torch.allclose(got, expected.pow(2).mean())
    with pytest.raises(ValueError, match="a summary.s answer"):
        config.TrainConfig(out="unused", regime="adversarial", adver_summary_weight=0.5)


def test_the_pair_discriminator_judges_every_consecutive_pair_of_decoded_frames() -> None:
    tc = config.TrainConfig(
        out="unused", game_steps=3, channels=4, core_hidden=8, batch_size=4, train_size=8, regime="adversarial",
        adver_pairs=True,
    )  # fmt: skip
    model, extra = trainer.build(tc)
    ep, real = data.sample_batch(tc, model.config, 0, 0)
    objective = Objective(tc, model, extra)
    hidden = model(ep[:, 0])
    fakes = objective._fakes(hidden)
    decoded = model.decode(hidden, extra["decoder"])
    assert fakes.shape == (4 * 3, 2, 8, 8)
    assert torch.equal(fakes[1], decoded[0, 1:3]) and torch.equal(fakes[3], decoded[1, 0:2])  # (h_t, h_t+1)
    assert extra["discriminator"](fakes).shape == (12,) and extra["discriminator"](real).shape == (4,)
    objective.phase = "adversarial"
    loss, stats = objective(ep, real, 0.05)
    assert loss.isfinite() and 0.0 <= float(stats["disc_acc"]) <= 1.0
    with pytest.raises(ValueError, match="no --model-steps"):
        config.TrainConfig(out="unused", game_steps=3, model_steps=2, adver_pairs=True)
