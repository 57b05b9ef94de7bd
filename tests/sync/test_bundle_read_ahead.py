"""Reading the next bundle in a second process while this one imports (``read_each`` with a
``BundleReader``): the same outcome as reading them here, nothing left in staging, and a
reading process that dies costs nothing but time."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Generator
from pathlib import Path

import pytest

from sync import bundle_read_ahead
from sync.bundle_format import BundleRefused
from sync.bundle_import import import_bundle
from sync.bundle_read_ahead import BundleReader, ReadOutcome, read_each
from sync.bundle_reader import VerifiedBundle
from tests.sync.test_bundle_format import Laptop, laptops, reviewer_work  # noqa: F401

MEMBERS = ("m-cns", "m-paed", "m-mgr")


@pytest.fixture
def always_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    """These bundles are small: read ahead however quickly they would be read here."""
    monkeypatch.setattr(bundle_read_ahead, "READ_AHEAD_FROM_SECONDS", 0.0)


def _bundles(laptops: Callable[[str], Laptop], tmp_path: Path) -> list[Path]:  # noqa: F811
    files = []
    for member in MEMBERS:
        laptop = laptops(member)
        reviewer_work(laptop)
        files.append(laptop.export(tmp_path / f"{member}.rvbundle"))
    return files


def _reader(lead: Laptop) -> BundleReader:
    return BundleReader.for_workspace(
        lead.ws, visit_id=lead.visit_id, team_key=lead.team_key, staging_root=lead.staging
    )


def _first_read(
    laptops: Callable[[str], Laptop],  # noqa: F811
    tmp_path: Path,
) -> tuple[list[Path], Laptop, Generator[tuple[Path, ReadOutcome], None, None], ReadOutcome]:
    """Three members' bundles, the lead's laptop, its ``read_each`` and the first outcome."""
    files = _bundles(laptops, tmp_path)
    lead = laptops("m-lead")
    each = read_each(files, _reader(lead))
    _file, first = next(each)
    return files, lead, each, first


def _children() -> list[int]:
    """This process's child processes that read bundles (from /proc; not multiprocessing's
    resource tracker, which stays for the life of the process)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == os.getpid() and b"spawn_main" in command:
                found.append(int(entry.name))
    return found


@pytest.mark.usefixtures("always_ahead")
def test_bundles_read_ahead_import_as_bundles_read_here(
    laptops: Callable[[str], Laptop],  # noqa: F811
    tmp_path: Path,
) -> None:
    files = _bundles(laptops, tmp_path)
    damaged = tmp_path / "damaged.rvbundle"
    damaged.write_bytes(files[0].read_bytes()[:-100])  # cut short on the way
    files.insert(2, damaged)
    ahead, here = laptops("m-lead"), laptops("m-comm")
    seen = []
    for file, outcome in read_each(files, _reader(ahead)):  # in a second process
        seen.append((file.name, type(outcome).__name__))
        if isinstance(outcome, VerifiedBundle):
            import_bundle(ahead.ws, outcome)
        else:
            assert isinstance(outcome, BundleRefused) and outcome.reason == "not_zip"
    for file in files:  # one by one, here
        if file != damaged:
            with here.read(file) as bundle:
                import_bundle(here.ws, bundle)
    assert [name for name, _kind in seen] == [f.name for f in files]
    assert dict(seen)["damaged.rvbundle"] == "BundleRefused"
    assert ahead.ws.canonical_state() == here.ws.canonical_state()
    assert ahead.ws.op_count() == here.ws.op_count() > 0
    assert not list(ahead.staging.iterdir())  # every staging folder is gone


@pytest.mark.usefixtures("always_ahead")
def test_stopping_early_leaves_nothing_read_ahead_behind(
    laptops: Callable[[str], Laptop],  # noqa: F811
    tmp_path: Path,
) -> None:
    files, lead, each, first = _first_read(laptops, tmp_path)
    assert isinstance(first, VerifiedBundle)
    each.close()  # the lead cancelled after the first, the second being read meanwhile
    assert not list(lead.staging.iterdir())
    assert _children() == []


@pytest.mark.usefixtures("always_ahead")
def test_a_reading_process_that_dies_costs_only_time(
    laptops: Callable[[str], Laptop],  # noqa: F811
    tmp_path: Path,
) -> None:
    files, lead, each, first = _first_read(laptops, tmp_path)
    children = _children()
    assert children, "the next bundle is being read in a second process"
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    outcomes = [first, *(outcome for _file, outcome in each)]
    assert all(isinstance(o, VerifiedBundle) for o in outcomes) and len(outcomes) == len(files)
    assert not list(lead.staging.iterdir())


def test_bundles_read_quickly_here_start_no_second_process(
    laptops: Callable[[str], Laptop],  # noqa: F811
    tmp_path: Path,
) -> None:
    """Bringing the same bundles again (each read in a moment) is not worth a process."""
    files, lead, each, first = _first_read(laptops, tmp_path)
    assert isinstance(first, VerifiedBundle)
    assert _children() == []
    assert len([first, *(outcome for _file, outcome in each)]) == len(files)


def test_the_variable_reads_ahead_however_quick_the_bundles(
    laptops: Callable[[str], Laptop],  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the one-folder bundle's check sets (`make dist`) to prove the process starts."""
    monkeypatch.setenv("REVIEWER_APP_READ_AHEAD_FROM_SECONDS", "0")
    files, _lead, each, first = _first_read(laptops, tmp_path)
    assert _children(), "the next bundle is being read in a second process"
    assert len([first, *(outcome for _file, outcome in each)]) == len(files)
