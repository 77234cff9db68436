"""Build the images with deploy/images.sh and run containers with podman, as the deployment guide does."""
from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

from tests.support.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
# runc and no ulimits: what works on these machines (deploy/images/containers.conf says why)
ENV = {**os.environ, "CONTAINERS_CONF": os.environ.get("CONTAINERS_CONF", str(ROOT / "deploy/images/containers.conf"))}


def build_images() -> dict[str, str]:
    """Every image, built (or found cached) by the project's script: {short name: image}."""
    result = subprocess.run(["bash", str(ROOT / "deploy/images.sh"), "all"], capture_output=True, text=True,
                            env=ENV, timeout=1500)
    assert result.returncode == 0, f"deploy/images.sh failed:\n{result.stderr[-4000:]}"
    images = result.stdout.split()
    return {image.split("/")[-1].split(":")[0].removeprefix("jiesu-"): image for image in images}


def podman(*args: str, timeout: float = 120) -> str:
    result = subprocess.run(["podman", *args], capture_output=True, text=True, env=ENV, timeout=timeout)
    assert result.returncode == 0, f"podman {' '.join(args[:3])} … failed: {result.stderr[-2000:]}"
    return result.stdout.strip()


class Containers:
    """Containers started by one test, on the host's network, removed at the end."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.names: list[str] = []
        self.secrets: list[str] = []

    def secret(self, name: str, value: str) -> str:
        """A podman secret (as compose's `secrets:` and a Kubernetes Secret volume): a file in the container,
        never in its environment or image."""
        full = f"{self.prefix}-{name}"
        subprocess.run(["podman", "secret", "create", full, "-"], input=value, text=True, check=True,
                       capture_output=True, env=ENV, timeout=60)
        self.secrets.append(full)
        return full

    def run(self, name: str, image: str, env: Mapping[str, str], secrets: Mapping[str, str] = {}) -> str:
        """`secrets`: secret name -> path in the container, readable by the image's user only."""
        full = f"{self.prefix}-{name}"
        flags = [f"--env={k}={v}" for k, v in env.items()]
        flags += [f"--secret={secret},type=mount,target={path},uid=10001,mode=0400" for secret, path in secrets.items()]
        # restart=always, as compose's `restart: unless-stopped` and Kubernetes do: a service whose background
        # worker fails ends its process (exit 0), to be started afresh
        podman("run", "--detach", "--restart=always", "--name", full, "--network=host", *flags, image)
        self.names.append(full)
        return full

    def wait_healthy(self, name: str, timeout: float = 120) -> None:
        """The image's own HEALTHCHECK, run until it passes (podman's timers need systemd, absent here)."""
        full = f"{self.prefix}-{name}"

        def healthy() -> bool:
            state = podman("inspect", "--format", "{{.State.Status}}", full)
            assert state == "running", f"{full} is {state}:\n{self.logs(name)}"
            return subprocess.run(["podman", "healthcheck", "run", full], capture_output=True, env=ENV,
                                  timeout=30).returncode == 0

        eventually(healthy, timeout=timeout, interval=0.5, what=f"{full}'s HEALTHCHECK")

    def user(self, name: str) -> str:
        return podman("exec", f"{self.prefix}-{name}", "id", "-u")

    def short_names(self) -> list[str]:
        return [full.removeprefix(f"{self.prefix}-") for full in self.names]

    def crashed_workers(self, name: str) -> list[str]:
        """The background workers whose failure ended the service's process (its own log line says which)."""
        result = subprocess.run(["podman", "logs", f"{self.prefix}-{name}"], capture_output=True, text=True,
                                env=ENV, timeout=30)
        return re.findall(r"background worker (\S+) crashed", result.stdout + result.stderr)

    def logs(self, name: str) -> str:
        result = subprocess.run(["podman", "logs", "--tail", "60", f"{self.prefix}-{name}"], capture_output=True,
                                text=True, env=ENV, timeout=30)
        return result.stdout + result.stderr

    def remove_all(self) -> None:
        for full in reversed(self.names):
            subprocess.run(["podman", "rm", "--force", "--volumes", "--time", "5", full], capture_output=True,
                           env=ENV, timeout=60)  # --volumes: its anonymous data volumes too
        for secret in self.secrets:
            subprocess.run(["podman", "secret", "rm", secret], capture_output=True, env=ENV, timeout=60)
