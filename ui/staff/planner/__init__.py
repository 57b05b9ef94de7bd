"""The visit planner: one tab per part of a plan (details, standards, team, timetable, the
provider's documents, build). ``PlanEditor`` holds the plan being edited and saves it a moment
after each change; every tab redraws from the plan when it is shown."""
