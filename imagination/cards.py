"""Model cards: one generator for every card the project writes, every number from eval.json.

``training.train`` (a new run), ``training.zoo`` (the bundled cards), ``training.analyze`` (new
results), ``training.push`` (the card rewritten for the repo it goes to) and the mixin's
``save_pretrained`` / ``push_to_hub`` (through :func:`card_for_model`) all write cards here, so a
card reads the same whoever wrote it. A card:

- names where it can be loaded from: the Hub repo it is pushed to, the zoo name when bundled and
  not pushed, or the folder itself; never a path of the machine that wrote it;
- carries its scores as a ``model-index`` the Hub renders, all read from eval.json, and says
  whether the checkpoint meets the zoo's bar (task error <= 1% on the fixed eval set);
- links the paper as an arXiv URL (the Hub tags the card with it) and a code URL only when one is
  configured (``IMAGINATION_CODE_URL`` or the installed package's ``project.urls``);
- names its base model (``base_model``, ``base_model_relation: finetune``) when it was trained
  from another checkpoint: a frozen base with a new decoder (adversarial), decoders fitted on a
  frozen base (probes) or a longer run (``--warm-start``). The repo holds complete weights that
  load alone, which is the Hub's "finetune" (its "adapter" is for weights that need the base to
  load, "merge" for several parents, "quantized" for a compressed copy).

``python -m imagination.cards FOLDER [--evaluate] [--repo-id ORG/NAME]`` rewrites a folder's card;
``--evaluate`` first measures eval.json from the weights (a folder saved by ``save_pretrained``
has none).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import math
import os
import re
from pathlib import Path
from typing import Any

from huggingface_hub import EvalResult, ModelCard, ModelCardData

PAPER_URL = "https://arxiv.org/abs/2405.06409"
PAPER = f'Wichers et al., "Visualizing Neural Network Imagination", [arXiv:2405.06409]({PAPER_URL})'
RELATION = "finetune"  # see the module docstring for why not "adapter"
TAGS = ["interpretability", "game-of-life", "recurrent", "pytorch_model_hub_mixin"]
REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")


def code_url() -> str | None:
    """The project's code URL where one is configured, else None (a card never links a guessed URL)."""
    url = os.environ.get("IMAGINATION_CODE_URL", "").strip()
    if url:
        return url
    try:
        meta = importlib.metadata.metadata("imagination")
    except importlib.metadata.PackageNotFoundError:
        return None
    for line in meta.get_all("Project-URL") or []:
        label, _, value = line.partition(",")
        if label.strip().lower() in ("repository", "source", "code", "homepage") and value.strip():
            return value.strip()
    return None


def portable(value: str, cwd: Path | None = None) -> str:
    """A path as a file others read may record it: never an absolute path of this machine.

    Relative paths stay; an absolute path inside the working directory becomes relative to it; a
    bundled zoo folder becomes its zoo name (which resolves anywhere); any other absolute path
    keeps only its last part, the folder's name.
    """
    if not value or not os.path.isabs(os.path.expanduser(value)):
        return value
    p = Path(value).expanduser().resolve()
    try:
        return p.relative_to((cwd or Path.cwd()).resolve()).as_posix() or "."
    except ValueError:
        pass
    return p.name  # a bundled zoo folder's name is its zoo name; any other folder's is the best we can say


def portable_args(args: list[str]) -> list[str]:
    """A command line with every absolute path made :func:`portable` (``--flag=/path`` too)."""
    out = []
    for a in args:
        if a.startswith("--") and "=" in a:
            flag, _, value = a.partition("=")
            out.append(f"{flag}={portable(value)}")
        else:
            out.append(portable(a))
    return out


