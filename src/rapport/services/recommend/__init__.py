"""Recommendation: signals, collaborative models, candidates, context, reasons, training."""
