"""What an import did, file by file: the receipt after an import, and the import history.

Both show receipts (``Receipt.to_dict()``) the same way, as calm, selectable text: for each file
who it came from and when it was made, first any device it brought that says it is a member whose
device is already known (flagged, with its fingerprint words), then new operations, already
known, conflicts, disagreements, operations held back and released, refused and held operations
(each with its reason); or, for a file refused as a whole, the sentence saying why and that
nothing changed.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout, QWidget

from reviewer_app.visit.read_model import VisitData
from ui.text_style import heading

MAX_REFUSED_SHOWN = 20
FLAG_COLOUR = "#8a4b00"  # the conflicts badge's amber, on the text browser's own background


def when(text: str) -> str:
    """An ISO time as a person reads it, in this laptop's time zone ("Tue 3 Jun 14:05")."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return text or "an unknown time"
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return f"{moment:%a} {moment.day} {moment:%b %H:%M}"


def _plural(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def receipt_html(receipt: dict[str, Any], data: VisitData) -> str:
    """One file's receipt as HTML (every piece of text escaped)."""
    e = html.escape
    name = Path(str(receipt.get("file", ""))).name
    out = [f"<h3>{e(name)}</h3>"]
    if receipt.get("refused_file"):
        out.append(
            "<p><b>Refused — nothing was imported from this file.</b><br>"
            f"{e(str(receipt['refused_file']))}</p>"
        )
        return "".join(out)
    member_id = str(receipt.get("member_id", ""))
    member = data.visit.member(member_id)
    who = receipt.get("member_name") or (member.name if member else member_id)
    out.append(
        f"<p>From <b>{e(str(who))}</b>, made {e(when(str(receipt.get('created_at', ''))))}; "
        f"imported {e(when(str(receipt.get('imported_at', ''))))}.</p>"
    )
    for flag in receipt.get("flagged") or []:
        sentence = str(flag.get("sentence", "")).rstrip(".")
        out.append(
            f'<p style="color:{FLAG_COLOUR}"><b>⚠ {e(sentence)}.</b><br>'
            "The lead reviewer accepts or refuses it in Team &gt; Team overview.</p>"
        )
    refused = list(receipt.get("refused") or [])
    held = list(receipt.get("held") or [])
    lines = [
        _plural(int(receipt.get("new", 0)), "new operation"),
        f"{int(receipt.get('known', 0))} already known",
        _plural(int(receipt.get("conflicts", 0)), "conflict"),
        _plural(int(receipt.get("disagreements", 0)), "disagreement") + " in the visit now",
        _plural(len(refused), "refused operation"),
    ]
    if held:
        lines.append(_plural(int(receipt.get("held_count", len(held))), "operation") + " held back")
    if int(receipt.get("released", 0)):
        lines.append(
            _plural(int(receipt.get("released", 0)), "operation") + " held before, now accepted"
        )
    out.append("<ul>" + "".join(f"<li>{e(line)}</li>" for line in lines) + "</ul>")
    if receipt.get("note"):
        out.append(f"<p><i>{e(str(receipt['note']).capitalize())}.</i></p>")
    if refused:
        out.append("<p>Refused operations (the rest of the file was imported):</p>")
        out.append(_op_list(refused, data))
    if held:
        out.append("<p>Held back (kept aside, not in the visit until they can be accepted):</p>")
        out.append(_op_list(held, data))
    return "".join(out)


def _op_list(entries: Sequence[dict[str, Any]], data: VisitData) -> str:
    """Operations of a receipt, what and by whom, each with its reason (the first few)."""
    e = html.escape
    out = ["<ul>"]
    for r in entries[:MAX_REFUSED_SHOWN]:
        whose = data.visit.member(str(r.get("member_id", "")))
        by = whose.name if whose else str(r.get("member_id", ""))
        what = str(r.get("entity", "")).replace("_", " ")
        out.append(f"<li>{e(what)} by {e(by)}: {e(str(r.get('reason', '')))}</li>")
    if len(entries) > MAX_REFUSED_SHOWN:
        out.append(f"<li>… and {len(entries) - MAX_REFUSED_SHOWN} more like these</li>")
    out.append("</ul>")
    return "".join(out)


def summary_line(receipts: Sequence[dict[str, Any]]) -> str:
    refused = sum(1 for r in receipts if r.get("refused_file"))
    new = sum(int(r.get("new", 0)) for r in receipts)
    held = sum(int(r.get("held_count", len(r.get("held") or []))) for r in receipts)
    flagged = sum(len(r.get("flagged") or []) for r in receipts)
    files = _plural(len(receipts), "file")
    tail = f"; {_plural(held, 'operation')} held back" if held else ""
    tail += f"; {_plural(flagged, 'device')} for the lead to confirm" if flagged else ""
    tail += f"; {_plural(refused, 'file')} refused" if refused else ""
    return f"{files} read: {_plural(new, 'new operation')}{tail}."


class ReceiptsView(QDialog):
    """Receipts in a window that does not block the visit (Close or Esc closes it)."""

    def __init__(
        self,
        parent: QWidget | None,
        title: str,
        receipts: Sequence[dict[str, Any]],
        data: VisitData,
        empty: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.resize(620, 520)
        layout = QVBoxLayout(self)
        self.summary = QLabel(summary_line(receipts) if receipts else empty, self)
        self.summary.setAccessibleName("Summary")
        self.summary.setWordWrap(True)
        heading(self.summary, 1.1)
        self.text = QTextBrowser(self)
        self.text.setAccessibleName("Receipts")
        self.text.setOpenLinks(False)
        self.text.setHtml("<hr>".join(receipt_html(r, data) for r in receipts))
        self.text.setVisible(bool(receipts))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(self.summary)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def plain_text(self) -> str:
        return f"{self.summary.text()}\n{self.text.toPlainText()}"

    @classmethod
    def present(
        cls,
        parent: QWidget | None,
        title: str,
        receipts: Sequence[dict[str, Any]],
        data: VisitData,
        empty: str = "",
    ) -> ReceiptsView:
        """Show the receipts without blocking; the window is returned for tests to read."""
        view = cls(parent, title, receipts, data, empty)
        view.open()
        return view


def show_receipts(
    parent: QWidget | None, receipts: Sequence[dict[str, Any]], data: VisitData
) -> ReceiptsView:
    return ReceiptsView.present(parent, "Import receipt", receipts, data)


def show_history(
    parent: QWidget | None, history: Sequence[dict[str, Any]], data: VisitData
) -> ReceiptsView:
    """Every import on this laptop, newest first."""
    return ReceiptsView.present(
        parent,
        "Import history",
        list(reversed(history)),
        data,
        empty="No bundles have been imported on this laptop yet.",
    )
