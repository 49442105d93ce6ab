"""App clients: CreateUserPoolClient, DescribeUserPoolClient, UpdateUserPoolClient,
ListUserPoolClients, DeleteUserPoolClient, Cognito's OAuth rules, and secret rotation
(AddUserPoolClientSecret, ListUserPoolClientSecrets, DeleteUserPoolClientSecret)."""

from __future__ import annotations

import datetime
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from rognito_helpers import (
    CLIENT_ID_RE,
    GENERATED_SECRET_RE,
    assert_error,
    client_error,
    unique,
)

MISSING_POOL = "us-east-1_AAAAAAAAA"
MISSING_CLIENT = "0000000000000000000000000a"
DEFAULT_UNITS = {"AccessToken": "hours", "IdToken": "hours", "RefreshToken": "days"}
DEFAULT_AUTH_FLOWS = ["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]
OAUTH_REQUIRED = (
    "AllowedOAuthFlows and AllowedOAuthScopes are required if user pool client is allowed to use "
    "OAuth flows."
)
CC_WITH_CODE = "client_credentials flow can not be selected along with code flow or implicit flow"
CC_WITHOUT_SECRET = (
    "client_credentials flow can not be selected if client does not have a client secret."
)
CC_UNLESS = "client_credentials flow can not be selected unless"
EMPTY_CALLBACKS = "CallbackUrls can not be empty when code flow or implicit flow is selected"
TOKEN_RANGE = "Invalid range for token validity."
CLIENT_TOKEN_ALONE = (
    "ALLOW_CLIENT_TOKEN_AUTH can not be combined with user authentication flows."
)


def not_found(client_id: str) -> str:
    return f"User pool client {client_id} does not exist."


def add_api(cognito, pool: str, identifier: str = "api", scopes=("read", "write")) -> None:
    cognito.create_resource_server(
        UserPoolId=pool, Identifier=identifier, Name=identifier,
        Scopes=[{"ScopeName": s, "ScopeDescription": s} for s in scopes],
    )


def create(cognito, pool: str, **kwargs) -> dict:
    kwargs.setdefault("ClientName", unique("client"))
    return cognito.create_user_pool_client(UserPoolId=pool, **kwargs)["UserPoolClient"]


def cc_client(cognito, pool: str, **kwargs) -> dict:
    """A client_credentials client allowed api/read (the pool needs resource server `api`)."""
    params = {
        "GenerateSecret": True,
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["client_credentials"],
        "AllowedOAuthScopes": ["api/read"],
    }
    params.update(kwargs)
    return create(cognito, pool, **params)


def recent(value: datetime.datetime) -> bool:
    now = datetime.datetime.now(datetime.timezone.utc)
    return abs((now - value).total_seconds()) < 120


# --- Create / Describe -------------------------------------------------------------------------


def test_create_with_defaults_and_describe(cognito, pool):
    created = create(cognito, pool, ClientName="web app")
    assert CLIENT_ID_RE.fullmatch(created["ClientId"]), created["ClientId"]
    assert recent(created["CreationDate"])
    assert created["LastModifiedDate"] == created["CreationDate"]
    expected = {
        "UserPoolId": pool,
        "ClientName": "web app",
        "ClientId": created["ClientId"],
        "CreationDate": created["CreationDate"],
        "LastModifiedDate": created["CreationDate"],
        "RefreshTokenValidity": 30,
        "TokenValidityUnits": DEFAULT_UNITS,
        "ExplicitAuthFlows": DEFAULT_AUTH_FLOWS,
        "AllowedOAuthFlowsUserPoolClient": False,
        "EnableTokenRevocation": True,
        "EnablePropagateAdditionalUserContextData": False,
        "AuthSessionValidity": 3,
    }
    assert created == expected
    described = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=created["ClientId"])
    assert described["UserPoolClient"] == expected
    ids = {create(cognito, pool)["ClientId"] for _ in range(10)} | {created["ClientId"]}
    assert len(ids) == 11
    assert all(CLIENT_ID_RE.fullmatch(i) for i in ids)


