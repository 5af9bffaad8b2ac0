"""What an episode and a checkpoint report: per-step tables, status lines, summaries, analysis text.

Plain data in (an ``Episode``, a model config, an eval.json), plain data out (rows, Markdown, JSON
dicts), so the demo's page and its API show the same numbers and both are tested without a web
framework. Nothing here runs a model; pictures are ``imagination.figures``'s.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from imagination import figures, markdown
from imagination.analysis import Solving
from imagination.config import ModelConfig
from imagination.demo.inputs import board_digest, board_rle, plural
from imagination.envs import Environment
from imagination.episode import Episode
from imagination.tasks import summary_targets

STEP_HEADERS = ["step", "game step", "kind", "accuracy", "MCC"]
TASK_HEADERS = ["task answer: predicted", "task answer: true"]
SOLVED_HEADER = "solved"  # "yes" where the imagined frame is exactly the solution
SCORE_HEADERS = ["score (from the model card)", "value"]
PROBE_HEADERS = ["probe", "fitted on steps", "per-step accuracy", "interpretability", "final error"]
TASK_UNITS = {"count": "live cells on the board", "patch": "live cells per k x k patch", "grid": "live cells per cell"}


def trained_rule(cfg: ModelConfig) -> str:
    return cfg.env.variant()


def rule_note(cfg: ModelConfig, rule: str) -> str:
    """A sentence when the true frames follow another rule than the checkpoint was trained on."""
    trained = trained_rule(cfg)
    if rule == trained:
        return ""
    return f" The true frames follow rule **{rule}**, not the {trained} this checkpoint was trained on."


# ---------------------------------------------------------------------------------------------
# Summary tasks: the answer the network gives (a count, patch or grid of live-cell counts)


@dataclass
class TaskAnswers:
    """Per step, a summary-task model's answer and the true one, in live cells (not fractions)."""

    task: str
    size: int
    predicted: np.ndarray  # [S+1, h, w] live cells per region
    true: np.ndarray  # [S+1, h, w]
    region_cells: int  # board cells per region (the whole board for a count)

    @property
    def regions(self) -> int:
        return int(self.true[0].size)

    def right(self, i: int) -> int:
        """Regions whose predicted count, rounded, is the true count."""
        return int((np.round(self.predicted[i]) == np.round(self.true[i])).sum())

    def cells(self, i: int, which: str = "predicted") -> str:
        """The answer at step i in words: the count, or the mean count per region."""
        values = self.predicted[i] if which == "predicted" else self.true[i]
        if self.task == "count":
            return f"{float(values.reshape(-1)[0]):.1f}" if which == "predicted" else f"{round(float(values.sum()))}"
        mean = f"mean {float(values.mean()):.2f}"
        if which == "predicted":
            return f"{mean}; {self.right(i)}/{self.regions} regions right"
        return mean

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "task_size": self.size,
            "unit": TASK_UNITS[self.task],
            "predicted": np.round(self.predicted, 3).tolist(),
            "true": np.round(self.true, 3).tolist(),
            "regions_right": [self.right(i) for i in range(len(self.true))],
            "regions": self.regions,
        }


def task_answers(ep: Episode, cfg: ModelConfig) -> TaskAnswers | None:
    """The task answers of a summary-task episode (None for the board task)."""
    if cfg.task == "board" or ep.summary is None:
        return None
    h, w = ep.true.shape[-2:]
    unit = h * w if cfg.task == "count" else cfg.task_size * cfg.task_size
    true = summary_targets(torch.from_numpy(np.asarray(ep.true, np.float32)), cfg.task, cfg.task_size).numpy()
    return TaskAnswers(cfg.task, cfg.task_size, np.asarray(ep.summary) * unit, true * unit, unit)


# ---------------------------------------------------------------------------------------------
# One episode


