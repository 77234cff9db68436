"""`python -m jiesu_intake` serves intake; `python -m jiesu_intake rotate-master-key …` re-wraps its keys
under a new master key (key_rotation_command.py)."""
import sys

from jiesu_shared.runtime import serve

from jiesu_intake.bootstrap import build_app
from jiesu_intake.collector import set_for_serving
from jiesu_intake.config import IntakeSettings


def main() -> None:
    if sys.argv[1:2] == ["rotate-master-key"]:
        from jiesu_intake.key_rotation_command import main as rotate

        sys.exit(rotate(sys.argv[2:]))
    settings = IntakeSettings()
    app = build_app(settings)
    set_for_serving()  # after start-up: what it built is frozen out of the collector's walks
    serve(app, settings, "intake")


if __name__ == "__main__":
    main()
