"""``python -m training.zoo``: the CLI is training/zoo/cli.py (importable, so the package can re-export it)."""

from training.zoo.cli import main

main()
