import logging

import uvicorn

from jiesu_reference_department.app import build_app
from jiesu_reference_department.config import ReferenceDepartmentSettings


def main() -> None:
    logging.basicConfig(level="INFO", format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    settings = ReferenceDepartmentSettings()
    uvicorn.run(build_app(settings), host=settings.host, port=settings.port, log_level="warning")


if __name__ == "__main__":
    main()