def derived_from(source: str, how: str) -> dict[str, Any]:
    """Where a run started from (``how``: "init", a frozen base; "warm_start", a longer run), for eval.json.

    Recorded while the source still resolves, so a card written later (anywhere) can name the
    base's Hub repo: a zoo entry by its registry name (its repo is looked up when the card is
    written, so a re-pushed zoo links its own repos), a repo id as itself, a local folder not at all.
    """
    from imagination import hub, zoo

    names = set(zoo.names())
    p = Path(source).expanduser()
    zoo_name = None
    if p.is_dir():
        if hub.in_zoo(p) and p.name in names:
            zoo_name = p.name
    elif source in names:
        zoo_name = source
    repo_id = source if zoo_name is None and not p.is_dir() and REPO_ID.fullmatch(source) else None
    return {"source": portable(source), "how": how, "zoo_name": zoo_name, "repo_id": repo_id}


def _derivation(scores: dict[str, Any], tc: dict[str, Any]) -> dict[str, Any] | None:
    """eval.json's record of the base, or (older folders) one rebuilt from train_config.json."""
    if scores.get("derived_from"):
        return scores["derived_from"]
    for how in ("init", "warm_start"):
        src = tc.get(how) or ""
        if src:
            name = src.removeprefix("zoo/")
            return {"source": src, "how": how, "zoo_name": name if "/" not in name else None, "repo_id": None}
    return None


def derivation(folder: str | Path) -> dict[str, Any] | None:
    """A checkpoint folder's base: source, how it was used, and its zoo name or repo id (None: no base)."""
    folder = Path(folder)
    tc_path = folder / "train_config.json"
    tc = json.loads(tc_path.read_text()) if tc_path.exists() else {}
    return _derivation(json.loads((folder / "eval.json").read_text()), tc)


def base_repo_id(derivation: dict[str, Any] | None) -> str | None:
    """The Hub repo of a checkpoint's base: the registry's repo for a zoo entry, or the recorded repo id."""
    if not derivation:
        return None
    if derivation.get("zoo_name"):
        from imagination import zoo

        try:
            return zoo.entry(derivation["zoo_name"]).repo_id
        except KeyError:
            return None
    return derivation.get("repo_id")


def _faithfulness(scores: dict[str, Any]) -> float | None:
    """The faithfulness score where it is defined (board tasks with an inner step), else None."""
    score = scores.get("faithfulness", {}).get("score")
    return None if score is None or math.isnan(score) else float(score)


def step_pairings(cfg: dict[str, Any], scores: dict[str, Any]) -> list[tuple[int, float, int, float]] | None:
    """Per model step: (aligned game step, its accuracy, best-matching game step, its accuracy).

    The aligned pairing is a convention (``metrics.aligned_game_step``); the best-matching one says
    which game step a hidden state shows, which differs when the model runs fewer steps than the game
    or a step decodes another board. Read from eval.json's ``per_step_best_*`` (runs evaluated since
    they were added), else derived from its ``accuracy_matrix``, so older folders need no retraining;
    None when ``scores`` holds neither (e.g. a probe record).
    """
    from imagination import metrics

    m, g = cfg["model_steps"], cfg["game_steps"]
    aligned = scores["per_step_accuracy"]
    if "per_step_best_game_step" in scores and "per_step_best_accuracy" in scores:
        best = list(zip(scores["per_step_best_game_step"], scores["per_step_best_accuracy"], strict=True))
    elif scores.get("accuracy_matrix"):
        best = metrics.best_matching_steps(scores["accuracy_matrix"])
    else:
        return None
    pairs = enumerate(zip(aligned, best, strict=True))
    return [(metrics.aligned_game_step(i, m, g), a, j, b) for i, (a, (j, b)) in pairs]


def _pairings_differ(cfg: dict[str, Any], pairings: list[tuple[int, float, int, float]] | None) -> bool:
    """Whether a card shows both pairings: a model step is not its own game step, or one matches another best."""
    if pairings is None:
        return False
    return cfg["model_steps"] != cfg["game_steps"] or any(a != j for a, _, j, _ in pairings)


