"""Intake's pure domain: no I/O, no framework."""
