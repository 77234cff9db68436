"""Intake's master key: where it comes from, and that a wrapped key opens only with it and only in its row."""
from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from jiesu_intake.master_key import MasterKey, MasterKeyError, load_master_key


def key_file(tmp_path: Path, content: str | None = None) -> str:
    path = tmp_path / "master.key"
    path.write_text(content if content is not None else base64.b64encode(os.urandom(32)).decode() + "\n")
    return str(path)


def test_a_wrapped_key_opens_with_its_master_key_in_its_own_row_only() -> None:
    master, other = MasterKey(os.urandom(32)), MasterKey(os.urandom(32))
    secret = os.urandom(32)
    wrapped = master.wrap(secret, "cz-1|k-1")
    assert wrapped.startswith("mk1.") and base64.b64encode(secret).decode() not in wrapped
    assert master.unwrap(wrapped, "cz-1|k-1") == secret
    with pytest.raises(MasterKeyError, match="does not belong to its row"):
        master.unwrap(wrapped, "cz-2|k-2")  # copied to another citizen's row
    with pytest.raises(MasterKeyError, match=f"wrapped by master key {master.key_id}, but this intake has {other.key_id}"):
        other.unwrap(wrapped, "cz-1|k-1")
    assert master.unwrap(base64.b64encode(secret).decode(), "cz-1|k-1") == secret  # an older, unwrapped value


def test_the_master_key_comes_from_a_file_or_a_command(tmp_path: Path) -> None:
    path = key_file(tmp_path)
    from_file = load_master_key(key_file=path, key_command=None, database_url="postgresql://db/intake")
    from_command = load_master_key(key_file=None, key_command=f"cat {path}", database_url="postgresql://db/intake")
    assert from_file == from_command and len(from_file.key) == 32


@pytest.mark.parametrize(("content", "says"), [("not base64!", "does not hold a base64 master key"),
                                               (base64.b64encode(b"short").decode(), "holds 5 bytes")])
def test_a_malformed_master_key_is_refused_with_the_reason(tmp_path: Path, content: str, says: str) -> None:
    with pytest.raises(MasterKeyError, match=says):
        load_master_key(key_file=key_file(tmp_path, content), key_command=None, database_url="sqlite:///x")


def test_a_failing_command_or_missing_file_is_refused_without_echoing_what_it_printed(tmp_path: Path) -> None:
    with pytest.raises(MasterKeyError, match="exited with 3") as failed:
        load_master_key(key_file=None, key_command="sh -c 'echo TOPSECRET >&2; exit 3'", database_url="sqlite:///x")
    assert "TOPSECRET" not in str(failed.value)
    with pytest.raises(MasterKeyError, match="cannot read the master key file"):
        load_master_key(key_file=str(tmp_path / "absent"), key_command=None, database_url="sqlite:///x")


def test_on_one_machine_intake_makes_its_own_key_file_once_and_on_a_shared_database_it_must_be_given(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/intake.sqlite3"
    first = load_master_key(key_file=None, key_command=None, database_url=url)
    made = tmp_path / "intake.master-key"
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    assert load_master_key(key_file=None, key_command=None, database_url=url) == first
    with pytest.raises(MasterKeyError, match="set JIESU_MASTER_KEY_FILE or JIESU_MASTER_KEY_COMMAND"):
        load_master_key(key_file=None, key_command=None, database_url="postgresql+psycopg://db/intake")
