"""The demo page's sections, top to bottom: each lays out its widgets and returns them.

An environment and checkpoint picker, the start board, the rule and card scores, the episode (Run,
pictures, tables, downloads), and four views that open on demand: compare regimes, intervene, beyond
the paper, watch it emerge (over training). The start board asks the environment for its sources,
sizes, steps and rule menu; what else it needs of an environment (words, a menu of named starts) is
that environment's section (``environments``: ``life_section``, ``maze_section``). Picking another
environment sets every widget that names or bounds it anew (``environment_updates``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from imagination import envs
from imagination.demo import handlers, inputs, presenters, style
from imagination.demo.environments import EnvironmentSection, has_rule, rule_box_label, section_of, steps_label
from imagination.demo.handlers import EnvironmentView
from imagination.demo.server import regimes_of

# ---------------------------------------------------------------------------------------------
# The sections, top to bottom: each lays out its widgets and returns them


def figure(label: str, elem_id: str, value: str | None = None, format: str = "png") -> gr.Image:
    """A result picture: shown at its own size (class "natural"), downloadable and full-screen, its label
    the alt text that says what it shows."""
    return gr.Image(
        value=value,
        label=label,
        show_label=False,
        buttons=["download", "fullscreen"],
        type="filepath",
        format=format,
        interactive=False,
        elem_id=elem_id,
        elem_classes=["natural"],
    )


@dataclass
class CheckpointPicker:
    checkpoint: gr.Dropdown
    load: gr.Button
    status: gr.Markdown
    environment: gr.Radio  # shown where the zoo holds more than one environment
    picked: gr.State  # the environment's name: what board events build in (a State: the API never sees it)


def checkpoint_picker(
    choices: list[tuple[str, str]],
    default: str | None,
    first: dict[str, Any],
    environments: list[tuple[str, str]],
    env: envs.Environment,
) -> CheckpointPicker:
    gr.Markdown("## 1. Environment and checkpoint")
    environment = gr.Radio(
        choices=environments,
        value=env.name,
        label="Environment",
        info="What the network was trained on; each has its own checkpoints and starts",
        visible=len(environments) > 1,
        elem_id="environment",
    )
    picked = gr.State(env.name)
    with gr.Row(equal_height=False):
        checkpoint = gr.Dropdown(
            choices=choices,
            value=default,
            allow_custom_value=True,
            label="Checkpoint",
            info="A zoo checkpoint (regime, interpretability), or type a Hub repo id (org/name) and press Enter",
            scale=4,
            elem_id="checkpoint",
        )
        load = gr.Button("Load", size="sm", scale=1, min_width=60, elem_id="load-btn")
    status = gr.Markdown(first.get("status", ""), elem_id="checkpoint-status")
    return CheckpointPicker(checkpoint, load, status, environment, picked)


@dataclass
class StartBoard:
    source: gr.Radio
    preview: gr.Image
    size: gr.Slider
    seed: gr.Number
    density: gr.Slider
    pattern: gr.Dropdown
    text: gr.Textbox
    upload: gr.UploadButton
    editor: gr.ImageEditor
    use_drawing: gr.Button
    rle: gr.Textbox
    heading: gr.Markdown
    paint: gr.Accordion

    @property
    def inputs(self) -> list[gr.components.Component]:
        """The six values a start board is built from, in the API's order."""
        return [self.source, self.seed, self.density, self.size, self.pattern, self.text]


