"""A Kafka broker of the test's own (deploy/kafka.sh with its own state directory and ports), so a test
may stop, kill and restart it without touching the broker everyone else shares."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from deploy.local_stack import free_port

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "kafka.sh"


@dataclass
class PrivateBroker:
    state: Path
    port: int = 0
    controller_port: int = 0

    def __post_init__(self) -> None:
        self.port = self.port or free_port()
        self.controller_port = self.controller_port or free_port()

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
        env.update(JIESU_STATE_DIR=str(self.state), JIESU_KAFKA_PORT=str(self.port),
                   JIESU_KAFKA_CONTROLLER_PORT=str(self.controller_port))
        subprocess.run([str(SCRIPT), "start"], env=env, check=True, capture_output=True, timeout=240)

    def pid(self) -> int:
        return int((self.state / "kafka" / "kafka.pid").read_text().strip())

    def stop(self, how: signal.Signals = signal.SIGTERM, timeout: float = 60) -> float:
        """Stop it (TERM: a graceful stop; KILL: kill -9); returns how long it took to go."""
        pid, began = self.pid(), time.monotonic()
        os.kill(pid, how)
        while os.path.exists(f"/proc/{pid}") and time.monotonic() - began < timeout:
            if how == signal.SIGTERM and time.monotonic() - began > timeout / 2:
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.1)  # waiting for the process to be gone, with a deadline
        return time.monotonic() - began
