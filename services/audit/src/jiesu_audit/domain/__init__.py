"""Audit's pure core: folds over events (no I/O), so the same log always gives the same answers."""
