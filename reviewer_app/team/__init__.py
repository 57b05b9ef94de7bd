"""The team's work pooled: bundles exported and imported, devices and who wrote what."""
