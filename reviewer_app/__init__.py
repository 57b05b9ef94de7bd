"""Reviewer App: offline peer review visits against published Quality Standards."""

from __future__ import annotations

from reviewer_app.app import method_cache

# Before any of the app's dataclasses is made: their methods come compiled from the last start.
method_cache.install()

# The one place the version is written; pyproject.toml reads it from here.
__version__ = "0.1.0"
