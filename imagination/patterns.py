"""Classic Game of Life patterns and the community file formats (RLE and plaintext).

Boards are float32 tensors of 0.0 / 1.0 in the shape [H, W], like ``life.py``'s, so a parsed
pattern goes straight into ``life.step``, ``life.rollout`` or a model without conversion.

The parsers are written for text pasted by strangers: every failure is a ``PatternError`` (never
an IndexError or a MemoryError), it names the line and column of the first bad character, and
the size of the board is checked against ``max_cells`` before anything is allocated, so a run
count such as ``999999999o`` costs a few microseconds rather than gigabytes.
"""

from __future__ import annotations

import re
from itertools import pairwise

import numpy as np
import torch

from imagination import life

DEFAULT_MAX_CELLS = 256 * 256
RLE_LINE_WIDTH = 70

# Run counts longer than this are rejected before ``int()``: Python refuses to convert strings of
# more than 4300 digits (a ValueError, not ours), and no real pattern needs a count near 10**18.
_MAX_COUNT_DIGITS = 18

_DIGITS = "0123456789"
_RLE_DEAD = "b."
_RLE_ALIVE = "oA"
_RLE_EXPECTED = "expected digits, b, o, $ or !"
_PLAIN_ALIVE = "O*"
_PLAIN_BAD = re.compile(r"[^.O*]")
# How ``parse_pattern`` tells a headerless RLE body from a plaintext row: plaintext has none of these.
_RLE_MARKS = re.compile(r"[0-9bo$]")


class PatternError(ValueError):
    """Pattern text, or a request about a pattern, that cannot be honoured.

    A ValueError so code that already guards user input with ``except ValueError`` keeps working.
    ``line`` and ``column`` are 1-based (None when the problem has no single position) so an editor
    or the demo can put the cursor on the offending character; ``reason`` is the message without
    the position prefix.
    """

    def __init__(self, reason: str, line: int | None = None, column: int | None = None) -> None:
        self.reason = reason
        self.line = line
        self.column = column
        where = ""
        if line is not None:
            where = f"line {line}, column {column}: " if column is not None else f"line {line}: "
        super().__init__(where + reason)

    def __reduce__(self) -> tuple[type[PatternError], tuple[str, int | None, int | None]]:
        # The default pickling would replay only the formatted message and lose line / column,
        # which matters when errors cross a process boundary (a worker pool, a Gradio queue).
        return (type(self), (self.reason, self.line, self.column))


