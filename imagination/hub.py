"""Deprecated: the old home of name resolution, kept one release for code that imports it.

Use ``imagination.loading.resolve`` (``locate``, ``resolve``, ``known_names``) and
``imagination.registry`` (``zoo_dir()``, ``in_zoo``, ``bundled_folder``). ``ZOO_DIR`` here is the zoo
at import time; ``registry.zoo_dir()`` reads ``IMAGINATION_ZOO`` at every call.
"""

from imagination.loading.resolve import Source, known_names, locate, registry_revision, resolve
from imagination.registry import bundled_folder, in_zoo, zoo_dir

ZOO_DIR = zoo_dir()

__all__ = ["ZOO_DIR", "Source", "bundled_folder", "in_zoo", "known_names", "locate", "registry_revision", "resolve"]
