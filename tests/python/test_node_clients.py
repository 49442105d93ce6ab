"""Real JavaScript clients against rognito's users and sign-in (tests/node/users.mjs):
AWS's SRP client amazon-cognito-identity-js (under Amplify's Auth), pointed at rognito with the
CognitoUserPool's `endpoint`, signs users in (USER_SRP_AUTH → PASSWORD_VERIFIER), answers
NEW_PASSWORD_REQUIRED, refreshes, reads the user and signs out everywhere; aws-jwt-verify's
CognitoJwtVerifier verifies the ID and access tokens it gets, groups included.

Needs `node` and the npm project installed: `npm ci --prefix tests/node` (CI runs it before the
suite). Without either the tests are skipped, saying which one is missing (in CI they fail).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from rognito_helpers import REPO, Server, decode_unverified, unique

NODE_DIR = REPO / "tests" / "node"
SCRIPT = NODE_DIR / "users.mjs"
# CognitoJwtVerifier accepts only AWS's issuer for a pool, so the server issues tokens with it.
AWS_ISSUER_BASE = "https://cognito-idp.us-east-1.amazonaws.com"
NODE = shutil.which("node")

PASSWORD = "Passw0rd!"
TEMP_PASSWORD = "Temp0rary!"
NEW_PASSWORD = "N3wPassword!"

MISSING = (
    "node is not installed (needs Node.js >= 18)"
    if NODE is None
    else "tests/node/node_modules is missing: run `npm ci --prefix tests/node`"
    if not all((NODE_DIR / "node_modules" / p).is_dir()
               for p in ("aws-jwt-verify", "amazon-cognito-identity-js"))
    else None
)
if MISSING and os.environ.get("CI"):
    # In CI, scripts/test installs them: a skip there would hide a broken setup.
    raise RuntimeError(MISSING)
pytestmark = [pytest.mark.skipif(MISSING is not None, reason=MISSING or "")]


@pytest.fixture(scope="module")
def aws_server():
    """A server whose tokens carry AWS's issuer, https://cognito-idp.us-east-1.amazonaws.com/<pool>."""
    with tempfile.TemporaryDirectory(prefix="rognito-node-") as tmp:
        srv = Server(Path(tmp), ["--durability", "memory", "--password-hashing", "fast",
                                 "--issuer-base", AWS_ISSUER_BASE]).start()
        try:
            yield srv
        finally:
            srv.stop()


@pytest.fixture(scope="module")
def aws_cognito(aws_server):
    return aws_server.client()