def test_generated_and_supplied_secrets(cognito, pool):
    created = create(cognito, pool, GenerateSecret=True)
    assert GENERATED_SECRET_RE.fullmatch(created["ClientSecret"]), created["ClientSecret"]
    described = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=created["ClientId"])
    assert described["UserPoolClient"]["ClientSecret"] == created["ClientSecret"]
    other = create(cognito, pool, GenerateSecret=True)
    assert other["ClientSecret"] != created["ClientSecret"]
    public = create(cognito, pool, GenerateSecret=False)
    assert "ClientSecret" not in public
    # A caller-supplied secret is used as given.
    for secret in ["A" * 24, "Mixed_Case+plus_0123456789", "z" * 64]:
        created = create(cognito, pool, ClientSecret=secret)
        assert created["ClientSecret"] == secret
        described = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=created["ClientId"])
        assert described["UserPoolClient"]["ClientSecret"] == secret


@pytest.mark.parametrize(
    "secret, constraint",
    [
        ("x" * 23, "Member must have length greater than or equal to 24"),
        ("x" * 65, "Member must have length less than or equal to 64"),
        ("x-" * 12, "Member must satisfy regular expression pattern: [\\w+]+"),
    ],
)
def test_caller_supplied_secret_must_fit_the_model(cognito, secret, constraint):
    # Model validation comes before any lookup, so no pool is needed.
    err = client_error(create, cognito, MISSING_POOL, ClientSecret=secret)
    # ClientSecret is sensitive: the message leaves its value out.
    assert_error(
        err,
        "InvalidParameterException",
        f"1 validation error detected: Value at 'clientSecret' failed to satisfy constraint: "
        f"{constraint}",
    )


def test_explicit_members_are_kept(cognito, pool):
    add_api(cognito, pool)
    created = create(
        cognito, pool,
        ClientName="full",
        GenerateSecret=True,
        RefreshTokenValidity=10,
        AccessTokenValidity=15,
        IdTokenValidity=2,
        TokenValidityUnits={"AccessToken": "minutes", "IdToken": "hours", "RefreshToken": "days"},
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "api/read"],
        CallbackURLs=["https://app.example.com/cb"],
        LogoutURLs=["https://app.example.com/out"],
        SupportedIdentityProviders=["COGNITO"],
        EnableTokenRevocation=False,
        AuthSessionValidity=10,
    )
    described = cognito.describe_user_pool_client(
        UserPoolId=pool, ClientId=created["ClientId"]
    )["UserPoolClient"]
    assert described == created
    for member, value in {
        "RefreshTokenValidity": 10,
        "AccessTokenValidity": 15,
        "IdTokenValidity": 2,
        "TokenValidityUnits": {**DEFAULT_UNITS, "AccessToken": "minutes"},
        "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": ["openid", "api/read"],
        "CallbackURLs": ["https://app.example.com/cb"],
        "LogoutURLs": ["https://app.example.com/out"],
        "SupportedIdentityProviders": ["COGNITO"],
        "EnableTokenRevocation": False,
        "AuthSessionValidity": 10,
    }.items():
        assert described[member] == value, member


def test_create_in_missing_pool(cognito):
    err = client_error(create, cognito, MISSING_POOL)
    assert_error(err, "ResourceNotFoundException", f"User pool {MISSING_POOL} does not exist.")


# --- OAuth rules -------------------------------------------------------------------------------


def test_built_in_and_existing_custom_scopes_are_accepted(cognito, pool):
    add_api(cognito, pool)
    builtin = ["phone", "email", "openid", "profile", "aws.cognito.signin.user.admin"]
    created = create(cognito, pool, AllowedOAuthScopes=[*builtin, "api/read", "api/write"])
    assert created["AllowedOAuthScopes"] == [*builtin, "api/read", "api/write"]


