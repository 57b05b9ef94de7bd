"""The central service's schema history for Alembic (env.py and versions/).

Shipped as package data and configured in code (:mod:`sync.server.schema`): no alembic.ini is
needed where the service runs. A revision is a file in versions/ named ``rNNNN_<what>.py``
whose ``down_revision`` is the one before it; it describes its tables itself (never by importing
:mod:`sync.server.db`, which only ever says what the newest schema is).
"""
