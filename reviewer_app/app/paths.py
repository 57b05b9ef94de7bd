"""Where the app keeps things on this laptop.

Every folder the app writes is under ``$REVIEWER_APP_HOME`` when that variable is set (tests and
scripts rely on it); otherwise the platform's user folders (platformdirs). Nothing is created
until it is asked for, so a refused kit leaves the user's folders as they were.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "ReviewerApp"
APP_AUTHOR = "ReviewerApp"
HOME_VARIABLE = "REVIEWER_APP_HOME"


@dataclass(frozen=True, slots=True)
class AppPaths:
    data: Path
    config: Path
    cache: Path
    logs: Path

    @classmethod
    def from_environment(cls) -> AppPaths:
        home = os.environ.get(HOME_VARIABLE)
        if home:
            root = Path(home).expanduser().resolve()
            return cls(
                data=root / "data", config=root / "config", cache=root / "cache", logs=root / "logs"
            )
        return cls(
            data=Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)),
            config=Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)),
            cache=Path(platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR)),
            logs=Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR)),
        )

    @property
    def visits(self) -> Path:
        """One folder per visit: ``<visit_id>/workspace.sqlite``, ``blobs/``, ``backups/``."""
        return self.data / "visits"

    @property
    def staging(self) -> Path:
        """Kits are extracted and checked here, then moved into place (same file system)."""
        return self.data / "staging"

    @property
    def trusted_keys(self) -> Path:
        return self.config / "trusted_keys"

    @property
    def device_id_file(self) -> Path:
        return self.data / "device_id"

    def visit_folder(self, visit_id: str) -> Path:
        return self.visits / visit_id


RESOURCES = Path(__file__).resolve().parents[2] / "resources"
DEMO_DIR = RESOURCES / "demo"
BUNDLED_KEYS_DIR = RESOURCES / "keys"