def test_unknown_scope_is_refused_naming_the_first_bad_one(cognito, pool):
    add_api(cognito, pool)
    cases = [
        (["nope/read"], "nope/read"),
        (["api/read", "api/delete", "other/x"], "api/delete"),
        (["openid", "OPENID"], "OPENID"),
        (["read"], "read"),
        (["api"], "api"),
        (["api/read/extra"], "api/read/extra"),
    ]
    for scopes, bad in cases:
        err = client_error(create, cognito, pool, AllowedOAuthScopes=scopes)
        assert_error(err, "ScopeDoesNotExistException", f"Invalid scope requested: {bad}")
    # A scope of another pool's resource server does not exist in this one.
    other = cognito.create_user_pool(PoolName=unique("other"))["UserPool"]["Id"]
    add_api(cognito, other, identifier="elsewhere")
    err = client_error(create, cognito, pool, AllowedOAuthScopes=["elsewhere/read"])
    assert_error(err, "ScopeDoesNotExistException", "Invalid scope requested: elsewhere/read")


def test_scopes_follow_resource_server_changes(cognito, pool):
    add_api(cognito, pool)
    create(cognito, pool, AllowedOAuthScopes=["api/write"])
    cognito.update_resource_server(
        UserPoolId=pool, Identifier="api", Name="api",
        Scopes=[{"ScopeName": "read", "ScopeDescription": "read"}],
    )
    err = client_error(create, cognito, pool, AllowedOAuthScopes=["api/write"])
    assert_error(err, "ScopeDoesNotExistException", "Invalid scope requested: api/write")
    cognito.delete_resource_server(UserPoolId=pool, Identifier="api")
    err = client_error(create, cognito, pool, AllowedOAuthScopes=["api/read"])
    assert_error(err, "ScopeDoesNotExistException", "Invalid scope requested: api/read")
    add_api(cognito, pool, scopes=("read",))
    assert create(cognito, pool, AllowedOAuthScopes=["api/read"])["AllowedOAuthScopes"] == [
        "api/read"
    ]


def test_fifty_scopes_at_most(cognito, pool):
    names = [f"s{i}" for i in range(51)]
    add_api(cognito, pool, scopes=names)
    scopes = [f"api/{n}" for n in names]
    created = create(cognito, pool, AllowedOAuthScopes=scopes[:50])
    assert created["AllowedOAuthScopes"] == scopes[:50]
    err = client_error(create, cognito, pool, AllowedOAuthScopes=scopes)
    assert_error(
        err,
        "InvalidParameterException",
        f"1 validation error detected: Value '[{', '.join(scopes)}]' at 'allowedOAuthScopes' "
        "failed to satisfy constraint: Member must have length less than or equal to 50",
    )


def test_oauth_enabled_needs_flows_and_scopes(cognito, pool):
    add_api(cognito, pool)
    for kwargs in [
        {},
        {"AllowedOAuthFlows": ["client_credentials"]},
        {"AllowedOAuthScopes": ["api/read"]},
        {"AllowedOAuthFlows": [], "AllowedOAuthScopes": ["api/read"]},
    ]:
        err = client_error(
            create, cognito, pool, GenerateSecret=True, AllowedOAuthFlowsUserPoolClient=True,
            **kwargs,
        )
        assert_error(err, "InvalidParameterException", OAUTH_REQUIRED)


def test_client_credentials_rules(cognito, pool):
    add_api(cognito, pool)
    for other in ["code", "implicit"]:
        err = client_error(
            cc_client, cognito, pool, AllowedOAuthFlows=["client_credentials", other],
            CallbackURLs=["https://app.example.com/cb"],
        )
        assert_error(err, "InvalidOAuthFlowException", CC_WITH_CODE)
    err = client_error(cc_client, cognito, pool, GenerateSecret=False)
    assert_error(err, "InvalidOAuthFlowException", CC_WITHOUT_SECRET)
    for enabled in [False, None]:
        kwargs = {} if enabled is None else {"AllowedOAuthFlowsUserPoolClient": enabled}
        err = client_error(
            create, cognito, pool, GenerateSecret=True, AllowedOAuthFlows=["client_credentials"],
            AllowedOAuthScopes=["api/read"], **kwargs,
        )
        assert_error(err, "InvalidOAuthFlowException")
        assert err.response["Error"]["Message"].startswith(CC_UNLESS), err.response
    created = cc_client(cognito, pool)
    assert created["AllowedOAuthFlows"] == ["client_credentials"]
    assert created["AllowedOAuthFlowsUserPoolClient"] is True
    assert created["AllowedOAuthScopes"] == ["api/read"]
    supplied = cc_client(cognito, pool, GenerateSecret=None, ClientSecret="S" * 30)
    assert supplied["ClientSecret"] == "S" * 30


