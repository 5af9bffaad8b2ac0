"""The analyses on models whose answers we know: a Game of Life oracle and a model that ignores h_i."""

from __future__ import annotations

import pytest
import torch

from imagination import ImaginationModel, ModelConfig, analysis, life


class Oracle(ImaginationModel):
    """Hidden state = the board itself; each core step is one exact Game of Life step."""

    def __init__(self, steps: int = 3) -> None:
        super().__init__(ModelConfig(channels=1, core_hidden=1, model_steps=steps, game_steps=steps, output="value"))

    def encode(self, boards: torch.Tensor) -> torch.Tensor:
        return boards.float().unsqueeze(1)

    def core_step(self, h: torch.Tensor, t: int, recall: torch.Tensor | None = None) -> torch.Tensor:
        return life.step(h[:, 0]).unsqueeze(1)

    def decode_logits(self, hidden: torch.Tensor, decoder: torch.nn.Module | None = None) -> torch.Tensor:
        return hidden[..., 0, :, :]


@pytest.fixture(scope="module")
def episodes() -> torch.Tensor:
    return life.sample_episodes(200, 3, 16, seed=0)


def test_oracle_extrapolates_forever(episodes: torch.Tensor) -> None:
    """Still exact at 4T, so the run doubles (24, 48, ...) until the limit: the horizon is not cut at 4T."""
    ex = analysis.extrapolation(Oracle(), episodes[:, 0], limit=40)
    assert ex["steps"] == list(range(41)) and ex["accuracy"] == [1.0] * 41
    assert ex["steps_above_99"] == 40
    assert analysis.extrapolation(Oracle(), episodes[:, 0], limit=12)["steps_above_99"] == 12


def test_a_horizon_past_4t_is_measured_where_it_ends(episodes: torch.Tensor) -> None:
    class DriftsLate(Oracle):
        def core_step(self, h: torch.Tensor, t: int, recall: torch.Tensor | None = None) -> torch.Tensor:
            return h if t >= 30 else super().core_step(h, t)  # follows the game for 30 steps, 10T

    ex = analysis.extrapolation(DriftsLate(), episodes[:, 0])
    assert ex["steps_above_99"] == 30 and len(ex["steps"]) == 49  # 12 -> 24 -> 48 model steps, then it ends


def test_a_long_run_keeps_one_state_a_board_and_scores_all_boards_at_once(episodes: torch.Tensor) -> None:
    class DriftsLate(Oracle):
        def core_step(self, h: torch.Tensor, t: int, recall: torch.Tensor | None = None) -> torch.Tensor:
            return 1 - h if t >= 300 else super().core_step(h, t)  # exact for 300 steps, then every cell wrong

    run = analysis.running_accuracy(DriftsLate(), episodes[:50, 0], 400, batch=50)
    assert run["steps_above_99"] == 300 and run["accuracy"][:301] == [1.0] * 301 and run["mcc"][300] == 1.0
    assert run["accuracy"][301] == 0.0 and run["mcc"][301] == 0.0
    # the same counts in batches of 7 (the last one short): the scores do not depend on the batching
    assert analysis.running_accuracy(DriftsLate(), episodes[:50, 0], 400, batch=7) == run


def test_oracle_is_faithful(episodes: torch.Tensor) -> None:
    fa = analysis.faithfulness(Oracle(), episodes)
    assert [p["delta"] for p in fa["patching"]] == [0.0, 0.0]
    assert all(e["follow_rate"] == 1.0 and e["differing_cells"] > 0 for e in fa["editing"])
    assert fa["score"] == 1.0


def test_a_model_that_ignores_its_imagination_scores_zero(episodes: torch.Tensor) -> None:
    class Ignores(Oracle):
        def continue_from(
            self, h: torch.Tensor, start: int, steps: int, recall: torch.Tensor | None = None
        ) -> torch.Tensor:
            # the answer is always the true continuation of the *original* start board
            return self._fixed[:, start : start + steps + 1]

    model = Ignores()
    model._fixed = model(episodes[:, 0])  # type: ignore[attr-defined]
    fa = analysis.faithfulness(model, episodes)
    assert fa["score"] < 0.05


def test_extrapolation_drop_is_counted(episodes: torch.Tensor) -> None:
    class Drifts(Oracle):
        def core_step(self, h: torch.Tensor, t: int, recall: torch.Tensor | None = None) -> torch.Tensor:
            return h if t >= 5 else super().core_step(h, t)  # stops following the game after 5 steps

    ex = analysis.extrapolation(Drifts(), episodes[:, 0])
    assert ex["accuracy"][:6] == [1.0] * 6 and ex["accuracy"][7] < 0.99
    assert ex["steps_above_99"] == 5


def test_untied_and_summary_models_are_skipped_cleanly(episodes: torch.Tensor) -> None:
    untied = ImaginationModel(ModelConfig(channels=2, core_hidden=4, tied=False))
    assert analysis.extrapolation(untied, episodes[:, 0])["steps_above_99"] is None
    count = ImaginationModel(ModelConfig(channels=2, core_hidden=4, task="count", trained_steps=[0]))
    assert analysis.faithfulness(count, episodes)["score"] is None


def test_real_tiny_model_gives_rates_in_range(episodes: torch.Tensor) -> None:
    torch.manual_seed(0)
    model = ImaginationModel(ModelConfig(channels=4, core_hidden=8)).eval()
    fa = analysis.faithfulness(model, episodes)
    for e in fa["editing"]:
        assert e["follow_rate"] is None or 0.0 <= e["follow_rate"] <= 1.0
    assert fa == analysis.faithfulness(model, episodes)  # seeded: the same edits every time


def test_intervening_on_an_oracle_follows_the_edit() -> None:
    from imagination.episode import intervene, run_episode

    board = life.random_boards(1, 12, 0.4, torch.Generator().manual_seed(5))[0]
    model = Oracle()
    base = run_episode(model, board)
    edited = torch.from_numpy(base.imagined[1]).float()
    edited[5, 5] = 1 - edited[5, 5]
    edited[6, 5] = 1 - edited[6, 5]
    ep = intervene(model, board, 1, edited)
    assert ep.accuracy == [1.0] * 4  # the oracle's imagination follows the edited game exactly
    assert (ep.true[0] == base.true[0]).all() and (ep.true[1] == edited.numpy()).all()
    assert not (ep.true[3] == base.true[3]).all() or not (ep.true[2] == base.true[2]).all()
    with pytest.raises(ValueError, match="step"):
        intervene(model, board, 9, edited)