def step_table(
    ep: Episode, answers: TaskAnswers | None = None, env: Environment | None = None, solved: Solving | None = None
) -> dict[str, Any]:
    """Per-step scores as {"headers", "data"}: one row a model step (and the task answer if any; and, where
    episodes settle, whether the imagined frame is the solution). The step column is in ``env``'s word."""
    rows = []
    for i in range(ep.steps + 1):
        row: list[Any] = [i, ep.game_steps[i], figures.step_kind(ep, i), round(ep.accuracy[i], 4), round(ep.mcc[i], 4)]
        if answers is not None:
            row += [answers.cells(i, "predicted"), answers.cells(i, "true")]
        if solved is not None:
            row.append("yes" if solved.solved[i] else "")
        rows.append(row)
    headers = [*STEP_HEADERS]
    if env is not None:
        headers[1] = env.step_word
    headers += TASK_HEADERS if answers is not None else []
    return {"headers": headers + ([SOLVED_HEADER] if solved is not None else []), "data": rows}


def solving_status(solved: Solving, steps: int, env: Environment | None = None) -> str:
    """Where episodes settle: the rounds the true frames need, and the step the imagination first is the
    solution (whether it keeps it), or that it never is in this run."""
    word = env.step_word if env is not None else "step"
    frame = env.frame_word if env is not None else "frame"
    if solved.settled is None:
        at = f", past this run's {steps} steps."
    else:  # the model step it is shown at, where that is not the round itself (fewer model than game steps)
        at = "." if solved.settled == solved.rounds else f" (model step {solved.settled})."
    need = f" The true {frame} settles after **{solved.rounds} {word}s**{at}"
    if solved.first is None:
        return need + f" The imagined {frame} is **never exactly the solution** in these {steps} steps."
    kept = "and stays so to the end" if solved.stays else f"but does not keep it (solved at {sum(solved.solved)} steps)"
    return need + f" The imagined {frame} is **solved at iteration {solved.first}** (exactly the solution), {kept}."


def run_status(
    shown: str,
    what: str,
    ep: Episode,
    cfg: ModelConfig,
    answers: TaskAnswers | None = None,
    solved: Solving | None = None,
) -> str:
    beyond = ep.steps > ep.trained_horizon
    text = (
        f"**{shown}** on {what}: {ep.steps} model steps (trained for {ep.trained_horizon})"
        + (", past its training" if beyond else "")
        + f". Last step: accuracy {ep.accuracy[-1]:.3f}, MCC {ep.mcc[-1]:.3f}; "
        f"lowest accuracy {min(ep.accuracy):.3f} (step {int(np.argmin(ep.accuracy))})." + rule_note(cfg, ep.rule)
    )
    if answers is not None:
        text += (
            f" Its **{cfg.task} answer** at the last step: {answers.cells(ep.steps)} "
            f"(true: {answers.cells(ep.steps, 'true')}; {TASK_UNITS[cfg.task]})."
        )
    if solved is not None:
        text += solving_status(solved, ep.steps, cfg.env)
    return text


def run_summary(
    shown: str,
    board: np.ndarray,
    ep: Episode,
    cfg: ModelConfig,
    answers: TaskAnswers | None = None,
    solved: Solving | None = None,
) -> dict[str, Any]:
    summary = {
        "checkpoint": shown,
        "board_sha256": board_digest(board),
        "board_rle": board_rle(board, ep.rule),
        "size": list(board.shape),
        "steps": ep.steps,
        "trained_horizon": ep.trained_horizon,
        "trained_steps": ep.trained_steps,
        "game_steps": ep.game_steps,
        "rule": ep.rule,
        "trained_rule": trained_rule(cfg),
        "accuracy": ep.accuracy,
        "mcc": ep.mcc,
    }
    if answers is not None:
        summary["task_answers"] = answers.to_dict()
    if solved is not None:
        summary["solving"] = solved.to_dict()
    return summary


def download_files(shown: str, board: np.ndarray, ep: Episode, cfg: ModelConfig) -> tuple[str, bytes, bytes]:
    """(file stem, .npz bytes, .json bytes) of an episode, named by checkpoint, board, rule and steps."""
    tag = board_digest(board)[:12]
    if ep.rule != trained_rule(cfg):
        tag += "-" + "".join(c for c in ep.rule if c.isalnum())  # another game, another file
    slug = "".join(c if c.isalnum() or c in "-_" else "_" for c in shown)[-40:]
    meta = {"checkpoint": shown, "board_rle": board_rle(board, ep.rule), "board_sha256": board_digest(board)}
    return f"episode-{slug}-{tag}-{ep.steps}", ep.to_npz(), json.dumps({**meta, **ep.to_dict()}).encode()


