"""The demo's page: Gradio widgets laid out section by section, and the events that wire them.

``build_demo`` lays the page out top to bottom: the checkpoint picker, the start board, the rule
and card scores, the episode (Run, pictures, tables, downloads), then three views that open on
demand (compare regimes, intervene, beyond the paper), and ``wire`` connects them. Every event
keeps the ``api_name``, inputs and outputs the API documents (tests/test_app.py); what each one
calls is in events.py.

The page asks the environment of its checkpoint for the start board's sources, the menu of
rules and its words; what else an environment's start board needs is one section of its own
(``life_section``), registered in ``SECTIONS``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from imagination import envs, patterns, zoo
from imagination.demo import events, handlers, inputs, presenters, style
from imagination.demo.server import regimes_of, showcase

# Requests served at once per event; the rest wait in gradio's queue. A request waiting on a drawing
# worker leaves the server free for the next one, so a few beat one even on two cores
# (benchmarks/README.md).
RUN_CONCURRENCY = int(os.environ.get("IMAGINATION_APP_CONCURRENCY", "4"))
RAW = {"preprocess": False}  # every handler checks the raw values itself (inputs.*)


# ---------------------------------------------------------------------------------------------
# What an environment adds to the start board: the one place the page names Life


@dataclass(frozen=True)
class EnvironmentSection:
    """The start board's words and menus in one environment (its sources read seed, density, pattern)."""

    seed_label: str
    density_label: str
    pattern_label: str  # the menu of named starts
    pattern_choices: list[str] = field(default_factory=list)
    pattern_default: str | None = None
    text_example: str = ""  # a start frame as pattern text, shown in the empty text box
    rule_info: str = ""  # what the rule field does


def life_section() -> EnvironmentSection:
    """Life's: gliders and random cells take the seed; its classic patterns; any Life-like rule."""
    return EnvironmentSection(
        seed_label="Seed (random, gliders)",
        density_label="Density (random)",
        pattern_label="Classic pattern",
        pattern_choices=patterns.pattern_names(),
        pattern_default="glider",
        text_example="x = 3, y = 3, rule = B3/S23\nbo$2bo$3o!",
        rule_info="The checkpoint's own rule when it is loaded; pick another, or type any Life-like rule "
        "(B36/S23), to see whether its imagination follows that game",
    )


SECTIONS = {"life": life_section}  # environment name -> its start board section


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


def checkpoint_picker(choices: list[tuple[str, str]], default: str | None, first: dict[str, Any]) -> CheckpointPicker:
    gr.Markdown("## 1. Checkpoint")
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
    return CheckpointPicker(checkpoint, load, status)


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

    @property
    def inputs(self) -> list[gr.components.Component]:
        """The six values a start board is built from, in the API's order."""
        return [self.source, self.seed, self.density, self.size, self.pattern, self.text]


