"""Screens for departments without IT of their own, signed in with the department's API key."""
