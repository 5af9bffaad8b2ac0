"""The Markdown blocks of an evaluated card, one function a block, every number from eval.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from huggingface_hub import ModelCardData

from imagination.cards.scores import faithfulness, pairings_differ, step_pairings
from imagination.config import ModelConfig
from imagination.markdown import table
from imagination.provenance import portable, stage_of
from imagination.registry import ZooEntry, bar, meets


def pct(x: float) -> str:
    return f"{100 * x:.4f}%"


def bar_line(scores: dict[str, Any], cfg: ModelConfig, negative: bool = False) -> str:
    what = "final-board error" if cfg.task == "board" else f"{cfg.task} task error"
    err, needed = scores["task_error"], bar(cfg.task)
    if meets(err, cfg.task):
        return f"- **meets the zoo's bar**: {what} {pct(err)} <= {100 * needed:g}% on the fixed eval set"
    how = "read them as those of a failure kept on purpose" if negative else "read them as those of an unfinished model"
    return (
        f"- **below the zoo's bar**: {what} {pct(err)} on the fixed eval set, above the {100 * needed:g}% the zoo "
        f"asks of a checkpoint; it ships with its real numbers, {how}"
    )


def stage_line(folder: Path) -> str:
    """The first thing a stage's card says: whose earlier revision it is (``provenance.stage_of``)."""
    stage = stage_of(folder)
    if stage is None:
        return ""
    owner, name = stage
    return (
        f"- **an earlier revision of `{owner.name}`**: the run `{owner.name}` was continued from, kept as its "
        f'revision `"{name}"` because it exists only to be continued, not as a zoo entry of its own'
    )


def negative_line(entry: ZooEntry | None) -> str:
    """The first thing a card of a negative result says (the registry's ``negative_result``, from the zoo's plan)."""
    if entry is None or not entry.negative_result:
        return ""
    why = f": {entry.why}" if entry.why else ""
    return f"- **negative result**, kept in the zoo to show a failure, not for use{why}"


def base_line(derivation: dict[str, Any] | None, base_repo: str | None) -> str:
    if not derivation:
        return ""
    if derivation.get("stage"):
        stage = derivation["stage"]
        return (
            f"- continued from its own earlier revision `{stage}`: the run it started from (`--warm-start`), kept "
            f'with it rather than as a zoo entry of its own; load it with `revision="{stage}"`'
        )
    if derivation.get("zoo_name"):
        shown = f"`{derivation['zoo_name']}` of the zoo" + (f" (Hub repo `{base_repo}`)" if base_repo else "")
    else:
        shown = f"`{base_repo or derivation['source']}`"
    if derivation["how"] == "init":
        return f"- base model: {shown}, frozen; only the decoders of this run were trained on it"
    return f"- base model: {shown}; this run continued training its weights (`--warm-start`)"


def score_table(data: ModelCardData, cfg: ModelConfig, scores: dict[str, Any]) -> str:
    """The headline scores as a table; the per-step rows have a block of their own."""
    rows = [
        [r.metric_name, f"{r.metric_value:.0f}"]
        if r.metric_type == "extrapolation_steps"
        else [r.metric_name, pct(r.metric_value) if "error" in r.metric_type else f"{r.metric_value:.4f}"]
        for r in data.eval_results or []
        if not r.metric_type.startswith(("accuracy_step_", "accuracy_best_step_"))
    ]
    if "task_mae_cells" in scores:
        rows.append([f"{cfg.task} mean absolute error (cells per region)", f"{scores['task_mae_cells']:.4f}"])
    if scores.get("tie_share"):
        rows += [
            [
                f"{cfg.task} regions whose true answer is a tie (halfway between two whole counts)",
                pct(scores["tie_share"]),
            ],
            [
                f"{cfg.task} task error on the ties / on the other regions",
                f"{pct(scores['task_error_on_ties'])} / {pct(scores['task_error_off_ties'])}",
            ],
        ]
    return table(["score", "value"], rows)