# ---------------------------------------------------------------------------------------------
# Interventions


def intervention(
    shown: str,
    what: str,
    cfg: ModelConfig,
    board: np.ndarray,
    base: Episode,
    ep: Episode,
    step: int,
    edited: np.ndarray,
    answers: tuple[TaskAnswers, TaskAnswers] | None = None,
) -> tuple[str, dict[str, Any]]:
    """(status Markdown, summary) of an intervention: what the edit changed, against the original run."""
    i = step
    flipped = int((edited != base.imagined[i]).sum())
    final_changed = int((ep.imagined[-1] != base.imagined[-1]).sum())
    game_moved = (ep.true[-1] > 0.5) != (base.true[-1] > 0.5)
    game_changed = int(game_moved.sum())
    followed = int(((ep.imagined[-1] > 0) == (ep.true[-1] > 0.5))[game_moved].sum())
    env = cfg.env
    frame = env.frame_word  # a Life board's words are the game's; a maze's, its rounds of filling
    game = f" ({env.step_word} {ep.game_steps[i]})" if ep.game_steps[i] != i else ""
    if ep.rule:
        continuation, true_final = f"the game's continuation of the edited {frame} (rule {ep.rule})", "the game's"
    else:
        continuation, true_final = f"the {env.step_word}s that follow from the edited {frame}", "the true"
    if game_changed:
        follow = f"; the final {frame} the network imagines follows the edit on {followed} of them"
    else:
        follow = " (the edit dies out or is overwritten before the end)"
    status = (
        f"**{shown}** on {what}: the imagined {frame} at step {i}{game} was replaced by the edited one "
        f"({plural(flipped, 'cell')} flipped) and the network imagined on from there; from step {i} "
        f"on the true frames are {continuation}."
        + rule_note(cfg, ep.rule)
        + f"\n\n**Compared with the original run** at the final step {ep.steps}: accuracy "
        f"{base.accuracy[-1]:.3f} → {ep.accuracy[-1]:.3f}, MCC {base.mcc[-1]:.3f} → {ep.mcc[-1]:.3f} (each against "
        f"its own {'game' if ep.rule else 'true frames'}); the final imagined {frame} changed in "
        f"{plural(final_changed, 'cell')}. The edit changes {true_final} final {frame} in "
        f"{plural(game_changed, 'cell')}{follow}."
    )
    summary: dict[str, Any] = {
        "checkpoint": shown,
        "board_sha256": board_digest(board),
        "size": list(board.shape),
        "steps": ep.steps,
        "step": i,
        "game_step": ep.game_steps[i],
        "rule": ep.rule,
        "trained_rule": trained_rule(cfg),
        "edited_rle": board_rle(edited, ep.rule),
        "cells_flipped": flipped,
        "game_steps": ep.game_steps,
        "accuracy": ep.accuracy,
        "mcc": ep.mcc,
        "original_accuracy": base.accuracy,
        "original_mcc": base.mcc,
        "final_cells_changed": final_changed,
        "game_final_cells_changed": game_changed,
        "final_cells_following_edit": followed,
        "true_rle": [board_rle(t.astype(np.uint8), ep.rule) for t in (ep.true > 0.5)],
        "imagined_rle": [board_rle(b, ep.rule) for b in ep.imagined],
    }
    if answers is not None:
        before, after = answers
        s = ep.steps
        status += (
            f"\n\n**The {cfg.task} answer** at the final step: {before.cells(s)} → {after.cells(s)} "
            f"(true: {before.cells(s, 'true')} → {after.cells(s, 'true')}; {TASK_UNITS[cfg.task]})."
        )
        summary["task_answers"] = after.to_dict()
        summary["original_task_answers"] = before.to_dict()
        summary["final_answer_change"] = float(np.abs(after.predicted[-1] - before.predicted[-1]).sum())
    return status, summary


# ---------------------------------------------------------------------------------------------
# Comparing checkpoints on one board


def compare_table(names: list[str], episodes: list[Episode], interpretability: list[float | None]) -> dict[str, Any]:
    """One row a checkpoint: its regime's card score, then the decoded board's MCC at each model step."""
    width = max(ep.steps for ep in episodes) + 1
    headers = ["checkpoint", "interpretability (card)", *[f"MCC step {i}" for i in range(width)]]
    rows = []
    for name, ep, interp in zip(names, episodes, interpretability, strict=True):
        scores = [round(m, 3) for m in ep.mcc] + [None] * (width - ep.steps - 1)
        rows.append([name, None if interp is None else round(interp, 3), *scores])
    return {"headers": headers, "data": rows}


