"""The package as a user gets it: built (sdist, then a wheel from that sdist), installed outside the
repository, and used from another directory, with no network and the zoo found by name."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
import time
from pathlib import Path

import pytest

from imagination import ImaginationModel, life

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "README.md", "imagination", "training", "zoo")

# Run by the installed interpreter, in a folder that is not the repository. Prints one JSON object.
CHECK = textwrap.dedent(
    """
    import json, sys, warnings
    import imagination
    from imagination import ImaginationModel, hub, life, zoo
    from imagination.episode import run_episode

    out = {"file": imagination.__file__, "zoo_dir": str(hub.ZOO_DIR), "path": sys.path}
    out["names"] = zoo.names()
    bundled = [e.name for e in zoo.list() if getattr(e, "bundled", True)]
    out["configs"] = {n: ImaginationModel.from_pretrained(n).config_dict() for n in bundled}
    staged = [(e.name, s) for e in zoo.list() for s in e.stages]  # the runs an entry continued: its revisions
    out["stages"] = {f"{n}/{s}": ImaginationModel.from_pretrained(n, revision=s).config_dict() for n, s in staged}
    model = ImaginationModel.from_pretrained("gol3-autoencoder")
    board = life.sample_episodes(1, 3, 12, seed=0)[0, 0]
    ep = run_episode(model, board)
    out["episode"] = {"accuracy": ep.accuracy, "decoded_sum": float(ep.decoded.sum())}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ImaginationModel.from_pretrained("imagination-zoo/gol3-autoencoder")  # offline: the bundled copy
    out["warnings"] = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    print(json.dumps(out))
    """
)


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{args[:3]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _build(src: Path, hook: str, out: Path) -> Path:
    """Call setuptools' PEP 517 hook in ``src`` with the test environment's setuptools (no index, no isolation)."""
    code = f"import sys; from setuptools import build_meta as b; print(b.{hook}(sys.argv[1]))"
    name = _run([sys.executable, "-c", code, str(out)], cwd=src).strip().splitlines()[-1]
    return out / name


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    work = tmp_path_factory.mktemp("install")
    started = time.perf_counter()
    # Build from a copy: a build writes build/ and *.egg-info beside its sources, and the checkout is shared.
    src = work / "src"
    src.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, src / name)
    dist = work / "dist"
    sdist = _build(src, "build_sdist", dist)
    with tarfile.open(sdist) as tar:
        tar.extractall(work / "unpacked", filter="data")
    (unpacked,) = (work / "unpacked").iterdir()
    wheel = _build(unpacked, "build_wheel", dist)

    # A fresh environment outside the repository; its dependencies come from the test environment's
    # site-packages through a .pth (a plain path: the editable install's .pth there is not processed).
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=work)
    python = venv / "bin" / "python"
    site = Path(
        _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=work).strip()
    )
    deps = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    (site / "test-dependencies.pth").write_text("\n".join(deps) + "\n")
    _run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--no-cache-dir", "--quiet"]
        + ["--target", str(site), str(wheel)],
        cwd=work,
    )

    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "IMAGINATION_ZOO", "PYTHONHOME")}
    env.update(
        HF_HUB_OFFLINE="1",
        HF_ENDPOINT="http://127.0.0.1:9",  # nothing listens there: any request would fail loudly
        HF_HOME=str(work / "hf"),
        PYTHONNOUSERSITE="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    out = json.loads(_run([str(python), "-c", CHECK], cwd=elsewhere, env=env).strip().splitlines()[-1])
    return {**out, "site": site, "seconds": time.perf_counter() - started, "sdist": sdist, "wheel": wheel}


def test_sdist_and_wheel_carry_the_zoo(installed: dict[str, object]) -> None:
    bundled = sorted(p.parent.name for p in (ROOT / "zoo").glob("*/config.json"))
    with tarfile.open(installed["sdist"]) as tar:
        in_sdist = {Path(*Path(n).parts[1:]).as_posix() for n in tar.getnames()}
    import zipfile

    in_wheel = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for name in bundled:
        for f in ("config.json", "model.safetensors", "README.md", "eval.json"):
            assert f"zoo/{name}/{f}" in in_sdist
            assert f"imagination/_zoo/{name}/{f}" in in_wheel
    assert "imagination/_zoo/index.json" in in_wheel
    shipped = [*(ROOT / "zoo").glob("*/snapshots/*/*"), *(ROOT / "zoo").glob("*/stages/*/*")]
    assert len([f for f in shipped if "/stages/" in f.as_posix()]) >= 7  # the stages are shipped too
    for f in shipped:  # the showcase entries' training snapshots, and the runs entries continued
        rel = f.relative_to(ROOT / "zoo").as_posix()
        assert f"zoo/{rel}" in in_sdist and f"imagination/_zoo/{rel}" in in_wheel
    assert not any(n.startswith("zoo/") for n in in_wheel)  # one copy, inside the package


def test_installed_package_is_the_one_imported(installed: dict[str, object]) -> None:
    site = Path(installed["site"])
    assert Path(installed["file"]).is_relative_to(site), installed["file"]
    assert Path(installed["zoo_dir"]) == site / "imagination" / "_zoo"
    assert not any(Path(p).resolve() == ROOT for p in installed["path"] if p)


def test_installed_zoo_lists_and_loads_every_bundled_name(installed: dict[str, object]) -> None:
    index = json.loads((ROOT / "zoo" / "index.json").read_text())["models"]
    assert installed["names"] == [e["name"] for e in index]
    on_disk = sorted(p.parent.name for p in (ROOT / "zoo").glob("*/config.json"))
    assert sorted(installed["configs"]) == on_disk and len(on_disk) >= 20
    for name, cfg in installed["configs"].items():
        assert cfg == ImaginationModel.from_pretrained(ROOT / "zoo" / name).config_dict(), name
    on_disk = sorted(f"{p.parents[2].name}/{p.parent.name}" for p in (ROOT / "zoo").glob("*/stages/*/config.json"))
    assert sorted(installed["stages"]) == on_disk and on_disk
    for name, cfg in installed["stages"].items():  # each loads by its entry's name at its revision
        assert cfg == ImaginationModel.from_pretrained(ROOT / "zoo" / name.replace("/", "/stages/")).config_dict()


def test_installed_package_runs_an_episode_offline(installed: dict[str, object]) -> None:
    from imagination.episode import run_episode

    model = ImaginationModel.from_pretrained(ROOT / "zoo" / "gol3-autoencoder")
    ep = run_episode(model, life.sample_episodes(1, 3, 12, seed=0)[0, 0])
    assert installed["episode"]["accuracy"] == ep.accuracy
    assert installed["episode"]["decoded_sum"] == pytest.approx(float(ep.decoded.sum()), rel=1e-6)
    # The Hub id of a bundled entry, offline and not cached: the bundled copy, with a warning naming it.
    assert any("gol3-autoencoder" in w and "bundled" in w for w in installed["warnings"]), installed["warnings"]


def test_install_round_trip_is_quick(installed: dict[str, object]) -> None:
    assert installed["seconds"] < 120, f"build + install + check took {installed['seconds']:.0f} s"