def per_step_block(cfg: ModelConfig, scores: dict[str, Any]) -> str:
    """The per-step accuracy: one line where each model step's own game step is also its best match,
    else a table of both pairings, so a reader sees which game step each hidden state shows."""
    line = "Per-step decoded accuracy (model step i against the game step it stands for): " + ", ".join(
        f"{a:.4f}" for a in scores["per_step_accuracy"]
    )
    pairings = step_pairings(cfg, scores)
    if pairings is None:
        return line
    if not pairings_differ(cfg, pairings):
        return line + ". No other game step matches any model step's decoding better."
    rows = [
        [i, a, f"{acc:.4f}", f"**{j}**" if j != a else j, f"{best:.4f}"] for i, (a, acc, j, best) in enumerate(pairings)
    ]
    head = ["model step", "aligned game step", "accuracy", "best-matching game step", "accuracy"]
    m, g = cfg.model_steps, cfg.game_steps
    aligned = (
        f"aligned: ceil(i x T / M), a convention for T = {g} game steps in M = {m} model steps"
        if m != g
        else "game step i"
    )
    return (
        f"Per-step decoded accuracy, each model step against two game steps: the one it stands for ({aligned}) "
        "and the one its decoding matches best (the game step where its accuracy is highest; in bold where "
        "that is another one).\n\n" + table(head, rows)
    )


def density_range(part: dict[str, Any]) -> str:
    lo, hi = part["start_density"]
    return f"{lo:.2f} to {hi:.2f}"


def stops_holding(task: str, off: dict[str, Any]) -> list[str]:
    """The start-density ranges of an off-distribution set where the task error is above the bar."""
    return [density_range(p) for p in off["by_start_density"] if not meets(p["task_error"], task)]


def off_distribution_block(cfg: ModelConfig, scores: dict[str, Any]) -> str:
    """Each off-distribution set's scores, whole and by start density, and where a checkpoint that meets its bar on
    the fixed eval set stops meeting it there."""
    blocks = []
    summary = cfg.task != "board"
    for name, off in scores.get("off_distribution", {}).items():
        es = off["eval_set"]
        what = cfg.env.off_distribution.get(name, f"the {name} sampler")
        task = [f"{cfg.task} task error"] if summary else []
        head = ["start boards (share of live cells)", "episodes", "final-board error", *task, "interpretability"]
        parts = [("all", {**off, "episodes": es["episodes"]})] + [
            (density_range(p), p) for p in off["by_start_density"]
        ]
        rows = [
            [label, part["episodes"], pct(part["final_error"])]
            + ([pct(part["task_error"])] if summary else [])
            + [f"{part['interpretability']:.4f}"]
            for label, part in parts
        ]
        blocks.append(
            f"### Off distribution: `{name}`\n\n{what[0].upper()}{what[1:]}: {es['episodes']} episodes of "
            f"{es['size']}x{es['size']} {cfg.env.frame_word}s, seed {es['seed']}. Scored as the fixed eval set is.\n\n"
            + table(head, rows)
            + "\n\n"
            + off_distribution_verdict(cfg, scores, off)
        )
    return "\n\n".join(blocks)


def off_distribution_verdict(cfg: ModelConfig, scores: dict[str, Any], off: dict[str, Any]) -> str:
    """One line: whether a checkpoint that meets its bar on the fixed eval set meets it here, and if not, where not."""
    needed, what = bar(cfg.task), "final-board error" if cfg.task == "board" else f"{cfg.task} task error"
    if not meets(scores["task_error"], cfg.task):
        return "Below the zoo's bar on the fixed eval set already: read these as an unfinished model's numbers."
    failing = stops_holding(cfg.task, off)  # the whole set's error averages the ranges': above the bar, one is too
    if not failing:
        return f"**Holds off distribution**: its {what} stays within the {100 * needed:g}% bar here, at every density."
    side = "within" if meets(off["task_error"], cfg.task) else "above"
    line = (
        "**Meets the bar on the fixed eval set, not everywhere off distribution**: its "
        f"{what} on this set is {pct(off['task_error'])}, {side} the {100 * needed:g}% bar"
    )
    holding = [density_range(p) for p in off["by_start_density"] if meets(p["task_error"], cfg.task)]
    line += f"; it stops meeting the bar on start boards with {' and '.join(failing)} of their cells alive"
    return line + (f" (it holds on {' and '.join(holding)})." if holding else ".")