# Patterns as they appear on the LifeWiki, header and all, so this table doubles as a set of
# parser fixtures. Insertion order is the order a menu should show: still lifes, oscillators,
# spaceships, then the long-lived and growing ones.
PATTERNS: dict[str, str] = {
    "block": "#N Block\nx = 2, y = 2, rule = B3/S23\n2o$2o!",
    "beehive": "#N Beehive\nx = 4, y = 3, rule = B3/S23\nb2o$o2bo$b2o!",
    "loaf": "#N Loaf\nx = 4, y = 4, rule = B3/S23\nb2o$o2bo$bobo$2bo!",
    "boat": "#N Boat\nx = 3, y = 3, rule = B3/S23\n2o$obo$bo!",
    "tub": "#N Tub\nx = 3, y = 3, rule = B3/S23\nbo$obo$bo!",
    "blinker": "#N Blinker\nx = 3, y = 1, rule = B3/S23\n3o!",
    "toad": "#N Toad\nx = 4, y = 2, rule = B3/S23\nb3o$3o!",
    "beacon": "#N Beacon\nx = 4, y = 4, rule = B3/S23\n2o$o$3bo$2b2o!",
    "pulsar": (
        "!Name: Pulsar\n"
        "!A period-3 oscillator found by John Conway in 1970.\n"
        "..OOO...OOO..\n"
        ".............\n"
        "O....O.O....O\n"
        "O....O.O....O\n"
        "O....O.O....O\n"
        "..OOO...OOO..\n"
        ".............\n"
        "..OOO...OOO..\n"
        "O....O.O....O\n"
        "O....O.O....O\n"
        "O....O.O....O\n"
        ".............\n"
        "..OOO...OOO.."
    ),
    "pentadecathlon": "#N Pentadecathlon\nx = 10, y = 3, rule = B3/S23\n2bo4bo$2ob4ob2o$2bo4bo!",
    "glider": "#N Glider\n#O Richard K. Guy\nx = 3, y = 3, rule = B3/S23\nbo$2bo$3o!",
    "lwss": "#N Lightweight spaceship\nx = 5, y = 4, rule = B3/S23\nbo2bo$o$o3bo$4o!",
    "mwss": "#N Middleweight spaceship\nx = 6, y = 5, rule = B3/S23\n3bo$bo3bo$o$o4bo$5o!",
    "hwss": "#N Heavyweight spaceship\nx = 7, y = 5, rule = B3/S23\n3b2o$bo4bo$o$o5bo$6o!",
    "r-pentomino": "#N R-pentomino\nx = 3, y = 3, rule = B3/S23\nb2o$2o$bo!",
    "diehard": "#N Diehard\n#C Vanishes after 130 generations.\nx = 8, y = 3, rule = B3/S23\n6bo$2o$bo3b3o!",
    "acorn": "#N Acorn\n#C Takes 5206 generations to stabilise.\nx = 7, y = 3, rule = B3/S23\nbo$3bo$2o2b3o!",
    "glider-gun": (
        "#N Gosper glider gun\n"
        "#O Bill Gosper\n"
        "#C The first known gun: a new glider every 30 generations.\n"
        "x = 36, y = 9, rule = B3/S23\n"
        "24bo$22bobo$12b2o6b2o12b2o$11bo3bo4b2o12b2o$2o8bo5bo3b2o$2o8bo3bob2o4b\n"
        "obo$10bo5bo7bo$11bo3bo$12b2o!"
    ),
}

# Other names people type for the same patterns (after lower-casing, '_' and ' ' become '-').
_ALIASES: dict[str, str] = {
    "gosper-glider-gun": "glider-gun",
    "gosper-gun": "glider-gun",
    "gun": "glider-gun",
    "r": "r-pentomino",
    "rpentomino": "r-pentomino",
    "lightweight-spaceship": "lwss",
    "middleweight-spaceship": "mwss",
    "heavyweight-spaceship": "hwss",
}


def pattern_names() -> list[str]:
    """The names ``pattern`` accepts, in menu order (still lifes first, growing patterns last)."""
    return list(PATTERNS)


def pattern(name: str) -> torch.Tensor:
    """The named classic pattern cropped to its live cells: [h, w] float32 0/1, a fresh copy.

    Names are forgiving about case, spaces and underscores ("Glider Gun", "r_pentomino") because
    they come from users and URLs; an unknown name lists the known ones instead of guessing.
    """
    key = "-".join(name.strip().lower().replace("_", " ").replace("-", " ").split())
    key = _ALIASES.get(key, key)
    if key not in PATTERNS:
        raise PatternError(f"unknown pattern {name!r}; known patterns: {', '.join(PATTERNS)}")
    return trim(parse_pattern(PATTERNS[key]))


def trim(board: torch.Tensor) -> torch.Tensor:
    """The smallest sub-board holding every live cell ([0, 0] for an all-dead board).

    Pattern files often carry margins; cropping makes ``place`` offsets and centring refer to the
    pattern itself rather than to however the file happened to be drawn.
    """
    cells = _cells(board)
    rows = np.flatnonzero(cells.any(axis=1))
    cols = np.flatnonzero(cells.any(axis=0))
    if rows.size == 0:
        return torch.zeros(0, 0)
    return _tensor(cells[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])


