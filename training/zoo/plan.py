"""The zoo's plan, read from plan.toml: each entry's ``python -m training.train`` arguments and the base it needs.

The plan is data, like nanoGPT's config files: a recipe, a shared argument set and an entry are each a list of
layers merged in order (plan.toml's header says how), and ``command`` lays an entry over a recipe the same way.
An entry's arguments are kept as an argv list, the form ``training.train`` parses and a card records.
"""

from __future__ import annotations

import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

from imagination import registry
from imagination.provenance import STAGES as STAGE_FOLDER
from training.zoo.paths import ROOT, is_checkout_zoo

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10's standard library reads no TOML; tomli is the module tomllib was made from
    import tomli as tomllib

Flags = dict[str, str | None]  # "--flag" -> its value (None for a flag that takes none), in argv order
Plan = dict[str, tuple[list[str], str | None]]  # name -> (training arguments, base checkpoint or None)


def merge(*layers: Flags) -> Flags:
    """Later layers win, and a flag set again moves after the earlier ones: each flag appears once in a command,
    where its last layer puts it (the recipe's flags give way to an entry's this way)."""
    out: Flags = {}
    for layer in layers:
        for flag in layer:
            out.pop(flag, None)
        out.update(layer)
    return out


def flags(argv: list[str]) -> Flags:
    """An argv list's flags and values (a token that does not start with ``--`` is the value of the flag before)."""
    out: Flags = {}
    i = 0
    while i < len(argv):
        takes_value = i + 1 < len(argv) and not argv[i + 1].startswith("--")
        out[argv[i]] = argv[i + 1] if takes_value else None
        i += 1 + takes_value
    return out


def argv(f: Flags) -> list[str]:
    return [t for flag, value in f.items() for t in (flag, value) if t is not None]


def _value(value: Any, where: str) -> str | None:
    """A plan value as argv text: a float would be re-spelt (4e-3 as 0.004), so the plan writes it as a string."""
    if value is True:
        return None
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return str(value)
    raise ValueError(f"plan.toml {where} = {value!r}: write a string, an integer or true")


def _layers(spec: dict[str, Any], where: str, known: dict[str, Flags]) -> Flags:
    """A recipe's, set's or entry's ``args``: its layers merged, a name standing for a set's or an entry's flags."""
    entry = where.startswith("entries.")
    keys = {"base", "negative_result", "snapshots", "seeds", "stage"} if entry else set()
    unknown = set(spec) - {"why", "args"} - keys
    if unknown or not isinstance(spec.get("why"), str) or "\n" in spec["why"] or "args" not in spec:
        raise ValueError(
            f"plan.toml {where}: give a one-line `why` and `args` (and an entry's `base`, `negative_result`, "
            "`snapshots`, `seeds`, `stage`), nothing else"
        )
    seeds = spec.get("seeds", [0])
    if not isinstance(seeds, list) or not seeds or not all(isinstance(k, int) and k >= 0 for k in seeds):
        raise ValueError(f"plan.toml {where}.seeds: a list of seeds, e.g. [0, 1, 2]")
    if not isinstance(spec.get("negative_result", False), bool):
        raise ValueError(f"plan.toml {where}.negative_result: write true or false")
    if not isinstance(spec.get("stage", False), bool):
        raise ValueError(f"plan.toml {where}.stage: true (kept only as its continuation's revision) or false")
    if not isinstance(spec.get("snapshots", False), bool):
        raise ValueError(f"plan.toml {where}.snapshots: true (the zoo bundles its training snapshots) or false")
    out = []
    for layer in spec["args"]:
        if isinstance(layer, str) and layer not in known:
            raise ValueError(f"plan.toml {where}: {layer!r} names no set or earlier entry")
        if isinstance(layer, str):
            out.append(known[layer])
        else:
            out.append({f"--{k}": _value(v, f"{where}.{k}") for k, v in layer.items()})
    return merge(*out)


def load(text: str) -> tuple[dict[str, list[str]], Plan, dict[str, str]]:
    """The recipes, the plan and each entry's one-line reason, from plan.toml's text."""
    data = tomllib.loads(text)
    sets: dict[str, Flags] = {}
    for name, spec in data.get("sets", {}).items():
        sets[name] = _layers(spec, f"sets.{name}", sets)
    recipes = {name: argv(_layers(spec, f"recipes.{name}", sets)) for name, spec in data["recipes"].items()}
    entries: dict[str, Flags] = {}
    plan: Plan = {}
    for name, spec in data["entries"].items():
        if name in sets:
            raise ValueError(f"plan.toml entries.{name}: a set has that name")
        entries[name] = _layers(spec, f"entries.{name}", {**sets, **entries})
        plan[name] = (argv(entries[name]), spec.get("base"))
    for name, (_, base) in plan.items():
        if base is not None and base not in plan:
            raise ValueError(f"plan.toml entries.{name}: its base {base!r} is not an entry")
    return recipes, plan, {name: spec["why"] for name, spec in data["entries"].items()}


