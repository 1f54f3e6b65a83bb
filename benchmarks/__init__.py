"""Benchmarks, one command each (`python -m benchmarks.NAME`); results and how to read them: docs/performance.md."""
