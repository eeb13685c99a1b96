"""`make bench`: the engine measured against raw baselines in the same run (see tests/benchmarks/run.py)."""
