"""Fixtures for rognito's end-to-end tests.

Every test talks to a real `rognito serve` process over HTTP. The binary comes from the
`ROGNITO_BIN` environment variable, defaulting to `<repo>/target/debug/rognito`.

- `server`: one shared, session-scoped server (memory durability, default flags). Tests using it
  create their own pools, so they stay independent of each other.
- `start_server`: a factory that starts a server with custom flags and/or a given data dir; every
  server it starts is stopped (SIGTERM, then SIGKILL) when the test ends.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from rognito_helpers import Server, unique


@pytest.fixture(scope="session")
def server():
    with tempfile.TemporaryDirectory(prefix="rognito-e2e-") as tmp:
        srv = Server(Path(tmp), ["--durability", "memory", "--password-hashing", "fast"]).start()
        try:
            yield srv
        finally:
            srv.stop()


@pytest.fixture
def start_server(tmp_path):
    """`start_server(*flags, data_dir=None, durability="memory", **kwargs)` → a running Server.

    `flags` are extra `rognito serve` arguments (e.g. "--max-user-pools-per-account", "2").
    Pass the same `data_dir` to two servers (one after the other) to test persistence.
    `kwargs` go to `Server` (`root_credentials=False`, `capture_stdout=True`).
    """
    started: list[Server] = []

    def start(*flags: str, data_dir: Path | None = None, durability: str = "memory",
              **kwargs) -> Server:
        d = data_dir if data_dir is not None else tmp_path / f"data-{len(started)}"
        srv = Server(d, ["--durability", durability, *flags], **kwargs)
        started.append(srv)
        return srv.start()

    yield start
    for srv in started:
        srv.stop()


@pytest.fixture(scope="session")
def cognito(server):
    return server.client()


@pytest.fixture
def pool(cognito):
    """A fresh user pool on the shared server; its id."""
    resp = cognito.create_user_pool(PoolName=unique("pool"))
    return resp["UserPool"]["Id"]


