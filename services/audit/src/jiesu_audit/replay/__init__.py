"""Replay the whole log into de-identified research exports: JSON Lines, Parquet, XES and OCEL 2.0."""
