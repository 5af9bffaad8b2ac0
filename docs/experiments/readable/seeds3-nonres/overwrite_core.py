"""Train with a core that overwrites its state, h_{t+1} = block(h_t) instead of h_t + block(h_t).

A measurement for docs/analysis.md (does Seeds keep the board before the current one because the core is
residual?), not a package option. Run from the repository root with training.train's arguments, e.g.

    python docs/experiments/readable/seeds3-nonres/overwrite_core.py --out runs/i26/seeds3-nonres \
        --channels 16 --core-hidden 64 --loss mse --lr 4e-3 --lr-final 1e-3 --clip-norm 1.0 --stop-error 0.001 \
        --game-steps 3 --rule B2/S --batch-size 64 --steps 20000 --threads 1 --snapshots 0

and then with ``--regime adversarial --init runs/i26/seeds3-nonres --out runs/i26/seeds3-nonres-adv``; the
saved weights load into the package's residual core, so score them through this script only.
"""

import sys

import torch

from imagination import model
from training import train


def overwrite(self: model.ImaginationModel, h: torch.Tensor, t: int, recall: object = None) -> torch.Tensor:
    return self.core[0](h)


if __name__ == "__main__":
    model.ImaginationModel.core_step = overwrite  # type: ignore[method-assign]
    train.main(sys.argv[1:])
