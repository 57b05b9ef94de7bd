"""The app's settings on this laptop (MusicBrainz Picard style).

Every setting is declared once below, with its type and default. The file is JSON,
``config/settings.json``, with a ``"version"``; older files are brought up to date by the ordered
steps in ``UPGRADES``. A file that cannot be read is kept aside as ``settings.json.bad-<time>``
and the defaults are used, with a warning in the log: a bad settings file never stops the app.

What belongs to one visit (who I am on it, where I was) is not here: it lives in that visit's
workspace, so it travels with the visit and is never mixed up between visits.

One owner: every part of a process reads and writes the same :class:`Settings`
(:meth:`Settings.shared`), and :meth:`Settings.save` writes only the settings this process
changed over what the file holds now. Two copies used to overwrite each other: signing in saved
the central address, and the window's next save wrote its old copy back, silently signing the
laptop out; a command-line sign-in while the window is open is kept the same way.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from reviewer_app.app.paths import AppPaths
from storage.files import write_atomic

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.json"
VERSION = 2
MAX_RECENT_KITS = 10


@dataclass(frozen=True, slots=True)
class Setting:
    """One declared setting. ``item`` is the type of a list's items; ``max_items`` caps a list."""

    name: str
    kind: type
    default: Any
    doc: str
    item: type | None = None
    max_items: int | None = None

    def check(self, value: Any) -> Any:
        """``value`` if it has the declared type (a list cut to ``max_items``); else TypeError."""
        if self.kind is not bool and isinstance(value, bool):
            raise TypeError(f"setting {self.name!r} takes a {self.kind.__name__}, not a bool")
        if self.kind is float and isinstance(value, int):
            value = float(value)  # JSON writes 15.0 as 15
        if not isinstance(value, self.kind):
            raise TypeError(
                f"setting {self.name!r} takes a {self.kind.__name__}, not a {type(value).__name__}"
            )
        if isinstance(value, list):
            if self.item is not None and not all(isinstance(v, self.item) for v in value):
                raise TypeError(f"setting {self.name!r} takes a list of {self.item.__name__}")
            value = list(value[: self.max_items] if self.max_items is not None else value)
        return value

    def fresh_default(self) -> Any:
        if isinstance(self.default, (list, dict)):
            return type(self.default)(self.default)  # never the declared default itself
        return self.default


DECLARED: tuple[Setting, ...] = (
    Setting(
        "last_visit_id",
        str,
        "",
        "The visit open when the app last ran; reopened at start (after a crash too).",
    ),
    Setting(
        "recent_kits",
        list,
        [],
        "Kit files opened lately, newest first.",
        item=str,
        max_items=MAX_RECENT_KITS,
    ),
    Setting(
        "central_url",
        str,
        "",
        "The central service this laptop syncs with; empty when signed out. The token is "
        "kept in the OS keyring, never here.",
    ),
    Setting(
        "risk_confirmation_working_days",
        int,
        2,
        "Working days after the visit within which an immediate risk is confirmed in writing "
        "(weekends and England and Wales bank holidays skipped; 2 is common practice).",
    ),
    Setting(
        "window_sizes",
        dict,
        {},
        "Each window's size as the reviewer left it, by the window's name: [width, height]. "
        "Always fitted to the screen it opens on (ui.windows).",
    ),
    Setting(
        "side_panel",
        str,
        "",
        "The reviewer's window's side panel (timetable, observations) as last left: "
        '"open" or "closed"; empty: closed on a narrow screen, open on a wide one.',
    ),
    Setting(
        "file_folders",
        dict,
        {},
        "The folder each kind of file was last saved to or opened from, by kind (report, "
        "bundle, kit, photo, staff): where the next file dialog of that kind starts "
        "(ui.file_dialogs).",
    ),
    Setting(
        "idle_lock_minutes",
        float,
        15.0,
        "Minutes with no key pressed and no mouse used in the app after which the window locks "
        "(the visit is closed and its key leaves memory); 0: never. Visit > Lock when idle.",
    ),
)
BY_NAME: dict[str, Setting] = {s.name: s for s in DECLARED}


def _from_v0(values: dict[str, Any]) -> dict[str, Any]:
    """Files written before settings had a version named the last visit ``last_visit``."""
    if "last_visit" in values and "last_visit_id" not in values:
        values["last_visit_id"] = values.pop("last_visit")
    return values


def _from_v1(values: dict[str, Any]) -> dict[str, Any]:
    """Version 1 kept one ``last_kit``; version 2 keeps a list of recent kits."""
    last = values.pop("last_kit", None)
    if isinstance(last, str) and last and "recent_kits" not in values:
        values["recent_kits"] = [last]
    return values


# UPGRADES[n] turns a version-n file's values into version n+1's; they run in order.
UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _from_v0, 1: _from_v1}


