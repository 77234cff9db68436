"""Dispatch's pure domain: no I/O, no framework."""
