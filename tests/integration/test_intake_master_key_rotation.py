"""Rotating intake's master key, on SQLite and the real PostgreSQL: `python -m jiesu_intake rotate-master-key`
re-wraps every citizen's key and the pseudonym secret under the new key, the citizens' own keys (and so the
sealed data) unchanged; a rotation stopped half-way leaves intake refusing to start on either key alone until
the command, run again, finishes it; a wrong old key is refused before any row changes, and no key is printed.
Afterwards intake, given only the new key, reads every citizen's data and still recognises a returning caller."""
from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from jiesu_shared.store import Database

from jiesu_intake import privacy
from jiesu_intake.bootstrap import build_app
from jiesu_intake.config import IntakeSettings
from jiesu_intake.key_rotation import rotate_master_key, wrapped_by_other_keys
from jiesu_intake.master_key import MasterKey, MasterKeyError, load_master_key
from tests.integration.test_intake_http import OFFICER, OPERATORS, RECORDER
from tests.support.staff import STAFF

CITIZENS = [("王小明", "13911110001"), ("李华", "13911110002"), ("张伟", "13911110003"), ("刘洋", "13911110004"),
            ("陈静", "13911110005")]
PLACES = ["Shichahai", "Xinjiekou", "Jinrong", "Desheng", "Yuetan"]


def key_file(path: Path) -> Path:
    path.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    path.chmod(0o600)
    return path


def master(path: Path) -> MasterKey:
    return load_master_key(key_file=str(path), key_command=None, database_url="postgresql://")


def rotate_command(settings: IntakeSettings, old: Path, new: Path) -> subprocess.CompletedProcess[str]:
    """The operator's command, in its own process, configured as intake is: from the environment."""
    env = {**os.environ, "JIESU_DATABASE_URL": settings.database_url, "JIESU_MASTER_KEY_FILE": str(old)}
    return subprocess.run([sys.executable, "-m", "jiesu_intake", "rotate-master-key", "--new-key-file", str(new),
                           "--batch-size", "2"], capture_output=True, text=True, env=env, timeout=120)


def citizen_keys(url: str, key: MasterKey) -> dict[str, bytes]:
    """Each citizen's own key, unwrapped: what seals their data, which a rotation must not change."""
    database = Database(url)
    database.session_info[privacy.MASTER_KEY] = key
    try:
        with database.reading() as session:
            return {c.citizen_id: privacy._key_of(session, c) for c in session.exec(select(privacy.CitizenKey))}
    finally:
        database.dispose()


def test_rotation_stopped_half_way_then_finished_leaves_every_citizen_readable_with_the_new_key_only(
        database: Database, tmp_path: Path) -> None:
    old, new, wrong = (key_file(tmp_path / f"{n}.master-key") for n in ("old", "new", "wrong"))
    settings = IntakeSettings(embedded_log_path=str(tmp_path / "log.sqlite3"), database_url=database.url,
                              master_key_file=str(old), topic="cases", staff=[*STAFF, *OPERATORS])
    with TestClient(build_app(settings), headers=RECORDER) as client:
        cases = [client.post("/cases", json={"text": f"楼道灯坏了 {i}", "place": {"district": "Xicheng", "street": s},
                                             "contact": {"name": name, "phone": phone}}).json()["case_id"]
                 for i, ((name, phone), s) in enumerate(zip(CITIZENS, PLACES, strict=True))]
    before = citizen_keys(database.url, master(old))

    half = rotate_master_key(database, master(old), master(new), batch_size=2, limit=3)  # then "the crash"
    assert (half.rewrapped, half.remaining) == (3, 3)  # the pseudonym secret and two citizens; three left
    for key in (old, new):
        with pytest.raises(MasterKeyError, match="finish rotating"):
            build_app(settings.model_copy(update={"master_key_file": str(key)}))

    refused = rotate_command(settings, wrong, new)
    assert refused.returncode == 2 and "refused" in refused.stderr and master(old).key_id in refused.stderr
    for key in (old, new, wrong):
        assert key.read_text().strip() not in refused.stdout + refused.stderr
    with database.reading() as session:
        assert wrapped_by_other_keys(session, master(new).key_id) == {master(old).key_id: 3}  # nothing changed

    finished = rotate_command(settings, old, new)
    assert finished.returncode == 0, finished.stderr
    assert "re-wrapped 3 keys" in finished.stdout and "0 remain" in finished.stdout
    again = rotate_command(settings, old, new)
    assert again.returncode == 0 and "re-wrapped 0 keys" in again.stdout

    old.unlink()
    assert citizen_keys(database.url, master(new)) == before  # the same citizen keys: the sealed data untouched
    with TestClient(build_app(settings.model_copy(update={"master_key_file": str(new)})), headers=RECORDER) as client:
        shown = [client.get(f"/cases/{case}", headers=OFFICER).json() for case in cases]
        returning = client.post("/cases", json={"text": "灯还是不亮", "place": {"district": "Xicheng",
                                "street": "Shichahai"}, "contact": {"phone": CITIZENS[0][1]}}).json()
        returning_citizen = client.get(f"/cases/{returning['case_id']}", headers=OFFICER).json()["citizen_id"]
    assert [(s["contact"]["name"], s["contact"]["phone"]) for s in shown] == CITIZENS
    assert returning_citizen == shown[0]["citizen_id"]  # the pseudonym secret, re-wrapped, still finds them


def test_the_new_key_must_differ_and_the_command_needs_one(database: Database, tmp_path: Path) -> None:
    old = key_file(tmp_path / "old.master-key")
    with pytest.raises(MasterKeyError, match="the new master key is the old one"):
        rotate_master_key(database, master(old), master(old))
    settings = IntakeSettings(database_url=database.url, master_key_file=str(old))
    missing = rotate_command(settings, old, tmp_path / "absent.master-key")
    assert missing.returncode == 2 and "cannot read the master key file" in missing.stderr
