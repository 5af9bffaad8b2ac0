"""See what a recurrent network imagines: environments, the model, the metric, the zoo.

from imagination import ImaginationModel, envs, life, metrics, zoo
"""

from imagination import envs, errors, life, metrics
from imagination.config import ModelConfig
from imagination.errors import CheckpointError
from imagination.model import ImaginationModel
from imagination.version import __version__

__all__ = ["CheckpointError", "ImaginationModel", "ModelConfig", "__version__", "envs", "errors", "life", "metrics"]
