"""`python -m jiesu_console`: serve the console (port 8005 unless JIESU_PORT)."""
from __future__ import annotations

import logging

import uvicorn

from jiesu_console.app import build_app
from jiesu_console.config import ConsoleSettings


def main() -> None:
    settings = ConsoleSettings()
    logging.basicConfig(level=settings.log_level)
    uvicorn.run(build_app(settings), host=settings.host, port=settings.port, log_level=settings.log_level.lower(),
                proxy_headers=False)


if __name__ == "__main__":
    main()
