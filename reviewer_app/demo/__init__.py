"""The demo visit and synthetic kits for benchmarks."""
