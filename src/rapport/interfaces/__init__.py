"""Interfaces: thin adapters (REST API, CLI) over `Engine`."""
