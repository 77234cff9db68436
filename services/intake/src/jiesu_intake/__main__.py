"""`python -m jiesu_intake` serves intake; `python -m jiesu_intake rotate-master-key …` re-wraps its keys
under a new master key (key_rotation_command.py)."""
import sys

from jiesu_shared.runtime import serve

from jiesu_intake.bootstrap import build_app
from jiesu_intake.config import IntakeSettings


def main() -> None:
    if sys.argv[1:2] == ["rotate-master-key"]:
        from jiesu_intake.key_rotation_command import main as rotate

        sys.exit(rotate(sys.argv[2:]))
    settings = IntakeSettings()
    serve(build_app(settings), settings, "intake")


if __name__ == "__main__":
    main()
