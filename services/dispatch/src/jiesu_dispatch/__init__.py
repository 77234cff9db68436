"""Jiesu dispatch service."""
