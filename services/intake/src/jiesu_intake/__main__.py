from jiesu_shared.runtime import serve

from jiesu_intake.bootstrap import build_app
from jiesu_intake.config import IntakeSettings


def main() -> None:
    settings = IntakeSettings()
    serve(build_app(settings), settings, "intake")


if __name__ == "__main__":
    main()