def start_board(env: envs.Environment, section: EnvironmentSection, first: dict[str, Any]) -> StartBoard:
    heading = gr.Markdown(section.heading, elem_id="start-heading")
    sources = inputs.sources(env)
    source = gr.Radio(
        choices=[(label, key) for key, label in sources.items()],
        value=next(iter(sources)),
        label="Board from",
        elem_id="board-source",
    )
    preview = gr.Image(
        value=first["preview"],
        label="Start board (click a cell to flip it)",
        show_label=False,
        format="png",
        interactive=False,
        buttons=[],
        elem_id="board-preview",
        elem_classes=["natural"],
    )
    with gr.Row():
        size = gr.Slider(
            env.min_size, env.max_size, value=env.default_size, step=1, label=section.size_label, elem_id="size"
        )
        seed = gr.Number(value=0, label=section.seed_label, min_width=100, elem_id="seed")
        density = gr.Slider(
            0.0,
            1.0,
            value=inputs.DEFAULT_DENSITY,
            step=0.01,
            label=section.density_label,
            visible=bool(section.density_label),
            elem_id="density",
        )
    pattern = gr.Dropdown(
        choices=section.pattern_choices,
        value=section.pattern_default,
        label=section.pattern_label,
        visible=bool(section.pattern_choices),
        elem_id="pattern",
    )
    text = gr.Textbox(
        value="",
        lines=3,
        max_lines=20,
        label=section.text_label,
        placeholder=section.text_example,
        elem_id="board-text",
    )
    upload = gr.UploadButton(
        "Upload a .rle / .cells file",
        file_types=[".rle", ".cells", ".txt"],
        type="filepath",
        size="sm",
        elem_id="board-upload",
    )
    with gr.Accordion("Paint a board", open=False, visible=section.paint, elem_id="paint") as paint:
        editor = gr.ImageEditor(
            canvas_size=(320, 320),
            fixed_canvas=True,
            sources=(),
            transforms=(),
            layers=False,
            brush=gr.Brush(colors=["#111827"], default_size=12, color_mode="fixed"),
            type="numpy",
            image_mode="RGBA",
            format="png",
            label="Pick the brush and paint live cells; the canvas is cut into size x size cells",
            elem_id="board-editor",
        )
        use_drawing = gr.Button("Use the drawing", size="sm", elem_id="use-drawing")
    rle = gr.Textbox(
        value=first["rle"], label="This board as RLE", interactive=False, lines=2, buttons=["copy"], elem_id="board-rle"
    )
    return StartBoard(
        source, preview, size, seed, density, pattern, text, upload, editor, use_drawing, rle, heading, paint
    )


@dataclass
class RuleAndScores:
    rule: gr.Dropdown
    scores: gr.Dataframe
    box: gr.Accordion


def rule_and_scores(env: envs.Environment, section: EnvironmentSection, first: dict[str, Any]) -> RuleAndScores:
    with gr.Accordion(rule_box_label(env), open=False, elem_id="rule-box") as box:
        rule = gr.Dropdown(
            choices=list(env.variants.items()),
            value=first["rule"],
            allow_custom_value=True,
            label="Rule of the true game",
            info=section.rule_info,
            visible=has_rule(env),
            elem_id="rule",
        )
        scores = gr.Dataframe(
            value=first.get("scores"),
            headers=presenters.SCORE_HEADERS,
            datatype=["str", "number"],
            interactive=False,
            label="Scores on the checkpoint's card",
            max_height=240,
            elem_id="card-scores",
        )
    return RuleAndScores(rule, scores, box)


@dataclass
class EpisodeView:
    steps: gr.Number
    run: gr.Button
    status: gr.Markdown
    panel: gr.Image
    table: gr.Dataframe
    heatmap: gr.Image
    animation: gr.Image
    npz: gr.File
    json: gr.File
    summary: gr.JSON
    api_run: gr.Button  # hidden triggers of the API's /run_episode and /download (Run drives the page's own)
    api_download: gr.Button

    @property
    def outputs(self) -> list[gr.components.Component]:
        """What /run_episode answers: the pictures, the per-step table, the status and the summary."""
        return [self.panel, self.heatmap, self.animation, self.table, self.status, self.summary]


def episode_view(env: envs.Environment, section: EnvironmentSection, first: dict[str, Any]) -> EpisodeView:
    gr.Markdown("## 3. Run")
    with gr.Row(equal_height=True):
        steps = gr.Number(  # bounds checked by the handlers, whose message names the field
            value=first["steps"],
            label=steps_label(env, section),
            info="Empty: the checkpoint's trained steps; more shows whether its imagination keeps up",
            scale=3,
            elem_id="steps",
        )
        run = gr.Button("Run episode", variant="primary", scale=1, elem_id="run-btn")
    status = gr.Markdown(first.get("run_status", "Run an episode to see it here."), elem_id="run-status")
    panel = figure(
        "The episode: per model step the true frame, decoded P(alive), imagined board and error",
        "episode-panel",
        value=first.get("panel"),
    )
    table = gr.Dataframe(
        value=first.get("table"),
        headers=presenters.STEP_HEADERS,
        interactive=False,
        label="Per-step scores",
        wrap=True,
        elem_id="step-scores",
    )
    with gr.Row(equal_height=False):
        heatmap = figure(
            "Score matrix: MCC of every decoded step against every true frame", "score-matrix", value=first.get("heat")
        )
        animation = figure("Animation of the episode", "animation", value=first.get("gif"), format="gif")
    npz, json_file = downloads(first)
    with gr.Accordion("Episode summary (JSON)", open=False):
        summary = gr.JSON(value=first.get("summary"), elem_id="episode-summary")
    api_run = gr.Button("run_episode", visible=False)
    api_download = gr.Button("download", visible=False)
    return EpisodeView(
        steps, run, status, panel, table, heatmap, animation, npz, json_file, summary, api_run, api_download
    )


