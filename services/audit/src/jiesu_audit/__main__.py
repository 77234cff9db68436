"""Jiesu audit: `python -m jiesu_audit` serves the HTTP API; `python -m jiesu_audit replay …` exports the log."""
import sys


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "replay":  # an export needs none of the server's imports (~0.8 CPU-s)
        from jiesu_audit.replay.cli import main as replay_main, without_pandas

        without_pandas()
        sys.exit(replay_main(sys.argv[2:]))
    from jiesu_shared.runtime import serve

    from jiesu_audit.bootstrap import build_app
    from jiesu_audit.config import AuditSettings

    settings = AuditSettings()
    serve(build_app(settings), settings, "audit")


if __name__ == "__main__":
    main()
