"""Jiesu intake service."""
