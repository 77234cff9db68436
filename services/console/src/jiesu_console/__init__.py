"""Jiesu console: the screens of the hotline's people, over the services' HTTP APIs."""