def compare_status(names: list[str], episodes: list[Episode], what: str, env: Environment | None = None) -> str:
    frame = "board" if env is None else env.frame_word
    steps = "the game step by step" if env is None or env.variant() else f"every {env.step_word}"
    parts = []
    for name, ep in zip(names, episodes, strict=True):
        inner = [ep.mcc[i] for i in range(1, ep.steps) if i not in ep.trained_steps]
        mid = f", inner steps mean MCC {np.mean(inner):.3f}" if inner else ""
        parts.append(f"**{name}**: final MCC {ep.mcc[-1]:.3f}{mid}")
    return (
        f"The same start {frame} ({what}) through {len(names)} checkpoints. Each row: what the network imagines "
        f"at every model step (decoded {frame} > 0.5), scored against the true frame. "
        + "; ".join(parts)
        + f". A baseline gets the final {frame} right but its inner steps decode to noise; the autoencoder and "
        f"adversarial regimes imagine {steps}."
    )


# ---------------------------------------------------------------------------------------------
# Checkpoint scores and the "beyond the paper" analyses


def card_rows(card: Any) -> list[list[Any]]:
    results = (card.data.eval_results or []) if card is not None else []
    return [[r.metric_name or r.metric_type, round(float(r.metric_value), 4)] for r in results]


def load_status(shown: str, cfg: ModelConfig, has_scores: bool) -> str:
    task = "" if cfg.task == "board" else f", {cfg.task} task"
    rule = f", rule {cfg.env.variant()}" if cfg.env.variant() else ""
    return (
        f"**Loaded {shown}**: {cfg.regime} regime{rule}{task}; {cfg.game_steps} game steps in "
        f"{cfg.model_steps} model steps, decodings trained at steps {list(cfg.trained_steps)}"
        + ("" if cfg.tied else " (untied: one block per step)")
        + ("." if has_scores else ". Its model card has no scores.")
    )


def fmt(x: Any, spec: str = ".3f") -> str:
    return "n/a" if x is None or (isinstance(x, float) and not math.isfinite(x)) else format(x, spec)


def not_measured(where: str, what: str, flag: str = "") -> str:
    return f"**{what}**: not measured for this checkpoint; run `python -m training.analyze {where} --write{flag}`."


