from jiesu_shared.runtime import serve

from jiesu_audit.bootstrap import build_app
from jiesu_audit.config import AuditSettings


def main() -> None:
    settings = AuditSettings()
    serve(build_app(settings), settings, "audit")


if __name__ == "__main__":
    main()
