"""An entry kept only to show a failure says "negative result" wherever it is offered: the plan marks it, the
registry records it, and its card, the README's zoo table and the app's picker say so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imagination import cards, zoo
from imagination.demo.server import checkpoint_choices
from training import registration
from training import zoo as builder
from training.zoo import plan

ROOT = Path(__file__).resolve().parent.parent
NEGATIVE = "gol3-model2-shallow"


def test_the_plan_marks_the_negative_results_and_only_them() -> None:
    assert {NEGATIVE} == plan.NEGATIVE
    assert {e.name for e in zoo.list() if e.negative_result} == {NEGATIVE}


@pytest.mark.parametrize(
    ("where", "spec", "message"),
    [
        ("entries", 'why = "x"\nnegative_result = "yes"\nargs = []', "write true or false"),
        ("sets", 'why = "x"\nnegative_result = true\nargs = []', "nothing else"),
    ],
)
def test_the_plan_refuses_a_negative_result_it_cannot_read(where: str, spec: str, message: str) -> None:
    text = f'[recipes.r]\nwhy = "r"\nargs = []\n[{where}.A]\n{spec}\n[entries.b]\nwhy = "b"\nargs = []\n'
    with pytest.raises(ValueError, match=message):
        plan.load(text)


def test_registry_card_table_and_picker_say_negative_result() -> None:
    e = zoo.entry(NEGATIVE)
    assert e.negative_result and e.why == plan.WHY[NEGATIVE]
    assert e.label().endswith("[negative result]")
    assert dict((name, label) for label, name in checkpoint_choices())[NEGATIVE] == e.label()
    text = cards.build_card(e.path, NEGATIVE).content
    assert f"- **negative result**, kept in the zoo to show a failure, not for use: {e.why}" in text
    assert text == (e.path / "README.md").read_text()
    row = next(r for r in builder.table().splitlines() if f"`{NEGATIVE}`" in r)
    assert row.startswith(f"| `{NEGATIVE}` (negative result) |")
    others = [r for r in builder.table().splitlines()[2:] if f"`{NEGATIVE}`" not in r]
    assert others and not any("negative result" in r for r in others)
    assert not any("negative result" in label for label, name in checkpoint_choices() if name != NEGATIVE)


def test_a_push_keeps_what_the_plan_said(tmp_path: Path) -> None:
    index = tmp_path / "index.json"
    registration.write([{"name": "a", "regime": "autoencoder", "negative_result": True, "why": "kept to show"}], index)
    registration.register({"name": "a", "regime": "autoencoder", "pushed": True}, index)
    (entry,) = json.loads(index.read_text())["models"]
    planned = {"negative_result": True, "why": "kept to show"}
    assert entry == {"name": "a", "regime": "autoencoder", "pushed": True, **planned}