def with_snapshots(text: str) -> list[str]:
    """The entries whose training snapshots the zoo bundles (``snapshots = true``), in plan order.

    Snapshots (``--snapshots``, training.snapshots) never change a run's weights; the zoo ships them only for the
    showcase entries, so the wheel stays small, and only these entries' runs keep them (``command``).
    """
    return [name for name, spec in tomllib.loads(text)["entries"].items() if spec.get("snapshots") is True]


def entry_seeds(text: str) -> dict[str, list[str]]:
    """The entries that name their own seeds (``seeds = [0, 1, 2]``): the zoo trains each and keeps the best on
    the log set (training.best_of), where a recipe's readable imagination depends on its seed. The rest train
    the seeds ``train`` is given (one by default)."""
    return {n: [str(k) for k in spec["seeds"]] for n, spec in tomllib.loads(text)["entries"].items() if "seeds" in spec}


def stages(text: str, plan: Plan | None = None) -> dict[str, str]:
    """Each stage (``stage = true``) and the entry that continues it, its one ``--warm-start`` child.

    A stage exists only to be continued: the zoo installs it inside its continuation, as that entry's revision
    of the stage's name (``zoo/<entry>/stages/<stage>/``), not as an entry of its own. So a stage must be the
    base of exactly one entry, which continues it (a frozen base is read by its entry: an entry of its own),
    and that entry is no stage itself.
    """
    data = tomllib.loads(text)["entries"]
    plan = load(text)[1] if plan is None else plan
    out = {}
    for name, spec in data.items():
        if not spec.get("stage"):
            continue
        children = [n for n, (_, base) in plan.items() if base == name]
        if len(children) != 1 or _frozen(plan[children[0]][0]) or data[children[0]].get("stage"):
            raise ValueError(
                f"plan.toml entries.{name}.stage: a stage is continued (--warm-start) by exactly one entry that is "
                f"not a stage; here {children or 'none'}"
            )
        out[name] = children[0]
    return out


def _frozen(args: list[str]) -> bool:
    """Whether an entry trains on its base frozen (--init: adversarial decoders, probes), not continuing it."""
    return "adversarial" in args or "probes" in args


def negative_results(text: str) -> frozenset[str]:
    """The entries kept only to show a failure (``negative_result = true`` in plan.toml, checked by ``load``): the
    registry records it, and the cards, the README's table and the app's picker say "negative result"."""
    return frozenset(name for name, spec in tomllib.loads(text)["entries"].items() if spec.get("negative_result"))


_TEXT = files("training.zoo").joinpath("plan.toml").read_text(encoding="utf-8")
RECIPES, PLAN, WHY = load(_TEXT)
SNAPSHOTS = with_snapshots(_TEXT)
NEGATIVE = negative_results(_TEXT)
SEEDS = ["0"]  # one run per entry (best_of keeps the best of several when given more)
ENTRY_SEEDS = entry_seeds(_TEXT)
STAGES = stages(_TEXT, PLAN)


def folder(name: str, zoo: Path | None = None) -> Path:
    """Where a planned entry lives in a zoo (the one in use by default): ``<zoo>/<name>``, or a stage inside the
    entry that continues it."""
    zoo = registry.zoo_dir() if zoo is None else zoo
    return zoo / STAGES[name] / STAGE_FOLDER / name if name in STAGES else zoo / name


def command(name: str, out: Path, extra: list[str] | None = None, recipe: str = "fast") -> list[str]:
    """``python -m training.train``'s arguments for an entry: the recipe under the entry's own flags, its base.

    An entry whose snapshots the zoo does not ship (``SNAPSHOTS``) trains without them: they never change a run's
    weights, and scoring 24 of them for every such run would cost ``train --all`` about 30 core-minutes.
    """
    args, base = PLAN[name]
    unshipped = {} if name in SNAPSHOTS else {"--snapshots": "0"}
    cmd = ["--out", str(out), *argv(merge(flags(RECIPES[recipe]), unshipped, flags(args))), "--name", name]
    if base is not None:
        # adversarial decoders and probes train on a frozen base (--init); any other entry with a
        # base is a longer run of it (--warm-start)
        where = folder(base)
        if is_checkout_zoo(registry.zoo_dir()):
            where = where.relative_to(ROOT)
        cmd += ["--init" if _frozen(args) else "--warm-start", where.as_posix()]
    return cmd + (extra or [])