class Settings:
    """The declared settings, read from and saved to ``config/settings.json``."""

    _shared: ClassVar[dict[Path, Settings]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self, path: Path, values: dict[str, Any], extra: dict[str, Any], version: int = VERSION
    ) -> None:
        self.path = path
        self._values = values
        self._extra = extra  # keys a newer version of the app wrote: kept, not used
        self._version = max(version, VERSION)  # never mark a newer file as older
        self._lock = threading.Lock()  # save() may run on a worker thread
        self._changed: set[str] = set()  # set here since the last save
        self._stamp = _stamp(path)  # the file as last read or written here

    @classmethod
    def shared(cls, paths: AppPaths) -> Settings:
        """This process's one copy of the settings in ``paths`` (read on first use, and again,
        for what it has not changed itself, when another process has saved the file since)."""
        path = paths.config / SETTINGS_FILE
        with cls._shared_lock:
            found = cls._shared.get(path)
            if found is None:
                found = cls._shared[path] = cls.load(paths)
            else:
                found._follow_file()
            return found

    def _follow_file(self) -> None:
        """Take what another process saved (a stat when nothing changed)."""
        stamp = _stamp(self.path)
        if stamp == self._stamp:
            return
        try:
            on_disk = Settings._from_file(self.path)
        except (OSError, ValueError):
            return
        self._merge(on_disk)
        self._stamp = stamp

    def _merge(self, on_disk: Settings) -> None:
        with self._lock:
            for name, value in on_disk._values.items():
                if name not in self._changed:
                    self._values[name] = value
            self._extra = {**on_disk._extra, **self._extra}
            self._version = max(self._version, on_disk._version)

    @classmethod
    def forget_shared(cls) -> None:
        """Drop the shared copies (tests that change the file underneath)."""
        with cls._shared_lock:
            cls._shared.clear()

    @classmethod
    def load(cls, paths: AppPaths) -> Settings:
        """Read the settings afresh; a missing file gives the defaults, a bad one is kept aside.

        The app's own code uses :meth:`shared`; this is for reading what is on disk now.
        """
        return cls._read(paths.config / SETTINGS_FILE)

    @classmethod
    def _read(cls, path: Path) -> Settings:
        defaults = {s.name: s.fresh_default() for s in DECLARED}
        try:
            return cls._from_file(path)
        except FileNotFoundError:
            return cls(path, defaults, {})
        except OSError as exc:
            log.warning("settings: cannot read %s (%s); using the defaults", path, exc)
            return cls(path, defaults, {})
        except ValueError as exc:
            kept = _keep_bad(path)
            log.warning("settings: %s is unreadable (%s); kept as %s", path, exc, kept)
            return cls(path, defaults, {})

    @classmethod
    def _from_file(cls, path: Path) -> Settings:
        """The settings the file holds; OSError or ValueError when it cannot be read."""
        parsed = _parse(path.read_bytes())
        version: int = parsed["version"]
        stored = _upgrade(parsed)
        values = {s.name: s.fresh_default() for s in DECLARED}
        extra = {}
        for name, value in stored.items():
            setting = BY_NAME.get(name)
            if setting is None:
                extra[name] = value
                continue
            try:
                values[name] = setting.check(value)
            except TypeError as exc:
                log.warning("settings: %s; using its default", exc)
        return cls(path, values, extra, version)

    def get(self, name: str) -> Any:
        """The value of a declared setting (KeyError for a name that is not declared)."""
        if name not in BY_NAME:
            raise KeyError(f"no setting named {name!r}")
        value = self._values[name]
        return type(value)(value) if isinstance(value, (list, dict)) else value

    def set(self, name: str, value: Any) -> None:
        """Change a declared setting; TypeError when ``value`` is not of the declared type."""
        setting = BY_NAME.get(name)
        if setting is None:
            raise KeyError(f"no setting named {name!r}")
        checked = setting.check(value)
        with self._lock:
            self._values[name] = checked
            self._changed.add(name)

    def remember_kit(self, kit: Path | str) -> None:
        """Put ``kit`` first in ``recent_kits`` (once), keeping the newest ten."""
        text = str(kit)
        self.set("recent_kits", [text, *(k for k in self.get("recent_kits") if k != text)])

    def save(self) -> None:
        """Write the settings changed here over the file as it is now, atomically (a temporary
        file beside it, fsync, then rename over it); the others are taken from the file, so a
        change another process saved meanwhile is kept, and seen here from now on."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            on_disk: Settings | None = Settings._from_file(self.path)
        except (OSError, ValueError):  # none yet, or unreadable: ours is all there is
            on_disk = None
        if on_disk is not None:
            self._merge(on_disk)
        with self._lock:
            self._changed.clear()
            data = {**self._extra, **self._values, "version": self._version}
        text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        write_atomic(self.path, text.encode("utf-8"), mode=0o600)
        self._stamp = _stamp(self.path)


def _stamp(path: Path) -> tuple[int, int] | None:
    """What says the file changed: its modification time and size (None when missing)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    version = data.pop("version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise ValueError(f"bad version {version!r}")
    data["version"] = version
    return data


def _upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """Run the upgrade steps from the file's version to ours. A newer file is read as it is."""
    version: int = data.pop("version")
    while version < VERSION:
        data = UPGRADES[version](data)
        version += 1
    return data


def _keep_bad(path: Path) -> Path | None:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    kept = path.with_name(f"{path.name}.bad-{stamp}")
    try:
        os.replace(path, kept)
    except OSError:
        return None
    return kept
