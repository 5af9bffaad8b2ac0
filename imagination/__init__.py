"""See what a recurrent network imagines: Game of Life, the model, the metric, the zoo."""

__version__ = "0.1.0"  # pyproject.toml reads the package version from here; config.json records it

from imagination import errors, life, metrics  # noqa: E402
from imagination.errors import CheckpointError  # noqa: E402
from imagination.model import ImaginationModel, ModelConfig  # noqa: E402

__all__ = ["CheckpointError", "ImaginationModel", "ModelConfig", "errors", "life", "metrics"]
