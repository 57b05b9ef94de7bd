"""Alembic's entry point: runs the revisions on the connection :mod:`sync.server.schema` gives.

The caller has opened the transaction (and on PostgreSQL taken the migration lock), so two
processes starting at once never both apply a revision.
"""

from __future__ import annotations

from alembic import context

from sync.server.db import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things: a revision's batch_alter_table copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
