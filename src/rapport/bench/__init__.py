"""Benchmarks: measured on real data, side by side with peers in the same run."""
