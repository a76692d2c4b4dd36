"""A real OpenID Connect provider for the sign-in tests: node's oidc-provider (tests/oidc),
started on a free loopback port, stopped afterwards. Never a mocked token endpoint."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.smtp import free_port

PROVIDER_DIR = Path(__file__).resolve().parents[2] / "oidc"
CLIENT_ID = "assure360"
CLIENT_SECRET = "a test secret for the test provider"


@dataclass(frozen=True)
class RunningProvider:
    issuer: str
    log: Path


def provider_port() -> int:
    """A port for the provider, chosen before the app is built (its issuer names the port)."""
    return free_port()


@contextmanager
def running_provider(port: int, redirect_uri: str, log: Path) -> Iterator[RunningProvider]:
    """Run the provider on ``port``, registered with one client that returns to
    ``redirect_uri``, until the block ends."""
    assert (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir(), (
        "run `npm ci` in tests/oidc (scripts/run-tests.sh does)"
    )
    env = {
        **os.environ,
        "PORT": str(port),
        "REDIRECT_URI": redirect_uri,
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
    }
    issuer = f"http://127.0.0.1:{port}"
    discovery_url = f"{issuer}/.well-known/openid-configuration"
    with log.open("w") as output:
        process = subprocess.Popen(
            ["node", "provider.js"], cwd=PROVIDER_DIR, env=env, stdout=output, stderr=output
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, log.read_text()
                try:
                    discovery = requests.get(discovery_url, timeout=2)
                    if discovery.ok:
                        break
                except requests.ConnectionError:
                    pass
                assert time.monotonic() < deadline, "the provider did not start: " + log.read_text()
                time.sleep(0.2)
            yield RunningProvider(issuer, log)
        finally:
            process.terminate()
            process.wait(timeout=10)
