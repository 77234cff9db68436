"""Start Jiesu's services as separate local processes: used by the demo and by the end-to-end tests."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import httpx

SERVICES = {"intake": "jiesu_intake", "dispatch": "jiesu_dispatch", "gateway": "jiesu_gateway",
            "audit": "jiesu_audit"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServiceProcess:
    """One service in its own process, its output in a log file."""

    def __init__(self, module: str, env: Mapping[str, str], log_path: Path) -> None:
        self.module = module
        self.port = int(env["JIESU_PORT"] if "JIESU_PORT" in env else env["REFDEPT_PORT"])
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("w")
        self.process = subprocess.Popen([sys.executable, "-m", module], env={**os.environ, **env},
                                        stdout=self._log, stderr=subprocess.STDOUT)

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.module} exited early:\n{self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.module} did not answer /health within {timeout}s (log: {self.log_path})")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def start_services(common_env: Mapping[str, str], state_dir: Path, ports: Mapping[str, int] | None = None,
                   only: Iterable[str] = SERVICES, health_timeout: float = 60) -> dict[str, ServiceProcess]:
    """Start the four services (or `only` some), each with its own database, port, log and trace file;
    wait until healthy."""
    processes: dict[str, ServiceProcess] = {}
    port = {name: (ports or {}).get(name) or free_port() for name in only}
    # the gateway asks intake for a live task's personal data, and audit for a department's own figures
    peers = {f"JIESU_{name.upper()}_URL": f"http://127.0.0.1:{port[name]}" for name in ("intake", "audit")
             if name in port}
    try:
        for name in only:
            module = SERVICES[name]
            env = {**peers, **common_env, "JIESU_PORT": str(port[name]),
                   "JIESU_DATABASE_URL": f"sqlite:///{state_dir}/{name}.sqlite3",
                   "JIESU_TRACE_FILE": str(state_dir / "traces" / f"{name}.jsonl")}
            processes[name] = ServiceProcess(module, env, state_dir / "logs" / f"{name}.log")
        for process in processes.values():
            process.wait_healthy(health_timeout)
    except BaseException:
        stop_all(processes)
        raise
    return processes


def start_console(services: Mapping[str, ServiceProcess], state_dir: Path, port: int | None = None,
                  env: Mapping[str, str] | None = None) -> ServiceProcess:
    """The console (jiesu_console) in its own process, talking to the running services over HTTP; waits
    until healthy. It holds no credential of its own: people sign in with theirs."""
    urls = {f"JIESU_{name.upper()}_URL": process.url for name, process in services.items()}
    console = ServiceProcess("jiesu_console", {**urls, **(env or {}), "JIESU_PORT": str(port or free_port()),
                                               "JIESU_DATABASE_URL": f"sqlite:///{state_dir}/console.sqlite3"},
                             state_dir / "logs" / "console.log")
    try:
        console.wait_healthy()
    except BaseException:
        console.stop()
        raise
    return console


def stop_all(processes: Mapping[str, ServiceProcess]) -> None:
    for process in processes.values():
        process.stop()
