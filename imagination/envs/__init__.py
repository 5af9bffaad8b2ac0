"""The environments a checkpoint can be trained on, by the name its config.json records.

    from imagination import envs
    env = envs.make({"name": "life", "rule": "B36/S23"})   # what config.json's "environment" holds
    envs.names()                                           # ["life", "maze", ...]

A new environment is a module with an ``Environment`` subclass and one ``register`` call; nothing
else in the package names an environment. Tests register one of their own the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from imagination.envs.base import Environment
from imagination.envs.life import LifeEnvironment
from imagination.envs.maze import MazeEnvironment

_REGISTRY: dict[str, type[Environment]] = {}


def register(cls: type[Environment]) -> type[Environment]:
    """Make ``cls`` loadable by its ``name`` (usable as a class decorator); a name is registered once."""
    if not (isinstance(cls, type) and issubclass(cls, Environment)):
        raise TypeError(f"register() takes an Environment subclass, got {cls!r}")
    known = _REGISTRY.get(cls.name)
    if known is not None and known is not cls:
        raise ValueError(f"an environment named {cls.name!r} is registered already ({known.__qualname__})")
    _REGISTRY[cls.name] = cls
    return cls


def names() -> list[str]:
    return list(_REGISTRY)


def make(settings: Mapping[str, Any] | str) -> Environment:
    """The environment ``settings`` describe (config.json's ``environment`` object, or just a name).

    Raises ValueError naming what is wrong: an unknown name, or a setting the environment refuses.
    """
    if isinstance(settings, str):
        settings = {"name": settings}
    if not isinstance(settings, Mapping) or not isinstance(settings.get("name"), str):
        raise ValueError(f"an environment is a JSON object with a string 'name', got {settings!r:.80}")
    cls = _REGISTRY.get(settings["name"])
    if cls is None:
        raise ValueError(f"no environment named {settings['name']!r:.40}; known: {', '.join(_REGISTRY)}")
    kwargs = {k: v for k, v in settings.items() if k != "name"}
    try:
        return cls(**kwargs)
    except TypeError as e:  # an unknown or missing setting
        raise ValueError(f"environment {cls.name!r}: {e}") from None


register(LifeEnvironment)
register(MazeEnvironment)

__all__ = ["Environment", "LifeEnvironment", "MazeEnvironment", "make", "names", "register"]
