"""Helpers for rognito's end-to-end tests: the server process, clients and assertions.

The binary comes from the `ROGNITO_BIN` environment variable, defaulting to
`<repo>/target/debug/rognito`.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import boto3
import jwt
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

# The root identity every test server is started with (rognito verifies SigV4 signatures).
ACCESS_KEY_ID = "AKIAROGNITOPYTEST001"
SECRET_ACCESS_KEY = "rognito-python-suite-secret-key-0001"

REPO = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("ROGNITO_BIN", REPO / "target" / "debug" / "rognito"))
TARGET_PREFIX = "AWSCognitoIdentityProviderService"
CONTENT_TYPE = "application/x-amz-json-1.1"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0

# Which engine the servers under test keep their records in: `sqlite` (the default) or
# `postgres` (a schema per data dir in the database ROGNITO_TEST_POSTGRES names; see
# `store_flags`). The same tests run against both.
STORE = os.environ.get("ROGNITO_TEST_STORE", "sqlite")
POSTGRES = os.environ.get("ROGNITO_TEST_POSTGRES", "")

sqlite_only = pytest.mark.skipif(
    STORE == "postgres", reason="about the embedded SQLite database (its file, its durability)")


def store_flags(data_dir: Path) -> list[str]:
    """The flags that put a server (or a CLI command) on `data_dir`'s records: none for SQLite;
    for PostgreSQL, `--store` with a schema of its own, made on first use, named after the data
    dir (so a restart on the same data dir finds its records again)."""
    if STORE != "postgres":
        return []
    assert POSTGRES, "ROGNITO_TEST_STORE=postgres needs ROGNITO_TEST_POSTGRES (a database URL)"
    import hashlib
    schema = "t_" + hashlib.sha1(str(Path(data_dir).resolve()).encode()).hexdigest()[:20]
    subprocess.run(["psql", POSTGRES, "-qc", f"CREATE SCHEMA IF NOT EXISTS {schema}"],
                   check=True, capture_output=True, timeout=30,
                   env=dict(os.environ, PGOPTIONS="-c client_min_messages=warning"))
    separator = "&" if "?" in POSTGRES else "?"
    return ["--store", f"{POSTGRES}{separator}options=-csearch_path%3D{schema}"]


def on_store(args: list[str], data_dir: Path) -> list[str]:
    """`args` for the engine under test: with PostgreSQL, without `--durability` (which names
    SQLite's modes) and with `store_flags` (unless `args` name a store already)."""
    if STORE != "postgres" or "--store" in args:
        return list(args)
    kept: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--durability":
            skip = True
        elif not arg.startswith("--durability="):
            kept.append(arg)
    return kept + store_flags(data_dir)


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_LISTENING = re.compile(r"rognito listening on (http://[0-9.]+:[0-9]+)")


class Server:
    """One `rognito serve` process; `url` is set once it has logged its listening address."""

    def __init__(self, data_dir: Path, args: list[str], *, root_credentials: bool = True,
                 capture_stdout: bool = False, env: dict[str, str] | None = None):
        """`root_credentials=False` starts without ROGNITO_ACCESS_KEY_ID/SECRET_ACCESS_KEY in
        the environment (so a first start generates a key); `capture_stdout=True` collects
        stdout into `stdout_lines` (it is discarded otherwise)."""
        self.data_dir = Path(data_dir)
        self.args = list(args)
        self.root_credentials = root_credentials
        self.capture_stdout = capture_stdout
        self.extra_env = dict(env or {})
        self.url: str | None = None
        self.logs: list[str] = []
        self.stdout_lines: list[str] = []
        self._stdout_reader: threading.Thread | None = None
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
            *on_store(self.args, self.data_dir),
        ]

    def start(self) -> "Server":
        if not BINARY.exists():
            pytest.fail(
                f"rognito binary not found at {BINARY}; build it with "
                "`cargo build -p rognito` or set ROGNITO_BIN"
            )
        env = dict(
            os.environ,
            NO_COLOR="1",
            ROGNITO_ACCESS_KEY_ID=ACCESS_KEY_ID,
            ROGNITO_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY,
        )
        env.pop("ROGNITO_LOG", None)
        env.update(self.extra_env)
        if not self.root_credentials:
            env.pop("ROGNITO_ACCESS_KEY_ID", None)
            env.pop("ROGNITO_SECRET_ACCESS_KEY", None)
        self.proc = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if self.capture_stdout else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        if self.capture_stdout:
            self._stdout_reader = threading.Thread(target=self._read_stdout, daemon=True)
            self._stdout_reader.start()
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

    def _read_stdout(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.stdout_lines.append(raw.decode("utf-8", "replace"))

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
        if self._stdout_reader is not None:
            self._stdout_reader.join(5)
        return proc.returncode

    @property
    def stdout_text(self) -> str:
        return "".join(self.stdout_lines)

    @property
    def log_text(self) -> str:
        return "".join(self.logs)

    # --- clients -------------------------------------------------------------------------

    @property
    def region(self) -> str:
        """The region the server runs in (from --region), which clients must sign for."""
        if "--region" in self.args:
            return self.args[self.args.index("--region") + 1]
        return "us-east-1"

    def client(self, region: str | None = None, access_key_id: str = ACCESS_KEY_ID,
               secret_access_key: str = SECRET_ACCESS_KEY):
        return boto3.client(
            "cognito-idp",
            endpoint_url=self.url,
            region_name=region or self.region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=Config(parameter_validation=False, retries={"max_attempts": 1}),
        )

    def post(self, operation: str | None, body=None, *, data: bytes | None = None,
             headers: dict | None = None, signed: bool = True, **kwargs) -> requests.Response:
        """A raw AWS JSON 1.1 request, signed with botocore's SigV4 signer unless `signed` is
        false: `body` is JSON-encoded unless `data` is given."""
        if data is None:
            data = json.dumps({} if body is None else body).encode()
        # A streamed body (a generator) cannot be hashed here: sign it with `signed_headers`
        # over the bytes it will stream. The server refuses an unsigned request before reading
        # its body.
        if signed and isinstance(data, (bytes, bytearray)):
            h = self.signed_headers(operation, data)
        else:
            h = {"Content-Type": CONTENT_TYPE}
            if operation is not None:
                h["X-Amz-Target"] = f"{TARGET_PREFIX}.{operation}"
        if headers:
            h.update(headers)
        return requests.post(self.url + "/", data=data, headers=h, timeout=30, **kwargs)

    def signed_headers(self, operation: str | None, data: bytes) -> dict:
        """The headers of a request with this body, signed with botocore's SigV4 signer."""
        h = {"Content-Type": CONTENT_TYPE}
        if operation is not None:
            h["X-Amz-Target"] = f"{TARGET_PREFIX}.{operation}"
        request = AWSRequest(method="POST", url=self.url + "/", data=data, headers=h)
        SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "cognito-idp",
                  self.region).add_auth(request)
        return dict(request.headers.items())


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


