"""Demo data: a seeded, deterministic DEMO world for trying rapport without real data."""
