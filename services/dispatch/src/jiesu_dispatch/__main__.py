from jiesu_shared.runtime import serve

from jiesu_dispatch.bootstrap import build_app
from jiesu_dispatch.config import DispatchSettings


def main() -> None:
    settings = DispatchSettings()
    serve(build_app(settings), settings, "dispatch")


if __name__ == "__main__":
    main()
