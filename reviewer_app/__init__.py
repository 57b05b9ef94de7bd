"""Reviewer App: offline peer review visits against published Quality Standards."""

from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("reviewer-app")
except metadata.PackageNotFoundError:  # running from a source tree or a frozen bundle
    __version__ = "0.1.0"
