"""Find or start the real servers the tests need: a Kafka broker and a PostgreSQL.

A running broker named by KAFKA_BOOTSTRAP_SERVERS (or a PostgreSQL named by JIESU_TEST_POSTGRES_URL)
wins; otherwise the project's own deploy scripts start one, exactly as the test command does.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run_deploy(script: str, *args: str) -> str:
    result = subprocess.run(["bash", str(ROOT / "deploy" / script), *args], capture_output=True, text=True,
                            timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"deploy/{script} {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    lines = result.stdout.strip().splitlines()
    return lines[-1] if lines else ""  # "start" prints the address last; "stop" may print nothing


def kafka_bootstrap_servers() -> tuple[str, bool]:
    """(bootstrap address, whether this call started the broker)."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return os.environ["KAFKA_BOOTSTRAP_SERVERS"], False
    return _run_deploy("kafka.sh", "start"), True


def stop_kafka() -> None:
    _run_deploy("kafka.sh", "stop")


def postgres_url() -> tuple[str, bool]:
    if os.environ.get("JIESU_TEST_POSTGRES_URL"):
        return os.environ["JIESU_TEST_POSTGRES_URL"], False
    return _run_deploy("postgres.sh", "start"), True


def stop_postgres() -> None:
    _run_deploy("postgres.sh", "stop")
