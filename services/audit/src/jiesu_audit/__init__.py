"""Jiesu audit service."""
