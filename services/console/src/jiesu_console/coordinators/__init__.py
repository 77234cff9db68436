"""Screens for coordinators (street office, district, the 督办 desk) and administrators."""