def analysis_text(
    shown: str, cfg: ModelConfig, scores: dict[str, Any], ex: dict[str, Any], ex_source: str, where: str
) -> tuple[str, list[list[Any]]]:
    """(Markdown, probe rows) for a checkpoint's extrapolation ``ex``, faithfulness and probes."""
    lines = [f"### {shown}: beyond the paper", ""]
    if ex.get("accuracy"):
        trained = int(ex.get("trained_steps") or cfg.model_steps)
        lines.append(
            f"**Extrapolation**: the decoded accuracy stays >= 99% for **{fmt(ex.get('steps_above_99'), 'd')}** "
            f"steps (steps >= 99% accuracy; trained for {trained}), running to {len(ex['accuracy']) - 1} model steps; "
            f"{ex_source}."
        )
    else:
        lines.append(f"**Extrapolation**: {ex.get('note') or 'none'} (an untied core runs only its own steps).")
    lines.append("")

    fa = scores.get("faithfulness")
    if isinstance(fa, dict):
        if fa.get("score") is None:
            lines.append(f"**Faithfulness**: {fa.get('note') or 'no score'}.")
        else:
            lines.append(
                f"**Faithfulness**: **{fa['score']:.3f}**, the mean follow rate when {fa.get('flips', 3)} cells of the "
                "imagined board are flipped at an inner step (1 = the final answer follows the edit as the game "
                "would, 0.5 = chance, 0 = it ignores the edit); from eval.json."
            )
        patch = {p["step"]: p for p in fa.get("patching") or [] if isinstance(p, dict) and "step" in p}
        edit = {e["step"]: e for e in fa.get("editing") or [] if isinstance(e, dict) and "step" in e}
        if patch or edit:
            head = ["inner step", "patched final error", "unpatched", "delta", "edit: differing cells", "follow rate"]
            by_step = []
            for s in sorted(set(patch) | set(edit)):
                p, e = patch.get(s, {}), edit.get(s, {})
                by_step.append(
                    [
                        s,
                        fmt(p.get("final_error"), ".4f"),
                        fmt(p.get("baseline_error"), ".4f"),
                        fmt(p.get("delta"), "+.4f"),
                        fmt(e.get("differing_cells"), "d"),
                        fmt(e.get("follow_rate")),
                    ]
                )
            lines += ["", markdown.table(head, by_step)]
    else:
        lines.append(not_measured(where, "Faithfulness"))
    lines.append("")

    rows: list[list[Any]] = []
    probes = scores.get("probes")
    if isinstance(probes, dict) and probes:
        own = {
            "fitted_steps": scores.get("trained_steps", list(cfg.trained_steps)),
            **{k: scores.get(k) for k in ("per_step_accuracy", "interpretability", "final_error")},
        }
        for name, p in {"shared decoder (the checkpoint's own)": own, **probes}.items():
            if not isinstance(p, dict):
                continue
            accs = " / ".join(f"{a:.3f}" for a in p.get("per_step_accuracy") or [])
            fitted = p.get("fitted_steps")
            rows.append(
                [
                    name,
                    ", ".join(map(str, fitted)) if isinstance(fitted, list) else str(fitted),
                    accs,
                    None if p.get("interpretability") is None else round(float(p["interpretability"]), 4),
                    None if p.get("final_error") is None else round(float(p["final_error"]), 4),
                ]
            )
        lines.append(
            f"**Decoder probes**: {len(probes)} fresh decoders fitted on the frozen model, beside its own decoder "
            "(table below): how much board information each hidden state holds."
        )
    else:
        lines.append(not_measured(where, "Decoder probes", " --probes"))
    return "\n".join(lines), rows


def analysis_view(
    shown: str, cfg: ModelConfig, scores: dict[str, Any], ex: dict[str, Any], ex_source: str, where: str
) -> tuple[bytes | None, str, list[list[Any]]]:
    """(extrapolation curve PNG or None, Markdown, probe rows) for a checkpoint's "beyond the paper" view."""
    png = None
    if ex.get("accuracy"):
        trained = int(ex.get("trained_steps") or cfg.model_steps)
        png = figures.curves_png(
            {"accuracy": ex["accuracy"], "MCC": ex.get("mcc") or []},
            {"accuracy": trained},
            ylabel="decoded board vs true game",
            title=f"{shown}: imagination past its {trained} trained steps",
        )
    text, rows = analysis_text(shown, cfg, scores, ex, ex_source, where)
    return png, text, rows


def emergence_status(name: str, records: list[dict[str, Any]], when: dict[str, Any]) -> str:
    """What a checkpoint's snapshots say: how many, and when its imagination and its answer arrived."""

    def when_reached(what: str, key: str) -> str:
        step = when[f"{key}_step"]
        if step is None:
            return f"{what} in none of them"
        return f"{what} first at step {step:,}" + ("" if when[f"{key}_stays"] else " (then falls back)")

    last = records[-1]
    imagined = when_reached(f"interpretability reaches {when['level']:g}", "imagination")
    solved = when_reached(f"the final-board error reaches {when['bar']:.0%}", "solved")
    return (
        f"**{name}**: {len(records)} training snapshots, steps 0 to {last['step']:,} (log-spaced), each "
        f"scored on its fixed eval set from its saved weights: {imagined}, {solved}. Move the slider to watch it."
    )


def snapshot_status(name: str, record: dict[str, Any], index: int, count: int, what: str, ep: Episode) -> str:
    """One snapshot on the start board: which one, its eval-set scores, and how this episode went."""
    return (
        f"**{name} at training step {record['step']:,}** (snapshot {index + 1} of {count}, "
        f'`revision="{record["revision"]}"`) on {what}: on the eval set, interpretability '
        f"{fmt(record['interpretability'])}, final-board error {fmt(record['final_error'], '.4f')}; "
        f"this episode's MCC per step {' / '.join(fmt(m, '.2f') for m in ep.mcc)}."
    )