def eval_results(cfg: dict[str, Any], scores: dict[str, Any]) -> list[EvalResult]:
    """The scores the Hub renders as evaluation results, all taken from eval.json."""
    from imagination import metrics

    es = scores["eval_set"]
    common = dict(
        task_type="imagination",
        task_name=f"Game of Life ({cfg['rule']}), {cfg['game_steps']} steps"
        + (f", {cfg['task']} task" if cfg["task"] != "board" else ""),
        dataset_type="game-of-life",
        dataset_name=f"{es['episodes']} {es['size']}x{es['size']} episodes, {es['sampler']} sampler, seed {es['seed']}",
        dataset_split="eval",
        dataset_config=cfg["rule"],
    )
    rows = [
        ("interpretability", "Interpretability (MCC, untrained steps)", scores["interpretability"]),
        ("final_error", "Final-board error", scores["final_error"]),
    ]
    if scores.get("interpretability_intermediate") is not None:
        inner = scores["interpretability_intermediate"]
        rows.append(("interpretability_intermediate", "Interpretability (steps 1..T-1)", inner))
    if cfg["task"] != "board":
        rows.append(("task_error", f"{cfg['task']} task error (whole cells)", scores["task_error"]))
    faithful = _faithfulness(scores)
    if faithful is not None:
        rows.append(("faithfulness", "Causal faithfulness (edit follow rate)", faithful))
    if scores.get("extrapolation", {}).get("steps_above_99") is not None:
        rows.append(
            ("extrapolation_steps", "Steps decoded at >= 99% accuracy", scores["extrapolation"]["steps_above_99"])
        )
    pairings = step_pairings(cfg, scores)
    both = _pairings_differ(cfg, pairings)
    m, g = cfg["model_steps"], cfg["game_steps"]
    for i, acc in enumerate(scores["per_step_accuracy"]):
        # named for its game step where that is not the model step's own number
        aligned = f" (aligned game step {metrics.aligned_game_step(i, m, g)})" if m != g else ""
        rows.append((f"accuracy_step_{i}", f"Decoded accuracy at step {i}{aligned}", acc))
    if both and pairings:
        for i, (_, _, j, best) in enumerate(pairings):
            rows.append((f"accuracy_best_step_{i}", f"Decoded accuracy at step {i}, best-matching game step {j}", best))
    return [EvalResult(metric_type=t, metric_name=n, metric_value=float(v), **common) for t, n, v in rows]


_eval_results = eval_results  # the name other modules used before


def card_eval_metrics(card: ModelCard) -> dict[str, float]:
    """metric_type -> value, as the Hub will read them back from a card."""
    return {r.metric_type: r.metric_value for r in (card.data.eval_results or [])}


def mismatches(folder: str | Path, card: ModelCard | None = None) -> list[str]:
    """Every way the card's model-index differs from eval.json: a missing, extra or different score.

    Compared exactly, score by score, with the card read back as the Hub reads it; an empty list
    means the card says what the weights measured.
    """
    folder = Path(folder)
    card = card or ModelCard.load(folder / "README.md")
    cfg = json.loads((folder / "config.json").read_text())
    scores = json.loads((folder / "eval.json").read_text())
    want = {r.metric_type: r for r in eval_results(cfg, scores)}
    got = {r.metric_type: r for r in (card.data.eval_results or [])}
    out = [f"the card lacks {k} (eval.json: {want[k].metric_value})" for k in want if k not in got]
    out += [f"the card claims {k} = {got[k].metric_value}, which eval.json lacks" for k in got if k not in want]
    for k in want.keys() & got.keys():
        w, g = want[k], got[k]
        if g.metric_value != w.metric_value:
            out.append(f"the card claims {k} = {g.metric_value}, eval.json has {w.metric_value}")
        elif (g.task_name, g.dataset_name, g.dataset_config) != (w.task_name, w.dataset_name, w.dataset_config):
            out.append(f"the card measures {k} on {g.dataset_name!r} ({g.task_name}), eval.json on {w.dataset_name!r}")
    return sorted(out)


def _usage(name: str, cfg: dict[str, Any], target: str, where: str) -> str:
    rule = "" if cfg["rule"] == "B3/S23" else f', rule="{cfg["rule"]}"'
    return f"""\
```python
from imagination import ImaginationModel, life

model = ImaginationModel.from_pretrained("{target}")  # {where}
episodes = life.sample_episodes(n=8, steps={cfg["game_steps"]}, size=20, seed=0{rule})
hidden = model(episodes[:, 0])          # h_0 .. h_T
imagined = model.decode_all(hidden)     # board probabilities per step
```"""


