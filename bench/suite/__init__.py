"""The benchmark suite behind ``make bench`` (entry point: bench/run.py). See docs/performance.md."""
