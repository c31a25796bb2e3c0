"""Access: per-tenant API keys with scopes, and who a presented key is."""