def place(pattern: torch.Tensor, size: int | tuple[int, int], offset: tuple[int, int] | None = None) -> torch.Tensor:
    """An empty board of ``size`` with ``pattern`` at ``offset`` (row, col), or centred if None.

    A pattern that would hang over the edge is an error rather than silently clipped: clipping
    turns a glider into a different (usually dying) pattern, and that is never what was asked.
    """
    if pattern.dim() != 2:
        raise PatternError(f"a pattern must be a 2-D [h, w] tensor, got shape {tuple(pattern.shape)}")
    height, width = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    if height < 0 or width < 0:
        raise PatternError(f"board size must not be negative, got {height} x {width}")
    h, w = pattern.shape
    if offset is None:
        if h > height or w > width:
            raise PatternError(
                f"a pattern of {h} rows x {w} columns does not fit on a board of {height} rows x {width} columns"
            )
        row, col = (height - h) // 2, (width - w) // 2
    else:
        row, col = int(offset[0]), int(offset[1])
        if row < 0 or col < 0 or row + h > height or col + w > width:
            raise PatternError(
                f"a pattern of {h} rows x {w} columns at offset (row {row}, column {col}) does not fit on a board "
                f"of {height} rows x {width} columns; it would cover rows {row}..{row + h - 1} and "
                f"columns {col}..{col + w - 1}"
            )
    board = torch.zeros(height, width, dtype=torch.float32, device=pattern.device)
    board[row : row + h, col : col + w] = (pattern > 0.5).float()
    return board


# ---------------------------------------------------------------------------------------------
# RLE


def parse_rle(text: str, max_cells: int = DEFAULT_MAX_CELLS, *, require_header: bool = False) -> torch.Tensor:
    """An RLE pattern (https://conwaylife.com/wiki/Run_Length_Encoded) as an [H, W] board.

    With a header the board has exactly the header's x by y size, so blank margins survive a
    round trip through ``write_rle``; a headerless body (as people paste from forums) gets the
    extent of the cells it spells out. ``require_header`` is for callers that need the size to be
    declared rather than inferred.
    """
    board, _ = _parse_rle(text, max_cells, require_header)
    return board


def parse_rle_with_rule(text: str, max_cells: int = DEFAULT_MAX_CELLS) -> tuple[torch.Tensor, str | None]:
    """Like ``parse_rle``, also returning the header's rule text as written (None when absent).

    The rule is returned verbatim rather than validated, since whether e.g. "B36/S23" is acceptable
    is the caller's business; ``life.parse_rule`` turns it into a rule.
    """
    return _parse_rle(text, max_cells, False)


def write_rle(board: torch.Tensor, rule: str | life.Rule | None = life.LIFE, name: str | None = None) -> str:
    """Canonical RLE for ``board``: header, runs wrapped at 70 characters, ``!``; no final newline.

    ``rule=None`` leaves the rule out of the header (RLE allows it): a frame of another environment.

    The header keeps the board's full size (not the live cells' bounding box) so that
    ``parse_rle(write_rle(b))`` gives back ``b`` exactly, margins and all-dead boards included.
    Trailing dead cells of a row and trailing empty rows are left to the header, as Golly does.
    """
    cells = _cells(board)
    height, width = cells.shape
    lines = [f"#N {' '.join(name.split())}"] if name and name.strip() else []
    lines.append(f"x = {width}, y = {height}" + ("" if rule is None else f", rule = {life.parse_rule(rule)}"))

    tokens: list[str] = []
    last_row = 0
    for r in range(height):
        alive = np.flatnonzero(cells[r])
        if alive.size == 0:
            continue
        if r > last_row:
            tokens.append(_run(r - last_row, "$"))
        last_row = r
        row = cells[r, : alive[-1] + 1].astype(np.int8)
        bounds = [0, *(np.flatnonzero(np.diff(row)) + 1).tolist(), row.size]
        tokens.extend(_run(b - a, "o" if row[a] else "b") for a, b in pairwise(bounds))
    tokens.append("!")

    body = ""
    for token in tokens:
        if len(body) + len(token) > RLE_LINE_WIDTH:
            lines.append(body)
            body = ""
        body += token
    lines.append(body)
    return "\n".join(lines)


