"""Build, index and document the model zoo (``python -m training.zoo --help``).

- ``plan.toml``: the plan as data: the recipes, shared argument sets, and every entry's arguments, base and why;
- ``plan``: the plan as argv lists (``PLAN``) and each entry's ``training.train`` command;
- ``paths``: where a zoo's entries live and train;
- ``build``: train, adopt and install entries;
- ``index``: the registry (zoo/index.json) and the Space's ``models:``;
- ``tables``: the docs' tables, two zoos compared, the figures;
- ``seeds``: an entry's recipe trained at other seeds, each seed's scores on its card;
- ``rescore``: the bundled entries' scores measured again from their saved weights;
- ``cli``: the subcommands.

Other modules and the tests import what they use from here.
"""

from training.zoo.build import (
    ADOPT_IGNORES,
    adopt,
    install,
    needs_gpu,
    plan_differences,
    record_wall,
    same_base,
    schedule,
    train_args,
    train_one,
    train_parallel,
    trainable_here,
)
from training.zoo.cli import main
from training.zoo.index import index, pushed_repo, space_models, sync_space, write_space_models
from training.zoo.paths import ROOT, RUNS, WALL, is_checkout_zoo, runs_dir
from training.zoo.plan import PLAN, RECIPES, SEEDS, WHY, command
from training.zoo.tables import compare, figures, minutes_table, table, write_table

__all__ = [
    "ADOPT_IGNORES",
    "PLAN",
    "RECIPES",
    "ROOT",
    "RUNS",
    "SEEDS",
    "WALL",
    "WHY",
    "adopt",
    "command",
    "compare",
    "figures",
    "index",
    "install",
    "is_checkout_zoo",
    "main",
    "minutes_table",
    "needs_gpu",
    "plan_differences",
    "pushed_repo",
    "record_wall",
    "runs_dir",
    "same_base",
    "schedule",
    "space_models",
    "sync_space",
    "table",
    "train_args",
    "train_one",
    "train_parallel",
    "trainable_here",
    "write_space_models",
    "write_table",
]
