"""Step-wise access to an iterative model: every state by name, interventions at step k, plain
forward hooks and nnsight, all on the same hook point and all agreeing with each other."""

from __future__ import annotations

import pytest
import torch
from nnsight import NNsight

from imagination import ImaginationModel, hooks, life, zoo


@pytest.fixture(scope="module")
def model() -> ImaginationModel:
    return zoo.load("gol3-autoencoder")


@pytest.fixture(scope="module")
def starts() -> torch.Tensor:
    return life.sample_episodes(12, 3, 16, seed=4)[:, 0]


def test_run_with_cache_holds_every_state_and_decoding_by_name(model: ImaginationModel, starts: torch.Tensor) -> None:
    decoded, cache = model.run_with_cache(starts, steps=5)
    hidden = model(starts, 5)
    assert sorted(cache) == sorted([f"state.{t}" for t in range(6)] + [f"decoded.{t}" for t in range(6)])
    assert cache.steps == 5 and torch.equal(cache.states(), hidden)
    assert torch.equal(decoded, model.decode_all(hidden)) and torch.equal(cache.decoded(), decoded)
    assert torch.equal(cache["state.2"], hidden[:, 2]) and cache["decoded.4"].shape == (12, 16, 16)


def test_replacing_the_state_at_step_k_is_an_intervention_the_core_continues_from(
    model: ImaginationModel, starts: torch.Tensor
) -> None:
    new = model.encode(torch.zeros_like(starts))
    hidden = model.run_with_hooks(starts, {"state.1": hooks.replace(new)})
    plain = model(starts)
    assert torch.equal(hidden[:, 0], plain[:, 0]) and torch.equal(hidden[:, 1], new)
    assert torch.equal(hidden[:, 1:], model.continue_from(new, 1, 2))  # the same as an intervention by hand
    assert not torch.equal(hidden[:, 2:], plain[:, 2:])
    assert torch.equal(model(starts), plain)  # the hook is gone after the run


def test_adding_a_vector_and_patching_from_another_run(model: ImaginationModel, starts: torch.Tensor) -> None:
    vector = torch.randn(model.config.channels, 1, 1, generator=torch.Generator().manual_seed(0))
    steered = model.run_with_hooks(starts, {"state.2": hooks.add(vector)})
    assert torch.allclose(steered[:, 2], model(starts)[:, 2] + vector)
    _, other = model.run_with_cache(starts.flip(0))
    patched = model.run_with_hooks(starts, {"state.2": hooks.patch(other)})
    assert torch.equal(patched[:, 2], other["state.2"]) and torch.equal(patched[:, 3], other["state.3"])


def test_a_hook_returning_none_keeps_the_state_and_a_bad_name_is_refused(
    model: ImaginationModel, starts: torch.Tensor
) -> None:
    seen: list[int] = []
    hidden = model.run_with_hooks(starts, {"state.0": lambda h, k: seen.append(k), "state.3": lambda h, k: None})
    assert seen == [0] and torch.equal(hidden, model(starts))
    with pytest.raises(ValueError, match="state.<step>"):
        model.run_with_hooks(starts, {"decoder.2": lambda h, k: h})


def test_plain_forward_hooks_see_every_step(model: ImaginationModel, starts: torch.Tensor) -> None:
    seen: dict[int, torch.Tensor] = {}
    handle = model.hook_state.register_forward_hook(lambda mod, args, out: seen.__setitem__(mod.step, out))
    try:
        hidden = model(starts, 4)
    finally:
        handle.remove()
    assert sorted(seen) == [0, 1, 2, 3, 4]
    assert all(torch.equal(seen[t], hidden[:, t]) for t in seen)


def test_nnsight_reads_and_edits_the_state_at_step_k(model: ImaginationModel, starts: torch.Tensor) -> None:
    traced = NNsight(model)
    with traced.trace(starts) as tracer:
        for _ in tracer.iter[2]:
            state_2 = traced.hook_state.output.save()
    assert torch.equal(state_2, model(starts)[:, 2])
    new = model.encode(torch.ones_like(starts)).detach()
    with traced.trace(starts) as tracer:
        for _ in tracer.iter[1]:
            traced.hook_state.output = new
        edited = traced.output.save()
    assert torch.equal(edited, model.run_with_hooks(starts, {"state.1": hooks.replace(new)}))
