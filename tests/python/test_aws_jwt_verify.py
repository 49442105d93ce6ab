"""rognito's access tokens verified by AWS's own verifier, aws-jwt-verify (tests/node/verify.mjs).

Needs `node` and the npm project installed: `npm ci --prefix tests/node` (CI runs it before the
suite). Without either the tests are skipped, saying which one is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from rognito_helpers import REPO, assert_token_response, jwks_of, make_m2m

NODE_DIR = REPO / "tests" / "node"
SCRIPT = NODE_DIR / "verify.mjs"
AWS_ISSUER_BASE = "https://cognito-idp.us-east-1.amazonaws.com"
NODE = shutil.which("node")

MISSING = (
    "node is not installed (needs Node.js >= 18)"
    if NODE is None
    else "tests/node/node_modules is missing: run `npm ci --prefix tests/node`"
    if not (NODE_DIR / "node_modules" / "aws-jwt-verify").is_dir()
    else None
)
if MISSING and os.environ.get("CI"):
    # In CI, scripts/test installs them: a skip there would hide a broken setup.
    raise RuntimeError(MISSING)
pytestmark = [pytest.mark.skipif(MISSING is not None, reason=MISSING or "")]


def run_verify(**env: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("npm_")}
    full.update(env)
    proc = subprocess.run(
        [NODE, str(SCRIPT)], cwd=NODE_DIR, env=full, capture_output=True, text=True, timeout=60,
    )
    print(proc.stdout, proc.stderr)
    return proc


def passes(proc: subprocess.CompletedProcess) -> list[str]:
    return [line for line in proc.stdout.splitlines() if line.startswith("PASS ")]


def assert_all_passed(proc: subprocess.CompletedProcess, verifier: str, expected: list[str]):
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)
    assert "FAIL" not in proc.stdout
    names = [line.split(": ", 1)[1].split(" -- ", 1)[0] for line in passes(proc)]
    assert names == expected, proc.stdout
    assert proc.stdout.splitlines()[-1] == (
        f"verify.mjs ({verifier}): {len(expected)} checks passed, 0 failed"
    )


def two_pools(srv):
    """Two pools on `srv`, each with a client_credentials client and a token."""
    a = make_m2m(srv)
    b = make_m2m(srv)
    return a, assert_token_response(a.token()), b, assert_token_response(b.token())


def test_cognito_jwt_verifier_accepts_tokens_with_aws_issuer(start_server):
    srv = start_server("--issuer-base", AWS_ISSUER_BASE)
    a, token_a, b, token_b = two_pools(srv)
    jwks = json.dumps(jwks_of(srv.url, a.pool_id))
    proc = run_verify(
        VERIFIER="cognito", ROGNITO_URL=srv.url, POOL_ID=a.pool_id, CLIENT_ID=a.client_id,
        TOKEN=token_a, JWKS_JSON=jwks, OTHER_POOL_ID=b.pool_id, OTHER_TOKEN=token_b,
    )
    assert_all_passed(proc, "cognito", [
        "token verifies (async)",
        "token verifies (sync, cached JWKS only)",
        "tampered payload",
        "tampered signature",
        "alg none",
        "verifier of another client id",
        "other pool's token, this pool's verifier",
        "other pool's token, this pool's keys",
        "other pool's token, its own pool's keys (control)",
    ])
    # A GetClientToken token passes too (JWKS fetched from rognito by the script this time).
    client = a.cognito.create_user_pool_client(
        UserPoolId=a.pool_id, ClientName="gct", GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_CLIENT_TOKEN_AUTH"], AllowedOAuthScopes=["api/read"],
    )["UserPoolClient"]
    result = a.cognito.get_client_token(ClientId=client["ClientId"], Secret=client["ClientSecret"])
    proc = run_verify(
        VERIFIER="cognito", ROGNITO_URL=srv.url, POOL_ID=a.pool_id, CLIENT_ID=client["ClientId"],
        TOKEN=result["ClientAuthenticationResult"]["AccessToken"],
    )
    assert_all_passed(proc, "cognito", [
        "token verifies (async)",
        "token verifies (sync, cached JWKS only)",
        "tampered payload",
        "tampered signature",
        "alg none",
        "verifier of another client id",
    ])


def test_jwt_rsa_verifier_with_the_default_issuer(start_server):
    srv = start_server()
    a, token_a, b, token_b = two_pools(srv)
    proc = run_verify(
        VERIFIER="rsa", ROGNITO_URL=srv.url, POOL_ID=a.pool_id, CLIENT_ID=a.client_id,
        TOKEN=token_a, OTHER_POOL_ID=b.pool_id, OTHER_TOKEN=token_b,
    )
    assert_all_passed(proc, "rsa", [
        "discovery issuer",
        f"token verifies with keys from {srv.url}/{a.pool_id}/.well-known/jwks.json",
        "tampered payload",
        "tampered signature",
        "alg none",
        "verifier of another issuer",
        "other pool's token, this pool's verifier",
        "other pool's token, this pool's jwks_uri",
        "other pool's token, its own jwks_uri (control)",
    ])


def test_the_script_fails_on_a_bad_token(start_server):
    """The script itself must exit non-zero when the token does not verify."""
    srv = start_server("--issuer-base", AWS_ISSUER_BASE)
    a = make_m2m(srv)
    token = assert_token_response(a.token())
    header, payload, signature = token.split(".")
    bad = f"{header}.{payload}.{signature[:-8]}AAAAAAAA"
    common = {"ROGNITO_URL": srv.url, "POOL_ID": a.pool_id, "CLIENT_ID": a.client_id}
    proc = run_verify(VERIFIER="cognito", TOKEN=bad, **common)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "FAIL cognito: token verifies (async)" in proc.stdout
    # Right token, wrong client: the verifier refuses it too.
    proc = run_verify(VERIFIER="cognito", TOKEN=token,
                      **{**common, "CLIENT_ID": "someotherclientid0000000000"})
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    # A token with rognito's default-style issuer is not a Cognito token to CognitoJwtVerifier.
    default = start_server()
    d = make_m2m(default)
    proc = run_verify(VERIFIER="cognito", ROGNITO_URL=default.url, POOL_ID=d.pool_id,
                      CLIENT_ID=d.client_id, TOKEN=assert_token_response(d.token()))
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    # Missing input is a usage error.
    proc = run_verify(VERIFIER="cognito", ROGNITO_URL=srv.url, POOL_ID=a.pool_id, TOKEN=token,
                      CLIENT_ID="")
    assert proc.returncode == 2
    assert "verify.mjs: environment variable CLIENT_ID is required" in proc.stderr