# --- M2M: domains, app clients, the token endpoint and token verification ----------------------

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
TOKEN_CONTENT_TYPE = "application/json;charset=UTF-8"
CLIENT_ID_RE = re.compile(r"[a-z0-9]{26}")
GENERATED_SECRET_RE = re.compile(r"[a-z0-9]{51}")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ACCESS_TOKEN_CLAIMS = {
    "sub", "token_use", "scope", "auth_time", "iss", "exp", "iat", "version", "jti", "client_id",
}
DISCOVERY_KEYS = {
    "issuer", "jwks_uri", "token_endpoint", "authorization_endpoint", "userinfo_endpoint",
    "response_types_supported", "scopes_supported", "subject_types_supported",
    "id_token_signing_alg_values_supported", "token_endpoint_auth_methods_supported",
}


def unique_domain(prefix: str = "dom") -> str:
    """A fresh prefix domain (lowercase hex, so it never holds a reserved word)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class M2M:
    """A pool ready for client_credentials: resource server `api` (scopes read, write, admin),
    a domain, and a confidential client allowed `api/read api/write` (see `make_m2m`)."""

    def __init__(self, server: "Server", cognito, pool_id: str, domain: str | None,
                 client: dict):
        self.server = server
        self.cognito = cognito
        self.pool_id = pool_id
        self.domain = domain
        self.client = client
        self.client_id: str = client["ClientId"]
        self.client_secret: str | None = client.get("ClientSecret")

    def token(self, scope: str | None = None, **kwargs) -> requests.Response:
        return request_token(self.server.url, self.client_id, self.client_secret, scope=scope,
                             **kwargs)

    def issue(self, scope: str | None = None, **kwargs) -> str:
        """A token that must be issued; returned after independent verification."""
        resp = self.token(scope, **kwargs)
        token = assert_token_response(resp)
        # A requested scope comes back as asked (whitespace normalised); omitted, it is checked
        # by the caller if it matters.
        expected = " ".join(scope.split()) if scope is not None else None
        verify_token(self.server.url, self.pool_id, token, client_id=self.client_id,
                     scope=expected, expires_in=resp.json()["expires_in"])
        return token

    def client_kwargs(self, **overrides) -> dict:
        """What an UpdateUserPoolClient needs to keep the client as make_m2m made it."""
        kwargs = {
            "UserPoolId": self.pool_id,
            "ClientId": self.client_id,
            "ClientName": self.client["ClientName"],
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthFlows": ["client_credentials"],
            "AllowedOAuthScopes": list(self.client.get("AllowedOAuthScopes", [])),
        }
        kwargs.update(overrides)
        return kwargs


def make_m2m(server: "Server", cognito=None, *, pool_id: str | None = None,
             domain: bool = True, scopes=("read", "write", "admin"),
             allowed=("api/read", "api/write"), **client_kwargs) -> M2M:
    """A pool (new unless `pool_id`), resource server `api`, a domain (unless `domain=False`)
    and a client_credentials client; `client_kwargs` override CreateUserPoolClient members."""
    cognito = cognito or server.client()
    if pool_id is None:
        pool_id = cognito.create_user_pool(PoolName=unique("m2m"))["UserPool"]["Id"]
    if scopes:
        cognito.create_resource_server(
            UserPoolId=pool_id, Identifier="api", Name="API",
            Scopes=[{"ScopeName": s, "ScopeDescription": f"{s} access"} for s in scopes],
        )
    name = None
    if domain:
        name = unique_domain()
        cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=name)
    kwargs = {
        "UserPoolId": pool_id,
        "ClientName": unique("m2m-client"),
        "GenerateSecret": True,
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["client_credentials"],
        "AllowedOAuthScopes": list(allowed),
    }
    kwargs.update(client_kwargs)
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    client = cognito.create_user_pool_client(**kwargs)["UserPoolClient"]
    return M2M(server, cognito, pool_id, name, client)


def request_token(url: str, client_id: str | None = None, client_secret: str | None = None, *,
                  scope: str | None = None, auth: str = "basic",
                  grant_type: str | None = "client_credentials", extra: list | None = None,
                  headers: dict | None = None, data: bytes | None = None) -> requests.Response:
    """POST /oauth2/token. `auth="basic"` sends the credentials in an Authorization header,
    `auth="body"` as client_id/client_secret form parameters, `auth="none"` not at all.
    `extra` is a list of further (name, value) form pairs; `data` replaces the whole body."""
    h = {"Content-Type": FORM_CONTENT_TYPE}
    form: list[tuple[str, str]] = []
    if grant_type is not None:
        form.append(("grant_type", grant_type))
    if auth == "basic":
        h["Authorization"] = basic_auth(client_id or "", client_secret or "")
    elif auth == "body":
        if client_id is not None:
            form.append(("client_id", client_id))
        if client_secret is not None:
            form.append(("client_secret", client_secret))
    else:
        assert auth == "none", auth
    if scope is not None:
        form.append(("scope", scope))
    form += extra or []
    if headers:
        h.update(headers)
    body = data if data is not None else urlencode(form).encode()
    return requests.post(url + "/oauth2/token", data=body, headers=h, timeout=30)


def basic_auth(client_id: str, client_secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()


def assert_token_response(resp: requests.Response) -> str:
    """A successful token response in Cognito's exact shape; returns the access token."""
    assert resp.status_code == 200, (resp.status_code, resp.text)
    assert resp.headers.get("Content-Type") == TOKEN_CONTENT_TYPE
    assert resp.headers.get("Cache-Control") == "no-store"
    body = resp.json()
    assert set(body) == {"access_token", "expires_in", "token_type"}, body
    assert body["token_type"] == "Bearer"
    assert isinstance(body["expires_in"], int)
    return body["access_token"]


