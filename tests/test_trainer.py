"""training.trainer and training.config: the learning-rate schedule of each phase, and the run's environment."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from training import config, data, trainer
from training.config import TrainConfig
from training.objective import Objective

TINY = {"channels": 4, "core_hidden": 8, "batch_size": 4, "train_size": 8, "threads": 1}


def test_each_phase_decays_lr_to_lr_final_and_the_discriminator_keeps_its_own(tmp_path: Path) -> None:
    steps = {"model": 4, "decoder": 2, "adversarial": 5}
    tc = TrainConfig(
        out=str(tmp_path / "run"),
        regime="adversarial",
        steps=steps["model"],
        decoder_steps=steps["decoder"],
        adver_steps=steps["adversarial"],
        eval_episodes=8,
        log_episodes=4,
        **TINY,
    )
    run = trainer.Trainer(tc, torch.device("cpu"), rank=0, world=1)
    seen: list[tuple[str, int, list[float]]] = []
    take_step = run.step

    def spy() -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        seen.append((run.phase, run.global_step - run.phase_start, [g["lr"] for g in run.opt.param_groups]))
        return take_step()

    run.step = spy  # type: ignore[method-assign]
    run.fit()
    assert [(p, k) for p, k, _ in seen] == [(p, k) for p, n in steps.items() for k in range(n)]
    for phase, k, lrs in seen:
        # the closed form the schedule replaced, bit for bit: the same weights as before LambdaLR
        assert lrs[0] == tc.lr * (tc.lr_final / tc.lr) ** (k / steps[phase])
        assert lrs[1:] == ([tc.disc_lr] if phase == "adversarial" else [])
    assert seen[0][2][0] == tc.lr and seen[-1][2][0] > tc.lr_final


def test_time_steps_times_every_phase_in_order_and_leaves_no_run_behind(tmp_path: Path) -> None:
    tc = TrainConfig(out=str(tmp_path / "run"), regime="adversarial", steps=50, eval_episodes=8, log_episodes=4, **TINY)
    run = trainer.Trainer(tc, torch.device("cpu"), rank=0, world=1)
    starts: list[tuple[str, int]] = []
    take_step = run.step

    def spy() -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        if run.global_step == run.phase_start:
            starts.append((run.phase, run.global_step))
        return take_step()

    run.step = spy  # type: ignore[method-assign]
    seconds = run.time_steps(3)
    assert list(seconds) == ["model", "decoder", "adversarial"] and all(s > 0 for s in seconds.values())
    # each phase timed from its own start in the plan (its schedule, its adversarial weight), 3 + 3 steps each
    assert starts == [("model", 0), ("decoder", 50), ("adversarial", 50 + tc.decoder_steps)]
    assert run.trained == 18 and not (tmp_path / "run" / trainer.STATE_FILE).exists()


def test_the_environment_names_what_the_model_is_trained_on() -> None:
    cfg = config.model_config(TrainConfig())
    assert cfg.environment == {"name": "life", "rule": "B3/S23", "wrap": False} and not cfg.recall
    args = vars(config.parser().parse_args(["--rule", "B36/S23", "--wrap", "--environment", "life"]))
    args.pop("resume")
    tc = TrainConfig(**args)
    assert config.model_config(tc).environment == {"name": "life", "rule": "B36/S23", "wrap": True}
    with pytest.raises(ValueError, match="--environment"):
        TrainConfig(environment="chess")
    with pytest.raises(SystemExit):
        config.parser().parse_args(["--environment", "chess"])


def test_a_recalling_model_trains_with_hidden_noise() -> None:
    tc = TrainConfig(recall=True, hidden_noise=0.5, **TINY)
    model, extra = trainer.build(tc)
    assert model.config.recall
    ep, real = data.sample_batch(tc, model.config, 0, 0)
    loss, _ = Objective(tc, model, extra)(ep, real, 0.0)
    loss.backward()
    assert torch.isfinite(loss) and model.core[0][0].weight.grad is not None


def test_weight_decay_trains_with_adamw_and_without_it_adam_as_before(tmp_path: Path) -> None:
    def run(decay: float) -> trainer.Trainer:
        tc = TrainConfig(
            out=str(tmp_path / f"wd{decay}"), steps=6, eval_episodes=8, log_episodes=4, weight_decay=decay, **TINY
        )
        r = trainer.Trainer(tc, torch.device("cpu"), rank=0, world=1)
        r.fit()
        return r

    plain, decayed = run(0.0), run(0.5)
    assert type(plain.opt) is torch.optim.Adam
    assert type(decayed.opt) is torch.optim.AdamW
    assert all(g["weight_decay"] == 0.5 for g in decayed.opt.param_groups)
    # the same seed and batches: only the decay differs, and it pulls the weights towards zero
    norm = [sum(p.norm() ** 2 for p in r.model.parameters()) for r in (plain, decayed)]
    assert norm[1] < norm[0]
