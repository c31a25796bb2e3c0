"""Offline evaluation: ranking metrics, the time-split protocol, choosing a model's settings on
a validation split, peer comparison, and BEIR retrieval sets. Used by training and benchmarks."""
