"""The central service, the laptop's side: signing in, the outbox, syncing."""