def test_code_and_implicit_need_callback_urls(cognito, pool):
    for flow in ["code", "implicit"]:
        for callbacks in [None, []]:
            kwargs = {} if callbacks is None else {"CallbackURLs": callbacks}
            err = client_error(
                create, cognito, pool, AllowedOAuthFlowsUserPoolClient=True,
                AllowedOAuthFlows=[flow], AllowedOAuthScopes=["openid"], **kwargs,
            )
            assert_error(err, "InvalidOAuthFlowException", EMPTY_CALLBACKS)
        created = create(
            cognito, pool, AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthFlows=[flow],
            AllowedOAuthScopes=["openid"], CallbackURLs=["https://app.example.com/cb"],
        )
        assert created["AllowedOAuthFlows"] == [flow]


OUT_OF_RANGE = [
        {"AccessTokenValidity": 4, "TokenValidityUnits": {"AccessToken": "minutes"}},
        {"AccessTokenValidity": 299, "TokenValidityUnits": {"AccessToken": "seconds"}},
        {"AccessTokenValidity": 25},
        {"AccessTokenValidity": 1441, "TokenValidityUnits": {"AccessToken": "minutes"}},
        {"AccessTokenValidity": 2, "TokenValidityUnits": {"AccessToken": "days"}},
        {"IdTokenValidity": 4, "TokenValidityUnits": {"IdToken": "minutes"}},
        {"IdTokenValidity": 25},
        {"RefreshTokenValidity": 59, "TokenValidityUnits": {"RefreshToken": "minutes"}},
        {"RefreshTokenValidity": 3651},
        {"RefreshTokenValidity": 87601, "TokenValidityUnits": {"RefreshToken": "hours"}},
]


def test_token_validity_out_of_range(cognito, pool):
    for kwargs in OUT_OF_RANGE:
        err = client_error(create, cognito, pool, **kwargs)
        assert_error(err, "InvalidParameterException", TOKEN_RANGE)
    assert cognito.list_user_pool_clients(UserPoolId=pool)["UserPoolClients"] == []


def test_token_validity_bounds_are_inclusive(cognito, pool):
    for kwargs in [
        {"AccessTokenValidity": 5, "TokenValidityUnits": {"AccessToken": "minutes"}},
        {"AccessTokenValidity": 300, "TokenValidityUnits": {"AccessToken": "seconds"}},
        {"AccessTokenValidity": 24},
        {"AccessTokenValidity": 1, "TokenValidityUnits": {"AccessToken": "days"}},
        {"AccessTokenValidity": 1440, "TokenValidityUnits": {"AccessToken": "minutes"}},
        {"IdTokenValidity": 5, "TokenValidityUnits": {"IdToken": "minutes"}},
        {"IdTokenValidity": 24},
        {"RefreshTokenValidity": 60, "TokenValidityUnits": {"RefreshToken": "minutes"}},
        {"RefreshTokenValidity": 1, "TokenValidityUnits": {"RefreshToken": "hours"}},
        {"RefreshTokenValidity": 3650},
    ]:
        created = create(cognito, pool, **kwargs)
        for member, value in kwargs.items():
            if member == "TokenValidityUnits":
                assert created[member] == {**DEFAULT_UNITS, **value}
            else:
                assert created[member] == value


