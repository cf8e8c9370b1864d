"""Reproducible benchmarks; run them with `.venv/bin/python -m benchmarks.run [name ...]`."""