def assert_oauth_error(resp: requests.Response, code: str, status: int = 400) -> None:
    """An OAuth error: `{"error": code}` and nothing else, and never a challenge: Cognito answers
    every token-endpoint error, invalid_client with Basic included, without WWW-Authenticate."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers.get("Content-Type") == TOKEN_CONTENT_TYPE
    assert resp.json() == {"error": code}
    assert "WWW-Authenticate" not in resp.headers


def discovery(url: str, pool_id: str) -> dict:
    resp = requests.get(f"{url}/{pool_id}/.well-known/openid-configuration", timeout=30)
    assert resp.status_code == 200, (resp.status_code, resp.text)
    doc = resp.json()
    assert set(doc) == DISCOVERY_KEYS, doc
    return doc


def jwks_of(url: str, pool_id: str) -> dict:
    """The pool's JWKS, found the way a relying party finds it: through the discovery document."""
    resp = requests.get(discovery(url, pool_id)["jwks_uri"], timeout=30)
    assert resp.status_code == 200, (resp.status_code, resp.text)
    return resp.json()


def verify_token(url: str, pool_id: str, token: str, *, client_id: str,
                 scope: str | None = None, expires_in: int | None = 3600,
                 issuer: str | None = None) -> dict:
    """Verifies an access token independently with PyJWT, against the JWKS that the pool's
    discovery document points at, and checks Cognito's exact header and claim set.
    `issuer` defaults to `<url>/<pool id>` (rognito's default issuer); `scope`, when given, is the
    exact space-separated scope claim. Returns the claims."""
    doc = discovery(url, pool_id)
    expected_iss = issuer if issuer is not None else f"{url}/{pool_id}"
    assert doc["issuer"] == expected_iss
    keys = requests.get(doc["jwks_uri"], timeout=30).json()["keys"]
    header = jwt.get_unverified_header(token)
    assert set(header) == {"kid", "alg"}, header
    assert header["alg"] == "RS256"
    matching = [k for k in keys if k["kid"] == header["kid"]]
    assert len(matching) == 1, (header, [k["kid"] for k in keys])
    claims = jwt.decode(
        token, jwt.PyJWK(matching[0]), algorithms=["RS256"], issuer=expected_iss,
        options={"require": sorted(ACCESS_TOKEN_CLAIMS - {"scope"})},
    )
    assert set(claims) == ACCESS_TOKEN_CLAIMS, claims
    assert claims["sub"] == client_id
    assert claims["client_id"] == client_id
    assert claims["token_use"] == "access"
    assert claims["version"] == 2
    assert claims["iss"] == expected_iss
    assert UUID_RE.fullmatch(claims["jti"]), claims["jti"]
    assert claims["auth_time"] == claims["iat"]
    assert abs(claims["iat"] - time.time()) < 120
    if expires_in is not None:
        assert claims["exp"] - claims["iat"] == expires_in
    if scope is not None:
        assert claims["scope"] == scope
    return claims


def decode_unverified(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})
