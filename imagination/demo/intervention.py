"""The intervene view as plain functions: edit what the network imagines at step i, and watch the rest of its
imagination follow (or not).

The imagined frame at a step is shown to be clicked (a Life cell flipped, a maze pixel walled or opened) or
edited as text; running from the edit replaces the hidden state there by the encoding of the edited frame
(``episode.intervene``: a model that recalls its input recalls the edited frame from then on).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from imagination import episode, figures
from imagination.analysis import solving
from imagination.demo import inputs, presenters
from imagination.demo.handlers import DRAWING, OUTPUTS, EpisodeRequest, environment, file_tag, run, shown_steps
from imagination.demo.inputs import InputError


def _step_index(step: Any, steps: int) -> int:
    return inputs.whole_number(step, "the step to edit", 0, steps)


def _imagined_view(board: np.ndarray, reference: np.ndarray | None) -> np.ndarray:
    return figures.edited_board_image(board, reference, inputs.preview_scale(board.shape[0]))


def _reference(original_rle: Any, shape: tuple[int, ...]) -> np.ndarray | None:
    try:
        ref = inputs.parse_text(original_rle, None)
    except (InputError, ValueError, TypeError):
        return None
    return ref if ref.shape == shape else None


def imagined_board(request: EpisodeRequest, step: Any = 1) -> tuple[np.ndarray, str, str]:
    """The imagined board (decoding > 0.5) at model step ``step``: (image, RLE) to edit by clicking cells.

    A third output, the same RLE, is the page's memory of the unedited board (a State: not in the API).
    """
    ep = run(request).ep
    board = ep.imagined[_step_index(step, ep.steps)]
    rle = inputs.board_rle(board, ep.rule)
    return _imagined_view(board, None), rle, rle


def click_imagined(edited_rle: Any, original_rle: Any, index: Any) -> tuple[np.ndarray, str]:
    """A click on the imagined board flips the cell under it (edited cells are coloured)."""
    board = inputs.parse_text(edited_rle, None, what="Edited board")
    board = inputs.toggled(board, *inputs.clicked_cell(board, index))
    return _imagined_view(board, _reference(original_rle, board.shape)), inputs.board_rle(
        board, inputs.rle_rule(edited_rle)
    )


def show_edit(edited_rle: Any, original_rle: Any) -> np.ndarray | None:
    """The edited board typed or pasted as text, redrawn (None while it does not parse)."""
    try:
        board = inputs.parse_text(edited_rle, None)
    except (InputError, ValueError, TypeError):
        return None
    return _imagined_view(board, _reference(original_rle, board.shape))


def step_range(steps: Any, step: Any, environment_name: Any = None) -> tuple[int, int] | None:
    """The step slider's (maximum, value): 0..the model steps field (None while that is empty or invalid)."""
    try:
        n = inputs.whole_number(steps, "steps", 1, environment(environment_name).max_steps)
    except InputError:  # empty (the checkpoint's default, set when it loads) or half-typed
        return None
    try:
        value = min(max(int(step), 0), n)
    except (TypeError, ValueError):
        value = min(1, n)
    return n, value


def intervene(request: EpisodeRequest, step: Any = 1, edited_rle: Any = None) -> tuple[str, str, dict[str, Any]]:
    """Replace the imagined board at model step ``step`` by ``edited_rle`` and let the network imagine on.

    (panel PNG, status with the comparison to the original run, summary). From ``step`` on the
    true frames are the game's continuation of the edited board, so the scores say whether the
    rest of the imagination, and the final answer, follow the edit. For a summary-task checkpoint
    the status and summary also say how its task answer (count, patch or grid) changed.
    """
    r = run(request)
    base, cfg = r.ep, r.model.config
    i = _step_index(step, base.steps)
    new = inputs.edited_board(edited_rle, r.board.shape)
    ep = episode.intervene(r.model, r.board, i, new, base.steps, base.rule)
    before, after = presenters.task_answers(base, cfg), presenters.task_answers(ep, cfg)
    answers = (before, after) if before is not None and after is not None else None
    tag = file_tag(r.key, ep.steps, inputs.board_digest(r.board), ep.rule, i, inputs.board_digest(new))
    columns, _ = shown_steps(ep.steps, solving(base, cfg.env), i)
    png = DRAWING.run(figures.intervention_panel_png, ep, i, None, cfg.env, columns)
    panel = OUTPUTS.write(f"{tag}-intervened.png", png)
    status, summary = presenters.intervention(r.shown, r.what, cfg, r.board, base, ep, i, new, answers)
    return panel, status, summary
