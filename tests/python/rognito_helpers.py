"""Helpers for rognito's end-to-end tests: the server process, clients and assertions.

The binary comes from the `ROGNITO_BIN` environment variable, defaulting to
`<repo>/target/debug/rognito`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import uuid
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("ROGNITO_BIN", REPO / "target" / "debug" / "rognito"))
TARGET_PREFIX = "AWSCognitoIdentityProviderService"
CONTENT_TYPE = "application/x-amz-json-1.1"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_LISTENING = re.compile(r"rognito listening on (http://[0-9.]+:[0-9]+)")


class Server:
    """One `rognito serve` process; `url` is set once it has logged its listening address."""

    def __init__(self, data_dir: Path, args: list[str]):
        self.data_dir = Path(data_dir)
        self.args = list(args)
        self.url: str | None = None
        self.logs: list[str] = []
        self.proc: subprocess.Popen | None = None
        self._ready = threading.Event()
        self._reader: threading.Thread | None = None

    @property
    def command(self) -> list[str]:
        return [
            str(BINARY),
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            str(self.data_dir),
            *self.args,
        ]

    def start(self) -> "Server":
        if not BINARY.exists():
            pytest.fail(
                f"rognito binary not found at {BINARY}; build it with "
                "`cargo build -p rognito` or set ROGNITO_BIN"
            )
        env = dict(os.environ, NO_COLOR="1")
        env.pop("ROGNITO_LOG", None)
        self.proc = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        if not self._ready.wait(START_TIMEOUT) or self.url is None:
            self.stop()
            pytest.fail(
                f"rognito did not report its address within {START_TIMEOUT}s "
                f"(exit code {self.proc.returncode}); log:\n" + "".join(self.logs)
            )
        return self

    def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for raw in self.proc.stderr:
            line = _ANSI.sub("", raw.decode("utf-8", "replace"))
            self.logs.append(line)
            if self.url is None:
                m = _LISTENING.search(line)
                if m:
                    self.url = m.group(1)
                    self._ready.set()
        # stderr closed: the process is gone (or going); unblock start().
        self._ready.set()

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, wait up to `timeout`, then SIGKILL. Returns the exit code."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if self._reader is not None:
            self._reader.join(5)
        return proc.returncode

    @property
    def log_text(self) -> str:
        return "".join(self.logs)

    # --- clients -------------------------------------------------------------------------

    def client(self, region: str = "us-east-1"):
        return boto3.client(
            "cognito-idp",
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(parameter_validation=False, retries={"max_attempts": 1}),
        )

    def post(self, operation: str | None, body=None, *, data: bytes | None = None,
             headers: dict | None = None, **kwargs) -> requests.Response:
        """A raw AWS JSON 1.1 request: `body` is JSON-encoded unless `data` is given."""
        h = {"Content-Type": CONTENT_TYPE}
        if operation is not None:
            h["X-Amz-Target"] = f"{TARGET_PREFIX}.{operation}"
        if headers:
            h.update(headers)
        if data is None:
            data = json.dumps({} if body is None else body).encode()
        return requests.post(self.url + "/", data=data, headers=h, timeout=30, **kwargs)


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def client_error(call, *args, **kwargs) -> ClientError:
    """Runs a boto3 call that must fail and returns the ClientError."""
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    return info.value


def assert_error(err: ClientError, code: str, message: str | None = None, status: int = 400):
    """The ClientError has this code, HTTP status and (when given) exact message."""
    error = err.response["Error"]
    meta = err.response["ResponseMetadata"]
    assert error["Code"] == code, err.response
    assert meta["HTTPStatusCode"] == status, err.response
    if message is not None:
        assert error["Message"] == message
    assert meta.get("RequestId"), "every response carries x-amzn-RequestId"


def assert_raw_error(resp: requests.Response, code: str, message: str | None = None,
                     status: int = 400) -> dict:
    """A raw HTTP error response in AWS JSON 1.1 form; returns its body."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers.get("Content-Type") == CONTENT_TYPE
    assert resp.headers.get("x-amzn-ErrorType") == code
    assert resp.headers.get("x-amzn-RequestId")
    body = resp.json()
    assert body["__type"] == code, body
    if message is not None:
        assert body["message"] == message
    return body