def _target(folder: Path, name: str, repo_id: str | None) -> tuple[str, str]:
    """What the usage snippet loads, and a note on where that is."""
    from imagination import hub

    if repo_id:
        return repo_id, "this repo on the Hugging Face Hub"
    if hub.in_zoo(folder):
        return name, "bundled with the package: the zoo name loads offline"
    local = portable(str(folder.resolve())) if folder.is_absolute() else folder.as_posix()
    if not local.startswith("."):
        local = f"./{local}"  # never read as a zoo name or an ORG/NAME repo id
    push = f"python -m training.push {local} --repo-id ORG/NAME"
    return local, f"this folder; once pushed ({push}) the card names the repo"


def _architecture(cfg: dict[str, Any]) -> str:
    core = (
        f"3x3 conv to {cfg['core_hidden']} channels + 1x1 conv back (residual)"
        if cfg["core_hidden"] > 0
        else f"{cfg['core_layers']} 3x3 convs (residual)"
    )
    head = ""
    if cfg["task"] != "board":
        head = f";\n  task head: {cfg['task_layers']} layer(s) of 1x1 convs, averaged over each region"
    return (
        f"- architecture: {cfg['channels']} hidden channels; encoder: {cfg['encoder_layers']} layer(s) of 3x3 convs;"
        f" core block: {core};\n"
        f"  decoder: {cfg['decoder_layers']} layer(s) of {cfg['decoder_kernel']}x{cfg['decoder_kernel']} convs{head}"
    )


def _intro(cfg: dict[str, Any]) -> str:
    url = code_url()
    lib = f"[imagination]({url})" if url else "`imagination`"
    task_note = ""
    if cfg["task"] != "board":
        task_note = f", asked only for a summary of that board (`{cfg['task']}`, size {cfg['task_size']})"
    return (
        f"An {lib} checkpoint: an encoder, a weight-{'tied' if cfg['tied'] else 'untied (ablation)'} recurrent "
        f"convolutional core and a decoder trained on Conway's Game of Life (rule `{cfg['rule']}`) to predict "
        f"the board {cfg['game_steps']} steps ahead{task_note}. The decoder applied to each *intermediate* hidden "
        f"state shows what the network imagines between the start and the answer ({PAPER})."
    )


def trained_on(folder: Path, tc: dict[str, Any] | None = None) -> str:
    """What the run trained on: log.jsonl's device record (the device actually used), else the one asked for.

    Minutes on a GPU and on a CPU are not the same currency: the card and the zoo's minutes table say which.
    """
    if tc is None:
        path = folder / "train_config.json"
        tc = json.loads(path.read_text()) if path.exists() else {}
    asked = str(tc.get("device") or "cpu")
    used: dict[str, Any] = {}
    log = folder / "log.jsonl"
    if log.exists():
        for line in log.read_text().splitlines():
            if '"event": "device"' in line:
                used = json.loads(line)
    device = str(used.get("device") or ("cpu" if asked == "auto" else asked))
    if device == "cpu":
        return "CPU"
    return f"GPU ({used['gpu']})" if used.get("gpu") else device


def _pct(x: float) -> str:
    return f"{100 * x:.4f}%"


def _bar_line(scores: dict[str, Any], cfg: dict[str, Any]) -> str:
    from imagination.zoo import bar

    what = "final-board error" if cfg["task"] == "board" else f"{cfg['task']} task error"
    err, needed = scores["task_error"], bar(cfg["task"])
    if err <= needed:
        return f"- **meets the zoo's bar**: {what} {_pct(err)} <= {100 * needed:g}% on the fixed eval set"
    return (
        f"- **below the zoo's bar**: {what} {_pct(err)} on the fixed eval set, above the {100 * needed:g}% the zoo "
        "asks of a checkpoint; it ships with its real numbers, read them as those of an unfinished model"
    )


