"""Services: what the engine does, built on core and composed by `Engine`."""