def _run(n: int, tag: str) -> str:
    return f"{n}{tag}" if n > 1 else tag


def _parse_rle(text: str, max_cells: int, require_header: bool) -> tuple[torch.Tensor, str | None]:
    _check_input(text, max_cells)
    lines = text.split("\n")
    first = 0
    while first < len(lines) and (not lines[first].strip() or lines[first].lstrip().startswith("#")):
        first += 1
    if first == len(lines):
        raise PatternError("no pattern: the RLE has only comment lines")

    size: tuple[int, int] | None = None
    rule: str | None = None
    if lines[first].lstrip()[:1] in ("x", "X"):
        width, height, rule = _parse_header(lines[first], first + 1, max_cells)
        size = (height, width)
        first += 1
    elif require_header:
        raise PatternError("missing RLE header (expected 'x = <width>, y = <height>, rule = B3/S23')", first + 1, 1)

    runs, extent = _scan_rle_body(lines, first, size, max_cells)
    if size is None:
        if extent is None:
            raise PatternError("the RLE has no header and no cells, so its size is unknown")
        size = extent
    cells = np.zeros(size, dtype=bool)
    for r, a, b in runs:
        cells[r, a:b] = True
    return _tensor(cells), rule


def _scan_rle_body(
    lines: list[str], first: int, size: tuple[int, int] | None, max_cells: int
) -> tuple[list[tuple[int, int, int]], tuple[int, int] | None]:
    """The live runs (row, start, stop) of an RLE body and, for a headerless one, its extent.

    Runs are only recorded, never expanded, and every run is checked against the header's box
    or ``max_cells`` as soon as it is read: that is what keeps ``999999999o`` cheap.
    """
    runs: list[tuple[int, int, int]] = []
    row = col = 0
    width = height = 0  # headerless extent so far: cells spelt out, dead ones included
    digits = ""
    digits_at = (0, 0)
    digits_closed = False  # whitespace followed the count: "1 2o" must not read as 12
    for index in range(first, len(lines)):
        line = lines[index]
        lineno = index + 1
        if not digits and line.lstrip().startswith("#"):
            continue
        for column, ch in enumerate(line, start=1):
            if ch in _DIGITS:
                if digits_closed:
                    raise PatternError("a run count cannot be split by whitespace", lineno, column)
                if not digits:
                    digits_at = (lineno, column)
                digits += ch
                continue
            if ch.isspace():
                digits_closed = bool(digits)
                continue
            if ch == "!":
                if digits:
                    raise PatternError(
                        f"unexpected character '!' after the run count {digits[:12]} (expected b, o or $)",
                        lineno,
                        column,
                    )
                return runs, ((height, width) if height else None)
            if ch not in "$" + _RLE_DEAD + _RLE_ALIVE:
                raise PatternError(f"unexpected character {ch!r} in RLE ({_RLE_EXPECTED})", lineno, column)

            n = 1
            if digits:
                if len(digits) > _MAX_COUNT_DIGITS:
                    raise PatternError(
                        f"run count {digits[:12]}... has {len(digits)} digits; the limit is {max_cells} cells",
                        *digits_at,
                    )
                n = int(digits)
                if n == 0:
                    raise PatternError("run count of zero (a count must be at least 1)", *digits_at)
            where = digits_at if digits else (lineno, column)
            digits, digits_closed = "", False

            if ch == "$":
                row, col = row + n, 0
                continue
            start, col = col, col + n
            alive = ch in _RLE_ALIVE
            if size is not None:
                # Dead cells beyond the box are harmless and some writers emit them; live ones are not.
                if alive and row >= size[0]:
                    raise PatternError(
                        f"content is taller than the header's y = {size[0]} (live cells on row {row + 1})", *where
                    )
                if alive and col > size[1]:
                    raise PatternError(
                        f"content is wider than the header's x = {size[1]} "
                        f"(row {row + 1} has live cells up to column {col})",
                        *where,
                    )
            else:
                if max(width, col) * (row + 1) > max_cells:
                    raise PatternError(
                        f"pattern is {max(width, col)} x {row + 1} cells; the limit is {max_cells}", *where
                    )
                width, height = max(width, col), row + 1
            if alive:
                runs.append((row, start, col))
    if digits:
        raise PatternError(
            f"run count {digits[:12]} at the end of the input has no tag (expected b, o or $)", *digits_at
        )
    return runs, ((height, width) if height else None)