def _base_line(derivation: dict[str, Any] | None, base_repo: str | None) -> str:
    if not derivation:
        return ""
    if derivation.get("zoo_name"):
        shown = f"`{derivation['zoo_name']}` of the zoo" + (f" (Hub repo `{base_repo}`)" if base_repo else "")
    else:
        shown = f"`{base_repo or derivation['source']}`"
    if derivation["how"] == "init":
        return f"- base model: {shown}, frozen; only the decoders of this run were trained on it"
    return f"- base model: {shown}; this run continued training its weights (`--warm-start`)"


def _training_notes(tc: dict[str, Any], cfg: dict[str, Any]) -> list[str]:
    """What the extra losses of a run train, in words: the regime name alone does not say which boards
    they see, and that decides which steps the metric may call untrained."""
    t = cfg["model_steps"]
    notes = []
    if tc.get("latent_weight", 0) > 0:
        sides = "both sides trained" if not tc.get("latent_detach", True) else "the target held constant"
        scale = ", divided by the target's mean square" if tc.get("latent_relative") else ""
        notes.append(
            f"Besides the board losses at steps {cfg['trained_steps']}, a latent loss ({tc['latent_weight']} x MSE of "
            f"h_{t} against the encoding of the true board {t}{scale}; {sides}) pulls the last hidden state onto "
            "the encoder's states. The true board at that step enters only through the encoder, at a step whose "
            "decoding is trained anyway: no other step is ever compared with a board, so the inner steps and every "
            "step past the training stay untrained."
        )
    if tc.get("hidden_noise", 0) > 0:
        notes.append(f"Gaussian noise ({tc['hidden_noise']} x the state's RMS) was added to each core step's input.")
    if tc.get("consistency_weight", 0) > 0:
        notes.append(
            f"A consistency loss ({tc['consistency_weight']} x (1 - cosine) of every hidden state against the "
            "encoding of its own decoding) uses no board beyond the trained steps."
        )
    return notes


def _per_step_block(cfg: dict[str, Any], scores: dict[str, Any]) -> str:
    """The card's per-step accuracy: one line where each model step's own game step is also its best
    match, else a table of both pairings, so a reader sees which game step each hidden state shows."""
    line = "Per-step decoded accuracy (model step i against the game step it stands for): " + ", ".join(
        f"{a:.4f}" for a in scores["per_step_accuracy"]
    )
    pairings = step_pairings(cfg, scores)
    if pairings is None:
        return line
    if not _pairings_differ(cfg, pairings):
        return line + ". No other game step matches any model step's decoding better."
    rows = "\n".join(
        f"| {i} | {a} | {acc:.4f} | {f'**{j}**' if j != a else j} | {best:.4f} |"
        for i, (a, acc, j, best) in enumerate(pairings)
    )
    m, g = cfg["model_steps"], cfg["game_steps"]
    aligned = (
        f"aligned: ceil(i x T / M), a convention for T = {g} game steps in M = {m} model steps"
        if m != g
        else "game step i"
    )
    return (
        f"Per-step decoded accuracy, each model step against two game steps: the one it stands for ({aligned}) "
        "and the one its decoding matches best (the game step where its accuracy is highest; in bold where "
        "that is another one).\n\n"
        "| model step | aligned game step | accuracy | best-matching game step | accuracy |\n"
        "|---|---|---|---|---|\n" + rows
    )


