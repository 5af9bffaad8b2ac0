"""See what a recurrent network imagines: Game of Life, the model, the metric, the zoo."""

from imagination import life, metrics
from imagination.model import CheckpointError, ImaginationModel, ModelConfig

__all__ = ["CheckpointError", "ImaginationModel", "ModelConfig", "life", "metrics"]
__version__ = "0.1.0"
