"""The AWS JSON 1.1 wire protocol: framing, error shape, headers, decoding and size limits."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import requests

from rognito_helpers import (
    BINARY,
    CONTENT_TYPE,
    TARGET_PREFIX,
    assert_error,
    assert_raw_error,
    client_error,
    unique,
)

MISSING_POOL = "us-east-1_AAAAAAAAA"
ONE_MIB = 1 << 20


def test_health_answers_200(server):
    resp = requests.get(server.url + "/health", timeout=10)
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}
    assert resp.headers.get("x-amzn-RequestId")


def test_success_has_aws_json_headers_and_distinct_request_ids(server):
    first = server.post("CreateUserPool", {"PoolName": unique("hdr")})
    second = server.post("DescribeUserPool", {"UserPoolId": first.json()["UserPool"]["Id"]})
    for resp in (first, second):
        assert resp.status_code == 200, resp.text
        assert resp.headers["Content-Type"] == CONTENT_TYPE
        assert "x-amzn-ErrorType" not in resp.headers
        assert resp.headers.get("x-amzn-RequestId")
    assert first.headers["x-amzn-RequestId"] != second.headers["x-amzn-RequestId"]


def test_boto3_sees_the_request_id(cognito):
    resp = cognito.list_user_pools(MaxResults=1)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert resp["ResponseMetadata"]["RequestId"]
    assert (
        resp["ResponseMetadata"]["RequestId"]
        == resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    )


def test_error_shape_header_body_and_status(server):
    resp = server.post("DescribeUserPool", {"UserPoolId": MISSING_POOL})
    body = assert_raw_error(
        resp, "ResourceNotFoundException", f"User pool {MISSING_POOL} does not exist."
    )
    assert set(body) == {"__type", "message"}


@pytest.mark.parametrize(
    "operation", ["AdminListDevices", "StartUserImportJob", "CreateManagedLoginBranding",
                  "StartWebAuthnRegistration"]
)
def test_known_but_unimplemented_operations(server, operation):
    resp = server.post(operation, {})
    assert_raw_error(
        resp,
        "UnknownOperationException",
        f"{operation} is a Cognito operation that rognito does not implement.",
    )


def test_unimplemented_operation_through_boto3(cognito):
    err = client_error(cognito.list_devices, AccessToken="token")
    assert_error(
        err,
        "UnknownOperationException",
        "ListDevices is a Cognito operation that rognito does not implement.",
    )


@pytest.mark.parametrize(
    "target",
    [
        f"{TARGET_PREFIX}.NoSuchOperation",
        "SomeOtherService.CreateUserPool",
        f"{TARGET_PREFIX}CreateUserPool",
        f"{TARGET_PREFIX}.",
        "",
    ],
)
def test_unknown_targets(server, target):
    resp = server.post(None, {"PoolName": "x"}, headers={"X-Amz-Target": target})
    assert_raw_error(resp, "UnknownOperationException")


def test_missing_target(server):
    resp = server.post(None, {"PoolName": "x"})
    assert_raw_error(resp, "UnknownOperationException")


def test_no_credentials_needed(server):
    # Not signed at all: still served (credentials are not verified).
    resp = server.post("ListUserPools", {"MaxResults": 1})
    assert resp.status_code == 200, resp.text
    assert isinstance(resp.json()["UserPools"], list)


# --- SerializationException --------------------------------------------------------------------


def test_number_for_string_is_a_serialization_error(server):
    resp = server.post("DescribeUserPool", {"UserPoolId": 5})
    assert_raw_error(
        resp,
        "SerializationException",
        "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted "
        "to an String",
    )


def test_number_for_string_through_boto3_without_validation(cognito):
    err = client_error(cognito.describe_user_pool, UserPoolId=5)
    assert_error(
        err,
        "SerializationException",
        "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted "
        "to an String",
    )


def test_string_for_list_is_a_serialization_error(server, pool):
    resp = server.post(
        "CreateResourceServer",
        {"UserPoolId": pool, "Identifier": "api", "Name": "api", "Scopes": "x"},
    )
    assert_raw_error(resp, "SerializationException", "Expected list or null")


@pytest.mark.parametrize(
    "operation, body, message",
    [
        (
            "CreateUserPool",
            {"PoolName": True},
            "class java.lang.Boolean can not be converted to an String",
        ),
        (
            "ListUserPools",
            {"MaxResults": "5"},
            "class java.lang.String can not be converted to an Integer",
        ),
        (
            "CreateUserPool",
            {"PoolName": "p", "Policies": {"PasswordPolicy": {"MinimumLength": "8"}}},
            "class java.lang.String can not be converted to an Integer",
        ),
        (
            "DescribeUserPool",
            {"UserPoolId": {"a": 1}},
            "Start of structure or map found where not expected.",
        ),
        ("DescribeUserPool", {"UserPoolId": ["a"]}, "Start of list found where not expected"),
        ("DescribeUserPool", [1], "Start of list found where not expected"),
        ("CreateUserPool", {"PoolName": "p", "Policies": "x"}, "Expected map or null"),
    ],
)
def test_type_mismatch_messages(server, operation, body, message):
    resp = server.post(operation, body)
    assert_raw_error(resp, "SerializationException", message)


@pytest.mark.parametrize(
    "data",
    [b"{", b"not json", b'{"UserPoolId": "x"} trailing', b"", b'{"UserPoolId": "x",}', b"\xff\xfe"],
    ids=["unterminated", "garbage", "trailing", "empty", "trailing-comma", "not-utf8"],
)
def test_invalid_json_is_a_serialization_error(server, data):
    resp = server.post("DescribeUserPool", data=data)
    assert_raw_error(resp, "SerializationException")


@pytest.mark.parametrize(
    "operation, body",
    [
        ("ListUserPools", {"MaxResults": 99999999999}),
        ("ListUserPools", {"MaxResults": 1.5}),
        ("ListUserPools", {"MaxResults": -1}),
        ("ListUserPools", {"MaxResults": None}),
        ("ListResourceServers", {"UserPoolId": MISSING_POOL, "MaxResults": True}),
        ("CreateResourceServer", {"Scopes": [5]}),
        ("CreateResourceServer", {"Scopes": [["read"]]}),
        ("CreateResourceServer", {"Scopes": [{"ScopeName": 1}]}),
        ("CreateResourceServer", {"Scopes": [None]}),
        ("CreateUserPool", {"PoolName": "p", "UserPoolTags": {"k": 1}}),
        ("CreateUserPool", {"PoolName": "p", "UserPoolTags": ["k"]}),
        ("CreateUserPool", {"PoolName": "p", "Schema": [{"Name": "x", "Mutable": "yes"}]}),
        ("CreateUserPool", {"PoolName": "p", "AutoVerifiedAttributes": "email"}),
        ("CreateUserPool", {"PoolName": "p", "DeletionProtection": 1}),
        ("DeleteUserPool", "just a string"),
        ("DeleteUserPool", 42),
        ("DeleteUserPool", None),
    ],
)
def test_odd_bodies_are_client_errors_never_500(server, operation, body):
    resp = server.post(operation, data=json.dumps(body).encode())
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text)
    assert resp.headers["Content-Type"] == CONTENT_TYPE
    assert resp.json()["__type"] in {"SerializationException", "InvalidParameterException"}
    assert resp.headers["x-amzn-ErrorType"] == resp.json()["__type"]


def test_unknown_members_are_ignored(server):
    resp = server.post("CreateUserPool", {"PoolName": unique("extra"), "NoSuchMember": {"a": 1}})
    assert resp.status_code == 200, resp.text


def test_null_member_counts_as_absent(server):
    resp = server.post("DescribeUserPool", {"UserPoolId": None})
    assert_raw_error(
        resp,
        "InvalidParameterException",
        "1 validation error detected: Value null at 'userPoolId' failed to satisfy constraint: "
        "Member must not be null",
    )


# --- request size ------------------------------------------------------------------------------


def _padded(body: dict, size: int) -> bytes:
    raw = json.dumps(body).encode()
    assert len(raw) <= size
    return raw[:-1] + b" " * (size - len(raw)) + b"}"


def test_body_of_exactly_one_mib_is_accepted(server):
    data = _padded({"UserPoolId": MISSING_POOL}, ONE_MIB)
    assert len(data) == ONE_MIB
    resp = server.post("DescribeUserPool", data=data)
    assert_raw_error(resp, "ResourceNotFoundException", f"User pool {MISSING_POOL} does not exist.")


def test_body_over_one_mib_is_413(server):
    data = _padded({"UserPoolId": MISSING_POOL}, ONE_MIB + 1)
    resp = server.post("DescribeUserPool", data=data)
    assert_raw_error(resp, "RequestEntityTooLargeException", status=413)


def test_chunked_body_over_one_mib_is_413(server):
    def chunks():
        yield b'{"UserPoolId": "' + MISSING_POOL.encode() + b'"'
        for _ in range(17):
            yield b" " * 65536
        yield b"}"

    headers = server.signed_headers("DescribeUserPool", b"".join(chunks()))
    resp = server.post("DescribeUserPool", data=chunks(), headers=headers, signed=False)
    assert resp.request.headers.get("Transfer-Encoding") == "chunked"
    assert_raw_error(resp, "RequestEntityTooLargeException", status=413)


def test_unsigned_large_body_is_refused_before_it_is_read(server):
    """Issue 9, A.9: an anonymous caller cannot make the server buffer a body."""
    def chunks():
        yield b'{"PoolName": "x"'
        for _ in range(8):
            yield b" " * 65536
        yield b"}"

    resp = server.post("CreateUserPool", data=chunks(), signed=False)
    assert_raw_error(resp, "MissingAuthenticationTokenException",
                     "Request is missing Authentication Token")


def test_oversized_create_through_boto3(cognito):
    err = client_error(cognito.create_user_pool, PoolName="big", SmsVerificationMessage="x" * ONE_MIB)
    assert_error(err, "RequestEntityTooLargeException", status=413)


# --- other HTTP surface ------------------------------------------------------------------------


def test_other_paths_are_404_with_request_id(server):
    resp = requests.post(server.url + "/nope", data=b"{}", timeout=10)
    assert resp.status_code == 404
    assert resp.headers.get("x-amzn-RequestId")


def test_get_on_api_root_is_not_served(server):
    resp = requests.get(server.url + "/", timeout=10)
    assert resp.status_code == 405
    assert resp.headers.get("x-amzn-RequestId")


# --- process lifecycle -------------------------------------------------------------------------


def test_sigterm_stops_gracefully(start_server):
    srv = start_server()
    assert requests.get(srv.url + "/health", timeout=10).status_code == 200
    assert srv.stop() == 0
    assert "rognito stopped" in srv.log_text


def test_region_and_account_shape_ids_and_arns(start_server):
    srv = start_server("--region", "eu-west-2", "--account-id", "123456789012")
    pool = srv.client(region="eu-west-2").create_user_pool(PoolName="regional")["UserPool"]
    assert pool["Id"].startswith("eu-west-2_")
    assert len(pool["Id"]) == len("eu-west-2_") + 9
    assert pool["Arn"] == f"arn:aws:cognito-idp:eu-west-2:123456789012:userpool/{pool['Id']}"


def _run_serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BINARY), "serve", *args],
        env=dict(os.environ, NO_COLOR="1"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=10,
    )


def test_bad_region_is_refused_at_startup(tmp_path):
    proc = _run_serve("--listen", "127.0.0.1:0", "--data-dir", str(tmp_path), "--region", "moon")
    assert proc.returncode == 2, proc
    assert "--region" in proc.stderr and "moon" in proc.stderr


def test_bad_account_id_is_refused_at_startup(tmp_path):
    proc = _run_serve("--listen", "127.0.0.1:0", "--data-dir", str(tmp_path), "--account-id", "12")
    assert proc.returncode == 2, proc


def test_unusable_data_dir_fails_fast(tmp_path):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    proc = _run_serve("--listen", "127.0.0.1:0", "--data-dir", str(not_a_dir), "--durability", "fsync")
    assert proc.returncode != 0
    assert "unusable" in proc.stderr, proc.stderr


def test_address_in_use_fails_fast(server, tmp_path):
    taken = server.url.removeprefix("http://")
    proc = _run_serve("--listen", taken, "--data-dir", str(tmp_path), "--durability", "memory")
    assert proc.returncode != 0
    assert f"cannot listen on {taken}" in proc.stderr, proc.stderr
