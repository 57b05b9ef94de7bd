"""One reviewer's visit: the kit opened into a workspace, its records, the window's session."""