def test_client_token_auth_only_alone(cognito, pool):
    created = create(cognito, pool, GenerateSecret=True,
                     ExplicitAuthFlows=["ALLOW_CLIENT_TOKEN_AUTH"])
    assert created["ExplicitAuthFlows"] == ["ALLOW_CLIENT_TOKEN_AUTH"]
    for others in [["ALLOW_USER_SRP_AUTH"], ["ALLOW_REFRESH_TOKEN_AUTH"], ["ALLOW_CUSTOM_AUTH"]]:
        err = client_error(
            create, cognito, pool, GenerateSecret=True,
            ExplicitAuthFlows=["ALLOW_CLIENT_TOKEN_AUTH", *others],
        )
        assert_error(err, "InvalidParameterException", CLIENT_TOKEN_ALONE)
    err = client_error(
        cognito.update_user_pool_client, UserPoolId=pool, ClientId=created["ClientId"],
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_CLIENT_TOKEN_AUTH"],
    )
    assert_error(err, "InvalidParameterException", CLIENT_TOKEN_ALONE)


def test_unknown_explicit_auth_flow_fails_model_validation(cognito):
    err = client_error(create, cognito, MISSING_POOL, ExplicitAuthFlows=["ALLOW_BOGUS"])
    assert_error(err, "InvalidParameterException")
    message = err.response["Error"]["Message"]
    assert message.startswith(
        "1 validation error detected: Value '[ALLOW_BOGUS]' at 'explicitAuthFlows' failed to "
        "satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: ["
    ), message
    assert "ALLOW_CLIENT_TOKEN_AUTH" in message


# --- Unknown clients ---------------------------------------------------------------------------


def test_unknown_client(cognito, pool):
    for call, extra in [
        (cognito.describe_user_pool_client, {}),
        (cognito.update_user_pool_client, {"ClientName": "x"}),
        (cognito.delete_user_pool_client, {}),
        (cognito.list_user_pool_client_secrets, {}),
        (cognito.add_user_pool_client_secret, {}),
    ]:
        err = client_error(call, UserPoolId=pool, ClientId=MISSING_CLIENT, **extra)
        assert_error(err, "ResourceNotFoundException", not_found(MISSING_CLIENT))


def test_client_is_not_found_through_another_pool(cognito, pool):
    client_id = create(cognito, pool)["ClientId"]
    other = cognito.create_user_pool(PoolName=unique("other"))["UserPool"]["Id"]
    for call in [cognito.describe_user_pool_client, cognito.delete_user_pool_client]:
        err = client_error(call, UserPoolId=other, ClientId=client_id)
        assert_error(err, "ResourceNotFoundException", not_found(client_id))
    assert cognito.list_user_pool_clients(UserPoolId=other)["UserPoolClients"] == []
    cognito.describe_user_pool_client(UserPoolId=pool, ClientId=client_id)


def test_client_operations_on_missing_pool(cognito):
    for call, extra in [
        (cognito.describe_user_pool_client, {"ClientId": MISSING_CLIENT}),
        (cognito.list_user_pool_clients, {}),
    ]:
        err = client_error(call, UserPoolId=MISSING_POOL, **extra)
        assert_error(err, "ResourceNotFoundException", f"User pool {MISSING_POOL} does not exist.")


# --- Update ------------------------------------------------------------------------------------


def test_update_replaces_omitted_members_with_defaults(cognito, pool):
    add_api(cognito, pool)
    created = cc_client(
        cognito, pool, ClientName="before", AccessTokenValidity=10,
        TokenValidityUnits={"AccessToken": "minutes"}, RefreshTokenValidity=5,
        EnableTokenRevocation=False, AllowedOAuthScopes=["api/read", "api/write"],
    )
    updated = cognito.update_user_pool_client(
        UserPoolId=pool, ClientId=created["ClientId"], ClientName="after"
    )["UserPoolClient"]
    assert updated["LastModifiedDate"] >= created["LastModifiedDate"]
    expected = {
        "UserPoolId": pool,
        "ClientName": "after",
        "ClientId": created["ClientId"],
        "ClientSecret": created["ClientSecret"],
        "CreationDate": created["CreationDate"],
        "LastModifiedDate": updated["LastModifiedDate"],
        "RefreshTokenValidity": 30,
        "TokenValidityUnits": DEFAULT_UNITS,
        "ExplicitAuthFlows": DEFAULT_AUTH_FLOWS,
        "AllowedOAuthFlowsUserPoolClient": False,
        "EnableTokenRevocation": True,
        "EnablePropagateAdditionalUserContextData": False,
        "AuthSessionValidity": 3,
    }
    assert updated == expected
    described = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=created["ClientId"])
    assert described["UserPoolClient"] == expected
    # Without ClientName the name is kept.
    again = cognito.update_user_pool_client(
        UserPoolId=pool, ClientId=created["ClientId"], RefreshTokenValidity=7
    )["UserPoolClient"]
    assert again["ClientName"] == "after"
    assert again["RefreshTokenValidity"] == 7
    assert again["ClientSecret"] == created["ClientSecret"]


