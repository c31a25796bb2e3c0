"""The command line (typer + rich), mirroring the library and the REST API."""
