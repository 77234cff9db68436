"""The gateway's pure domain: no I/O, no framework."""
