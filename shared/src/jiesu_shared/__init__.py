"""Jiesu shared kernel. Imports nothing from the services; connects to nothing at import time."""
