"""Benchmarks that print numbers (never timed tests): `python -m jiesu_simulator.bench`."""