def start_board(env: envs.Environment, section: EnvironmentSection, first: dict[str, Any]) -> StartBoard:
    gr.Markdown("## 2. Start board")
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
            inputs.MIN_SIZE, inputs.MAX_SIZE, value=inputs.DEFAULT_SIZE, step=1, label="Board size", elem_id="size"
        )
        seed = gr.Number(value=0, label=section.seed_label, min_width=100, elem_id="seed")
        density = gr.Slider(
            0.0, 1.0, value=inputs.DEFAULT_DENSITY, step=0.01, label=section.density_label, elem_id="density"
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
        label="RLE or plaintext (.cells): paste or type; upload, draw, or click cells of the board",
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
    with gr.Accordion("Paint a board", open=False, elem_id="paint"):
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
    return StartBoard(source, preview, size, seed, density, pattern, text, upload, editor, use_drawing, rle)


@dataclass
class RuleAndScores:
    rule: gr.Dropdown
    scores: gr.Dataframe


def rule_and_scores(env: envs.Environment, section: EnvironmentSection, first: dict[str, Any]) -> RuleAndScores:
    with gr.Accordion("Rule of the true game, and the checkpoint's card scores", open=False, elem_id="rule-box"):
        rule = gr.Dropdown(
            choices=list(env.variants.items()),
            value=first["rule"],
            allow_custom_value=True,
            label="Rule of the true game",
            info=section.rule_info,
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
    return RuleAndScores(rule, scores)


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


def episode_view(first: dict[str, Any]) -> EpisodeView:
    gr.Markdown("## 3. Run")
    with gr.Row(equal_height=True):
        steps = gr.Number(  # bounds checked by the handlers, whose message names the field
            value=first["steps"],
            label=f"Model steps (1-{inputs.MAX_STEPS})",
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
    step: gr.Slider
    show: gr.Button
    board: gr.Image
    rle: gr.Textbox
    original: gr.State  # the unedited imagined board, to colour the edits
    run: gr.Button
    status: gr.Markdown
    panel: gr.Image
    summary: gr.JSON


def intervene_view() -> InterveneView:
    with gr.Accordion("5. Intervene: edit what it imagines at step i", open=False, elem_id="intervene") as view:
        gr.Markdown(
            "Pick a model step i: the board the network imagines there is shown below. Click cells to "
            "flip them, then run from the edit: the hidden state at step i is replaced by the encoding "
            "of the edited board and the network imagines on. From step i on, the true frames are the "
            "game's continuation of the edited board, so the scores say whether the rest of the "
            "imagination, and the final answer, follow the edit. Blue cells: made alive by the edit; "
            "pale red: killed."
        )
        with gr.Row(equal_height=True):
            step = gr.Slider(
                0, inputs.MAX_STEPS, value=1, step=1, label="Model step i to edit", scale=3, elem_id="intervene-step"
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
    return InterveneView(view, step, show, board, rle, original, run, status, panel, summary)


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


# ---------------------------------------------------------------------------------------------
# The whole page


@dataclass
class Page:
    loaded: gr.State  # the checkpoint whose steps and rule the fields hold
    picker: CheckpointPicker
    board: StartBoard
    rule: RuleAndScores
    episode: EpisodeView
    compare: CompareView
    intervene: InterveneView
    analysis: AnalysisView
    intervene_open: gr.State
    analysis_open: gr.State


def page_environment(default: str | None) -> envs.Environment:
    """The environment the page is laid out for: its default checkpoint's, else the first registered one."""
    if default:
        try:
            return handlers.load_model(default)[1].config.env
        except Exception:  # an offline Hub id, say: the first episode's log says why
            entry = next((e for e in zoo.list() if e.name == default), None)
            if entry is not None:
                return envs.make(entry.environment)
    return envs.make(envs.names()[0])


def build_demo(default_checkpoint: str | None = None) -> gr.Blocks:
    """The whole page. ``default_checkpoint`` defaults to the showcase checkpoint."""
    choices = [(e.label(), e.name) for e in zoo.list()]
    default = default_checkpoint or showcase()
    if default and default not in {n for _, n in choices}:
        choices = [(default, default), *choices]
    env = page_environment(default)
    handlers.use_environment(env)
    section = SECTIONS[env.name]()
    first = handlers.first_view(default)
    with gr.Blocks(
        title="imagination: what a recurrent network imagines",
        analytics_enabled=False,
        delete_cache=(1800, 3600),  # every 30 min, drop cached outputs older than an hour
    ) as demo:
        gr.Markdown(style.intro(env), elem_id="intro")
        loaded = gr.State(first["loaded"])
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=320, elem_id="inputs"):
                picker = checkpoint_picker(choices, default, first)
                board = start_board(env, section, first)
                rule = rule_and_scores(env, section, first)
            with gr.Column(scale=3, min_width=360, elem_id="results"):
                episode = episode_view(first)
        compare = compare_view([n for _, n in choices], default)
        intervene = intervene_view()
        analysis = beyond_the_paper()
        page = Page(
            loaded, picker, board, rule, episode, compare, intervene, analysis, gr.State(False), gr.State(False)
        )
        wire(page)
    demo.queue(default_concurrency_limit=RUN_CONCURRENCY)
    return demo


def wire(p: Page) -> None:
    """Every event of the page, each with its api_name (private ones too: a name is how a client finds it)."""
    page_load = _wire_checkpoint(p)
    _wire_start_board(p.board)
    ran = _wire_episode(p)
    _wire_views(p, page_load, ran)


def _episode_inputs(p: Page) -> list[gr.components.Component]:
    return [p.picker.checkpoint, *p.board.inputs, p.episode.steps, p.rule.rule]


def _loaded_outputs(p: Page) -> list[gr.components.Component]:
    return [p.picker.status, p.rule.scores, p.episode.steps, p.rule.rule, p.loaded]


def _wire_checkpoint(p: Page) -> gr.events.Dependency:
    """The checkpoint field loads on a pick, Enter, leaving the field, or the button; once per name."""
    ckpt = p.picker.checkpoint
    page_load = gr.on(
        [ckpt.select, ckpt.blur, p.picker.load.click],
        events.load_page,
        inputs=[ckpt, p.loaded],
        outputs=_loaded_outputs(p),
        api_visibility="private",
        api_name="load_page",
        **RAW,
    )
    ckpt.key_up(
        events.load_on_enter,
        inputs=[ckpt, p.loaded],
        outputs=_loaded_outputs(p),
        api_visibility="private",
        api_name="load_on_enter",
        queue=False,
        **RAW,
    )
    api_load = gr.Button("load_checkpoint", visible=False)
    api_load.click(
        events.load_checkpoint,
        inputs=[ckpt],
        outputs=[p.picker.status, p.rule.scores, p.episode.steps],
        api_name="load_checkpoint",
        **RAW,
    )
    api_rule = gr.Button("checkpoint_rule", visible=False)
    api_rule.click(events.checkpoint_rule, inputs=[ckpt], outputs=[p.rule.rule], api_name="checkpoint_rule", **RAW)
    page_load.success(
        events.when_open(events.analysis, 3),
        inputs=[ckpt, p.analysis_open],
        outputs=p.analysis.outputs,
        api_name="analysis_if_open",
        api_visibility="private",
        **RAW,
    )
    return page_load


def _wire_start_board(board: StartBoard) -> None:
    """The start board is rebuilt when a value it is built from changes; clicks, drawings, uploads edit it."""
    # .change, not .input: a paste that sets the whole value at once is a change too
    board.text.change(
        events.to_text,
        inputs=[board.text],
        outputs=[board.source],
        api_name="text_source",
        api_visibility="private",
        queue=False,
    )
    rebuild = [board.source.change, board.seed.change, board.density.release, board.size.release]
    gr.on(
        [*rebuild, board.pattern.change, board.text.blur],
        events.make_board,
        inputs=board.inputs,
        outputs=[board.preview, board.rle],
        api_name="make_board",
        **RAW,
    )
    edited = [board.text, board.source, board.preview, board.rle]
    # A click carries the cell in its event data, which API callers cannot send: they use /toggle_cell.
    board.preview.select(
        events.click_cell,
        inputs=board.inputs,
        outputs=edited,
        api_name="click_cell",
        api_visibility="undocumented",
        **RAW,
    )
    gr.api(events.toggle_cell, api_name="toggle_cell")
    board.use_drawing.click(
        events.board_from_drawing,
        inputs=[board.editor, board.size],
        outputs=edited,
        api_name="board_from_drawing",
        **RAW,
    )
    board.upload.upload(
        events.read_upload, inputs=[board.upload, board.size], outputs=edited, api_name="read_upload", **RAW
    )


def _wire_episode(p: Page) -> gr.events.Dependency:
    """The page's Run (which also fills the downloads and refreshes a checkpoint typed since the last
    load), the API's /run_episode and /download, and Compare."""
    ep, cmp = p.episode, p.compare
    ran = ep.run.click(
        events.run_page,
        inputs=[*_episode_inputs(p), p.loaded],
        outputs=[*ep.outputs, ep.npz, ep.json, *_loaded_outputs(p)],
        api_name="run_page",
        api_visibility="private",
        concurrency_limit=RUN_CONCURRENCY,
        **RAW,
    )
    ep.api_run.click(
        events.run_episode,
        inputs=_episode_inputs(p),
        outputs=ep.outputs,
        api_name="run_episode",
        concurrency_limit=RUN_CONCURRENCY,
        **RAW,
    )
    ep.api_download.click(
        events.download, inputs=_episode_inputs(p), outputs=[ep.npz, ep.json], api_name="download", **RAW
    )
    cmp.run.click(
        events.compare,
        inputs=[cmp.names, *p.board.inputs],
        outputs=[cmp.panel, cmp.table, cmp.status],
        api_name="compare",
        concurrency_limit=RUN_CONCURRENCY,
        **RAW,
    )
    cmp.view.expand(lambda: None, api_visibility="private", api_name="compare_opened", queue=False)
    return ran


def _wire_views(p: Page, page_load: gr.events.Dependency, ran: gr.events.Dependency) -> None:
    """Intervene: the imagined board at step i when the view opens, the step moves, or a run ends
    while it is open; clicks flip its cells; "Run from the edit" continues the network from it.
    Beyond the paper: measured when the view opens, and on a load while it is open (``page_load``)."""
    iv, an = p.intervene, p.analysis
    iv_inputs = [*_episode_inputs(p), iv.step]
    imagined_outputs = [iv.board, iv.rle, iv.original]
    p.episode.steps.change(
        events.step_range,
        inputs=[p.episode.steps, iv.step],
        outputs=[iv.step],
        api_name="step_range",
        api_visibility="private",
        queue=False,
        **RAW,
    )
    for view, state, name in ((iv.view, p.intervene_open, "intervene"), (an.view, p.analysis_open, "analysis")):
        view.expand(events.opened, outputs=[state], api_name=f"{name}_opened", api_visibility="private", queue=False)
        view.collapse(events.closed, outputs=[state], api_name=f"{name}_closed", api_visibility="private", queue=False)
    gr.on(
        [iv.view.expand, iv.step.release, iv.show.click],
        events.imagined_board,
        inputs=iv_inputs,
        outputs=imagined_outputs,
        api_name="imagined_board",
        **RAW,
    )
    ran.success(
        events.when_open(events.imagined_board, 3),
        inputs=[*iv_inputs, p.intervene_open],
        outputs=imagined_outputs,
        api_name="imagined_board_if_open",
        api_visibility="private",
        **RAW,
    )
    iv.board.select(
        events.click_imagined,
        inputs=[iv.rle, iv.original],
        outputs=[iv.board, iv.rle],
        api_name="click_imagined_cell",
        api_visibility="undocumented",
        **RAW,
    )
    iv.rle.blur(
        events.show_edit,
        inputs=[iv.rle, iv.original],
        outputs=[iv.board],
        api_name="show_edit",
        api_visibility="private",
        **RAW,
    )
    iv.run.click(
        events.intervene,
        inputs=[*iv_inputs, iv.rle],
        outputs=[iv.panel, iv.status, iv.summary],
        api_name="intervene",
        concurrency_limit=RUN_CONCURRENCY,
        **RAW,
    )
    an.view.expand(events.analysis, inputs=[p.picker.checkpoint], outputs=an.outputs, api_name="analysis", **RAW)