def test_update_applies_the_same_rules(cognito, pool):
    add_api(cognito, pool)
    public = create(cognito, pool)
    confidential = create(cognito, pool, GenerateSecret=True)
    cc = {
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["client_credentials"],
        "AllowedOAuthScopes": ["api/read"],
    }
    err = client_error(
        cognito.update_user_pool_client, UserPoolId=pool, ClientId=public["ClientId"], **cc
    )
    assert_error(err, "InvalidOAuthFlowException", CC_WITHOUT_SECRET)
    err = client_error(
        cognito.update_user_pool_client, UserPoolId=pool, ClientId=confidential["ClientId"],
        **{**cc, "AllowedOAuthScopes": ["api/nope"]},
    )
    assert_error(err, "ScopeDoesNotExistException", "Invalid scope requested: api/nope")
    err = client_error(
        cognito.update_user_pool_client, UserPoolId=pool, ClientId=confidential["ClientId"],
        AccessTokenValidity=25,
    )
    assert_error(err, "InvalidParameterException", TOKEN_RANGE)
    err = client_error(
        cognito.update_user_pool_client, UserPoolId=pool, ClientId=confidential["ClientId"],
        AllowedOAuthFlowsUserPoolClient=True,
    )
    assert_error(err, "InvalidParameterException", OAUTH_REQUIRED)
    updated = cognito.update_user_pool_client(
        UserPoolId=pool, ClientId=confidential["ClientId"], **cc
    )["UserPoolClient"]
    assert updated["AllowedOAuthFlows"] == ["client_credentials"]
    assert updated["ClientSecret"] == confidential["ClientSecret"]
    # A refused update changes nothing.
    described = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=public["ClientId"])
    assert described["UserPoolClient"] == public


# --- List / Delete -----------------------------------------------------------------------------


def test_list_paginates_without_dupes_or_gaps(cognito, pool):
    created = {create(cognito, pool, ClientName=f"c{i}")["ClientId"]: f"c{i}" for i in range(7)}
    seen, sizes, token = [], [], None
    while True:
        kwargs = {"UserPoolId": pool, "MaxResults": 3}
        if token:
            kwargs["NextToken"] = token
        page = cognito.list_user_pool_clients(**kwargs)
        for item in page["UserPoolClients"]:
            assert item == {
                "ClientId": item["ClientId"],
                "UserPoolId": pool,
                "ClientName": created[item["ClientId"]],
            }
        seen += [c["ClientId"] for c in page["UserPoolClients"]]
        sizes.append(len(page["UserPoolClients"]))
        token = page.get("NextToken")
        if not token:
            break
        assert len(sizes) < 10
    assert sizes == [3, 3, 1]
    assert sorted(seen) == sorted(created)
    everything = cognito.list_user_pool_clients(UserPoolId=pool, MaxResults=60)
    assert "NextToken" not in everything
    assert sorted(c["ClientId"] for c in everything["UserPoolClients"]) == sorted(created)
    exact = cognito.list_user_pool_clients(UserPoolId=pool, MaxResults=7)
    assert len(exact["UserPoolClients"]) == 7
    assert "NextToken" not in exact


@pytest.mark.parametrize(
    "max_results, constraint",
    [
        (0, "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value "
            "greater than or equal to 1"),
        (61, "Value '61' at 'maxResults' failed to satisfy constraint: Member must have value "
             "less than or equal to 60"),
    ],
)
def test_list_max_results_range(cognito, max_results, constraint):
    err = client_error(cognito.list_user_pool_clients, UserPoolId=MISSING_POOL,
                       MaxResults=max_results)
    assert_error(err, "InvalidParameterException", f"1 validation error detected: {constraint}")


