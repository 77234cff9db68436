"""Jiesu agency-gateway service."""
