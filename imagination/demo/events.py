"""What each Gradio event calls: a handler (handlers.py), its answer as Gradio applies it.

Events run with ``preprocess=False``: each gets the raw values a client sent, gathers an episode's
into one ``EpisodeRequest``, and passes them on. Here, and only here, answers become Gradio's
(``gr.skip()`` for an output left as it is, a slider's new range) and failures one line that
names no internals: a ``gr.Error`` for the API, a warning and cleared results on the page.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import gradio as gr

from imagination.demo import handlers, inputs, intervention, presenters
from imagination.demo.handlers import BOARD_FIELDS, FIELDS, EpisodeRequest, logger

F = TypeVar("F", bound=Callable[..., Any])
LOADED_OUTPUTS = 5  # checkpoint status, card scores, steps, rule, the loaded checkpoint's key


def friendly(fn: F) -> F:
    """Turn any exception into a gr.Error with a one-line message, so the app keeps working."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as e:
            msg = handlers.message_of(e)
            if msg is None:  # a bug: log the traceback, show one line that names no internals
                logger.exception("unexpected error in %s", fn.__name__)
                msg = f"The server could not answer this request ({fn.__name__}); the error was logged."
            raise gr.Error(msg, print_exception=False) from None

    return wrapper  # type: ignore[return-value]


def page_error(e: BaseException, where: str) -> str:
    """A failure of a page event as a warning toast; the message, for the status line."""
    msg = handlers.message_of(e)
    if msg is None:
        logger.exception("unexpected error in %s", where)
        msg = "the server could not answer this request; the error was logged."
    gr.Warning(msg)
    return msg


def skip(n: int) -> tuple[Any, ...]:
    return tuple(gr.skip() for _ in range(n))


# ---------------------------------------------------------------------------------------------
# The API: one request in, the handler's answer out. Gradio names an endpoint's parameters (and
# marks the optional ones) from its function's signature, so each event gets one parameter per value.


def _endpoint(event: Callable[..., Any], handler: Callable[..., Any], names: Sequence[str], defaults: Mapping) -> Any:
    functools.update_wrapper(event, handler, assigned=("__module__", "__name__", "__qualname__", "__doc__"))
    P = inspect.Parameter
    event.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [P(name, P.POSITIONAL_OR_KEYWORD, default=defaults.get(name, P.empty)) for name in names]
    )
    return friendly(event)


def episode_endpoint(handler: Callable[..., Any], **extra: Any) -> Callable[..., Any]:
    """``handler(request, *extra)`` taking the request's fields one by one, then ``extra`` (name=default)."""

    def event(*raw: Any) -> Any:
        return handler(EpisodeRequest.from_args(*raw[: len(FIELDS)]), *raw[len(FIELDS) :])

    return _endpoint(event, handler, [*FIELDS, *extra], {"rule": None, **extra})


def board_endpoint(handler: Callable[..., Any], *leading: str, picked: bool = False) -> Callable[..., Any]:
    """``handler(*leading, request)`` taking ``leading`` values, then the start board's fields one by one.

    ``picked``: one value more, last, the environment a visitor picked on the page (a State, which the API
    neither shows nor takes: an API call builds its board in the page's first environment), passed on.
    """
    n = len(leading)

    def event(*raw: Any) -> Any:
        request = EpisodeRequest.for_board(*raw[n : n + len(BOARD_FIELDS)])
        return handler(*raw[:n], request, *raw[n + len(BOARD_FIELDS) :])

    return _endpoint(event, handler, [*leading, *BOARD_FIELDS, *(["environment"] if picked else [])], {})


load_checkpoint = friendly(handlers.load_checkpoint)
checkpoint_rule = friendly(handlers.checkpoint_rule)
make_board = board_endpoint(handlers.make_board, picked=True)
environment_board = board_endpoint(handlers.environment_board, "environment")
board_from_drawing = friendly(handlers.board_from_drawing)
read_upload = friendly(handlers.read_upload)
run_episode = episode_endpoint(handlers.run_episode)
download = episode_endpoint(handlers.download)
compare = board_endpoint(handlers.compare, "checkpoints")
imagined_board = episode_endpoint(intervention.imagined_board, step=1)
intervene = episode_endpoint(intervention.intervene, step=1, edited_rle=None)
analysis = friendly(handlers.analysis)
emergence_step = board_endpoint(handlers.emergence_step, "checkpoint", "snapshot")


@friendly
def emergence(checkpoint: Any) -> tuple[Any, str, str]:
    """A checkpoint's training snapshots: the slider over them (at the last), every regime's plot, status."""
    last, plot, status = handlers.emergence(checkpoint)
    return gr.Slider(minimum=0, maximum=last, value=last), plot, status


@friendly
def toggle_cell(source: str, seed: int, density: float, size: int, pattern: str, text: str, row: int, col: int) -> str:
    """The start board with cell (row, col) flipped, as RLE (what a click on the board does)."""
    return handlers.toggle_cell(EpisodeRequest.for_board(source, seed, density, size, pattern, text), row, col)