# The header's grammar as (token, what the error should say was expected, whether it is a number).
_HEADER_STEPS: list[tuple[re.Pattern[str], str, bool]] = [
    (re.compile(r"x", re.IGNORECASE), "'x = <width>'", False),
    (re.compile(r"="), "'=' after x", False),
    (re.compile(r"[0-9]+"), "the width, a number", True),
    (re.compile(r","), "',' after the width", False),
    (re.compile(r"y", re.IGNORECASE), "'y = <height>'", False),
    (re.compile(r"="), "'=' after y", False),
    (re.compile(r"[0-9]+"), "the height, a number", True),
]
_HEADER_RULE_STEPS: list[tuple[re.Pattern[str], str, bool]] = [
    (re.compile(r","), "',' and a rule, or the end of the line", False),
    (re.compile(r"rule", re.IGNORECASE | re.ASCII), "'rule = <rule>'", False),
    (re.compile(r"="), "'=' after rule", False),
]
_RULE_TEXT = re.compile(r"\S+")


def _parse_header(line: str, lineno: int, max_cells: int) -> tuple[int, int, str | None]:
    """x, y and the rule (None when absent) of an ``x = m, y = n[, rule = ...]`` header line.

    A token-by-token match rather than one regex, so a bad header is reported at the exact
    character that went wrong along with what was expected there.
    """
    line = line.rstrip()
    pos = 0
    numbers: list[tuple[str, int]] = []

    steps = _HEADER_STEPS
    rule = None
    while True:
        for token, what, is_number in steps:
            pos = _skip(line, pos)
            m = token.match(line, pos)
            if m is None:
                found = f"unexpected character {line[pos]!r}" if pos < len(line) else "unexpected end of line"
                raise PatternError(f"{found} in the RLE header (expected {what})", lineno, pos + 1)
            if is_number:
                numbers.append((m.group(), pos + 1))
            pos = m.end()
        if steps is _HEADER_RULE_STEPS:
            pos = _skip(line, pos)
            m = _RULE_TEXT.match(line, pos)
            if m is None:
                raise PatternError(
                    "unexpected end of line in the RLE header (expected a rule such as B3/S23)", lineno, pos + 1
                )
            rule, pos = m.group(), _skip(line, m.end())
            if pos < len(line):
                raise PatternError(
                    f"unexpected character {line[pos]!r} in the RLE header (expected the end of the line)",
                    lineno,
                    pos + 1,
                )
            break
        if _skip(line, pos) == len(line):
            break
        steps = _HEADER_RULE_STEPS

    for digits, column in numbers:
        if len(digits) > _MAX_COUNT_DIGITS:
            raise PatternError(
                f"header size {digits[:12]}... has {len(digits)} digits; the limit is {max_cells} cells", lineno, column
            )
    x, y = int(numbers[0][0]), int(numbers[1][0])
    if x * y > max_cells or x > max_cells or y > max_cells:
        raise PatternError(f"pattern is {x} x {y} cells; the limit is {max_cells}", lineno, 1)
    return x, y, rule


def _skip(line: str, pos: int) -> int:
    while pos < len(line) and line[pos].isspace():
        pos += 1
    return pos


# ---------------------------------------------------------------------------------------------
# Plaintext