def downloads(first: dict[str, Any]) -> tuple[gr.File, gr.File]:
    with gr.Row():
        npz = gr.File(
            value=first.get("npz"), label="Episode (.npz)", interactive=False, height=80, elem_id="download-npz"
        )
        json_file = gr.File(
            value=first.get("js"), label="Episode (.json)", interactive=False, height=80, elem_id="download-json"
        )
    return npz, json_file


@dataclass
class CompareView:
    view: gr.Accordion
    names: gr.Dropdown
    run: gr.Button
    status: gr.Markdown
    panel: gr.Image
    table: gr.Dataframe


def compare_view(names: list[str], default: str | None) -> CompareView:
    with gr.Accordion("4. Compare regimes on one board", open=False, elem_id="compare") as view:
        gr.Markdown(
            "The same start board (section 2) through 2 to 4 checkpoints, each for the steps it was trained "
            "for. A baseline predicts the final board but imagines nothing readable on the way; the "
            "autoencoder and adversarial regimes imagine the game step by step."
        )
        with gr.Row(equal_height=True):
            picked = gr.Dropdown(
                choices=names,
                value=regimes_of(default) if default else [],
                multiselect=True,
                max_choices=handlers.MAX_COMPARE,
                allow_custom_value=True,
                label="Checkpoints to compare (2 to 4)",
                scale=4,
                elem_id="compare-checkpoints",
            )
            run = gr.Button("Compare", variant="primary", scale=1, elem_id="compare-btn")
        status = gr.Markdown(elem_id="compare-status")
        panel = figure("Imagined boards per checkpoint, under the true frames", "compare-panel")
        table = gr.Dataframe(interactive=False, label="MCC per model step", elem_id="compare-scores")
    return CompareView(view, picked, run, status, panel, table)


@dataclass
class InterveneView:
    view: gr.Accordion
    about: gr.Markdown
    step: gr.Slider
    show: gr.Button
    board: gr.Image
    rle: gr.Textbox
    original: gr.State  # the unedited imagined board, to colour the edits
    run: gr.Button
    status: gr.Markdown
    panel: gr.Image
    summary: gr.JSON


def intervene_view(env: envs.Environment, section: EnvironmentSection) -> InterveneView:
    with gr.Accordion("5. Intervene: edit what it imagines at step i", open=False, elem_id="intervene") as view:
        about = gr.Markdown(section.intervene_about(env), elem_id="intervene-about")
        with gr.Row(equal_height=True):
            step = gr.Slider(
                0, env.max_steps, value=1, step=1, label="Model step i to edit", scale=3, elem_id="intervene-step"
            )
            show = gr.Button("Show / reset", size="sm", scale=1, elem_id="intervene-show")
        board = gr.Image(
            label="Imagined board at step i (click a cell to flip it)",
            show_label=False,
            format="png",
            interactive=False,
            buttons=[],
            elem_id="intervene-board",
            elem_classes=["natural"],
        )
        rle = gr.Textbox(
            label="The edited imagined board as RLE (click cells above, or edit the text)",
            lines=2,
            max_lines=12,
            elem_id="intervene-rle",
        )
        original = gr.State("")
        run = gr.Button("Run from the edit", variant="primary", elem_id="intervene-btn")
        status = gr.Markdown(elem_id="intervene-status")
        panel = figure(
            "The intervened episode: per step true frame, decoded P(alive), imagined board and error",
            "intervene-panel",
        )
        with gr.Accordion("Intervened episode (JSON)", open=False):
            summary = gr.JSON(elem_id="intervene-summary")
    return InterveneView(view, about, step, show, board, rle, original, run, status, panel, summary)


# ---------------------------------------------------------------------------------------------
# Picking an environment: every widget that names or bounds it, set anew


def environment_outputs(
    intro: gr.Markdown, picker: CheckpointPicker, board: StartBoard, rule: RuleAndScores, episode: EpisodeView,
    compare: CompareView, intervene: InterveneView,
) -> list[gr.components.Component]:  # fmt: skip
    """The widgets ``environment_updates`` sets, in its order: none whose new value would rebuild the start
    board (``start_outputs``), which would rebuild it with values not all set yet."""
    return [
        intro, picker.picked, picker.checkpoint, board.heading, board.size, board.density, board.text, board.paint,
        rule.box, rule.rule, episode.steps, compare.names, intervene.about,
    ]  # fmt: skip


