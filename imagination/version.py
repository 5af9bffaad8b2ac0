"""The package version: config.json records it; pyproject.toml reads it from here."""

__version__ = "0.2.0"