def build_card(folder: str | Path, name: str | None = None, repo_id: str | None = None) -> ModelCard:
    """The card of a checkpoint folder, from its config.json, train_config.json and eval.json.

    ``repo_id`` is the Hub repo the card is for (the usage snippet loads it); without one the
    snippet loads the zoo name (a bundled folder) or the folder. Every number is read from
    eval.json, which the evaluator wrote from the saved weights: nothing is typed in.
    """
    folder = Path(folder)
    name = name or folder.resolve().name
    cfg = json.loads((folder / "config.json").read_text())
    scores = json.loads((folder / "eval.json").read_text())
    tc_path = folder / "train_config.json"
    tc = json.loads(tc_path.read_text()) if tc_path.exists() else {}
    es = scores["eval_set"]
    derivation = _derivation(scores, tc)
    base_repo = base_repo_id(derivation)
    extra_meta: dict[str, Any] = {"base_model_relation": RELATION} if base_repo else {}
    data = ModelCardData(
        model_name=name,
        license="apache-2.0",
        library_name="imagination",
        tags=[*TAGS, cfg["regime"]],
        base_model=base_repo,
        eval_results=eval_results(cfg, scores),
        **extra_meta,
    )
    rows = [
        f"| {r.metric_name} | {r.metric_value:.0f} |"
        if r.metric_type == "extrapolation_steps"
        else f"| {r.metric_name} | {_pct(r.metric_value) if 'error' in r.metric_type else f'{r.metric_value:.4f}'} |"
        for r in data.eval_results or []
        if not r.metric_type.startswith(("accuracy_step_", "accuracy_best_step_"))
    ]
    if "task_mae_cells" in scores:
        rows.append(f"| {cfg['task']} mean absolute error (cells per region) | {scores['task_mae_cells']:.4f} |")
    extra = []
    if "base_model" in scores:
        b = scores["base_model"]
        extra.append(
            f"The base model with its own decoder scored interpretability {b['interpretability']:.4f} "
            f"and final-board error {_pct(b['final_error'])} on the same eval set."
        )
    if "warm_start" in scores:
        w = scores["warm_start"]
        before = (
            f", which had trained {w['train_steps']} steps in {w['train_minutes']:.1f} min to final-board error "
            f"{_pct(w['final_error'])}"
            if {"train_steps", "train_minutes", "final_error"} <= w.keys()
            else ""
        )
        extra.append(
            f"Trained further from the weights of `{portable(w['from'])}`{before}. The scores above are of these "
            "weights; the training time and steps below count this run only."
        )
    extra += _training_notes(tc, cfg)
    if "probes" in scores:
        # a probe record holds a best-matching column only where its run wrote one (no matrix to derive it from)
        probe_pairings = {pname: step_pairings(cfg, p) for pname, p in scores["probes"].items()}
        best_column = any(_pairings_differ(cfg, pp) for pp in probe_pairings.values())
        head = "| probe | fitted on steps | per-step accuracy |" + (
            " best-matching game step: accuracy |" if best_column else ""
        )
        probes = [
            "### Decoder probes (fresh decoders fitted on a frozen model)\n\n"
            f"{head} interpretability |\n|---|---|---|{'---|' if best_column else ''}---|"
        ]
        for pname, p in scores["probes"].items():
            accs = " ".join(f"{a:.3f}" for a in p["per_step_accuracy"])
            if best_column:
                pp = probe_pairings[pname]
                accs += " | " + (" ".join(f"{j}: {b:.3f}" for _, _, j, b in pp) if pp else "n/a")
            probes.append(f"| {pname} | {p['fitted_steps']} | {accs} | {p['interpretability']:.4f} |")
        extra.append("\n".join(probes))
    if "faithfulness" in scores:
        faithful = _faithfulness(scores)
        extra.append(
            f"Causal faithfulness score: {faithful:.4f} (the project's docs/analysis.md says how it is measured)."
            if faithful is not None
            else "Causal faithfulness: not defined for this checkpoint "
            f"({scores['faithfulness'].get('note', 'no inner step')})."
        )
    if "extrapolation" in scores:
        ex = scores["extrapolation"]
        extra.append(
            f"Steps the imagination stays >= 99% accurate when the core runs past its training: {ex['steps_above_99']}."
            if ex.get("steps_above_99") is not None
            else f"Extrapolation: not measured ({ex.get('note', 'no tied core')})."
        )
    target, where = _target(folder, name, repo_id)
    command = " ".join(portable_args(tc.get("command") or ["python", "-m", "training.train"]))
    device = trained_on(folder, tc)
    summary = "\n".join(
        line
        for line in (
            f"- regime: **{cfg['regime']}**; model steps: {cfg['model_steps']}; boards trained against a decoding "
            f"at model steps {cfg['trained_steps']}",
            _architecture(cfg),
            _bar_line(scores, cfg),
            _base_line(derivation, base_repo),
        )
        if line
    )
    blocks = [
        f"# {name}",
        _intro(cfg),
        summary,
        "## Scores (measured from these weights by `imagination.evaluate` on the fixed eval set)",
        f"Eval set: {es['episodes']} episodes of {es['size']}x{es['size']} boards from the {es['sampler']} "
        f"sampler, seed {es['seed']}.",
        "| score | value |\n|---|---|\n" + "\n".join(rows),
        _per_step_block(cfg, scores),
        *extra,
        "## Use",
        _usage(name, cfg, target, where),
        "## Training",
        f"`{command}` ({scores.get('train_minutes', 0.0):.1f} min, {scores.get('train_steps', 0)} steps on "
        f"{device}). Every setting is in `train_config.json`.",
    ]
    return ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n\n".join(blocks) + "\n")


