"""The AWS CLI (v1) against rognito.

CLI v1 fetches parameter values that look like URLs (http://...), so these tests use non-URL
identifiers on the command line and pass URL identifiers through --cli-input-json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rognito_helpers import ACCESS_KEY_ID, SECRET_ACCESS_KEY, unique

TIMEOUT = 60


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory):
    home = tmp_path_factory.mktemp("aws-home")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and k not in {"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"}
    }
    env.update(
        HOME=str(home),
        AWS_ACCESS_KEY_ID=ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(home / "config-does-not-exist"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials-do-not-exist"),
        AWS_MAX_ATTEMPTS="1",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_PAGER="",
        NO_PROXY="127.0.0.1,localhost",
    )
    return env


@pytest.fixture
def aws(server, cli_env):
    """aws(*args) → CompletedProcess of `aws --endpoint-url <server> <args> --output json`."""

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "awscli", "--endpoint-url", server.url, *args, "--output", "json"]
        proc = subprocess.run(cmd, env=cli_env, capture_output=True, text=True, timeout=TIMEOUT)
        if check:
            assert proc.returncode == 0, f"{cmd} failed ({proc.returncode}):\n{proc.stderr}"
        return proc

    return run


def as_json(proc: subprocess.CompletedProcess):
    return json.loads(proc.stdout) if proc.stdout.strip() else None


@pytest.fixture
def cli_pool(aws):
    out = as_json(aws("cognito-idp", "create-user-pool", "--pool-name", unique("cli")))
    return out["UserPool"]["Id"]


def test_create_user_pool(aws):
    name = unique("cli-pool")
    out = as_json(
        aws(
            "cognito-idp", "create-user-pool", "--pool-name", name,
            "--mfa-configuration", "OFF",
            "--user-pool-tags", "team=identity,env=test",
        )
    )  # fmt: skip
    pool = out["UserPool"]
    assert pool["Name"] == name
    assert pool["Id"].startswith("us-east-1_")
    assert pool["UserPoolTags"] == {"team": "identity", "env": "test"}
    described = as_json(aws("cognito-idp", "describe-user-pool", "--user-pool-id", pool["Id"]))
    assert described["UserPool"]["Id"] == pool["Id"]
    assert described["UserPool"]["Policies"]["PasswordPolicy"]["MinimumLength"] == 8
    listed = as_json(aws("cognito-idp", "list-user-pools", "--max-results", "60"))
    assert pool["Id"] in [p["Id"] for p in listed["UserPools"]]


def test_resource_server_lifecycle(aws, cli_pool):
    created = as_json(
        aws(
            "cognito-idp", "create-resource-server",
            "--user-pool-id", cli_pool,
            "--identifier", "solar-system-data",
            "--name", "Solar system data",
            "--scopes",
            "ScopeName=sunproximity.read,ScopeDescription=Distance",
            "ScopeName=asteroids.add,ScopeDescription=Asteroids",
        )
    )  # fmt: skip
    assert created == {
        "ResourceServer": {
            "UserPoolId": cli_pool,
            "Identifier": "solar-system-data",
            "Name": "Solar system data",
            "Scopes": [
                {"ScopeName": "asteroids.add", "ScopeDescription": "Asteroids"},
                {"ScopeName": "sunproximity.read", "ScopeDescription": "Distance"},
            ],
        }
    }

    updated = as_json(
        aws(
            "cognito-idp", "update-resource-server",
            "--user-pool-id", cli_pool,
            "--identifier", "solar-system-data",
            "--name", "Solar system data v2",
            "--scopes", json.dumps([{"ScopeName": "comets.read", "ScopeDescription": "Comets"}]),
        )
    )  # fmt: skip
    expected = {
        "UserPoolId": cli_pool,
        "Identifier": "solar-system-data",
        "Name": "Solar system data v2",
        "Scopes": [{"ScopeName": "comets.read", "ScopeDescription": "Comets"}],
    }
    assert updated == {"ResourceServer": expected}

    described = as_json(
        aws(
            "cognito-idp", "describe-resource-server",
            "--user-pool-id", cli_pool, "--identifier", "solar-system-data",
        )
    )  # fmt: skip
    assert described == {"ResourceServer": expected}

    listed = as_json(
        aws("cognito-idp", "list-resource-servers", "--user-pool-id", cli_pool, "--max-results", "10")
    )
    assert listed["ResourceServers"] == [expected]
    assert "NextToken" not in listed

    deleted = aws(
        "cognito-idp", "delete-resource-server",
        "--user-pool-id", cli_pool, "--identifier", "solar-system-data",
    )  # fmt: skip
    assert deleted.stdout.strip() == ""
    listed = as_json(
        aws("cognito-idp", "list-resource-servers", "--user-pool-id", cli_pool, "--max-results", "10")
    )
    assert listed["ResourceServers"] == []


def test_url_identifier_through_cli_input_json(aws, cli_pool):
    request = {
        "UserPoolId": cli_pool,
        "Identifier": "https://api.example.com/v1",
        "Name": "Example",
        "Scopes": [{"ScopeName": "read", "ScopeDescription": "Read"}],
    }
    created = as_json(
        aws("cognito-idp", "create-resource-server", "--cli-input-json", json.dumps(request))
    )
    assert created == {"ResourceServer": request}
    described = as_json(
        aws(
            "cognito-idp", "describe-resource-server", "--cli-input-json",
            json.dumps({"UserPoolId": cli_pool, "Identifier": "https://api.example.com/v1"}),
        )
    )  # fmt: skip
    assert described == {"ResourceServer": request}


def test_cli_auto_pagination(aws, cli_pool):
    for i in range(5):
        aws(
            "cognito-idp", "create-resource-server", "--user-pool-id", cli_pool,
            "--identifier", f"svc-{i}", "--name", f"svc {i}",
        )  # fmt: skip
    listed = as_json(
        aws("cognito-idp", "list-resource-servers", "--user-pool-id", cli_pool, "--page-size", "2")
    )
    assert [s["Identifier"] for s in listed["ResourceServers"]] == [f"svc-{i}" for i in range(5)]


def test_describe_missing_resource_server_fails(aws, cli_pool):
    proc = aws(
        "cognito-idp", "describe-resource-server",
        "--user-pool-id", cli_pool, "--identifier", "no-such-api",
        check=False,
    )  # fmt: skip
    assert proc.returncode in (254, 255), proc
    assert (
        "An error occurred (ResourceNotFoundException) when calling the DescribeResourceServer "
        f"operation: no-such-api does not exist in user pool {cli_pool}." in proc.stderr
    ), proc.stderr
    assert proc.stdout == ""


def test_delete_protected_pool_fails(aws):
    pool_id = as_json(
        aws(
            "cognito-idp", "create-user-pool", "--pool-name", unique("cli-protected"),
            "--deletion-protection", "ACTIVE",
        )
    )["UserPool"]["Id"]  # fmt: skip
    proc = aws("cognito-idp", "delete-user-pool", "--user-pool-id", pool_id, check=False)
    assert proc.returncode in (254, 255)
    assert (
        "An error occurred (InvalidParameterException) when calling the DeleteUserPool "
        "operation: The user pool cannot be deleted because deletion protection is activated. "
        "Deletion protection must be inactivated first." in proc.stderr
    ), proc.stderr


def test_users_groups_and_sign_in(aws, cli_pool):
    """The README's users quickstart through the CLI: a user, a group, a sign-in, errors."""
    client = as_json(aws(
        "cognito-idp", "create-user-pool-client", "--user-pool-id", cli_pool,
        "--client-name", "web", "--explicit-auth-flows", "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH"))["UserPoolClient"]["ClientId"]
    user = as_json(aws("cognito-idp", "admin-create-user", "--user-pool-id", cli_pool,
                       "--username", "carol", "--message-action", "SUPPRESS",
                       "--user-attributes", "Name=email,Value=carol@example.com"))["User"]
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    aws("cognito-idp", "admin-set-user-password", "--user-pool-id", cli_pool, "--username",
        "carol", "--password", "Passw0rd!", "--permanent")
    aws("cognito-idp", "create-group", "--user-pool-id", cli_pool, "--group-name", "admins",
        "--precedence", "1")
    aws("cognito-idp", "admin-add-user-to-group", "--user-pool-id", cli_pool, "--username",
        "carol", "--group-name", "admins")
    listed = as_json(aws("cognito-idp", "list-users-in-group", "--user-pool-id", cli_pool,
                         "--group-name", "admins"))
    assert [u["Username"] for u in listed["Users"]] == ["carol"]
    tokens = as_json(aws("cognito-idp", "initiate-auth", "--client-id", client, "--auth-flow",
                         "USER_PASSWORD_AUTH", "--auth-parameters",
                         "USERNAME=carol,PASSWORD=Passw0rd!"))["AuthenticationResult"]
    got = as_json(aws("cognito-idp", "get-user", "--access-token", tokens["AccessToken"]))
    assert got["Username"] == "carol"
    found = as_json(aws("cognito-idp", "list-users", "--user-pool-id", cli_pool, "--filter",
                        'email ^= "carol"'))
    assert [u["Username"] for u in found["Users"]] == ["carol"]
    bad = aws("cognito-idp", "initiate-auth", "--client-id", client, "--auth-flow",
              "USER_PASSWORD_AUTH", "--auth-parameters", "USERNAME=carol,PASSWORD=Wr0ng!pass",
              check=False)
    assert bad.returncode != 0
    assert "NotAuthorizedException" in bad.stderr and "Incorrect username or password." in bad.stderr
    missing = aws("cognito-idp", "admin-get-user", "--user-pool-id", cli_pool, "--username",
                  "nobody", check=False)
    assert "UserNotFoundException" in missing.stderr and "User does not exist." in missing.stderr
