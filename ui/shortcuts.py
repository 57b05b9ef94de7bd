"""Every keyboard shortcut of the reviewer's window, named once.

Each constant is a tuple of key sequences (the first is the one menus show). The plain digits
1-4 judge the shown standard; text boxes claim printable keys before shortcuts are looked up
(Qt's ShortcutOverride), so typing "2" into a reason never judges anything. Alt+1..4 judge from
anywhere, including from inside a text box.

Choices avoid the keys text editing needs (Ctrl+Left/Right, Ctrl+Up/Down, Home/End, Ctrl+A...)
and the platform's standard Open (Ctrl+O) and Print (Ctrl+P).
"""

from __future__ import annotations

Keys = tuple[str, ...]

# -- moving around ---------------------------------------------------------------------------
NEXT_STANDARD: Keys = ("Alt+Down", "Ctrl+]", "F8")
PREVIOUS_STANDARD: Keys = ("Alt+Up", "Ctrl+[", "Shift+F8")
FIND: Keys = ("Ctrl+F",)
FOCUS_NAVIGATOR: Keys = ("Ctrl+G",)  # "go to the list" (it was Ctrl+L, now Lock's)
FOCUS_REASON: Keys = ("Ctrl+R",)
NEXT_PANE: Keys = ("F6",)
SIDE_PANEL: Keys = ("F9",)  # show or fold away the timetable and observations
TIMETABLE: Keys = ("Ctrl+T",)
OBSERVATIONS: Keys = ("Ctrl+Shift+L",)

# -- judging (plain digits only where no text box has the focus) ------------------------------
JUDGE_MET: Keys = ("1", "Alt+1")
JUDGE_NOT_MET: Keys = ("2", "Alt+2")
JUDGE_NOT_APPLICABLE: Keys = ("3", "Alt+3")
JUDGE_NOT_ASSESSED: Keys = ("4", "Alt+4")
USE_SUGGESTION: Keys = ("Ctrl+U",)

# -- recording --------------------------------------------------------------------------------
ADD_EVIDENCE: Keys = ("Ctrl+E",)
ADD_NOTE: Keys = ("Ctrl+N",)
ADD_OBSERVATION: Keys = ("Ctrl+Shift+O",)
ADD_PHOTO: Keys = ("Ctrl+Shift+P",)

# -- editing and the visit ---------------------------------------------------------------------
UNDO: Keys = ("Ctrl+Z",)
REDO: Keys = ("Ctrl+Shift+Z", "Ctrl+Y")
EVIDENCE_VIEWER: Keys = ("Ctrl+Shift+E",)
CLOSE_VISIT: Keys = ("Ctrl+W",)
LOCK: Keys = ("Ctrl+L",)  # the visit closed, its key out of memory, until unlocked (issue 19)
SHORTCUTS_HELP: Keys = ("F1",)

# -- the team (issue 4): bundles, the register, conflicts ------------------------------------
EXPORT_BUNDLE: Keys = ("Ctrl+Shift+S",)
IMPORT_BUNDLES: Keys = ("Ctrl+Shift+I",)
DISAGREEMENTS: Keys = ("Ctrl+Shift+G",)

# -- the lead (issue 5): findings, immediate risks, reports, finalisation ---------------------
FINDINGS: Keys = ("Ctrl+Shift+F",)
IMMEDIATE_RISKS: Keys = ("Ctrl+Shift+R",)
COMPLIANCE: Keys = ("Ctrl+Shift+K",)  # the figures the sheet and the report will print
FEEDBACK_SHEET: Keys = ("Ctrl+Shift+B",)  # "brief the provider": the end-of-visit feedback
DRAFT_REPORT: Keys = ("Ctrl+Shift+D",)
REPORT_PREVIEW: Keys = ("Ctrl+Shift+V",)
# Inside the findings window only (its own window: Alt+Up/Down move between standards in the
# reviewer's window and move the chosen finding here).
NEW_FINDING: Keys = ("Ctrl+Shift+N",)
MOVE_FINDING_UP: Keys = ("Alt+Up",)
MOVE_FINDING_DOWN: Keys = ("Alt+Down",)
PROMOTE_OBSERVATION: Keys = ("Ctrl+Shift+M",)
SAVE_FINDING: Keys = ("Ctrl+Return", "Ctrl+Enter")

# -- the central service (issue 6): the sync centre -------------------------------------------
SYNC_CENTRE: Keys = ("Ctrl+Shift+Y",)  # from the reviewer window's Visit menu
SYNC_NOW: Keys = ("F5",)  # inside the sync centre
