"""The application's plumbing: the command line, paths, settings, logs, errors, this device."""
