"""Jiesu dispatch: `python -m jiesu_dispatch` serves the HTTP API; `python -m jiesu_dispatch whatif …` replays
a period of the log under another routing table."""
import sys

from jiesu_shared.runtime import serve

from jiesu_dispatch.bootstrap import build_app
from jiesu_dispatch.config import DispatchSettings


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "whatif":
        from jiesu_dispatch.whatif.cli import main as whatif_main

        sys.exit(whatif_main(sys.argv[2:]))
    settings = DispatchSettings()
    serve(build_app(settings), settings, "dispatch")


if __name__ == "__main__":
    main()
