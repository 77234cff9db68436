"""Helpers for Jiesu's tests: real servers, real processes, waiting with deadlines."""
