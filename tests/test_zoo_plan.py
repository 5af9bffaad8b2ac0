"""The zoo's plan as data (training/zoo/plan.toml): the commands it gives are exactly those the zoo was trained with."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.zoo import plan

# Commands as training/zoo.py built them before the plan became data (every entry and recipe was checked once).
PINNED = {
    ("count3ts", "fast"): "--out runs/zoo/count3ts --core-hidden 64 --loss mse --clip-norm 1.0 --task count "
    "--task-size 1 --game-steps 3 --train-size 10 --eval-size 10 --log-episodes 2000 --stop-error 0.0005 "
    "--batch-size 256 --task-layers 3 --encoder-layers 2 --channels 32 --core-layers 4 --lr 2e-3 --lr-final 1e-4 "
    "--steps 40000 --max-minutes 60 --log-every 1000 --checkpoint-every 1000 --device auto --precision bf16 "
    "--name count3ts",
    ("patch2ts-long", "fast"): "--out runs/zoo/patch2ts-long --channels 16 --core-hidden 64 --loss mse "
    "--clip-norm 1.0 --task patch --task-size 10 --game-steps 2 --batch-size 64 --train-size 10 --eval-size 10 "
    "--log-episodes 2000 --task-layers 3 --steps 12000 --lr 5e-4 --lr-final 1e-4 --seed 2 --max-minutes 12 "
    "--stop-error 0.0001 --name patch2ts-long --warm-start zoo/patch2ts",
    ("gol3-adversarial", "batch256"): "--out runs/zoo/gol3-adversarial --channels 16 --core-hidden 64 --loss mse "
    "--lr 3e-3 --lr-final 1e-3 --clip-norm 1.0 --batch-size 256 --train-size 12 --steps 8000 --stop-error 0.001 "
    "--regime adversarial --game-steps 3 --name gol3-adversarial --init zoo/gol3-autoencoder",
    ("gol3-longrun", "fast"): "--out runs/zoo/gol3-longrun --channels 16 --core-hidden 64 --loss mse --lr 4e-3 "
    "--lr-final 1e-3 --clip-norm 1.0 --game-steps 3 --batch-size 64 --steps 7000 --stop-error 0 --latent-weight 0.3 "
    "--latent-relative --no-latent-detach --name gol3-longrun",
    ("daynight3-autoencoder", "batch256"): "--out runs/zoo/daynight3-autoencoder --channels 16 --core-hidden 64 "
    "--loss mse --lr-final 1e-3 --clip-norm 1.0 --stop-error 0.001 --game-steps 3 --rule B3678/S34678 "
    "--batch-size 64 --steps 20000 --lr 4e-3 --train-size 8 --name daynight3-autoencoder",
}


@pytest.mark.parametrize(("name", "recipe"), list(PINNED))
def test_commands_are_the_ones_the_zoo_was_trained_with(
    name: str, recipe: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IMAGINATION_ZOO", raising=False)  # this checkout's zoo: bases by relative path
    cmd = plan.command(name, Path("runs/zoo") / name, recipe=recipe)
    if name not in plan.SNAPSHOTS:  # since then, an entry whose snapshots the zoo does not ship trains without
        i = cmd.index("--snapshots")
        assert cmd[i + 1] == "0"
        del cmd[i : i + 2]
    assert "--snapshots" not in cmd and cmd == PINNED[name, recipe].split()


def test_every_entry_says_why_in_one_line_and_its_base_is_planned() -> None:
    assert list(plan.WHY) == list(plan.PLAN) and len(plan.PLAN) == 52  # 48 Life entries and 4 maze entries
    assert len(plan.STAGES) == 7  # of them, runs kept only as a revision of the entry that continues each
    assert all(why and "\n" not in why for why in plan.WHY.values())
    assert all(base is None or base in plan.PLAN for _, base in plan.PLAN.values())
    assert list(plan.RECIPES) == ["fast", "batch256"]
    # two adversarial decoders are the best of three seeds (docs/analysis.md); the others train their best seed alone
    best_of_three = dict.fromkeys(["count2ts-long-adversarial", "count3ts-adversarial"], ["0", "1", "2"])
    assert best_of_three == plan.ENTRY_SEEDS


def test_a_later_layer_wins_and_moves_its_flag_to_the_end() -> None:
    recipes, p, why = plan.load(
        """
        [recipes.r]
        why = "a recipe"
        args = [{ lr = "4e-3", batch-size = 32 }]
        [sets.S]
        why = "a shared set"
        args = [{ steps = 100, lr = "1e-3" }]
        [entries.a]
        why = "an entry"
        args = [{ game-steps = 3, lr = "3e-3", untied = true }]
        [entries.b]
        why = "a longer run of a"
        base = "a"
        args = ["a", "S"]
        """
    )
    assert recipes == {"r": ["--lr", "4e-3", "--batch-size", "32"]}
    assert p == {
        "a": (["--game-steps", "3", "--lr", "3e-3", "--untied"], None),
        "b": (["--game-steps", "3", "--untied", "--steps", "100", "--lr", "1e-3"], "a"),
    }
    assert why == {"a": "an entry", "b": "a longer run of a"}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('why = "x"\nargs = [{ lr = 4e-3 }]', "write a string, an integer or true"),  # 4e-3 would become 0.004
        ('why = "x"\nargs = ["NOPE"]', "names no set or earlier entry"),
        ('args = [{ lr = "4e-3" }]', "one-line `why`"),
        ('why = "x"\nbase = "missing"\nargs = []', "its base 'missing' is not an entry"),
        ('why = "x"\nseeds = 2\nargs = []', "a list of seeds"),
        ('why = "x"\nseeds = [-1]\nargs = []', "a list of seeds"),
        ('why = "x"\nstage = "yes"\nargs = []', "stage: true"),
    ],
)
def test_a_plan_that_would_not_give_the_written_command_is_refused(entry: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan.load(f'[recipes.r]\nwhy = "r"\nargs = []\n[entries.e]\n{entry}\n')


STAGED = """
[recipes.r]
why = "r"
args = []
[entries.a]
why = "a run that exists only to be continued"
stage = true
args = [{ game-steps = 3 }]
"""


def test_a_stage_is_kept_inside_the_one_entry_that_continues_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    continued = STAGED + '[entries.b]\nwhy = "a longer run of a"\nbase = "a"\nargs = ["a"]\n'
    assert plan.stages(continued) == {"a": "b"}
    assert plan.STAGES["count2ts"] == "count2ts-long"  # the zoo's own: every base below its bar that is continued
    monkeypatch.setenv("IMAGINATION_ZOO", str(tmp_path))
    assert plan.folder("count2ts") == tmp_path / "count2ts-long" / "stages" / "count2ts"
    assert plan.folder("count2ts-long") == tmp_path / "count2ts-long"
    assert plan.command("count2ts-long", Path("out"))[-2:] == ["--warm-start", str(plan.folder("count2ts"))]
    monkeypatch.delenv("IMAGINATION_ZOO")
    assert plan.command("count2ts-long", Path("out"))[-1] == "zoo/count2ts-long/stages/count2ts"  # portable here


@pytest.mark.parametrize(
    "children",
    [
        "",  # continued by nothing: a stage of what?
        '[entries.b]\nwhy = "b"\nbase = "a"\nargs = []\n[entries.c]\nwhy = "c"\nbase = "a"\nargs = []\n',  # by two
        '[entries.b]\nwhy = "decoders on a"\nbase = "a"\nargs = [{ regime = "adversarial" }]\n',  # read frozen
        '[entries.b]\nwhy = "b"\nbase = "a"\nstage = true\nargs = []\n[entries.c]\nwhy = "c"\nbase = "b"\nargs = []\n',
    ],
)
def test_a_stage_that_is_not_continued_by_exactly_one_entry_is_refused(children: str) -> None:
    with pytest.raises(ValueError, match="continued .--warm-start. by exactly one entry"):
        plan.stages(STAGED + children)
