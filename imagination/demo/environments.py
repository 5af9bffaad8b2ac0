"""What an environment adds to the demo's page: its words, menus and ranges, one section an environment.

The page asks the environment itself for what it knows (its sources, sizes, step limit, rule menu,
words for a frame); this module says the rest, how the page reads in it (``life_section``,
``maze_section``), and is the one place the page names an environment. ``section_of`` picks an
environment's section by its name, and a plain one for an environment without one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from imagination import envs, patterns

INTERVENE_ABOUT = (
    "Pick a model step i: the {frame} the network imagines there is shown below. Click {cells} to flip them, "
    "then run from the edit: the hidden state at step i is replaced by the encoding of the edited {frame} and "
    "the network imagines on. From step i on, the true frames are {continuation}, so the scores say whether "
    "the rest of the imagination, and the final answer, follow the edit. Blue: made {alive} by the edit; "
    "pale red: made {dead}."
)


@dataclass(frozen=True)
class EnvironmentSection:
    """The page's words and menus in one environment (its sources read seed, density, pattern)."""

    seed_label: str
    density_label: str  # empty: the environment's starts take no density (the slider is hidden)
    pattern_label: str  # the menu of named starts
    pattern_choices: list[str] = field(default_factory=list)
    pattern_default: str | None = None
    text_example: str = ""  # a start frame as pattern text, shown in the empty text box
    rule_info: str = ""  # what the rule field does
    heading: str = "## 2. Start board"
    size_label: str = "Board size"
    steps_label: str = "Model steps"
    text_label: str = "RLE or plaintext (.cells): paste or type; upload, draw, or click cells of the board"
    paint: bool = True  # offer the brush (a canvas cut into cells)
    cells: str = "cells"  # what a click flips
    continuation: str = "the game's continuation of the edited board"  # the true frames after an edit
    task: str = ""  # what the network is trained to predict, for the page's introduction ("": in general words)

    def intervene_about(self, env: envs.Environment) -> str:
        """The intervene view's explanation, in this environment's words."""
        return INTERVENE_ABOUT.format(
            frame=env.frame_word, cells=self.cells, continuation=self.continuation, alive=env.alive_word,
            dead=env.dead_word,
        )  # fmt: skip


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


def maze_section() -> EnvironmentSection:
    """A maze's: a random maze of a size in cells from a seed, or one pasted, uploaded or edited pixel by pixel
    (any maze whose start and goal are open: dead-end filling is defined on every one); no rule, no brush."""
    return EnvironmentSection(
        seed_label="Seed",
        density_label="",
        pattern_label="",
        text_example=".......\n.O.OOO.\n.O...O.\n.OOOOO.\n.....O.\n.OOOOO.\n.......",
        heading="## 2. Start maze",
        size_label="Maze size (cells a side)",
        steps_label="Iterations",
        text_label="A maze as plaintext (O open, . wall) or RLE: paste or type, upload, or click pixels of the "
        "maze to toggle walls (start, top-left, and goal, bottom-right, stay open)",
        paint=False,
        cells="pixels",
        continuation="dead-end filling of the edited maze",
        task="the solution of a maze, the path dead-end filling leaves, in as many steps as filling takes rounds",
    )


def plain_section() -> EnvironmentSection:
    """An environment without a section of its own: a seed and a density, no named starts."""
    return EnvironmentSection(seed_label="Seed", density_label="Density", pattern_label="Named start")


SECTIONS = {"life": life_section, "maze": maze_section}  # environment name -> its section


def section_of(env: envs.Environment) -> EnvironmentSection:
    """The environment's section, or a plain one (seed and density) for an environment without one."""
    return SECTIONS.get(env.name, plain_section)()


def has_rule(env: envs.Environment) -> bool:
    """Whether the true frames have a variant a visitor may change (a Life rule; a maze has none)."""
    return bool(env.variants or env.variant())


def rule_box_label(env: envs.Environment) -> str:
    scores = "the checkpoint's card scores"
    return f"Rule of the true game, and {scores}" if has_rule(env) else scores.capitalize()


def steps_label(env: envs.Environment, section: EnvironmentSection) -> str:
    return f"{section.steps_label} (1-{env.max_steps})"