# A click carries its pixel in the event data, which Gradio hands to the parameter typed gr.SelectData.
def click_cell(
    source: Any, seed: Any, density: Any, size: Any, pattern: Any, text: Any, environment: Any, evt: gr.SelectData
) -> tuple[Any, ...]:
    """A click on the start board flips the cell under it; the board becomes RLE text (source 'text').

    A click refused (a maze's start or goal walled in) is a warning, and the board stays as it was.
    """
    try:
        request = EpisodeRequest.for_board(source, seed, density, size, pattern, text)
        return handlers.click_cell(request, evt.index, environment)
    except Exception as e:
        page_error(e, "click_cell")
        return skip(4)


@friendly
def click_imagined(edited_rle: Any, original_rle: Any, evt: gr.SelectData) -> tuple[Any, str]:
    """A click on the imagined board flips the cell under it (edited cells are coloured)."""
    return intervention.click_imagined(edited_rle, original_rle, evt.index)


def choose_environment(updates: Callable[[handlers.EnvironmentView], list[Any]]) -> Callable[[Any], list[Any]]:
    """The page's environment picker: the picked environment's view (handlers), set on the page's widgets
    by ``updates`` (sections.environment_updates, which knows them)."""

    @friendly
    def choose_environment(name: Any) -> list[Any]:
        """The page in the picked environment: its checkpoints, start widgets and words, its first start."""
        return updates(handlers.environment_view(name))

    return choose_environment


# ---------------------------------------------------------------------------------------------
# The page's own events (private): one event computes everything a run shows, so what is shown
# and what is offered for download always come from the same inputs; failures clear stale results.


def load_page(name: Any, loaded: Any) -> tuple[Any, ...]:
    """The page's checkpoint field: load on select, Enter, blur or the Load button (once per name).

    Resets steps and rule to the checkpoint's own; on failure the status says so and the old
    checkpoint's scores are cleared, so nothing on the page claims a load that did not happen.
    """
    try:
        if not handlers.checkpoint_name(name):
            return handlers.PICK_A_CHECKPOINT, [], None, None, ""
        if handlers.resolve(name) == loaded:
            return skip(LOADED_OUTPUTS)
        return handlers.loaded(*handlers.load_model(name))
    except Exception as e:
        msg = page_error(e, "load_checkpoint")
        return f"**Not loaded**: {msg}", [], gr.skip(), gr.skip(), ""


def load_on_enter(name: Any, loaded: Any, evt: gr.KeyUpData) -> tuple[Any, ...]:
    """Enter in the checkpoint field loads what was typed (other keys do nothing)."""
    if evt.key != "Enter":
        return skip(LOADED_OUTPUTS)
    return load_page(evt.input_value if isinstance(evt.input_value, str) else name, loaded)


def run_page(*args: Any) -> tuple[Any, ...]:
    """The page's Run: the episode, its downloads, and, if the checkpoint field changed since the
    last load, that checkpoint's status, steps and rule (its own, not the previous checkpoint's)."""
    *raw, loaded = args
    try:
        request = EpisodeRequest.from_args(*raw)
        fresh = handlers.resolve(request.checkpoint) != loaded
        if fresh:  # typed but not loaded yet: the old checkpoint's steps and rule do not apply
            request = dataclasses.replace(request, steps=None, rule=None)
        r = handlers.run(request)
        extra = handlers.loaded(r.key, r.model) if fresh else skip(LOADED_OUTPUTS)
        return (*handlers.episode_outputs(r), *handlers.downloads(r), *extra)
    except Exception as e:
        msg = page_error(e, "run_episode")
        table = {"headers": presenters.STEP_HEADERS, "data": []}
        cleared = (None, None, None, table, f"**Run failed**: {msg}", None, None, None)
        return (*cleared, *skip(LOADED_OUTPUTS))


def step_range(steps: Any, step: Any, environment: Any = None) -> Any:
    """The step slider's range: 0..the model steps field (left as is while that is empty or invalid)."""
    got = intervention.step_range(steps, step, environment)
    return gr.skip() if got is None else gr.Slider(minimum=0, maximum=got[0], value=got[1])


def show_edit(edited_rle: Any, original_rle: Any) -> Any:
    """The edited board typed or pasted as text, redrawn (nothing while it does not parse)."""
    image = intervention.show_edit(edited_rle, original_rle)
    return gr.skip() if image is None else image


def when_open(fn: Callable[..., Any], outputs: int) -> Callable[..., Any]:
    """``fn`` for a view that is open (its last input, a State, says so); nothing while it is closed."""

    def wrapper(*args: Any) -> Any:
        *rest, is_open = args
        if not is_open:
            return skip(outputs) if outputs > 1 else gr.skip()
        return fn(*rest)

    return wrapper


def to_text(text: Any) -> Any:
    """Typing or pasting into the pattern text makes it the board's source (emptying it does not)."""
    return inputs.TEXT_SOURCE if isinstance(text, str) and text.strip() else gr.skip()


def opened() -> bool:
    return True


def closed() -> bool:
    return False
