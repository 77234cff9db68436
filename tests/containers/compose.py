"""deploy/compose.yaml run by a real compose tool (podman-compose, a dev dependency: podman 4.3 has no
`podman compose`), with exactly the commands deploy/README.md gives; each test's project has its own name."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from tests.containers.podman import ENV, ROOT
from tests.support.waiting import eventually

COMPOSE_FILE = "deploy/compose.yaml"


def podman_compose() -> str:
    """The podman-compose that `uv sync` put beside this Python."""
    beside = Path(sys.executable).parent / "podman-compose"
    found = str(beside) if beside.exists() else shutil.which("podman-compose")
    assert found, "podman-compose is missing: it is a dev dependency (uv sync)"
    return found


class ComposeProject:
    """One `podman-compose -f deploy/compose.yaml` project, configured only through its environment."""

    def __init__(self, environment: Mapping[str, str]) -> None:
        self.environment = {**ENV, **environment}
        self.name = environment["COMPOSE_PROJECT_NAME"]

    def run(self, *args: str, extra: Mapping[str, str] = {}, timeout: float = 600) -> str:
        result = subprocess.run([podman_compose(), "-f", COMPOSE_FILE, *args], cwd=ROOT, capture_output=True,
                                text=True, env={**self.environment, **extra}, timeout=timeout)
        assert result.returncode == 0, f"podman-compose {' '.join(args)} failed:\n{result.stderr[-4000:]}"
        return result.stdout + result.stderr

    def containers(self) -> dict[str, str]:
        """{service: container name} of this project's containers (podman's labels, as compose sets them)."""
        listed = subprocess.run(["podman", "ps", "--all", "--filter", f"label=io.podman.compose.project={self.name}",
                                 "--format", '{{.Names}} {{index .Labels "com.docker.compose.service"}}'],
                                capture_output=True, text=True, env=ENV, timeout=60, check=True).stdout
        return {service: name for name, service in (line.split() for line in listed.splitlines())}

    def wait_healthy(self, service: str, timeout: float = 300) -> None:
        """The image's HEALTHCHECK run until it passes (podman's timers for it need systemd, absent here)."""
        name = self.containers()[service]

        def healthy() -> bool:
            return subprocess.run(["podman", "healthcheck", "run", name], capture_output=True, env=ENV,
                                  timeout=30).returncode == 0

        eventually(healthy, timeout=timeout, interval=1, what=f"{name}'s HEALTHCHECK")

    def logs(self, service: str) -> str:
        result = subprocess.run(["podman", "logs", "--tail", "40", self.containers()[service]], capture_output=True,
                                text=True, env=ENV, timeout=30)
        return result.stdout + result.stderr

    def down(self) -> None:
        """Containers, network and named volumes removed. podman-compose's `down` ignores a container it could
        not remove (one its restart policy was starting again, seen under load): those are removed here, and
        said so."""
        try:
            self.run("--profile", "reference", "down", "--volumes", timeout=300)
        finally:
            self._remove_leftovers()

    def _remove_leftovers(self) -> None:
        label = f"label=io.podman.compose.project={self.name}"
        for kind, listing in (("container", ["ps", "--all", "--format", "{{.Names}}"]),
                              ("volume", ["volume", "ls", "--format", "{{.Name}}"]),
                              ("network", ["network", "ls", "--format", "{{.Name}}"])):
            left = subprocess.run(["podman", *listing, "--filter", label], capture_output=True, text=True, env=ENV,
                                  timeout=60).stdout.split()
            if left:
                print(f"podman-compose down left {kind}s {left}: removing them")
                remove = ["rm", "--force", "--volumes"] if kind == "container" else [kind, "rm", "--force"]
                subprocess.run(["podman", *remove, *left], capture_output=True, env=ENV, timeout=120)


def own_master_key_file(path: Path, key: str) -> Path:
    """The master key file as the guide says: owned by the services' user (compose bind-mounts it), 0400."""
    path.write_text(key)
    os.chown(path, 10001, 10001)
    path.chmod(0o400)
    return path
