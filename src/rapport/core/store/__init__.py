"""Storage: one interface over SQLite and PostgreSQL."""
