"""Publishing the newest kit built from a plan to the central service (the build tab's second
button): a small dialog names each team member's central user (remembered in the plan), then a
worker uploads and assigns (a ``ui.operations.TaskOp``) with progress on the tab's own bar; the
result, or one clear sentence, is shown."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QHeaderView, QLabel, QWidget

from reviewer_app.staff.planner import TeamMember, VisitPlan
from reviewer_app.staff.publish import PublishResult, publish_kit
from ui.dialogs.base import FormDialog
from ui.operations import TaskOp
from ui.staff.common import Col, RecordModel, table

if TYPE_CHECKING:
    from ui.staff.planner.build import BuildTab

NO_KIT_TIP = "Build the kit first; then it can be published to the central service."
READY_TIP = "Upload the newest kit built from this plan and assign it to the team"


class PublishDialog(FormDialog):
    """The team with an editable "Central user" column: who on the service gets the kit."""

    def __init__(self, parent: QWidget | None, plan: VisitPlan, kit_path: str) -> None:
        super().__init__(parent, "Publish to the central service")
        self.users: dict[str, str] = {
            m.member_id: plan.central_users.get(m.member_id, "") for m in plan.team
        }
        intro = QLabel(
            f"Publish {Path(kit_path).name} and assign it to these people. Type each person's "
            "user name on the central service; leave it blank to assign them later.",
            self,
        )
        intro.setWordWrap(True)
        self.body.addWidget(intro)
        self.model = RecordModel(
            [
                Col("Name", lambda m: m.name + (" (lead)" if m.lead else "")),
                Col("Role", lambda m: m.role, tip=lambda m: m.role),
                Col("Member id", lambda m: m.member_id),
                Col("Central user", lambda m: self.users[m.member_id], edit=self._edit),
            ],
            self,
        )
        self.model.set_rows(plan.team)
        self.view = table(self, self.model, "Central users")
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Fixed)
        self.view.setColumnWidth(3, self.fontMetrics().horizontalAdvance("M") * 14)
        self.body.addWidget(self.view)
        self.model.edited.connect(self.validate)
        self.ok_button.setText("Publish")
        self.resize(self.fontMetrics().horizontalAdvance("M") * 56, 360)
        self.validate()

    def _edit(self, row: int, text: str) -> str:
        member: TeamMember = self.model.rows[row]
        if any(c.isspace() for c in text.strip()):
            return "A user name has no spaces."
        self.users[member.member_id] = text.strip()
        return ""

    def ready_text(self) -> str:
        named = sum(bool(u) for u in self.users.values())
        if not named:
            return "No one is named yet: the kit is uploaded and can be assigned later."
        return f"The kit goes to {named} of {len(self.users)} people."

    @classmethod
    def ask(cls, parent: QWidget | None, plan: VisitPlan, kit_path: str) -> dict[str, str] | None:
        dialog = cls(parent, plan, kit_path)
        return dialog.users if dialog.exec() == QDialog.DialogCode.Accepted else None


class _Progress(QObject):
    moved = Signal(int, int, str)  # done, total, stage


class Publisher(QObject):
    """Drives the build tab's Publish button."""

    def __init__(self, tab: BuildTab) -> None:
        super().__init__(tab)
        self.tab = tab
        self.kit: dict[str, Any] | None = None  # the newest kit built from the plan
        self.running = False
        self._relay = _Progress(self)
        self._relay.moved.connect(self._moved)

    def set_kit(self, kit: dict[str, Any] | None) -> None:
        self.kit = kit
        button = self.tab.publish_button
        button.setEnabled(kit is not None and not self.running)
        button.setToolTip(READY_TIP if kit is not None else NO_KIT_TIP)

    def publish(self) -> None:
        if self.kit is None or self.running:
            return
        editor = self.tab.editor
        plan = editor.plan
        users = PublishDialog.ask(self.tab, plan, self.kit["path"])
        if users is None:
            return

        def name_users(plan: VisitPlan) -> None:
            plan.central_users = {m: u for m, u in users.items() if u}

        editor.apply("Name the team's central users", name_users, tab=self.tab)
        pem = str(self.kit.get("summary", {}).get("public_key", "")).encode("ascii") or None
        self.running = True
        self.tab.publish_button.setEnabled(False)
        self.tab.progress.setVisible(True)
        self.tab.progress.setRange(0, 0)
        self.tab.result.setText("Publishing to the central service…")
        args = (
            Path(self.kit["path"]),
            dict(plan.central_users),
            editor.ctx.paths,
            [m.member_id for m in plan.team],
            pem,
            self._relay,
        )
        TaskOp(
            self.tab, lambda _progress: editor.ctx.work(_publish, *args), what="publish the kit"
        ).success(self._done).failure(self._failed).run()

    def _moved(self, done: int, total: int, stage: str) -> None:
        self.tab.progress.setRange(0, max(total, 1))
        self.tab.progress.setValue(done)
        self.tab.progress.setFormat(f"{stage}… %v of %m")
        self.tab.result.setText(f"{stage}…")

    def _finish(self) -> None:
        self.running = False
        self.tab.progress.setVisible(False)
        self.tab.progress.setFormat("%p%")
        self.set_kit(self.kit)

    def _done(self, result: PublishResult) -> None:
        self._finish()
        names = {m.member_id: m.name for m in self.tab.editor.plan.team}
        self.tab.result.setText("\n".join(result.lines(names)))

    def _failed(self, _exc: BaseException) -> None:
        """After the failure was told (by the TaskOp, in a message)."""
        self._finish()
        self.tab.result.setText("The kit was not published.")


def _publish(  # noqa: PLR0913, PLR0917 (called through a pool's submit, which passes positions)
    path: Path,
    users: dict[str, str],
    paths: Any,
    team: list[str],
    pem: bytes | None,
    relay: _Progress,
) -> PublishResult:
    return publish_kit(
        path,
        users,
        paths=paths,
        team=team,
        public_key_pem=pem,
        progress=relay.moved.emit,
    )
