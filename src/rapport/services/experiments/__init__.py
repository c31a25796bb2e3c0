"""A/B tests and online metrics: deterministic assignment, impressions and attribution,
metrics per model version, source and variant, and the report with its stop rule."""