def environment_updates(view: EnvironmentView) -> list[Any]:
    """The page in a picked environment (``environment_outputs``' widgets): its checkpoints, sizes, steps and
    words, the checkpoint field on its showcase (Run then runs it)."""
    env = view.env
    section = section_of(env)
    return [
        style.intro(env, section.task),
        env.name,
        gr.update(choices=view.checkpoints, value=view.default),
        section.heading,
        gr.update(minimum=env.min_size, maximum=env.max_size, value=env.default_size, label=section.size_label),
        gr.update(label=section.density_label or "Density", visible=bool(section.density_label)),
        gr.update(value="", label=section.text_label, placeholder=section.text_example),
        gr.update(visible=section.paint),
        gr.update(label=rule_box_label(env)),
        gr.update(choices=list(env.variants.items()), value=env.variant(), visible=has_rule(env)),
        gr.update(label=steps_label(env, section)),
        gr.update(choices=[name for _, name in view.checkpoints], value=view.compare),
        section.intervene_about(env),
    ]


def start_outputs(board: StartBoard) -> list[gr.components.Component]:
    """The widgets ``start_updates`` sets: what the start board is built from, and the board."""
    return [board.source, board.seed, board.pattern, board.preview, board.rle]


def start_updates(view: EnvironmentView) -> list[Any]:
    """The picked environment's first start: its sources, seed 0, its named starts, the frame drawn."""
    section = section_of(view.env)
    sources = inputs.sources(view.env)
    return [
        gr.update(choices=[(label, key) for key, label in sources.items()], value=next(iter(sources))),
        gr.update(value=0, label=section.seed_label),
        gr.update(
            choices=section.pattern_choices,
            value=section.pattern_default,
            label=section.pattern_label or "Named start",
            visible=bool(section.pattern_choices),
        ),
        view.preview,
        view.rle,
    ]


@dataclass
class AnalysisView:
    view: gr.Accordion
    curve: gr.Image
    text: gr.Markdown
    probes: gr.Dataframe

    @property
    def outputs(self) -> list[gr.components.Component]:
        return [self.curve, self.text, self.probes]


def beyond_the_paper() -> AnalysisView:
    with gr.Accordion(
        "6. Beyond the paper: this checkpoint's extrapolation, faithfulness and probes", open=False, elem_id="analysis"
    ) as view:
        curve = figure("Decoded accuracy and MCC past the trained steps", "analysis-curve")
        text = gr.Markdown("Open this view to measure the loaded checkpoint.", elem_id="analysis-summary")
        probes = gr.Dataframe(
            headers=presenters.PROBE_HEADERS,
            datatype=["str", "str", "str", "number", "number"],
            interactive=False,
            label="Decoder probes (fresh decoders fitted on the frozen model)",
            elem_id="analysis-probes",
        )
    return AnalysisView(view, curve, text, probes)


@dataclass
class EmergenceView:
    view: gr.Accordion
    checkpoint: gr.Dropdown
    snapshot: gr.Slider
    status: gr.Markdown
    panel: gr.Image
    step_status: gr.Markdown
    plot: gr.Image


def emergence_view(names: list[str]) -> EmergenceView:
    """Shown when some zoo entry ships its training snapshots (``handlers.emergence_entries``)."""
    with gr.Accordion(
        "7. Watch it emerge: the imagination over training", open=False, elem_id="emergence", visible=bool(names)
    ) as view:
        gr.Markdown(
            "Training kept snapshots at log-spaced steps (0 = the initialisation). Slide over them: the start "
            "board (section 2) runs through the network as it was at that step. The plot puts every regime's "
            "interpretability and final-board error against training step: does the imagination appear "
            "before, with or after the task is solved?"
        )
        checkpoint = gr.Dropdown(
            choices=names, value=names[0] if names else None, label="Checkpoint", elem_id="emergence-checkpoint"
        )
        snapshot = gr.Slider(
            0,
            1,
            value=0,
            step=1,
            label="Training snapshot (0: the initialisation; the last: the final weights)",
            elem_id="emergence-snapshot",
        )
        status = gr.Markdown(elem_id="emergence-status")
        panel = figure(
            "The episode at that snapshot: per model step the true frame, decoded P(alive), imagined board and error",
            "emergence-panel",
        )
        step_status = gr.Markdown(elem_id="emergence-step-status")
        plot = figure(
            "Interpretability and final-board error against training step, every regime with snapshots",
            "emergence-plot",
        )
    return EmergenceView(view, checkpoint, snapshot, status, panel, step_status, plot)
