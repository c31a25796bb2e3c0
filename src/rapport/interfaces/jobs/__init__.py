"""Background jobs: in embedded mode an in-process scheduler runs them."""
