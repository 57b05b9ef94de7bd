"""Reviewer App: offline peer review visits against published Quality Standards."""

from __future__ import annotations

# The one place the version is written; pyproject.toml reads it from here.
__version__ = "0.1.0"
