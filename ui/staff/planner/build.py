"""Build and sign: the pre-flight check, the kit's summary, the signing key, the build (off the
UI thread, with progress on the tab's own bar) and the kits built so far. Building again re-issues
the visit.

The work's answers come back through ``ui.operations.TaskOp`` (``ui.staff.common.then``): a
failure is told once, in a message, and the tab says what it means for the check or the kit."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QCheckBox,
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QRadioButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.staff import build
from reviewer_app.staff.planner import VisitPlan
from ui.dialogs.base import FormDialog
from ui.staff.common import (
    busy_bar,
    button,
    button_row,
    choose_open_file,
    choose_save_file,
    status_label,
    then,
)
from ui.staff.planner.publish import NO_KIT_TIP, Publisher
from ui.text_style import heading, muted

if TYPE_CHECKING:
    from ui.staff.planner.page import PlanEditor

KEY_FILTER = "Signing keys (*);;All files (*)"
KIT_FILTER = "Visit kits (*.rvkit)"


class PassphraseDialog(FormDialog):
    def __init__(self, parent: QWidget | None, key_file: Path) -> None:
        super().__init__(parent, "Passphrase for the signing key")
        self.body.addWidget(
            QLabel(f"The key in {key_file.name} is protected by a passphrase.", self)
        )
        self.box = QLineEdit(self)
        self.box.setEchoMode(QLineEdit.EchoMode.Password)
        self.box.setAccessibleName("Passphrase")
        self.form.addRow("&Passphrase", self.box)
        self.box.textChanged.connect(self.validate)
        self.validate()

    def problem(self) -> str:
        return "" if self.box.text() else "Type the key's passphrase."

    @classmethod
    def ask(cls, parent: QWidget | None, key_file: Path) -> str | None:
        dialog = cls(parent, key_file)
        return dialog.box.text() if dialog.exec() == QDialog.DialogCode.Accepted else None


class _Progress(QObject):
    moved = Signal(int, int)


def _build(  # noqa: PLR0917 (called through a pool's submit, which passes positions)
    plan: VisitPlan,
    standards: Any,
    out: Path,
    key_source: tuple[str, str, str | None],
    keep_in_keyring: bool,
    progress: _Progress,
) -> tuple[Any, str, str]:
    """Off the UI thread: load the key, build the kit; returns its manifest, a note and the
    key's public half (kept with the kit, for publishing)."""
    kind, key_file, passphrase = key_source
    if kind == "keyring":
        key = build.load_key_from_keyring()
    else:
        key = build.load_key_file(Path(key_file), passphrase)
    note = ""
    if kind == "file" and keep_in_keyring:
        try:
            build.save_key_to_keyring(key)
            note = " The key is now kept in this computer's keyring."
        except build.KeyringUnavailable as exc:
            note = f" {exc}"
    manifest = build.build_plan_kit(
        plan,
        standards,
        out,
        key,
        progress=lambda d, t, _: progress.moved.emit(d // 1024, t // 1024),
    )
    return manifest, note, build.public_pem(key)


class BuildTab(QWidget):
    def __init__(self, editor: PlanEditor) -> None:
        super().__init__(editor)
        self.editor = editor
        self.setAccessibleName("Build and sign")
        self.checks: list[build.Check] = []
        self.checking = False  # the pre-flight check is running on the staff worker
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        check_box = QGroupBox("Pre-flight check", self)
        check_layout = QVBoxLayout(check_box)
        self.check_list = QListWidget(check_box)
        self.check_list.setAccessibleName("Pre-flight check")
        self.check_list.setWordWrap(True)
        check_layout.addWidget(self.check_list)
        self.check_busy = busy_bar(check_box, "Checking the plan")
        check_layout.addWidget(self.check_busy)
        check_layout.addLayout(button_row(button(check_box, "Check &again", self.refresh)))
        summary_box = QGroupBox("The kit", self)
        summary_layout = QVBoxLayout(summary_box)
        self.summary = QLabel(summary_box)
        self.summary.setAccessibleName("Kit summary")
        self.summary.setWordWrap(True)
        summary_layout.addWidget(self.summary)
        summary_layout.addStretch(1)
        top.addWidget(check_box, 3)
        top.addWidget(summary_box, 2)
        layout.addLayout(top, 1)
        layout.addWidget(self._key_box())
        self.build_button = button(
            self,
            "&Build and sign the kit…",
            self.build_kit,
            "Choose where to save the .rvkit file, then sign it",
        )
        self.publisher = Publisher(self)
        self.publish_button = button(
            self, "&Publish to the central service…", self.publisher.publish, NO_KIT_TIP
        )
        self.publish_button.setEnabled(False)
        layout.addLayout(button_row(self.build_button, self.publish_button))
        self.progress = QProgressBar(self)
        self.progress.setAccessibleName("Building")
        self.progress.setVisible(False)
        layout.addWidget(self.progress)
        self.result = status_label(self, "Build result")
        heading(self.result, 1.0)
        layout.addWidget(self.result)
        self.history_label = QLabel("Kits built from this plan", self)
        muted(self.history_label)
        layout.addWidget(self.history_label)
        self.history = QListWidget(self)
        self.history.setAccessibleName("Kits built from this plan")
        self.history.setMaximumHeight(self.fontMetrics().lineSpacing() * 5)
        layout.addWidget(self.history)
        self._relay = _Progress(self)
        self._relay.moved.connect(self._moved)

    def _key_box(self) -> QGroupBox:
        box = QGroupBox("The organisation's signing key", self)
        layout = QVBoxLayout(box)
        self.use_file = QRadioButton("A &key file", box)
        self.use_keyring = QRadioButton("The key kept in this computer's key&ring", box)
        group = QButtonGroup(box)
        group.addButton(self.use_file)
        group.addButton(self.use_keyring)
        self.use_file.setChecked(True)
        row = QHBoxLayout()
        self.key_path = QLineEdit(box)
        self.key_path.setAccessibleName("Key file")
        self.key_path.setPlaceholderText("the private key file (not the .pub)")
        row.addWidget(self.use_file)
        row.addWidget(self.key_path, 1)
        row.addWidget(button(box, "C&hoose…", self._choose_key))
        layout.addLayout(row)
        self.keep = QCheckBox("Keep this key in the keyring for next time", box)
        layout.addWidget(self.keep)
        layout.addWidget(self.use_keyring)
        return box

    def _choose_key(self) -> None:
        path = choose_open_file(self, "The signing key", KEY_FILTER)
        if path is not None:
            self.key_path.setText(str(path))
            self.use_file.setChecked(True)

    def refresh(self) -> None:
        """Check the plan on the staff worker (it looks at every evidence file on disk); the
        list says "Checking…" and Build waits until the answer is in."""
        plan = VisitPlan.from_dict(self.editor.plan.to_dict())  # the worker gets its own copy
        self.checking = True
        self.check_busy.setVisible(True)
        self.build_button.setEnabled(False)
        self.check_list.clear()
        self.check_list.addItem("Checking the plan and its evidence files…")
        self.summary.setText("Counting…")
        then(
            self,
            self.editor.ctx.store(build.check_plan, plan, self.editor.standards),
            lambda result: self._checked(plan, result),
            "check the plan",
            self._check_failed,
        )
        then(
            self,
            self.editor.ctx.store(_kits, plan.plan_id),
            self._show_history,
            "read the kits built",
        )

    def _checked(self, plan: VisitPlan, result: build.PlanCheck) -> None:
        if plan.plan_id != self.editor.plan.plan_id:
            return  # another plan was opened meanwhile; its own check is on its way
        self.checking = False
        self.check_busy.setVisible(False)
        self.checks = result.checks
        style = QApplication.style()
        self.check_list.clear()
        icons = {
            "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
            "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
        }
        for check in self.checks:
            item = QListWidgetItem(style.standardIcon(icons[check.severity]), check.message)
            item.setData(0x0100, check.severity)
            self.check_list.addItem(item)
        if not self.checks:
            self.check_list.addItem(
                QListWidgetItem(
                    style.standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton),
                    "All clear: the kit is ready to build.",
                )
            )
        errors = result.errors
        self.build_button.setEnabled(not errors)
        self.build_button.setToolTip(
            "Put right the problems marked with a red sign first"
            if errors
            else "Choose where to save the kit, then sign it"
        )
        self.summary.setText("\n".join(result.summary.lines()) + f"\n\nVisit id {plan.visit_id}")

    def _check_failed(self, _exc: BaseException) -> None:
        """After the failure was told, in a message."""
        self.checking = False
        self.check_busy.setVisible(False)
        self.check_list.clear()
        self.check_list.addItem("The plan could not be checked; choose Check again.")

    def _show_history(self, kits: list[dict[str, Any]]) -> None:
        self.history.clear()
        for k in reversed(kits):
            self.history.addItem(
                f"{k['built_at']}  {k['path']}  ({build.nice_size(k['size'])}, "
                f"kit {k['kit_id'][:8]})"
            )
        self.history.setVisible(bool(kits))
        self.history_label.setVisible(bool(kits))
        self.publisher.set_kit(kits[-1] if kits else None)

    def build_kit(self) -> None:
        plan, standards = self.editor.plan, self.editor.standards
        if standards is None:
            return
        key_source = self._key_source()
        if key_source is None:
            return
        name = re.sub(r"[^\w-]+", "_", plan.title).strip("_") or "visit"
        out = choose_save_file(self, "Save the visit kit", f"{name}.rvkit", KIT_FILTER)
        if out is None:
            return
        if out.suffix.lower() != ".rvkit":
            out = out.with_name(out.name + ".rvkit")
        snapshot = VisitPlan.from_dict(plan.to_dict())
        self.build_button.setEnabled(False)
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        self.result.setText(f"Building {out.name}…")
        future = self.editor.ctx.work(
            _build, snapshot, standards, out, key_source, self.keep.isChecked(), self._relay
        )
        then(self, future, lambda r: self._built(snapshot, out, *r), "build the kit", self._failed)

    def _key_source(self) -> tuple[str, str, str | None] | None:
        if self.use_keyring.isChecked():
            return ("keyring", "", None)
        text = self.key_path.text().strip()
        if not text:
            self.result.setText("Choose the key file first (or use the key in the keyring).")
            return None
        path = Path(text)
        passphrase = None
        if build.key_file_is_protected(path):
            passphrase = PassphraseDialog.ask(self, path)
            if passphrase is None:
                return None
        return ("file", text, passphrase)

    def _moved(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _built(self, plan: VisitPlan, out: Path, manifest: Any, note: str, pem: str) -> None:
        self.progress.setVisible(False)
        self.build_button.setEnabled(True)
        self.result.setText(
            f"Built and signed {out} (kit {manifest.kit_id[:8]}, key "
            f"{manifest.signing_key_id}).{note}"
        )
        then(
            self,
            self.editor.ctx.store(build.record_kit, plan, manifest, out, pem),
            lambda _r: self.refresh(),
            "log the kit",
        )

    def _failed(self, exc: BaseException) -> None:
        """After the failure was told, in a message."""
        self.progress.setVisible(False)
        self.build_button.setEnabled(True)
        self.result.setText("The kit was not built.")
        if isinstance(exc, build.KeyringUnavailable):
            self.use_file.setChecked(True)
            self.key_path.setFocus()


def _kits(store: Any, plan_id: str) -> list[dict[str, Any]]:
    return list(store.kits(plan_id))
