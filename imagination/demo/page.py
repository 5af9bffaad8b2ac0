"""The demo's page: its sections in order (sections.py), and the events that wire them.

``build_demo`` lays the page out and ``wire`` connects it: every event keeps the ``api_name``,
inputs and outputs the API documents (tests/test_app.py); what each one calls is in events.py.
The page is laid out for the environment of its default checkpoint; where the zoo holds several,
a visitor picks another and the page is set anew for it, its showcase run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import gradio as gr

from imagination import envs, zoo
from imagination.demo import events, handlers, style
from imagination.demo.sections import (
    AnalysisView,
    CheckpointPicker,
    CompareView,
    EmergenceView,
    EpisodeView,
    InterveneView,
    RuleAndScores,
    StartBoard,
    beyond_the_paper,
    checkpoint_picker,
    compare_view,
    emergence_view,
    environment_outputs,
    environment_updates,
    episode_view,
    intervene_view,
    rule_and_scores,
    section_of,
    start_board,
    start_outputs,
    start_updates,
)
from imagination.demo.server import checkpoint_choices, showcase

# Requests served at once per event; the rest wait in gradio's queue. A request waiting on a drawing
# worker leaves the server free for the next one, so a few beat one even on two cores
# (benchmarks/README.md).
RUN_CONCURRENCY = int(os.environ.get("IMAGINATION_APP_CONCURRENCY", "4"))
RAW = {"preprocess": False}  # every handler checks the raw values itself (inputs.*)


@dataclass
class Page:
    """Every section of the page, and the states events keep between them."""

    intro: gr.Markdown
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
    emergence: EmergenceView


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
    default = default_checkpoint or showcase()
    env = page_environment(default)
    handlers.use_environment(env)
    choices = checkpoint_choices(env.name)  # the picked environment's
    if default and default not in {n for _, n in choices}:
        choices = [(default, default), *choices]
    section = section_of(env)
    first = handlers.first_view(default)
    with gr.Blocks(
        title="imagination: what a recurrent network imagines",
        analytics_enabled=False,
        delete_cache=(1800, 3600),  # every 30 min, drop cached outputs older than an hour
    ) as demo:
        intro = gr.Markdown(style.intro(env, section.task), elem_id="intro")
        loaded = gr.State(first["loaded"])
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=320, elem_id="inputs"):
                picker = checkpoint_picker(choices, default, first, handlers.environment_choices(), env)
                board = start_board(env, section, first)
                rule = rule_and_scores(env, section, first)
            with gr.Column(scale=3, min_width=360, elem_id="results"):
                episode = episode_view(env, section, first)
        compare = compare_view([n for _, n in choices], default)
        intervene = intervene_view(env, section)
        analysis = beyond_the_paper()
        emergence = emergence_view(handlers.emergence_entries())
        page = Page(
            intro,
            loaded,
            picker,
            board,
            rule,
            episode,
            compare,
            intervene,
            analysis,
            gr.State(False),
            gr.State(False),
            emergence,
        )
        wire(page)
    demo.queue(default_concurrency_limit=RUN_CONCURRENCY)
    return demo


def wire(p: Page) -> None:
    """Every event of the page, each with its api_name (private ones too: a name is how a client finds it)."""
    page_load = _wire_checkpoint(p)
    _wire_start_board(p.board, p.picker.picked)
    ran = _wire_episode(p)
    _wire_environment(p)
    _wire_views(p, page_load, ran)
    _wire_emergence(p)


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


def _wire_start_board(board: StartBoard, picked: gr.State) -> None:
    """The start board is rebuilt when a value it is built from changes; clicks, drawings, uploads edit it,
    in the environment ``picked`` (a State the API does not see: an API call builds in the page's first)."""
    # .change, not .input: a paste that sets the whole value at once is a change too
    board.text.change(
        events.to_text,
        inputs=[board.text],
        outputs=[board.source],
        api_name="text_source",
        api_visibility="private",
        queue=False,
    )
    # the size on release of the slider, or as typed in its box (.input: a visitor's, never the page's own)
    rebuild = [board.source.change, board.seed.change, board.density.release, board.size.release, board.size.input]
    gr.on(
        [*rebuild, board.pattern.change, board.text.blur],
        events.make_board,
        inputs=[*board.inputs, picked],
        outputs=[board.preview, board.rle],
        api_name="make_board",
        **RAW,
    )
    edited = [board.text, board.source, board.preview, board.rle]
    # A click carries the cell in its event data, which API callers cannot send: they use /toggle_cell.
    board.preview.select(
        events.click_cell,
        inputs=[*board.inputs, picked],
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
        events.read_upload, inputs=[board.upload, board.size, picked], outputs=edited, api_name="read_upload", **RAW
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


def _wire_environment(p: Page) -> None:
    """Picking an environment sets the page anew for it (its checkpoints, start, sizes, words), then runs
    its showcase as Run does; /environment_board builds a start in any environment the zoo holds."""
    picked = p.picker.environment.input(
        events.choose_environment(environment_updates),
        inputs=[p.picker.environment],
        outputs=environment_outputs(p.intro, p.picker, p.board, p.rule, p.episode, p.compare, p.intervene),
        api_name="choose_environment",
        api_visibility="private",
        **RAW,
    )
    # then the start: a new source rebuilds the board (.change), now in the new environment and size
    started = picked.success(
        events.choose_environment(start_updates),
        inputs=[p.picker.picked],
        outputs=start_outputs(p.board),
        api_name="start_picked",
        api_visibility="private",
        **RAW,
    )
    ep = p.episode
    started.success(
        events.run_page,
        inputs=[*_episode_inputs(p), p.loaded],
        outputs=[*ep.outputs, ep.npz, ep.json, *_loaded_outputs(p)],
        api_name="run_picked",
        api_visibility="private",
        concurrency_limit=RUN_CONCURRENCY,
        **RAW,
    )
    api_board = gr.Button("environment_board", visible=False)
    api_board.click(
        events.environment_board,
        inputs=[p.picker.environment, *p.board.inputs],
        outputs=[p.board.preview, p.board.rle],
        api_name="environment_board",
        **RAW,
    )


def _wire_views(p: Page, page_load: gr.events.Dependency, ran: gr.events.Dependency) -> None:
    """Intervene: the imagined board at step i when the view opens, the step moves, or a run ends
    while it is open; clicks flip its cells; "Run from the edit" continues the network from it.
    Beyond the paper: measured when the view opens, and on a load while it is open (``page_load``)."""
    iv, an = p.intervene, p.analysis
    iv_inputs = [*_episode_inputs(p), iv.step]
    imagined_outputs = [iv.board, iv.rle, iv.original]
    p.episode.steps.change(
        events.step_range,
        inputs=[p.episode.steps, iv.step, p.picker.picked],
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


def _wire_emergence(p: Page) -> None:
    """Watch it emerge: opening the view or picking a checkpoint sets the slider to its snapshots and draws
    every regime's plot, then the start board at the last snapshot; moving the slider redraws the board."""
    em = p.emergence
    step_inputs = [em.checkpoint, em.snapshot, *p.board.inputs]
    step_outputs = [em.panel, em.step_status]
    shown = gr.on(
        [em.view.expand, em.checkpoint.input],
        events.emergence,
        inputs=[em.checkpoint],
        outputs=[em.snapshot, em.plot, em.status],
        api_name="emergence",
        **RAW,
    )
    shown.success(
        events.emergence_step,
        inputs=step_inputs,
        outputs=step_outputs,
        api_name="emergence_step_shown",
        api_visibility="private",
        **RAW,
    )
    em.snapshot.release(
        events.emergence_step,
        inputs=step_inputs,
        outputs=step_outputs,
        api_name="emergence_step",
        concurrency_limit=RUN_CONCURRENCY,
        **RAW,
    )
