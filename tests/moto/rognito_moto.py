"""pytest plugin that runs moto's own cognito-idp tests against a real rognito server.

Loaded by tests/moto/run with `-p rognito_moto`. On import (before pytest imports moto or the
tests) it starts `rognito serve` on a free loopback port and points moto's server mode at it
(`TEST_SERVER_MODE=true`, `TEST_SERVER_MODE_ENDPOINT`), so every `@mock_aws` test sends its
boto3 calls to rognito. moto's `mock_aws` POSTs `/moto-api/reset` at the start and end of each
test (rognito answers 404, which moto ignores); to give each test the clean slate that reset
promises, the plugin restarts the server (memory durability: nothing survives) on the same port
before every test, for the region the test's clients sign for.

tests/moto/expected.toml lists the tests expected to fail, each with a category and a reason;
they are marked strict xfail, so an unexpected pass fails the run as an unexpected failure does.
"""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import threading
import time
import tomllib
from collections import Counter
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BINARY = Path(os.environ.get("ROGNITO_BIN", REPO / "target" / "debug" / "rognito"))
EXPECTED = Path(os.environ.get("ROGNITO_MOTO_EXPECTED", HERE / "expected.toml"))
# moto's tests sign for us-west-2 (199 of 218 clients) and assert account 123456789012 in ARNs.
# A rognito server serves one region; moto's serves all at one endpoint. A test whose clients all
# sign for one other region gets a server for that region (see `_region_of`).
REGION = "us-west-2"
ACCOUNT_ID = "123456789012"
CATEGORIES = {
    "a": "needs an operation rognito does not implement",
    "b": "asserts moto-specific behaviour that differs from AWS",
    "c": "needs moto internals or moto's server-only features",
}
_LISTENING = re.compile(r"rognito listening on http://[0-9.]+:([0-9]+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class Rognito:
    def __init__(self) -> None:
        self.port = 0
        self.region = REGION
        self.proc: subprocess.Popen | None = None
        self.log: list[str] = []

    def start(self) -> None:
        if not BINARY.exists():
            raise SystemExit(f"rognito binary not found at {BINARY}: cargo build -p rognito")
        self.log = []
        ready = threading.Event()
        found: list[int] = []
        env = dict(os.environ, NO_COLOR="1")
        env.pop("ROGNITO_LOG", None)
        self.proc = subprocess.Popen(
            [str(BINARY), "serve", "--auth", "dev", "--durability", "memory",
             "--password-hashing", "fast", "--listen", f"127.0.0.1:{self.port}",
             "--data-dir", "/nonexistent-rognito-moto",  # memory durability: never created
             "--region", self.region, "--account-id", ACCOUNT_ID],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)

        def read() -> None:
            assert self.proc is not None and self.proc.stderr is not None
            for raw in self.proc.stderr:
                line = _ANSI.sub("", raw.decode("utf-8", "replace"))
                self.log.append(line)
                m = _LISTENING.search(line)
                if m and not found:
                    found.append(int(m.group(1)))
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(15) or not found:
            self.stop()
            raise RuntimeError("rognito did not start; log:\n" + "".join(self.log))
        self.port = found[0]

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()  # memory durability: nothing to flush
            proc.wait(10)

    def restart(self, region: str = REGION) -> None:
        self.stop()
        self.region = region
        for attempt in range(50):
            try:
                self.start()
                return
            except RuntimeError:
                if attempt == 49:
                    raise
                time.sleep(0.1)  # the port may linger for a moment


SERVER = Rognito()
SERVER.start()
os.environ["TEST_SERVER_MODE"] = "true"
os.environ["TEST_SERVER_MODE_ENDPOINT"] = f"http://127.0.0.1:{SERVER.port}"
os.environ.setdefault("AWS_DEFAULT_REGION", REGION)


def _load_expected() -> dict[str, tuple[str, str]]:
    data = tomllib.loads(EXPECTED.read_text())
    out: dict[str, tuple[str, str]] = {}
    for test, reason in data.get("expected_failures", {}).items():
        category, _, text = reason.partition(":")
        if category not in CATEGORIES or not text.strip():
            raise pytest.UsageError(f"{EXPECTED}: {test}: reason must be 'a|b|c: why', got {reason!r}")
        out[test] = (category, text.strip())
    return out


_expected: dict[str, tuple[str, str]] = {}
_outcomes: Counter = Counter()


def _key(item: pytest.Item) -> str:
    # "tests/test_cognitoidp/test_cognitoidp.py::test_x" -> "test_cognitoidp.py::test_x"
    return item.nodeid.split("test_cognitoidp/", 1)[-1]


def pytest_configure(config: pytest.Config) -> None:
    _expected.update(_load_expected())


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    keys = {_key(item) for item in items}
    stale = sorted(set(_expected) - keys)
    if stale and os.environ.get("ROGNITO_MOTO_CHECK_STALE") == "1":
        raise pytest.UsageError(f"{EXPECTED} lists tests moto does not have: {stale}")
    for item in items:
        entry = _expected.get(_key(item))
        if entry:
            item.add_marker(pytest.mark.xfail(reason=f"({entry[0]}) {entry[1]}", strict=True))


def pytest_report_teststatus(report, config):  # noqa: ANN001
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        key = report.nodeid.split("test_cognitoidp/", 1)[-1]
        if hasattr(report, "wasxfail") and report.outcome == "skipped":
            _outcomes[f"xfail ({_expected.get(key, ('?',))[0]})"] += 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ANN001
    if _outcomes:
        line = ", ".join(f"{k}: {v}" for k, v in sorted(_outcomes.items()))
        terminalreporter.write_line(f"expected failures by category: {line}")
        for c, text in CATEGORIES.items():
            terminalreporter.write_line(f"  ({c}) {text}")


_CLIENT_REGION = re.compile(
    r"""boto3\.client\(\s*["']cognito-idp["']\s*,\s*(?:region_name=)?["']([a-z0-9-]+)["']""")


def _region_of(item: pytest.Item) -> str:
    """The region the test's cognito-idp clients sign for, read from its source (its class's for
    a method); REGION when there are several (those tests fail, expectedly) or none."""
    target = item.cls if item.cls is not None else getattr(item, "function", None)
    try:
        source = inspect.getsource(target)
    except (TypeError, OSError):
        return REGION
    regions = set(_CLIENT_REGION.findall(source))
    if "cognitoidp_aws_verified(" in source:
        regions.add(REGION)  # the fixture's pool is made with a us-west-2 client
    return regions.pop() if len(regions) == 1 else REGION


@pytest.fixture(autouse=True)
def _fresh_rognito(request: pytest.FixtureRequest):
    """A fresh server (same port) for every test: what moto's /moto-api/reset would give."""
    SERVER.restart(_region_of(request.node))
    yield


def pytest_unconfigure(config: pytest.Config) -> None:
    SERVER.stop()
