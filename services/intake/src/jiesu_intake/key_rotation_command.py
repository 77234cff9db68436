"""`python -m jiesu_intake rotate-master-key`: the operator's command around `key_rotation.py`. The old
master key is the one intake runs with (JIESU_MASTER_KEY_FILE or JIESU_MASTER_KEY_COMMAND), the database
JIESU_DATABASE_URL; the new key comes from --new-key-file or --new-key-command. Only key ids are printed."""
from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import SQLAlchemyError

from jiesu_shared.store import Database

from jiesu_intake.config import IntakeSettings
from jiesu_intake.key_rotation import rotate_master_key
from jiesu_intake.master_key import MasterKeyError, load_master_key


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m jiesu_intake rotate-master-key", description=(
        "Re-wrap every citizen key and the pseudonym secret under a new master key, with intake stopped. "
        "Safe to run again after an interruption; start intake with the new key once it reports 0 remaining."))
    new = parser.add_mutually_exclusive_group(required=True)
    new.add_argument("--new-key-file", help="a file holding the new master key (32 random bytes, base64)")
    new.add_argument("--new-key-command", help="a command that prints the new master key (a KMS's CLI)")
    parser.add_argument("--batch-size", type=_positive, default=500, help="rows re-wrapped per transaction")
    return parser.parse_args(argv)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def main(argv: list[str]) -> int:
    args = parse(argv)
    settings = IntakeSettings()
    database = Database(settings.database_url)
    try:
        old = load_master_key(key_file=settings.master_key_file, key_command=settings.master_key_command,
                              database_url=settings.database_url)
        new = load_master_key(key_file=args.new_key_file, key_command=args.new_key_command,
                              database_url=settings.database_url)
        done = rotate_master_key(database, old, new, batch_size=args.batch_size)
    except MasterKeyError as exc:
        print(f"rotate-master-key: refused: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        print(f"rotate-master-key: the database failed ({type(exc).__name__}); run it again to go on: "
              f"{exc.orig if hasattr(exc, 'orig') else exc}", file=sys.stderr)
        return 1
    finally:
        database.dispose()
    print(f"rotate-master-key: re-wrapped {done.rewrapped} keys from master key {old.key_id} to {new.key_id}; "
          f"{done.remaining} remain under another key")
    return 0 if done.remaining == 0 else 1