def parse_plaintext(text: str, max_cells: int = DEFAULT_MAX_CELLS) -> torch.Tensor:
    """A plaintext ``.cells`` pattern (https://conwaylife.com/wiki/Plaintext) as an [H, W] board.

    ``!`` lines are comments; ``.`` is dead and ``O`` (or ``*``, as older files write it) alive.
    Short rows are padded with dead cells because the format lets writers drop trailing dots;
    blank lines inside the pattern are all-dead rows, while blank lines around it are taken to
    be paste debris and dropped.
    """
    _check_input(text, max_cells)
    rows: list[tuple[int, str]] = []
    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip()
        if not line.lstrip().startswith("!"):
            rows.append((lineno, line))
    begin = next((i for i, (_, s) in enumerate(rows) if s), len(rows))
    end = next((i for i in range(len(rows), 0, -1) if rows[i - 1][1]), 0)
    rows = rows[begin:end]
    if not rows:
        raise PatternError("no pattern: the plaintext has only comment lines")
    for lineno, line in rows:
        bad = _PLAIN_BAD.search(line)
        if bad is not None:
            raise PatternError(
                f"unexpected character {bad.group()!r} in plaintext (expected '.', 'O' or '*')", lineno, bad.start() + 1
            )
    height, width = len(rows), max(len(line) for _, line in rows)
    if height * width > max_cells:
        raise PatternError(f"pattern is {width} x {height} cells; the limit is {max_cells}")
    cells = np.zeros((height, width), dtype=bool)
    for r, (_, line) in enumerate(rows):
        codes = np.frombuffer(line.encode("ascii"), dtype=np.uint8)
        cells[r, : codes.size] = (codes == ord("O")) | (codes == ord("*"))
    return _tensor(cells)


def write_plaintext(board: torch.Tensor, name: str | None = None) -> str:
    """Plaintext for ``board``: an optional ``!Name:`` line, then every row in full; no final newline.

    Rows keep their trailing dots (the format allows dropping them) so the board's width, and a
    trailing all-dead row, survive a round trip through ``parse_plaintext``.
    """
    cells = _cells(board)
    height, width = cells.shape
    if height == 0 or width == 0:
        raise PatternError(f"plaintext cannot represent an empty {height} x {width} board; use write_rle")
    lines = [f"!Name: {' '.join(name.split())}"] if name and name.strip() else []
    lines.extend("".join(row) for row in np.where(cells, "O", "."))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Either format


def parse_pattern(text: str, max_cells: int = DEFAULT_MAX_CELLS) -> torch.Tensor:
    """A pattern in whichever community format ``text`` is in, so users can paste either.

    RLE is recognised by a ``#`` comment or an ``x =`` header, or, headerless, by a first pattern
    line using RLE's digits, ``b``, ``o`` or ``$`` (none of which plaintext allows); anything else
    is read as plaintext, so the error for nonsense points into the format the text resembles.
    """
    return parse_rle(text, max_cells) if _looks_like_rle(text) else parse_plaintext(text, max_cells)


def _looks_like_rle(text: str) -> bool:
    for raw in text.split("\n"):
        line = raw.strip()
        if not line or line.startswith("!"):  # a plaintext comment, or RLE's lone terminator
            continue
        return line.startswith(("#", "x", "X")) or _RLE_MARKS.search(line) is not None
    return False


# ---------------------------------------------------------------------------------------------
# Helpers


def _check_input(text: str, max_cells: int) -> None:
    if not isinstance(text, str):
        raise TypeError(f"pattern text must be a str, got {type(text).__name__}")
    if isinstance(max_cells, bool) or not isinstance(max_cells, int) or max_cells < 1:
        raise ValueError(f"max_cells must be a positive int, got {max_cells!r}")
    if not text.strip():
        raise PatternError("empty input: no pattern text")


def _cells(board: torch.Tensor) -> np.ndarray:
    """The board as a numpy bool array, refusing batches: the formats hold exactly one board."""
    if board.dim() != 2:
        raise ValueError(f"expected one [H, W] board, got shape {tuple(board.shape)}")
    t = board.detach().cpu()
    return (t > 0.5).numpy() if t.is_floating_point() else t.bool().numpy()


def _tensor(cells: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(cells, dtype=np.float32))