def make_app(cognito, **pool_kwargs):
    """A pool and a public client (no secret) allowing SRP and refresh, as JS apps have."""
    pool = cognito.create_user_pool(PoolName=unique("js"), **pool_kwargs)["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="js-app", GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    assert "ClientSecret" not in client
    return pool, client["ClientId"]


def make_user(cognito, pool, username, attributes=()):
    cognito.admin_create_user(UserPoolId=pool, Username=username, MessageAction="SUPPRESS",
                              UserAttributes=list(attributes))
    cognito.admin_set_user_password(UserPoolId=pool, Username=username, Password=PASSWORD,
                                    Permanent=True)


def make_new_user(cognito, pool, username, attributes=()):
    """A FORCE_CHANGE_PASSWORD user with TEMP_PASSWORD."""
    cognito.admin_create_user(UserPoolId=pool, Username=username, MessageAction="SUPPRESS",
                              TemporaryPassword=TEMP_PASSWORD, UserAttributes=list(attributes))
    status = cognito.admin_get_user(UserPoolId=pool, Username=username)["UserStatus"]
    assert status == "FORCE_CHANGE_PASSWORD"


def run_users(server, pool, client, **env: str) -> dict:
    """Runs users.mjs; returns its steps (name → result), in the order they ran."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("npm_")}
    full.update(ROGNITO_URL=server.url, POOL_ID=pool, CLIENT_ID=client, **env)
    proc = subprocess.run([NODE, str(SCRIPT)], cwd=NODE_DIR, env=full, capture_output=True,
                          text=True, timeout=120)
    print(proc.stdout, proc.stderr)
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)
    return json.loads(proc.stdout)["steps"]


def assert_signed_in(step, username):
    assert step["ok"] and step["outcome"] == "success", step
    assert step["valid"] is True
    assert step["idTokenUse"] == "id" and step["accessTokenUse"] == "access"
    assert step["username"] == username == step["idUsername"], step
    assert step["hasRefreshToken"]


def assert_verified(steps, prefix, pool, client, groups=None):
    """aws-jwt-verify accepted the session's ID and access tokens, each only as its own kind
    and only for its own client."""
    issuer = f"{AWS_ISSUER_BASE}/{pool}"
    ident = steps[f"{prefix}.verify id"]
    assert ident == {"ok": True, "iss": issuer, "token_use": "id", "client_id": None,
                     "aud": client, "groups": groups}, ident
    access = steps[f"{prefix}.verify access"]
    assert access == {"ok": True, "iss": issuer, "token_use": "access", "client_id": client,
                      "aud": None, "groups": groups}, access
    for name in ("verify id as access", "verify access as id"):
        step = steps[f"{prefix}.{name}"]
        assert step["ok"] is False and step["error"] == "CognitoJwtInvalidTokenUseError", step
    step = steps[f"{prefix}.verify access, other client"]
    assert step["ok"] is False and step["error"] == "CognitoJwtInvalidClientIdError", step


def assert_library_error(step, code, message):
    assert step["ok"] is False, step
    assert (step["code"], step["name"], step["message"]) == (code, code, message), step


@pytest.mark.parametrize("alias", [False, True], ids=["username", "email-as-username"])
def test_amazon_cognito_identity_js_signs_in_with_srp(aws_server, aws_cognito, alias):
    cognito = aws_cognito
    if alias:
        # Signing in with the email: SRP runs on USER_ID_FOR_SRP (the sub), not the email.
        pool, client = make_app(cognito, UsernameAttributes=["email"])
        alice, bob = "alice@example.com", "bob@example.com"
        make_user(cognito, pool, alice, [{"Name": "email_verified", "Value": "true"}])
        make_new_user(cognito, pool, bob)
    else:
        pool, client = make_app(cognito)
        alice, bob = "alice", "bob"
        make_user(cognito, pool, alice, [{"Name": "email", "Value": "alice@example.com"},
                                         {"Name": "email_verified", "Value": "true"}])
        make_new_user(cognito, pool, bob, [{"Name": "email", "Value": "bob@example.com"}])
    alice_sub = next(a["Value"] for a in cognito.admin_get_user(
        UserPoolId=pool, Username=alice)["UserAttributes"] if a["Name"] == "sub")
    alice_name = alice_sub if alias else alice
    bob_name = cognito.admin_get_user(UserPoolId=pool, Username=bob)["Username"]

    steps = run_users(aws_server, pool, client, USERNAME=alice, PASSWORD=PASSWORD,
                      NEW_USERNAME=bob, TEMP_PASSWORD=TEMP_PASSWORD, NEW_PASSWORD=NEW_PASSWORD,
                      NEW_NAME="Bob")
    assert list(steps) == [
        "wrong password",
        "sign in", *[f"sign in.verify {n}" for n in (
            "id", "access", "id as access", "access as id", "access, other client")],
        "get user attributes",
        "refresh", *[f"refresh.verify {n}" for n in (
            "id", "access", "id as access", "access as id", "access, other client")],
        "global sign out",
        "get user attributes after sign out",
        "refresh after sign out",
        "sign in after sign out",
        "new user sign in",
        "new user complete new password", *[f"new user.verify {n}" for n in (
            "id", "access", "id as access", "access as id", "access, other client")],
        "new user sign in with new password",
    ], list(steps)

    assert steps["wrong password"]["outcome"] == "failure"
    assert_library_error(steps["wrong password"], "NotAuthorizedException",
                         "Incorrect username or password.")

    assert_signed_in(steps["sign in"], alice_name)
    assert steps["sign in"]["sub"] == alice_sub
    assert_verified(steps, "sign in", pool, client)

    attrs = steps["get user attributes"]
    assert attrs["ok"], attrs
    assert attrs["attributes"]["sub"] == alice_sub
    assert attrs["attributes"]["email"] == "alice@example.com"
    assert attrs["attributes"]["email_verified"] == "true"

    refreshed = steps["refresh"]
    assert_signed_in(refreshed, alice_name)  # the library keeps the refresh token it had
    assert refreshed["originJti"] == steps["sign in"]["originJti"]
    assert refreshed["accessJti"] != steps["sign in"]["accessJti"]
    assert_verified(steps, "refresh", pool, client)

    assert steps["global sign out"] == {"ok": True, "result": "SUCCESS"}
    assert_library_error(steps["get user attributes after sign out"], "NotAuthorizedException",
                         "Access Token has been revoked")
    assert_library_error(steps["refresh after sign out"], "NotAuthorizedException",
                         "Refresh Token has been revoked")
    assert_signed_in(steps["sign in after sign out"], alice_name)

    first = steps["new user sign in"]
    assert first["ok"] is False and first["outcome"] == "newPasswordRequired", first
    assert first["detail"]["requiredAttributes"] == []
    assert "bob@example.com" in json.dumps(first["detail"]["userAttributes"]) or alias
    done = steps["new user complete new password"]
    assert_signed_in(done, bob_name)
    assert done["idName"] == "Bob"
    assert_verified(steps, "new user", pool, client)
    assert_signed_in(steps["new user sign in with new password"], bob_name)
    user = cognito.admin_get_user(UserPoolId=pool, Username=bob)
    assert user["UserStatus"] == "CONFIRMED"
    assert {"Name": "name", "Value": "Bob"} in user["UserAttributes"]


def test_aws_jwt_verify_checks_groups_of_user_tokens(aws_server, aws_cognito):
    cognito = aws_cognito
    pool, client = make_app(cognito)
    make_user(cognito, pool, "carol")
    for group in ("readers", "writers"):
        cognito.create_group(UserPoolId=pool, GroupName=group)
    # Not in a group yet: tokens without cognito:groups, refused by any groups check.
    steps = run_users(aws_server, pool, client, USERNAME="carol", PASSWORD=PASSWORD,
                      GROUP="readers", OTHER_GROUP="writers", SIGN_OUT="0")
    assert_signed_in(steps["sign in"], "carol")
    assert_verified(steps, "sign in", pool, client)
    for kind in ("id", "access"):
        for group in ("readers", "writers"):
            step = steps[f"sign in.verify {kind}, groups {group}"]
            assert step["ok"] is False and step["error"] == "CognitoJwtInvalidGroupError", step

    cognito.admin_add_user_to_group(UserPoolId=pool, Username="carol", GroupName="readers")
    steps = run_users(aws_server, pool, client, USERNAME="carol", PASSWORD=PASSWORD,
                      GROUP="readers", OTHER_GROUP="writers", SIGN_OUT="0")
    assert "global sign out" not in steps
    for prefix in ("sign in", "refresh"):
        assert_verified(steps, prefix, pool, client, groups=["readers"])
        for kind in ("id", "access"):
            ok = steps[f"{prefix}.verify {kind}, groups readers"]
            assert ok["ok"] is True and ok["groups"] == ["readers"], ok
            refused = steps[f"{prefix}.verify {kind}, groups writers"]
            assert refused["ok"] is False, refused
            assert refused["error"] == "CognitoJwtInvalidGroupError", refused


def test_the_script_reports_usage_errors(aws_server):
    proc = subprocess.run([NODE, str(SCRIPT)], cwd=NODE_DIR, capture_output=True, text=True,
                          timeout=60, env={"PATH": os.environ.get("PATH", ""),
                                           "ROGNITO_URL": aws_server.url})
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "users.mjs: environment variable POOL_ID is required" in proc.stderr