def training_notes(tc: dict[str, Any], cfg: ModelConfig) -> list[str]:
    """What the extra losses of a run train, in words: the regime name alone does not say which frames
    they see, and that decides which steps the metric may call untrained."""
    t = cfg.model_steps
    notes = []
    if tc.get("latent_weight", 0) > 0:
        sides = "both sides trained" if not tc.get("latent_detach", True) else "the target held constant"
        scale = ", divided by the target's mean square" if tc.get("latent_relative") else ""
        notes.append(
            f"Besides the board losses at steps {cfg.trained_steps}, a latent loss ({tc['latent_weight']} x MSE of "
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
    if tc.get("adver_summary_weight", 0) > 0:
        notes.append(
            f"The new decoder ({cfg.decoder_layers} layer(s)) read board 0, and step {t} only through the task's "
            f"answer: the {cfg.task} of its decoding at step {t} against the true one ({tc['adver_summary_weight']} "
            "x MSE in cells per region). No board after step 0 was compared with a decoding."
        )
    return notes


def probes_block(cfg: ModelConfig, probes: dict[str, Any]) -> str:
    # a probe record holds a best-matching column only where its run wrote one (no matrix to derive it from)
    probe_pairings = {pname: step_pairings(cfg, p) for pname, p in probes.items()}
    best_column = any(pairings_differ(cfg, pp) for pp in probe_pairings.values())
    best = ["best-matching game step: accuracy"] if best_column else []
    head = ["probe", "fitted on steps", "per-step accuracy", *best, "interpretability"]
    rows = []
    for pname, p in probes.items():
        row = [pname, p["fitted_steps"], " ".join(f"{a:.3f}" for a in p["per_step_accuracy"])]
        if best_column:
            pp = probe_pairings[pname]
            row.append(" ".join(f"{j}: {b:.3f}" for _, _, j, b in pp) if pp else "n/a")
        rows.append([*row, f"{p['interpretability']:.4f}"])
    return "### Decoder probes (fresh decoders fitted on a frozen model)\n\n" + table(head, rows)


def thinking_block(thinking: dict[str, Any]) -> str:
    """A maze's solve rates by size: does running more iterations on a bigger maze still solve it?"""
    rows = [
        [
            size,
            f"{thinking['episodes'][size]:,}",
            thinking["iterations"][size],
            f"{thinking['solve_rate'][size]:.3f}",
            f"{thinking['solve_rate_at_end'][size]:.3f}",
        ]
        for size in thinking["solve_rate"]
    ]
    factor = thinking.get("factor", 2.0)
    head = ["size (cells a side)", "mazes", "rounds (hardest maze)", "solved at those rounds", f"solved at {factor:g}x"]
    return (
        "### Thinking longer: exact-solution rate by maze size\n\n"
        "Every pixel of the decoded frame must be the solution's. Each size runs for the rounds dead-end filling "
        f"needs for its hardest maze, then on to {factor:g}x that (does the answer stay solved?).\n\n"
        + table(head, rows)
    )


def extrapolation_line(ex: dict[str, Any]) -> str:
    """The horizon, said to be a floor where it held to the last step measured."""
    held, end = ex.get("steps_above_99"), len(ex.get("accuracy") or []) - 1
    if held is None:
        return f"Extrapolation: not measured ({ex.get('note', 'no tied core')})."
    further = " (every step measured: it may hold further)" if held == end else ""
    return f"Steps the imagination stays >= 99% accurate when the core runs past its training: {held}{further}."


def seeds_block(selection: dict[str, Any]) -> str:
    """Every seed the recipe trained, and the one these weights are: a score that holds for one seed only shows.
    Where the core runs on past its training, each seed's horizon too: seeds that agree on the trained steps can
    part far past them."""
    seeds = selection["seeds"]
    horizons = any(s.get("horizon") is not None for s in seeds.values())
    head = ["seed", "interpretability", "task error", "final-board error"] + (["steps >= 99%"] if horizons else [])
    rows = [
        [
            _seed(seed, selection["chosen"]),
            f"{s['interpretability']:.4f}",
            pct(s["task_error"]),
            pct(s["final_error"]),
        ]
        + (["n/a" if s.get("horizon") is None else str(s["horizon"])] if horizons else [])
        for seed, s in seeds.items()
    ]
    runs_on = ", with the steps its imagination stays >= 99% accurate when the core runs on" if horizons else ""
    return (
        f"Trained with {len(rows)} seeds, the best kept ({selection['criterion']}); each seed's scores on the "
        f"log set (a seeded set apart from the eval set){runs_on}:\n\n" + table(head, rows)
    )


def _seed(seed: str, these: int) -> str:
    return f"{seed}{' (these weights)' if int(seed) == these else ''}"


def seed_check_block(check: dict[str, Any]) -> str:
    """The same recipe trained at other seeds (``python -m training.zoo seeds``): does it hold, or was it one seed?"""
    rows = [
        [_seed(seed, check["these_weights"]), pct(s["task_error"]), f"{s['interpretability']:.4f}"]
        + ["yes" if s["meets_bar"] else "**no**"]
        for seed, s in check["seeds"].items()
    ]
    head = ["seed", "task error", "interpretability", "meets the bar"]
    return (
        f"The same recipe at other seeds (each trained apart by the same command, scored on this eval set): the bar "
        f"met by **{check['bar_met']} of {len(rows)}**.\n\n" + table(head, rows)
    )


def extra_blocks(cfg: ModelConfig, scores: dict[str, Any], tc: dict[str, Any]) -> list[str]:
    """What eval.json holds beyond the headline: the base, a warm start, extra losses, probes, analyses."""
    extra = []
    if "base_model" in scores:
        b = scores["base_model"]
        extra.append(
            f"The base model with its own decoder scored interpretability {b['interpretability']:.4f} "
            f"and final-board error {pct(b['final_error'])} on the same eval set."
        )
    if "warm_start" in scores:
        w = scores["warm_start"]
        before = (
            f", which had trained {w['train_steps']} steps in {w['train_minutes']:.1f} min to final-board error "
            f"{pct(w['final_error'])}"
            if {"train_steps", "train_minutes", "final_error"} <= w.keys()
            else ""
        )
        extra.append(
            f"Trained further from the weights of `{portable(w['from'])}`{before}. The scores above are of these "
            "weights; the training time and steps below count this run only."
        )
    extra += training_notes(tc, cfg)
    if len(scores.get("seed_selection", {}).get("seeds", {})) > 1:
        extra.append(seeds_block(scores["seed_selection"]))
    if "seed_check" in scores:
        extra.append(seed_check_block(scores["seed_check"]))
    if "off_distribution" in scores:
        extra.append(off_distribution_block(cfg, scores))
    if "thinking" in scores:
        extra.append(thinking_block(scores["thinking"]))
    if "probes" in scores:
        extra.append(probes_block(cfg, scores["probes"]))
    if "faithfulness" in scores:
        faithful = faithfulness(scores)
        extra.append(
            f"Causal faithfulness score: {faithful:.4f} (the project's docs/analysis.md says how it is measured)."
            if faithful is not None
            else "Causal faithfulness: not defined for this checkpoint "
            f"({scores['faithfulness'].get('note', 'no inner step')})."
        )
    if "extrapolation" in scores:
        extra.append(extrapolation_line(scores["extrapolation"]))
    return extra
