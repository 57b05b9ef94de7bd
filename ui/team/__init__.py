"""The team's side of the reviewer's window (issue 4): bundles, register, conflicts, overview.

``ui.team.import_export.install(window)`` adds the Team menu, bundle drops and the conflicts
badge; ``ui.team.team_judgement.TeamJudgementLine`` is the standard page's team judgement line.
"""