def test_list_next_token_is_bound_to_the_pool(cognito, pool):
    for i in range(3):
        create(cognito, pool, ClientName=f"c{i}")
    token = cognito.list_user_pool_clients(UserPoolId=pool, MaxResults=1)["NextToken"]
    other = cognito.create_user_pool(PoolName=unique("other"))["UserPool"]["Id"]
    err = client_error(cognito.list_user_pool_clients, UserPoolId=other, MaxResults=1,
                       NextToken=token)
    assert_error(err, "InvalidParameterException", "Invalid pagination token.")
    err = client_error(cognito.list_user_pool_clients, UserPoolId=pool, MaxResults=1,
                       NextToken="garbage")
    assert_error(err, "InvalidParameterException", "Invalid pagination token.")


def test_delete(cognito, pool):
    keep = create(cognito, pool)["ClientId"]
    gone = create(cognito, pool, GenerateSecret=True)["ClientId"]
    assert cognito.delete_user_pool_client(UserPoolId=pool, ClientId=gone)["ResponseMetadata"][
        "HTTPStatusCode"
    ] == 200
    for call in [cognito.describe_user_pool_client, cognito.delete_user_pool_client,
                 cognito.list_user_pool_client_secrets]:
        err = client_error(call, UserPoolId=pool, ClientId=gone)
        assert_error(err, "ResourceNotFoundException", not_found(gone))
    listed = cognito.list_user_pool_clients(UserPoolId=pool)["UserPoolClients"]
    assert [c["ClientId"] for c in listed] == [keep]


def test_client_quota_flag(start_server):
    srv = start_server("--max-clients-per-user-pool", "2")
    cognito = srv.client()
    pool = cognito.create_user_pool(PoolName="quota")["UserPool"]["Id"]
    first = create(cognito, pool)["ClientId"]
    create(cognito, pool)
    err = client_error(create, cognito, pool)
    assert_error(err, "LimitExceededException")
    # The quota is per pool.
    other = cognito.create_user_pool(PoolName="other")["UserPool"]["Id"]
    create(cognito, other)
    # Deleting a client frees its slot.
    cognito.delete_user_pool_client(UserPoolId=pool, ClientId=first)
    create(cognito, pool)
    assert len(cognito.list_user_pool_clients(UserPoolId=pool)["UserPoolClients"]) == 2


def test_client_quota_holds_under_concurrency(start_server):
    srv = start_server("--max-clients-per-user-pool", "3")
    cognito = srv.client()
    pool = cognito.create_user_pool(PoolName="quota")["UserPool"]["Id"]

    def attempt(i: int) -> str:
        try:
            create(srv.client(), pool, ClientName=f"c{i}")
            return "created"
        except ClientError as e:
            return e.response["Error"]["Code"]

    with ThreadPoolExecutor(8) as ex:
        outcomes = list(ex.map(attempt, range(12)))
    assert sorted(outcomes) == ["LimitExceededException"] * 9 + ["created"] * 3
    assert len(cognito.list_user_pool_clients(UserPoolId=pool)["UserPoolClients"]) == 3


# --- Secret rotation ---------------------------------------------------------------------------


def secret_ids(cognito, pool: str, client_id: str) -> list[str]:
    listed = cognito.list_user_pool_client_secrets(UserPoolId=pool, ClientId=client_id)
    for item in listed["ClientSecrets"]:
        assert set(item) == {"ClientSecretId", "ClientSecretCreateDate"}, item
    return [s["ClientSecretId"] for s in listed["ClientSecrets"]]


