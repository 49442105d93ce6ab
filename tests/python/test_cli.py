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
