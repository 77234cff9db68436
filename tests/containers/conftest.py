"""The images are built (or found cached) once per run: the plain-podman topology and the compose stack
both run them."""
from __future__ import annotations

import time

import pytest

from tests.containers.podman import build_images


@pytest.fixture(scope="session")
def images() -> dict[str, str]:
    started = time.monotonic()
    built = build_images()
    print(f"images ready in {time.monotonic() - started:.0f} s: {sorted(built)}")
    return built
