"""A kit a sync downloaded holds the provider's evidence pack in the clear: once it is opened (its
content encrypted in the visit's workspace), the downloaded copy goes, and the next sync does not
fetch it again; a visit moved aside (its key lost) gets its kit again from the next sync."""

from __future__ import annotations

import shutil
from pathlib import Path

from reviewer_app.app.paths import AppPaths
from reviewer_app.central import service as central
from reviewer_app.central.downloads import downloads_folder
from reviewer_app.visit.workspaces import open_kit
from tests.server.central_helpers import DEMO_VISIT_ID, Central


def _evidence_names(kit: Path) -> list[str]:
    import zipfile  # noqa: PLC0415

    with zipfile.ZipFile(kit) as z:
        return [n for n in z.namelist() if n.startswith("evidence/")]


def test_an_opened_download_is_removed_and_not_fetched_again(demo_central: Central) -> None:
    paths = AppPaths.from_environment()
    central.sign_in(paths, demo_central.url, demo_central.tokens["lead"])
    report = central.sync(paths)
    [kit] = report.downloaded
    downloaded = Path(kit.path)
    assert downloaded.is_file() and _evidence_names(downloaded)  # the evidence pack, readable
    [assigned] = central.load_status(paths).kits
    assert assigned.downloaded and not assigned.opened_here

    open_kit(downloaded, kit.member_id, paths=paths, demo=True)

    assert not downloaded.exists()
    assert not list(downloads_folder(paths).glob("*.rvkit"))  # nothing of the kit in the clear
    [assigned] = central.load_status(paths).kits
    assert assigned.opened_here and not assigned.downloaded
    again = central.sync(paths)
    assert again.kits_up_to_date == 1 and not again.downloaded
    assert not downloaded.exists()

    # The key is lost: the visit's folder is moved aside, as docs/encryption.md says; the next
    # sync hands the kit back to open the visit again.
    shutil.move(paths.visit_folder(DEMO_VISIT_ID), paths.data / "moved-aside")
    back = central.sync(paths)
    assert [k.kit_id for k in back.downloaded] == [kit.kit_id] and downloaded.is_file()
    opened = open_kit(downloaded, kit.member_id, paths=paths, demo=True)
    assert opened.visit_id == DEMO_VISIT_ID and not downloaded.exists()


def test_a_kit_of_the_users_own_is_left_where_it_is(
    demo_central: Central, demo_kit_file: Path, tmp_path: Path
) -> None:
    paths = AppPaths.from_environment()
    own = tmp_path / "from-the-usb-stick.rvkit"
    shutil.copyfile(demo_kit_file, own)
    open_kit(own, "m-lead", paths=paths, demo=True)
    assert own.is_file()