def test_add_list_and_limit(cognito, pool):
    client = create(cognito, pool, GenerateSecret=True)
    client_id = client["ClientId"]
    [first_id] = secret_ids(cognito, pool, client_id)
    id_re = re.compile(re.escape(client_id) + r"--([0-9]{13})")
    assert id_re.fullmatch(first_id), first_id
    added = cognito.add_user_pool_client_secret(UserPoolId=pool, ClientId=client_id)
    descriptor = added["ClientSecretDescriptor"]
    assert set(descriptor) == {"ClientSecretId", "ClientSecretValue", "ClientSecretCreateDate"}
    match = id_re.fullmatch(descriptor["ClientSecretId"])
    assert match, descriptor["ClientSecretId"]
    created_ms = int(match.group(1))
    assert abs(descriptor["ClientSecretCreateDate"].timestamp() * 1000 - created_ms) < 1000
    assert recent(descriptor["ClientSecretCreateDate"])
    assert GENERATED_SECRET_RE.fullmatch(descriptor["ClientSecretValue"])
    assert descriptor["ClientSecretValue"] != client["ClientSecret"]
    assert secret_ids(cognito, pool, client_id) == [first_id, descriptor["ClientSecretId"]]
    # DescribeUserPoolClient still shows the first secret.
    described = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=client_id)
    assert described["UserPoolClient"]["ClientSecret"] == client["ClientSecret"]
    err = client_error(cognito.add_user_pool_client_secret, UserPoolId=pool, ClientId=client_id)
    assert_error(err, "LimitExceededException")
    assert len(secret_ids(cognito, pool, client_id)) == 2
    # A caller-supplied value is used as given, and not echoed: "For custom secrets that you
    # provide, this field is not included in the response" (ClientSecretDescriptorType).
    other = create(cognito, pool, GenerateSecret=True)["ClientId"]
    added = cognito.add_user_pool_client_secret(
        UserPoolId=pool, ClientId=other, ClientSecret="Rotated_secret_0123456789"
    )
    assert "ClientSecretValue" not in added["ClientSecretDescriptor"]
    assert added["ClientSecretDescriptor"]["ClientSecretId"].startswith(other + "--")


def test_delete_secrets(cognito, pool):
    client = create(cognito, pool, GenerateSecret=True)
    client_id = client["ClientId"]
    [first_id] = secret_ids(cognito, pool, client_id)
    unknown = f"{client_id}--1000000000000"
    err = client_error(cognito.delete_user_pool_client_secret, UserPoolId=pool,
                       ClientId=client_id, ClientSecretId=unknown)
    assert_error(err, "ResourceNotFoundException")
    err = client_error(cognito.delete_user_pool_client_secret, UserPoolId=pool,
                       ClientId=client_id, ClientSecretId=first_id)
    assert_error(err, "InvalidParameterException")
    added = cognito.add_user_pool_client_secret(UserPoolId=pool, ClientId=client_id)
    second = added["ClientSecretDescriptor"]
    cognito.delete_user_pool_client_secret(UserPoolId=pool, ClientId=client_id,
                                           ClientSecretId=first_id)
    assert secret_ids(cognito, pool, client_id) == [second["ClientSecretId"]]
    described = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=client_id)
    assert described["UserPoolClient"]["ClientSecret"] == second["ClientSecretValue"]
    err = client_error(cognito.delete_user_pool_client_secret, UserPoolId=pool,
                       ClientId=client_id, ClientSecretId=first_id)
    assert_error(err, "ResourceNotFoundException")
    err = client_error(cognito.delete_user_pool_client_secret, UserPoolId=pool,
                       ClientId=client_id, ClientSecretId=second["ClientSecretId"])
    assert_error(err, "InvalidParameterException")
    # With one slot free again, a third secret can be added.
    cognito.add_user_pool_client_secret(UserPoolId=pool, ClientId=client_id)
    assert len(secret_ids(cognito, pool, client_id)) == 2


def test_secret_ids_of_another_client_are_not_found(cognito, pool):
    a = create(cognito, pool, GenerateSecret=True)["ClientId"]
    b = create(cognito, pool, GenerateSecret=True)["ClientId"]
    cognito.add_user_pool_client_secret(UserPoolId=pool, ClientId=a)
    [a_first, _] = secret_ids(cognito, pool, a)
    err = client_error(cognito.delete_user_pool_client_secret, UserPoolId=pool, ClientId=b,
                       ClientSecretId=a_first)
    assert_error(err, "ResourceNotFoundException")
    assert len(secret_ids(cognito, pool, a)) == 2
