"""Why a checkpoint did not load: one base class, one subclass per cause a user can act on.

Every failure inside ``ImaginationModel.from_pretrained`` raises a ``CheckpointError`` (a
``ValueError``), never a raw ``JSONDecodeError``, ``RuntimeError`` or huggingface_hub exception, so a
caller (the app, a script) needs one ``except`` clause and can still tell the causes apart. Where
huggingface_hub raised first, its exception stays attached as ``__cause__``.

==========================  =====================================================================
class                       raised when
==========================  =====================================================================
``Offline``                 the Hub cannot be reached (offline mode, ``local_files_only``, no
                            network, an endpoint that does not answer) and the files are not cached
``RepoNotFound``            no such zoo name, folder or Hub repo (or a private one without a token)
``RevisionNotFound``        the repo exists but has no such branch, tag or commit
``AccessDenied``            a gated repo whose terms were not accepted, or a token without access
``NotAnImaginationModel``   no config.json, or one written by another library
``UnsafeWeights``           only pickled weights (``pytorch_model.bin`` ...): never opened
``CorruptWeights``          ``model.safetensors`` is missing, truncated or not a safetensors file
``WeightsMismatch``         the weights' keys or shapes do not fit the architecture in the config
``InvalidConfig``           config.json is not JSON, misses a key, has a mistyped or unknown key,
                            an out-of-range value, or a format this version cannot read
``InvalidArgument``         ``from_pretrained`` got a keyword it does not know (also a TypeError)
==========================  =====================================================================
"""

from __future__ import annotations


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded, with a message a user can act on."""


class Offline(CheckpointError):
    """The Hub is unreachable or offline mode is on, and the files are not in the local cache."""


class RepoNotFound(CheckpointError):
    """No zoo checkpoint, folder or Hub repo by that name (private repos look the same without a token)."""


class RevisionNotFound(CheckpointError):
    """The Hub repo exists, but not the requested branch, tag or commit."""


class AccessDenied(CheckpointError):
    """A gated repo whose terms were not accepted, or a token that may not read the repo."""


class NotAnImaginationModel(CheckpointError):
    """The folder or repo has no config.json, or its config.json belongs to another library."""


class UnsafeWeights(CheckpointError):
    """Only pickled weights are present; they are refused without being opened (unpickling runs code)."""


class CorruptWeights(CheckpointError):
    """model.safetensors is missing, unreadable or not a valid safetensors file."""


class WeightsMismatch(CheckpointError):
    """The weights are valid safetensors but their keys, shapes or dtypes do not fit the configured model."""


class InvalidConfig(CheckpointError):
    """config.json cannot describe a model: not JSON, a missing, mistyped or unknown key, a bad value."""


class InvalidArgument(CheckpointError, TypeError):
    """``from_pretrained`` got a keyword that is neither a loading option nor a config field."""


__all__ = [
    "AccessDenied",
    "CheckpointError",
    "CorruptWeights",
    "InvalidArgument",
    "InvalidConfig",
    "NotAnImaginationModel",
    "Offline",
    "RepoNotFound",
    "RevisionNotFound",
    "UnsafeWeights",
    "WeightsMismatch",
]
