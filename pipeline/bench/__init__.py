"""Micro-benchmarks, runnable as modules (``python -m pipeline.bench.<name>``) or via ``orderflow bench``."""
