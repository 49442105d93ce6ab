"""CreateUserPool, DescribeUserPool, ListUserPools, DeleteUserPool."""

from __future__ import annotations

import base64
import datetime
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from rognito_helpers import assert_error, assert_raw_error, client_error, unique

MISSING_POOL = "us-east-1_AAAAAAAAA"
POOL_ID = re.compile(r"^us-east-1_[0-9A-Za-z]{9}$")
DELETION_PROTECTED = (
    "The user pool cannot be deleted because deletion protection is activated. "
    "Deletion protection must be inactivated first."
)
STANDARD_ATTRIBUTES = [
    "sub", "name", "given_name", "family_name", "middle_name", "nickname",
    "preferred_username", "profile", "picture", "website", "email", "email_verified",
    "gender", "birthdate", "zoneinfo", "locale", "phone_number", "phone_number_verified",
    "address", "updated_at", "identities",
]  # fmt: skip


def assert_contains(actual, expected, path="UserPool"):
    """Every member of `expected` is in `actual` with the same value (dicts may have extra
    members, added by the server as defaults; lists must match element by element)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: {actual!r} is not a map"
        for key, value in expected.items():
            assert key in actual, f"{path}.{key} missing from {actual!r}"
            assert_contains(actual[key], value, f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), (
            f"{path}: {actual!r} != {expected!r}"
        )
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_contains(a, e, f"{path}[{i}]")
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


# --- CreateUserPool / DescribeUserPool ---------------------------------------------------------


def test_create_returns_id_arn_and_dates(cognito):
    name = unique("create")
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    pool = cognito.create_user_pool(PoolName=name)["UserPool"]
    after = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1)
    assert POOL_ID.match(pool["Id"]), pool["Id"]
    assert pool["Name"] == name
    assert pool["Arn"] == f"arn:aws:cognito-idp:us-east-1:000000000000:userpool/{pool['Id']}"
    assert isinstance(pool["CreationDate"], datetime.datetime)
    assert isinstance(pool["LastModifiedDate"], datetime.datetime)
    assert before <= pool["CreationDate"] <= after
    assert pool["LastModifiedDate"] == pool["CreationDate"]


def test_pool_ids_are_unique(cognito):
    ids = {cognito.create_user_pool(PoolName=unique("u"))["UserPool"]["Id"] for _ in range(5)}
    assert len(ids) == 5


def test_account_id_shapes_the_arn(start_server):
    srv = start_server("--account-id", "123456789012")
    client = srv.client()
    pool = client.create_user_pool(PoolName="acct")["UserPool"]
    assert pool["Arn"] == f"arn:aws:cognito-idp:us-east-1:123456789012:userpool/{pool['Id']}"
    described = client.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    assert described["Arn"] == pool["Arn"]


def test_name_only_pool_defaults(cognito):
    name = unique("defaults")
    created = cognito.create_user_pool(PoolName=name)["UserPool"]
    pool = cognito.describe_user_pool(UserPoolId=created["Id"])["UserPool"]
    assert pool["Id"] == created["Id"]
    assert pool["Name"] == name
    assert pool["Arn"] == created["Arn"]
    assert pool["CreationDate"] == created["CreationDate"]
    assert pool["LastModifiedDate"] == created["LastModifiedDate"]
    assert pool["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 8,
        "RequireUppercase": True,
        "RequireLowercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "TemporaryPasswordValidityDays": 7,
    }
    assert pool["Policies"]["SignInPolicy"] == {"AllowedFirstAuthFactors": ["PASSWORD"]}
    assert pool["DeletionProtection"] == "INACTIVE"
    assert pool["LambdaConfig"] == {}
    assert pool["MfaConfiguration"] == "OFF"
    assert pool["EstimatedNumberOfUsers"] == 0
    assert pool["UserPoolTier"] == "ESSENTIALS"
    names = [a["Name"] for a in pool["SchemaAttributes"]]
    assert names == STANDARD_ATTRIBUTES
    sub = pool["SchemaAttributes"][0]
    assert sub["AttributeDataType"] == "String"
    assert sub["Mutable"] is False
    assert sub["Required"] is True
    # CreateUserPool answers with the same document DescribeUserPool shows.
    assert created == pool


RICH_POOL = {
    "Policies": {
        "PasswordPolicy": {
            "MinimumLength": 12,
            "RequireUppercase": False,
            "RequireLowercase": True,
            "RequireNumbers": False,
            "RequireSymbols": False,
            "PasswordHistorySize": 3,
            "TemporaryPasswordValidityDays": 3,
        },
        "SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]},
    },
    "DeletionProtection": "ACTIVE",
    "LambdaConfig": {
        "PreSignUp": "arn:aws:lambda:us-east-1:123456789012:function:pre-sign-up",
        "PostConfirmation": "arn:aws:lambda:us-east-1:123456789012:function:post-confirm",
    },
    "AutoVerifiedAttributes": ["email"],
    "UsernameAttributes": ["email"],
    "SmsVerificationMessage": "Your code is {####}",
    "EmailVerificationMessage": "Your verification code is {####}.",
    "EmailVerificationSubject": "Verify your address ✉",
    "VerificationMessageTemplate": {
        "SmsMessage": "Your code is {####}",
        "EmailMessage": "Your verification code is {####}.",
        "EmailSubject": "Verify your address ✉",
        "EmailMessageByLink": "Click {##here##} to verify.",
        "EmailSubjectByLink": "Verify by link",
        "DefaultEmailOption": "CONFIRM_WITH_LINK",
    },
    "SmsAuthenticationMessage": "Your sign-in code is {####}",
    "MfaConfiguration": "OPTIONAL",
    "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
    "DeviceConfiguration": {
        "ChallengeRequiredOnNewDevice": True,
        "DeviceOnlyRememberedOnUserPrompt": False,
    },
    "EmailConfiguration": {
        "EmailSendingAccount": "COGNITO_DEFAULT",
        "ReplyToEmailAddress": "no-reply@example.com",
    },
    "SmsConfiguration": {
        "SnsCallerArn": "arn:aws:iam::123456789012:role/cognito-sns",
        "ExternalId": "external-id-1",
        "SnsRegion": "us-east-1",
    },
    "UserPoolTags": {"team": "identity", "env": "test"},
    "AdminCreateUserConfig": {
        "AllowAdminCreateUserOnly": True,
        "InviteMessageTemplate": {
            "SMSMessage": "Hello {username}, your code is {####}",
            "EmailMessage": "Hello {username}, your code is {####}",
            "EmailSubject": "Welcome",
        },
    },
    "UserPoolAddOns": {"AdvancedSecurityMode": "OFF"},
    "UsernameConfiguration": {"CaseSensitive": False},
    "AccountRecoverySetting": {
        "RecoveryMechanisms": [
            {"Priority": 1, "Name": "verified_email"},
            {"Priority": 2, "Name": "verified_phone_number"},
        ]
    },
    "UserPoolTier": "PLUS",
}


def test_every_create_member_is_echoed_by_describe(cognito):
    name = unique("rich")
    schema = [
        {
            "Name": "tenant",
            "AttributeDataType": "String",
            "Mutable": True,
            "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "64"},
        },
        {
            "Name": "level",
            "AttributeDataType": "Number",
            "Mutable": False,
            "NumberAttributeConstraints": {"MinValue": "0", "MaxValue": "10"},
        },
    ]
    created = cognito.create_user_pool(PoolName=name, Schema=schema, **RICH_POOL)["UserPool"]
    pool = cognito.describe_user_pool(UserPoolId=created["Id"])["UserPool"]
    assert pool["Name"] == name
    for member, value in RICH_POOL.items():
        assert_contains(pool.get(member), value, f"UserPool.{member}")
    # Exact where the request gave the whole structure.
    assert pool["Policies"]["PasswordPolicy"] == RICH_POOL["Policies"]["PasswordPolicy"]
    assert pool["UserPoolTags"] == RICH_POOL["UserPoolTags"]
    assert pool["DeletionProtection"] == "ACTIVE"
    assert pool["MfaConfiguration"] == "OPTIONAL"
    assert pool["EmailVerificationSubject"] == "Verify your address ✉"
    by_name = {a["Name"]: a for a in pool["SchemaAttributes"]}
    assert [a["Name"] for a in pool["SchemaAttributes"]][:21] == STANDARD_ATTRIBUTES
    assert "tenant" not in by_name and "level" not in by_name
    assert_contains(by_name["custom:tenant"], {**schema[0], "Name": "custom:tenant"})
    assert_contains(by_name["custom:level"], {**schema[1], "Name": "custom:level"})
    assert created["Id"] == pool["Id"]
    # Deletion protection is on: leave it, the shared server is in memory.


OTHER_MEMBERS = {
    "AliasAttributes": ["email", "preferred_username"],
    "DcrConfiguration": {
        "EnableStatus": "Enabled",
        "OpenDcrEnabled": False,
        "AuthenticatedGrantTypes": ["code", "client_credentials"],
        "OpenDcrGrantTypes": [],
        "AllowedScopes": ["openid", "solar/read"],
    },
    "KeyConfiguration": {
        "KeyType": "CUSTOMER_MANAGED_KEY",
        "KmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/abcd-1234",
    },
    "IssuerConfiguration": {"Type": "UPDATED"},
    "AcrConfiguration": {"Level1": {"AcrValue": "urn:example:low"}},
    "MfaConfiguration": "ON",
    "UserPoolTier": "LITE",
}


def test_remaining_create_members_are_echoed(cognito):
    pool_id = cognito.create_user_pool(PoolName=unique("other"), **OTHER_MEMBERS)["UserPool"]["Id"]
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    for member, value in OTHER_MEMBERS.items():
        assert_contains(pool.get(member), value, f"UserPool.{member}")


def test_echo_tests_cover_every_create_member(cognito):
    model = cognito.meta.service_model.operation_model("CreateUserPool").input_shape
    covered = {"PoolName", "Schema"} | set(RICH_POOL) | set(OTHER_MEMBERS)
    assert set(model.members) - covered == set()


def test_schema_entry_for_a_standard_attribute_overrides_it(cognito):
    pool_id = cognito.create_user_pool(
        PoolName=unique("schema"),
        Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True}],
    )["UserPool"]["Id"]
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    names = [a["Name"] for a in pool["SchemaAttributes"]]
    assert names == STANDARD_ATTRIBUTES
    email = pool["SchemaAttributes"][names.index("email")]
    assert email["Required"] is True
    # Given in Schema without Mutable, a standard attribute comes back immutable (aws-cdk#8624).
    assert email["Mutable"] is False
    assert email["StringAttributeConstraints"] == {"MinLength": "0", "MaxLength": "2048"}


def test_developer_only_custom_attribute_name(cognito):
    pool_id = cognito.create_user_pool(
        PoolName=unique("dev"),
        Schema=[
            {"Name": "secret", "AttributeDataType": "String", "DeveloperOnlyAttribute": True}
        ],
    )["UserPool"]["Id"]
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    names = [a["Name"] for a in pool["SchemaAttributes"]]
    assert names[-1] == "dev:custom:secret"


def test_describe_missing_pool(cognito):
    err = client_error(cognito.describe_user_pool, UserPoolId=MISSING_POOL)
    assert_error(err, "ResourceNotFoundException", f"User pool {MISSING_POOL} does not exist.")


def test_pool_ids_are_case_sensitive(cognito, pool):
    region, suffix = pool.split("_")
    other = f"{region}_{suffix.swapcase()}"
    if other == pool:  # all digits: astronomically unlikely
        pytest.skip("pool id has no letters")
    err = client_error(cognito.describe_user_pool, UserPoolId=other)
    assert_error(err, "ResourceNotFoundException", f"User pool {other} does not exist.")


# --- validation --------------------------------------------------------------------------------


def test_pool_name_is_required(cognito):
    err = client_error(cognito.create_user_pool)
    assert_error(
        err,
        "InvalidParameterException",
        "1 validation error detected: Value null at 'poolName' failed to satisfy constraint: "
        "Member must not be null",
    )


def test_mfa_configuration_enum(cognito):
    err = client_error(cognito.create_user_pool, PoolName="p", MfaConfiguration="false")
    assert_error(
        err,
        "InvalidParameterException",
        "1 validation error detected: Value 'false' at 'mfaConfiguration' failed to satisfy "
        "constraint: Member must satisfy enum value set: [OPTIONAL, OFF, ON]",
    )


def test_empty_user_pool_id_reports_pattern_then_length(cognito):
    err = client_error(cognito.describe_user_pool, UserPoolId="")
    assert_error(
        err,
        "InvalidParameterException",
        "2 validation errors detected: "
        "Value '' at 'userPoolId' failed to satisfy constraint: Member must satisfy regular "
        "expression pattern: [\\w-]+_[0-9a-zA-Z]+; "
        "Value '' at 'userPoolId' failed to satisfy constraint: Member must have length "
        "greater than or equal to 1",
    )


def test_malformed_user_pool_id(cognito):
    err = client_error(cognito.delete_user_pool, UserPoolId="not-a-pool")
    assert_error(
        err,
        "InvalidParameterException",
        "1 validation error detected: Value 'not-a-pool' at 'userPoolId' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+",
    )


def test_pool_name_length_and_pattern(cognito):
    name = "n" * 128
    assert cognito.create_user_pool(PoolName=name)["UserPool"]["Name"] == name
    err = client_error(cognito.create_user_pool, PoolName="n" * 129)
    assert_error(
        err,
        "InvalidParameterException",
        f"1 validation error detected: Value '{'n' * 129}' at 'poolName' failed to satisfy "
        "constraint: Member must have length less than or equal to 128",
    )
    err = client_error(cognito.create_user_pool, PoolName="bad/name")
    assert_error(
        err,
        "InvalidParameterException",
        "1 validation error detected: Value 'bad/name' at 'poolName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+",
    )


def test_lengths_count_utf16_units(cognito):
    # U+1F4E7 is one code point but two UTF-16 units: 70 of them are 140 units (the maximum).
    ok = "\U0001f4e7" * 70
    pool_id = cognito.create_user_pool(PoolName=unique("utf16"), EmailVerificationSubject=ok)[
        "UserPool"
    ]["Id"]
    assert cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"][
        "EmailVerificationSubject"
    ] == ok
    too_long = "\U0001f4e7" * 71
    err = client_error(cognito.create_user_pool, PoolName="p", EmailVerificationSubject=too_long)
    assert_error(
        err,
        "InvalidParameterException",
        f"1 validation error detected: Value '{too_long}' at 'emailVerificationSubject' failed "
        "to satisfy constraint: Member must have length less than or equal to 140",
    )


def test_nested_violations_are_all_reported_in_member_order(cognito):
    err = client_error(
        cognito.create_user_pool,
        PoolName="",
        Policies={"PasswordPolicy": {"MinimumLength": 5, "TemporaryPasswordValidityDays": 366}},
        MfaConfiguration="false",
    )
    assert_error(
        err,
        "InvalidParameterException",
        "5 validation errors detected: "
        "Value '' at 'poolName' failed to satisfy constraint: Member must satisfy regular "
        "expression pattern: [\\w\\s+=,.@-]+; "
        "Value '' at 'poolName' failed to satisfy constraint: Member must have length greater "
        "than or equal to 1; "
        "Value '5' at 'policies.passwordPolicy.minimumLength' failed to satisfy constraint: "
        "Member must have value greater than or equal to 6; "
        "Value '366' at 'policies.passwordPolicy.temporaryPasswordValidityDays' failed to "
        "satisfy constraint: Member must have value less than or equal to 365; "
        "Value 'false' at 'mfaConfiguration' failed to satisfy constraint: Member must satisfy "
        "enum value set: [OPTIONAL, OFF, ON]",
    )


# --- ListUserPools -----------------------------------------------------------------------------


def test_list_items_have_only_summary_members(cognito):
    name = unique("listed")
    pool_id = cognito.create_user_pool(PoolName=name, UserPoolTags={"a": "b"})["UserPool"]["Id"]
    found = []
    token = None
    while True:
        kwargs = {"MaxResults": 60, **({"NextToken": token} if token else {})}
        page = cognito.list_user_pools(**kwargs)
        found += [p for p in page["UserPools"] if p["Id"] == pool_id]
        token = page.get("NextToken")
        if not token:
            break
    assert len(found) == 1
    item = found[0]
    assert set(item) == {"Id", "Name", "LambdaConfig", "LastModifiedDate", "CreationDate"}
    assert item["Name"] == name
    assert item["LambdaConfig"] == {}
    assert isinstance(item["CreationDate"], datetime.datetime)


def test_list_shows_lambda_config(cognito):
    arn = "arn:aws:lambda:us-east-1:123456789012:function:pre"
    pool_id = cognito.create_user_pool(
        PoolName=unique("lambda"), LambdaConfig={"PreSignUp": arn}
    )["UserPool"]["Id"]
    items = {
        p["Id"]: p
        for page in cognito.get_paginator("list_user_pools").paginate(MaxResults=60)
        for p in page["UserPools"]
    }
    assert items[pool_id]["LambdaConfig"] == {"PreSignUp": arn}


def test_list_paginates_without_dupes_or_gaps(start_server):
    client = start_server().client()
    created = {client.create_user_pool(PoolName=f"page-{i}")["UserPool"]["Id"] for i in range(7)}
    pages = []
    token = None
    while True:
        kwargs = {"MaxResults": 3, **({"NextToken": token} if token else {})}
        page = client.list_user_pools(**kwargs)
        pages.append([p["Id"] for p in page["UserPools"]])
        token = page.get("NextToken")
        if token is None:
            break
        assert len(pages) < 10, "pagination does not end"
    assert [len(p) for p in pages] == [3, 3, 1]
    listed = [i for p in pages for i in p]
    assert len(listed) == len(set(listed))
    assert set(listed) == created
    # The boto3 paginator sees the same, in the same order.
    via_paginator = [
        p["Id"]
        for page in client.get_paginator("list_user_pools").paginate(
            MaxResults=3, PaginationConfig={"PageSize": 3}
        )
        for p in page["UserPools"]
    ]
    assert via_paginator == listed


def test_list_exact_page_size_has_no_next_token(start_server):
    client = start_server().client()
    for i in range(3):
        client.create_user_pool(PoolName=f"exact-{i}")
    page = client.list_user_pools(MaxResults=3)
    assert len(page["UserPools"]) == 3
    assert "NextToken" not in page
    empty = start_server().client().list_user_pools(MaxResults=5)
    assert empty["UserPools"] == []
    assert "NextToken" not in empty


def test_list_max_results_omitted_or_zero(server):
    message = (
        "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )
    assert_raw_error(server.post("ListUserPools", {}), "InvalidParameterException", message)
    assert_raw_error(
        server.post("ListUserPools", {"MaxResults": 0}), "InvalidParameterException", message
    )


def test_list_max_results_over_60(cognito):
    assert len(cognito.list_user_pools(MaxResults=60)["UserPools"]) <= 60
    err = client_error(cognito.list_user_pools, MaxResults=61)
    assert_error(
        err,
        "InvalidParameterException",
        "1 validation error detected: Value '61' at 'maxResults' failed to satisfy constraint: "
        "Member must have value less than or equal to 60",
    )


def _tamper(token: str) -> str:
    i = len(token) // 3
    replacement = "A" if token[i] != "A" else "B"
    return token[:i] + replacement + token[i + 1 :]


def test_tampered_next_token_is_refused(start_server):
    client = start_server().client()
    for i in range(3):
        client.create_user_pool(PoolName=f"tamper-{i}")
    token = client.list_user_pools(MaxResults=1)["NextToken"]
    assert client.list_user_pools(MaxResults=1, NextToken=token)["UserPools"]
    for bad in (_tamper(token), token + "x", "garbage", base64.b64encode(b"x" * 40).decode()):
        err = client_error(client.list_user_pools, MaxResults=1, NextToken=bad)
        assert_error(err, "InvalidParameterException", "Invalid pagination token.")


def test_next_token_with_whitespace_fails_validation(cognito):
    err = client_error(cognito.list_user_pools, MaxResults=1, NextToken="a b")
    assert_error(
        err,
        "InvalidParameterException",
        "1 validation error detected: Value 'a b' at 'nextToken' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\S]+",
    )


def test_next_token_of_another_server_is_refused(start_server):
    first = start_server().client()
    second = start_server().client()
    for client in (first, second):
        for i in range(2):
            client.create_user_pool(PoolName=f"srv-{i}")
    token = first.list_user_pools(MaxResults=1)["NextToken"]
    err = client_error(second.list_user_pools, MaxResults=1, NextToken=token)
    assert_error(err, "InvalidParameterException", "Invalid pagination token.")


# --- DeleteUserPool ----------------------------------------------------------------------------


def test_delete_pool(cognito, pool):
    cognito.delete_user_pool(UserPoolId=pool)
    err = client_error(cognito.describe_user_pool, UserPoolId=pool)
    assert_error(err, "ResourceNotFoundException", f"User pool {pool} does not exist.")
    err = client_error(cognito.delete_user_pool, UserPoolId=pool)
    assert_error(err, "ResourceNotFoundException", f"User pool {pool} does not exist.")
    listed = [
        p["Id"]
        for page in cognito.get_paginator("list_user_pools").paginate(MaxResults=60)
        for p in page["UserPools"]
    ]
    assert pool not in listed


def test_delete_missing_pool(cognito):
    err = client_error(cognito.delete_user_pool, UserPoolId=MISSING_POOL)
    assert_error(err, "ResourceNotFoundException", f"User pool {MISSING_POOL} does not exist.")


def test_deletion_protection_blocks_delete(cognito):
    pool_id = cognito.create_user_pool(PoolName=unique("protected"), DeletionProtection="ACTIVE")[
        "UserPool"
    ]["Id"]
    err = client_error(cognito.delete_user_pool, UserPoolId=pool_id)
    assert_error(err, "InvalidParameterException", DELETION_PROTECTED)
    assert cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Id"] == pool_id


def test_delete_removes_the_pools_resource_servers(cognito):
    pool_id = cognito.create_user_pool(PoolName=unique("cascade"))["UserPool"]["Id"]
    cognito.create_resource_server(UserPoolId=pool_id, Identifier="api", Name="api")
    cognito.delete_user_pool(UserPoolId=pool_id)
    for call, extra in (
        (cognito.describe_resource_server, {"Identifier": "api"}),
        (cognito.list_resource_servers, {"MaxResults": 10}),
        (cognito.delete_resource_server, {"Identifier": "api"}),
        (cognito.update_resource_server, {"Identifier": "api", "Name": "api"}),
        (cognito.create_resource_server, {"Identifier": "api", "Name": "api"}),
    ):
        err = client_error(call, UserPoolId=pool_id, **extra)
        assert_error(err, "ResourceNotFoundException", f"User pool {pool_id} does not exist.")
    # A new pool starts with no resource servers and can reuse the identifier.
    new_id = cognito.create_user_pool(PoolName=unique("cascade"))["UserPool"]["Id"]
    assert new_id != pool_id
    assert cognito.list_resource_servers(UserPoolId=new_id, MaxResults=10)["ResourceServers"] == []
    cognito.create_resource_server(UserPoolId=new_id, Identifier="api", Name="api")


# --- quota -------------------------------------------------------------------------------------


def test_user_pool_quota(start_server):
    client = start_server("--max-user-pools-per-account", "2").client()
    first = client.create_user_pool(PoolName="q1")["UserPool"]["Id"]
    client.create_user_pool(PoolName="q2")
    err = client_error(client.create_user_pool, PoolName="q3")
    assert_error(err, "LimitExceededException")
    assert len(client.list_user_pools(MaxResults=10)["UserPools"]) == 2
    # Deleting a pool frees its slot.
    client.delete_user_pool(UserPoolId=first)
    client.create_user_pool(PoolName="q3")
    err = client_error(client.create_user_pool, PoolName="q4")
    assert_error(err, "LimitExceededException")


# --- persistence -------------------------------------------------------------------------------


def test_pools_survive_a_restart(start_server, tmp_path):
    data = tmp_path / "persist"
    srv = start_server(data_dir=data, durability="fsync")
    client = srv.client()
    ids = [
        client.create_user_pool(PoolName=f"keep-{i}", UserPoolTags={"i": str(i)})["UserPool"]["Id"]
        for i in range(3)
    ]
    client.create_resource_server(
        UserPoolId=ids[0],
        Identifier="https://api.example.com/v1",
        Name="api",
        Scopes=[{"ScopeName": "read", "ScopeDescription": "Read"}],
    )
    before = client.describe_user_pool(UserPoolId=ids[0])["UserPool"]
    token = client.list_user_pools(MaxResults=1)["NextToken"]
    assert srv.stop() == 0

    again = start_server(data_dir=data, durability="fsync").client()
    assert again.describe_user_pool(UserPoolId=ids[0])["UserPool"] == before
    listed = [p["Id"] for p in again.list_user_pools(MaxResults=10)["UserPools"]]
    assert sorted(listed) == sorted(ids)
    # Page tokens are signed with a key kept in the data dir, so they outlive a restart.
    rest = again.list_user_pools(MaxResults=10, NextToken=token)["UserPools"]
    assert len(rest) == 2
    server = again.describe_resource_server(
        UserPoolId=ids[0], Identifier="https://api.example.com/v1"
    )["ResourceServer"]
    assert server["Scopes"] == [{"ScopeName": "read", "ScopeDescription": "Read"}]
    for i, pool_id in enumerate(ids):
        tags = again.describe_user_pool(UserPoolId=pool_id)["UserPool"]["UserPoolTags"]
        assert tags == {"i": str(i)}


def test_user_pool_quota_holds_under_concurrency(start_server):
    srv = start_server("--max-user-pools-per-account", "5", durability="fsync")
    with ThreadPoolExecutor(max_workers=16) as workers:
        responses = list(
            workers.map(lambda i: srv.post("CreateUserPool", {"PoolName": f"race-{i}"}), range(24))
        )
    codes = sorted(r.json().get("__type", "OK") for r in responses)
    assert codes == ["LimitExceededException"] * 19 + ["OK"] * 5
    assert len(srv.client().list_user_pools(MaxResults=60)["UserPools"]) == 5


def test_pools_belong_to_their_account(start_server, tmp_path):
    data = tmp_path / "accounts"
    srv = start_server("--account-id", "111111111111", data_dir=data, durability="fsync")
    pool_id = srv.client().create_user_pool(PoolName="mine")["UserPool"]["Id"]
    srv.client().create_resource_server(UserPoolId=pool_id, Identifier="rs", Name="rs")
    assert srv.stop() == 0

    other_srv = start_server("--account-id", "222222222222", data_dir=data, durability="fsync")
    other = other_srv.client()
    # First, on cold caches: Describe reads the pool's account and the server together.
    for identifier in ("rs", "missing"):
        err = client_error(other.describe_resource_server, UserPoolId=pool_id,
                           Identifier=identifier)
        assert_error(err, "ResourceNotFoundException", f"User pool {pool_id} does not exist.")
    assert other.list_user_pools(MaxResults=60)["UserPools"] == []
    for call, extra in (
        (other.describe_user_pool, {}),
        (other.delete_user_pool, {}),
        (other.list_resource_servers, {"MaxResults": 5}),
        (other.create_resource_server, {"Identifier": "x", "Name": "x"}),
    ):
        err = client_error(call, UserPoolId=pool_id, **extra)
        assert_error(err, "ResourceNotFoundException", f"User pool {pool_id} does not exist.")
    assert other_srv.stop() == 0

    # The owner, on cold caches again: the server, and a server that is not there.
    owner = start_server("--account-id", "111111111111", data_dir=data, durability="fsync").client()
    err = client_error(owner.describe_resource_server, UserPoolId=pool_id, Identifier="missing")
    assert_error(err, "ResourceNotFoundException", f"missing does not exist in user pool {pool_id}.")
    assert owner.describe_resource_server(UserPoolId=pool_id, Identifier="rs")[
        "ResourceServer"]["Name"] == "rs"