def write_card(folder: str | Path, name: str | None = None, repo_id: str | None = None) -> ModelCard:
    """Write README.md into a checkpoint folder (see :func:`build_card`)."""
    card = build_card(folder, name, repo_id)
    card.save(Path(folder) / "README.md")
    return card


def card_for_model(model: Any, repo_id: str | None = None, folder: str | Path | None = None) -> ModelCard:
    """The card ``save_pretrained`` / ``push_to_hub`` write for a model that has no eval.json.

    It describes the architecture from the config and says plainly that the checkpoint is
    unevaluated, with the command that measures it: scoring on the fixed eval set takes seconds to
    minutes, too long for every ``save_pretrained`` (training saves through it before it evaluates
    the saved weights), and a card must never carry a number the evaluator did not write.
    """
    from dataclasses import asdict

    cfg = asdict(model.config)
    name = repo_id.split("/")[-1] if repo_id else Path(folder).resolve().name if folder else "imagination checkpoint"
    data = ModelCardData(
        license="apache-2.0",
        library_name="imagination",
        tags=[*TAGS, str(cfg["regime"]), "unevaluated"],
    )
    if repo_id or folder is not None:
        target, where = _target(Path(folder or "."), name, repo_id)
    else:
        target, where = ".", "the folder this card is in, from inside it (or its path from elsewhere)"
    blocks = [
        f"# {name}",
        _intro(cfg),
        f"- regime: **{cfg['regime']}**; model steps: {cfg['model_steps']}; boards trained against a decoding "
        f"at model steps {cfg['trained_steps']}\n" + _architecture(cfg),
        "## Scores: not measured",
        "This card was written by `save_pretrained` / `push_to_hub`, which do not evaluate: it carries no "
        "scores, and whether the checkpoint meets the zoo's bar (task error <= 1% on the fixed eval set) is "
        "unknown. To measure them from the weights and rewrite this card with them, run "
        "`python -m imagination.cards FOLDER --evaluate` on the saved folder (it writes eval.json and "
        "README.md); `python -m training.push FOLDER --repo-id ORG/NAME` then publishes the scored folder.",
        "## Use",
        _usage(name, cfg, target, where),
    ]
    return ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n\n".join(blocks) + "\n")


def evaluate_folder(folder: str | Path) -> dict[str, Any]:
    """Measure eval.json from a folder's weights on the fixed eval set (kept if it exists)."""
    from imagination.evaluate import evaluate
    from imagination.model import ImaginationModel

    folder = Path(folder)
    path = folder / "eval.json"
    if path.exists():
        return json.loads(path.read_text())
    scores = evaluate(ImaginationModel.from_pretrained(folder))
    path.write_text(json.dumps(scores, indent=2) + "\n")
    return scores


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m imagination.cards", description=__doc__.split("\n\n")[0])
    p.add_argument("folder", type=Path)
    p.add_argument("--repo-id", help="the Hub repo the card is for (its usage snippet loads it)")
    p.add_argument("--name", help="the model's name on the card (default: the folder's name)")
    p.add_argument("--evaluate", action="store_true", help="measure eval.json from the weights if it is missing")
    args = p.parse_args(argv)
    if args.evaluate:
        evaluate_folder(args.folder)
    if not (args.folder / "eval.json").exists():
        p.error(f"{args.folder} has no eval.json; pass --evaluate to measure it from the weights")
    write_card(args.folder, args.name, args.repo_id)
    print(args.folder / "README.md")


if __name__ == "__main__":
    main()
