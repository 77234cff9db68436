"""A master key file for intake (master_key.py), as an operator would provide one on PostgreSQL."""
from __future__ import annotations

import base64
import os
from pathlib import Path


def master_key_file(directory: Path) -> str:
    path = directory / "intake.master-key"
    path.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    path.chmod(0o600)
    return str(path)
