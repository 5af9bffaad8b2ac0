"""training.runtime: the device and precision a run picks (every test runs on a CPU-only machine; CUDA's presence
is mocked)."""

from __future__ import annotations

import pytest
import torch

from training import runtime, train


def test_device_auto_picks_cuda_only_where_present(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert runtime.pick_device("auto") == torch.device("cpu")
    assert runtime.pick_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="no CUDA device"):
        runtime.pick_device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert runtime.pick_device("auto") == torch.device("cuda", 0)
    assert runtime.pick_device("cpu") == torch.device("cpu")  # asked for, even beside a GPU
    monkeypatch.setenv("LOCAL_RANK", "1")  # under torchrun, each rank its own GPU
    assert runtime.pick_device("cuda") == torch.device("cuda", 1)
    with pytest.raises(ValueError, match="--device"):
        train.TrainConfig(device="tpu")
    with pytest.raises(SystemExit):
        train.main(["--device", "gpu"])


def test_precision_auto_is_bf16_on_gpu_fp32_on_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    cpu, gpu = torch.device("cpu"), torch.device("cuda", 0)
    assert runtime.autocast_dtype("auto", cpu) is None
    assert runtime.autocast_dtype("fp32", cpu) is None
    assert runtime.autocast_dtype("bf16", cpu) == torch.bfloat16
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert runtime.autocast_dtype("auto", gpu) == torch.bfloat16
    assert runtime.autocast_dtype("fp32", gpu) is None
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)  # an older GPU: fp32
    assert runtime.autocast_dtype("auto", gpu) is None
    with pytest.raises(ValueError, match="--precision"):
        train.TrainConfig(precision="fp16")
