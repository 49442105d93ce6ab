"""CreateResourceServer, DescribeResourceServer, ListResourceServers, UpdateResourceServer,
DeleteResourceServer."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from rognito_helpers import assert_error, assert_raw_error, client_error, unique

MISSING_POOL = "us-east-1_AAAAAAAAA"
URL_ID = "https://api.example.com/v1"
IDENTIFIER_PATTERN = "[\\x21\\x23-\\x5B\\x5D-\\x7E]+"
SCOPE_NAME_PATTERN = "[\\x21\\x23-\\x2E\\x30-\\x5B\\x5D-\\x7E]+"
NAME_PATTERN = "[\\w\\s+=,.@-]+"


def scope(name: str, description: str | None = None) -> dict:
    return {"ScopeName": name, "ScopeDescription": description or f"{name} access"}


def not_found(identifier: str, pool_id: str) -> str:
    return f"{identifier} does not exist in user pool {pool_id}."


def list_all(client, pool_id: str, page_size: int) -> tuple[list[str], list[int]]:
    """Identifiers of every server in the pool, following NextToken; and the page sizes."""
    ids, sizes, token = [], [], None
    while True:
        kwargs = {"UserPoolId": pool_id, "MaxResults": page_size}
        if token:
            kwargs["NextToken"] = token
        page = client.list_resource_servers(**kwargs)
        ids += [s["Identifier"] for s in page["ResourceServers"]]
        sizes.append(len(page["ResourceServers"]))
        token = page.get("NextToken")
        if token is None:
            return ids, sizes
        assert len(sizes) < 100, "pagination does not end"


# --- Create / Describe -------------------------------------------------------------------------


def test_create_echoes_and_sorts_scopes(cognito, pool):
    scopes = [scope("write"), scope("admin", "Everything"), scope("read")]
    created = cognito.create_resource_server(
        UserPoolId=pool, Identifier=URL_ID, Name="Example API", Scopes=scopes
    )["ResourceServer"]
    expected = {
        "UserPoolId": pool,
        "Identifier": URL_ID,
        "Name": "Example API",
        "Scopes": [scope("admin", "Everything"), scope("read"), scope("write")],
    }
    assert created == expected
    described = cognito.describe_resource_server(UserPoolId=pool, Identifier=URL_ID)
    assert described["ResourceServer"] == expected
    listed = cognito.list_resource_servers(UserPoolId=pool, MaxResults=10)
    assert listed["ResourceServers"] == [expected]
    assert "NextToken" not in listed


def test_create_without_scopes_gives_empty_list(server, pool):
    resp = server.post("CreateResourceServer", {"UserPoolId": pool, "Identifier": "bare", "Name": "b"})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "ResourceServer": {"UserPoolId": pool, "Identifier": "bare", "Name": "b", "Scopes": []}
    }
    resp = server.post("DescribeResourceServer", {"UserPoolId": pool, "Identifier": "bare"})
    assert resp.json()["ResourceServer"]["Scopes"] == []


def test_empty_scope_list_is_accepted(cognito, pool):
    server = cognito.create_resource_server(UserPoolId=pool, Identifier="e", Name="e", Scopes=[])
    assert server["ResourceServer"]["Scopes"] == []


def test_identifier_charset_edges(cognito, pool):
    for identifier in ("solar-system-data", "urn:example:api", "A!#$%&'()*+,-./:;<=>?@[]^_`{|}~z"):
        created = cognito.create_resource_server(UserPoolId=pool, Identifier=identifier, Name="n")
        assert created["ResourceServer"]["Identifier"] == identifier
        got = cognito.describe_resource_server(UserPoolId=pool, Identifier=identifier)
        assert got["ResourceServer"]["Identifier"] == identifier


def test_duplicate_scope_name_is_refused(cognito, pool):
    err = client_error(
        cognito.create_resource_server,
        UserPoolId=pool,
        Identifier="dup-scopes",
        Name="n",
        Scopes=[scope("read"), scope("write"), scope("read", "again")],
    )
    assert_error(err, "InvalidParameterException")
    assert "read" in err.response["Error"]["Message"]
    err = client_error(cognito.describe_resource_server, UserPoolId=pool, Identifier="dup-scopes")
    assert_error(err, "ResourceNotFoundException", not_found("dup-scopes", pool))


def test_duplicate_identifier_in_a_pool(cognito, pool):
    cognito.create_resource_server(UserPoolId=pool, Identifier=URL_ID, Name="first")
    err = client_error(
        cognito.create_resource_server, UserPoolId=pool, Identifier=URL_ID, Name="second"
    )
    assert_error(err, "InvalidParameterException", f"{URL_ID} already exists in user pool {pool}.")
    got = cognito.describe_resource_server(UserPoolId=pool, Identifier=URL_ID)
    assert got["ResourceServer"]["Name"] == "first"


def test_same_identifier_in_another_pool(cognito, pool):
    other = cognito.create_user_pool(PoolName=unique("other"))["UserPool"]["Id"]
    a = cognito.create_resource_server(UserPoolId=pool, Identifier=URL_ID, Name="in-a")
    b = cognito.create_resource_server(
        UserPoolId=other, Identifier=URL_ID, Name="in-b", Scopes=[scope("x")]
    )
    assert a["ResourceServer"]["UserPoolId"] == pool
    assert b["ResourceServer"]["UserPoolId"] == other
    assert cognito.describe_resource_server(UserPoolId=pool, Identifier=URL_ID)[
        "ResourceServer"
    ] == {"UserPoolId": pool, "Identifier": URL_ID, "Name": "in-a", "Scopes": []}
    # Deleting in one pool leaves the other alone.
    cognito.delete_resource_server(UserPoolId=pool, Identifier=URL_ID)
    assert cognito.describe_resource_server(UserPoolId=other, Identifier=URL_ID)[
        "ResourceServer"
    ]["Name"] == "in-b"


def test_identifiers_are_case_sensitive(cognito, pool):
    cognito.create_resource_server(UserPoolId=pool, Identifier="Api", Name="upper")
    cognito.create_resource_server(UserPoolId=pool, Identifier="api", Name="lower")
    ids, _ = list_all(cognito, pool, 10)
    assert ids == ["Api", "api"]


def test_create_in_missing_pool(cognito):
    err = client_error(
        cognito.create_resource_server, UserPoolId=MISSING_POOL, Identifier="api", Name="api"
    )
    assert_error(err, "ResourceNotFoundException", f"User pool {MISSING_POOL} does not exist.")


def test_describe_missing_server(cognito, pool):
    err = client_error(cognito.describe_resource_server, UserPoolId=pool, Identifier=URL_ID)
    assert_error(err, "ResourceNotFoundException", not_found(URL_ID, pool))


def test_operations_on_missing_pool(cognito):
    for call, extra in (
        (cognito.describe_resource_server, {"Identifier": "api"}),
        (cognito.update_resource_server, {"Identifier": "api", "Name": "n"}),
        (cognito.delete_resource_server, {"Identifier": "api"}),
        (cognito.list_resource_servers, {"MaxResults": 5}),
    ):
        err = client_error(call, UserPoolId=MISSING_POOL, **extra)
        assert_error(err, "ResourceNotFoundException", f"User pool {MISSING_POOL} does not exist.")


# --- quotas ------------------------------------------------------------------------------------


def test_resource_server_quota_is_25(cognito, pool):
    for i in range(24):
        cognito.create_resource_server(UserPoolId=pool, Identifier=f"rs-{i:02d}", Name="n")
    # A refused duplicate does not use up a slot.
    err = client_error(cognito.create_resource_server, UserPoolId=pool, Identifier="rs-00", Name="n")
    assert_error(err, "InvalidParameterException", f"rs-00 already exists in user pool {pool}.")
    cognito.create_resource_server(UserPoolId=pool, Identifier="rs-24", Name="n")
    err = client_error(cognito.create_resource_server, UserPoolId=pool, Identifier="rs-25", Name="n")
    assert_error(err, "LimitExceededException")
    # At the quota, a duplicate is still reported as a duplicate.
    err = client_error(cognito.create_resource_server, UserPoolId=pool, Identifier="rs-00", Name="n")
    assert_error(err, "InvalidParameterException", f"rs-00 already exists in user pool {pool}.")
    ids, _ = list_all(cognito, pool, 50)
    assert ids == [f"rs-{i:02d}" for i in range(25)]
    # Deleting one frees its slot.
    cognito.delete_resource_server(UserPoolId=pool, Identifier="rs-03")
    cognito.create_resource_server(UserPoolId=pool, Identifier="rs-25", Name="n")
    err = client_error(cognito.create_resource_server, UserPoolId=pool, Identifier="rs-26", Name="n")
    assert_error(err, "LimitExceededException")


def test_quota_is_per_pool(start_server):
    client = start_server("--max-resource-servers-per-user-pool", "1").client()
    a = client.create_user_pool(PoolName="a")["UserPool"]["Id"]
    b = client.create_user_pool(PoolName="b")["UserPool"]["Id"]
    client.create_resource_server(UserPoolId=a, Identifier="one", Name="n")
    client.create_resource_server(UserPoolId=b, Identifier="one", Name="n")
    err = client_error(client.create_resource_server, UserPoolId=a, Identifier="two", Name="n")
    assert_error(err, "LimitExceededException")


def test_scopes_quota_flag(start_server):
    client = start_server("--max-scopes-per-resource-server", "3").client()
    pool_id = client.create_user_pool(PoolName="scopes")["UserPool"]["Id"]
    three = [scope(n) for n in ("a", "b", "c")]
    client.create_resource_server(UserPoolId=pool_id, Identifier="ok", Name="n", Scopes=three)
    err = client_error(
        client.create_resource_server,
        UserPoolId=pool_id,
        Identifier="too-many",
        Name="n",
        Scopes=three + [scope("d")],
    )
    assert_error(err, "LimitExceededException")
    err = client_error(
        client.update_resource_server,
        UserPoolId=pool_id,
        Identifier="ok",
        Name="n",
        Scopes=three + [scope("d")],
    )
    assert_error(err, "LimitExceededException")
    assert len(
        client.describe_resource_server(UserPoolId=pool_id, Identifier="ok")["ResourceServer"][
            "Scopes"
        ]
    ) == 3


def test_one_hundred_scopes_are_accepted(cognito, pool):
    scopes = [scope(f"s{i:03d}") for i in range(100)]
    created = cognito.create_resource_server(
        UserPoolId=pool, Identifier="wide", Name="n", Scopes=list(reversed(scopes))
    )
    assert created["ResourceServer"]["Scopes"] == scopes


# --- validation --------------------------------------------------------------------------------


def test_bad_identifier_pattern(cognito, pool):
    err = client_error(cognito.describe_resource_server, UserPoolId=pool, Identifier="bad id")
    assert_error(
        err,
        "InvalidParameterException",
        "1 validation error detected: Value 'bad id' at 'identifier' failed to satisfy "
        f"constraint: Member must satisfy regular expression pattern: {IDENTIFIER_PATTERN}",
    )


def test_name_is_required(cognito, pool):
    err = client_error(cognito.create_resource_server, UserPoolId=pool, Identifier="api")
    assert_error(
        err,
        "InvalidParameterException",
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: "
        "Member must not be null",
    )


def test_all_required_members_missing(server):
    resp = server.post("CreateResourceServer", {})
    assert_raw_error(
        resp,
        "InvalidParameterException",
        "3 validation errors detected: "
        "Value null at 'userPoolId' failed to satisfy constraint: Member must not be null; "
        "Value null at 'identifier' failed to satisfy constraint: Member must not be null; "
        "Value null at 'name' failed to satisfy constraint: Member must not be null",
    )


def test_bad_scope_name_path_is_one_based(cognito, pool):
    err = client_error(
        cognito.create_resource_server,
        UserPoolId=pool,
        Identifier="api",
        Name="api",
        Scopes=[scope("ok"), scope("a/b")],
    )
    assert_error(
        err,
        "InvalidParameterException",
        "1 validation error detected: Value 'a/b' at 'scopes.2.member.scopeName' failed to "
        f"satisfy constraint: Member must satisfy regular expression pattern: {SCOPE_NAME_PATTERN}",
    )


def test_scope_description_is_required(cognito, pool):
    err = client_error(
        cognito.create_resource_server,
        UserPoolId=pool,
        Identifier="api",
        Name="api",
        Scopes=[{"ScopeName": "read"}],
    )
    assert_error(
        err,
        "InvalidParameterException",
        "1 validation error detected: Value null at 'scopes.1.member.scopeDescription' failed "
        "to satisfy constraint: Member must not be null",
    )


def test_every_violation_is_reported_in_member_order(cognito):
    err = client_error(
        cognito.update_resource_server,
        UserPoolId="bad pool",
        Identifier="bad id",
        Name="",
        Scopes=[scope("fine"), {"ScopeName": "a/b", "ScopeDescription": ""}],
    )
    assert_error(
        err,
        "InvalidParameterException",
        "6 validation errors detected: "
        "Value 'bad pool' at 'userPoolId' failed to satisfy constraint: Member must satisfy "
        "regular expression pattern: [\\w-]+_[0-9a-zA-Z]+; "
        "Value 'bad id' at 'identifier' failed to satisfy constraint: Member must satisfy "
        f"regular expression pattern: {IDENTIFIER_PATTERN}; "
        "Value '' at 'name' failed to satisfy constraint: Member must satisfy regular "
        f"expression pattern: {NAME_PATTERN}; "
        "Value '' at 'name' failed to satisfy constraint: Member must have length greater than "
        "or equal to 1; "
        "Value 'a/b' at 'scopes.2.member.scopeName' failed to satisfy constraint: Member must "
        f"satisfy regular expression pattern: {SCOPE_NAME_PATTERN}; "
        "Value '' at 'scopes.2.member.scopeDescription' failed to satisfy constraint: Member "
        "must have length greater than or equal to 1",
    )


def test_identifier_and_name_max_length(cognito, pool):
    longest = "i" * 256
    created = cognito.create_resource_server(UserPoolId=pool, Identifier=longest, Name="n" * 256)
    assert created["ResourceServer"]["Identifier"] == longest
    assert created["ResourceServer"]["Name"] == "n" * 256
    err = client_error(
        cognito.create_resource_server, UserPoolId=pool, Identifier="i" * 257, Name="n" * 257
    )
    assert_error(
        err,
        "InvalidParameterException",
        "2 validation errors detected: "
        f"Value '{'i' * 257}' at 'identifier' failed to satisfy constraint: Member must have "
        "length less than or equal to 256; "
        f"Value '{'n' * 257}' at 'name' failed to satisfy constraint: Member must have length "
        "less than or equal to 256",
    )


def test_scope_description_length_counts_utf16_units(cognito, pool):
    # U+1F510 is one code point, two UTF-16 units: 128 of them are exactly 256 units.
    fits = "\U0001f510" * 128
    created = cognito.create_resource_server(
        UserPoolId=pool, Identifier="emoji", Name="n", Scopes=[scope("read", fits)]
    )
    assert created["ResourceServer"]["Scopes"] == [scope("read", fits)]
    # 200 two-byte UTF-8 characters are 200 units: within the limit although 400 bytes.
    accents = "é" * 200
    cognito.update_resource_server(
        UserPoolId=pool, Identifier="emoji", Name="n", Scopes=[scope("read", accents)]
    )
    too_long = "\U0001f510" * 129
    err = client_error(
        cognito.create_resource_server,
        UserPoolId=pool,
        Identifier="emoji2",
        Name="n",
        Scopes=[scope("read", too_long)],
    )
    assert_error(
        err,
        "InvalidParameterException",
        f"1 validation error detected: Value '{too_long}' at 'scopes.1.member.scopeDescription' "
        "failed to satisfy constraint: Member must have length less than or equal to 256",
    )


def test_more_than_100_scopes(cognito, pool):
    err = client_error(
        cognito.create_resource_server,
        UserPoolId=pool,
        Identifier="api",
        Name="api",
        Scopes=[scope(f"s{i}") for i in range(101)],
    )
    assert_error(err, "InvalidParameterException")
    message = err.response["Error"]["Message"]
    assert message.startswith("1 validation error detected: Value '[")
    assert "at 'scopes' failed to satisfy constraint: Member must have length less than or " \
        "equal to 100" in message


@pytest.mark.parametrize("max_results, bound", [(0, "greater than or equal to 1"),
                                                (51, "less than or equal to 50")])
def test_list_max_results_range(cognito, pool, max_results, bound):
    err = client_error(cognito.list_resource_servers, UserPoolId=pool, MaxResults=max_results)
    assert_error(
        err,
        "InvalidParameterException",
        f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to satisfy "
        f"constraint: Member must have value {bound}",
    )


# --- Update ------------------------------------------------------------------------------------


def test_update_replaces_name_and_scopes(cognito, pool):
    cognito.create_resource_server(
        UserPoolId=pool, Identifier=URL_ID, Name="old", Scopes=[scope("read"), scope("write")]
    )
    updated = cognito.update_resource_server(
        UserPoolId=pool,
        Identifier=URL_ID,
        Name="new name",
        Scopes=[scope("zeta"), scope("admin", "Admin only")],
    )["ResourceServer"]
    expected = {
        "UserPoolId": pool,
        "Identifier": URL_ID,
        "Name": "new name",
        "Scopes": [scope("admin", "Admin only"), scope("zeta")],
    }
    assert updated == expected
    assert cognito.describe_resource_server(UserPoolId=pool, Identifier=URL_ID)[
        "ResourceServer"
    ] == expected


def test_update_without_scopes_clears_them(cognito, pool):
    cognito.create_resource_server(
        UserPoolId=pool, Identifier="clear-me", Name="n", Scopes=[scope("read")]
    )
    updated = cognito.update_resource_server(UserPoolId=pool, Identifier="clear-me", Name="n2")
    assert updated["ResourceServer"]["Scopes"] == []
    got = cognito.describe_resource_server(UserPoolId=pool, Identifier="clear-me")
    assert got["ResourceServer"] == {
        "UserPoolId": pool,
        "Identifier": "clear-me",
        "Name": "n2",
        "Scopes": [],
    }


def test_update_missing_server(cognito, pool):
    err = client_error(
        cognito.update_resource_server, UserPoolId=pool, Identifier=URL_ID, Name="n"
    )
    assert_error(err, "ResourceNotFoundException", not_found(URL_ID, pool))
    # ...and it does not create one.
    err = client_error(cognito.describe_resource_server, UserPoolId=pool, Identifier=URL_ID)
    assert_error(err, "ResourceNotFoundException", not_found(URL_ID, pool))


def test_update_duplicate_scope_names(cognito, pool):
    cognito.create_resource_server(UserPoolId=pool, Identifier="u", Name="n", Scopes=[scope("a")])
    err = client_error(
        cognito.update_resource_server,
        UserPoolId=pool,
        Identifier="u",
        Name="n",
        Scopes=[scope("same"), scope("same")],
    )
    assert_error(err, "InvalidParameterException")
    assert "same" in err.response["Error"]["Message"]
    got = cognito.describe_resource_server(UserPoolId=pool, Identifier="u")["ResourceServer"]
    assert got["Scopes"] == [scope("a")]


def test_update_requires_name(cognito, pool):
    cognito.create_resource_server(UserPoolId=pool, Identifier="u", Name="n")
    err = client_error(cognito.update_resource_server, UserPoolId=pool, Identifier="u")
    assert_error(
        err,
        "InvalidParameterException",
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: "
        "Member must not be null",
    )


# --- Delete ------------------------------------------------------------------------------------


def test_delete(cognito, pool):
    cognito.create_resource_server(UserPoolId=pool, Identifier=URL_ID, Name="n")
    cognito.create_resource_server(UserPoolId=pool, Identifier="keep", Name="n")
    resp = cognito.delete_resource_server(UserPoolId=pool, Identifier=URL_ID)
    assert set(resp) == {"ResponseMetadata"}
    err = client_error(cognito.describe_resource_server, UserPoolId=pool, Identifier=URL_ID)
    assert_error(err, "ResourceNotFoundException", not_found(URL_ID, pool))
    err = client_error(cognito.delete_resource_server, UserPoolId=pool, Identifier=URL_ID)
    assert_error(err, "ResourceNotFoundException", not_found(URL_ID, pool))
    ids, _ = list_all(cognito, pool, 10)
    assert ids == ["keep"]
    # The identifier can be used again.
    again = cognito.create_resource_server(UserPoolId=pool, Identifier=URL_ID, Name="again")
    assert again["ResourceServer"]["Scopes"] == []


def test_delete_returns_empty_json_object(server, pool):
    server.post("CreateResourceServer", {"UserPoolId": pool, "Identifier": "x", "Name": "x"})
    resp = server.post("DeleteResourceServer", {"UserPoolId": pool, "Identifier": "x"})
    assert resp.status_code == 200
    assert resp.json() == {}


# --- List --------------------------------------------------------------------------------------


@pytest.fixture
def big_pool(start_server):
    """A server allowing 100 resource servers per pool, with two pools: A holds 60 servers."""
    client = start_server("--max-resource-servers-per-user-pool", "100").client()
    a = client.create_user_pool(PoolName="A")["UserPool"]["Id"]
    b = client.create_user_pool(PoolName="B")["UserPool"]["Id"]
    identifiers = (
        [f"https://api.example.com/svc-{i:02d}" for i in range(40)]
        + [f"urn:svc:{i}" for i in range(10)]
        + [f"Svc{i}" for i in range(10)]
    )
    for n, identifier in enumerate(reversed(identifiers)):
        client.create_resource_server(
            UserPoolId=a, Identifier=identifier, Name=f"n{n}", Scopes=[scope(f"s{n}")]
        )
    for i in range(10):
        client.create_resource_server(UserPoolId=b, Identifier=f"b-{i}", Name="n")
    return client, a, b, sorted(identifiers)


def test_list_pages_through_60_servers(big_pool):
    client, a, _, expected = big_pool
    ids, sizes = list_all(client, a, 7)
    assert sizes == [7] * 8 + [4]
    assert ids == expected
    # A second walk returns the same order.
    assert list_all(client, a, 7)[0] == expected


def test_list_items_are_full_resource_servers(big_pool):
    client, a, _, expected = big_pool
    page = client.list_resource_servers(UserPoolId=a, MaxResults=2)
    first = page["ResourceServers"][0]
    assert first == client.describe_resource_server(UserPoolId=a, Identifier=expected[0])[
        "ResourceServer"
    ]
    assert set(first) == {"UserPoolId", "Identifier", "Name", "Scopes"}


def test_list_default_page_is_50(big_pool):
    client, a, _, expected = big_pool
    # Without MaxResults (boto3 sends none) a page holds up to 50 servers.
    body = client.list_resource_servers(UserPoolId=a)
    assert [s["Identifier"] for s in body["ResourceServers"]] == expected[:50]
    rest = client.list_resource_servers(UserPoolId=a, MaxResults=50, NextToken=body["NextToken"])
    assert [s["Identifier"] for s in rest["ResourceServers"]] == expected[50:]
    assert "NextToken" not in rest


def test_last_full_page_has_no_next_token(big_pool):
    client, _, b, _ = big_pool
    page = client.list_resource_servers(UserPoolId=b, MaxResults=10)
    assert len(page["ResourceServers"]) == 10
    assert "NextToken" not in page
    first = client.list_resource_servers(UserPoolId=b, MaxResults=5)
    second = client.list_resource_servers(UserPoolId=b, MaxResults=5, NextToken=first["NextToken"])
    assert len(second["ResourceServers"]) == 5
    assert "NextToken" not in second


def test_next_token_is_bound_to_its_pool(big_pool):
    client, a, b, _ = big_pool
    token = client.list_resource_servers(UserPoolId=a, MaxResults=7)["NextToken"]
    err = client_error(client.list_resource_servers, UserPoolId=b, MaxResults=7, NextToken=token)
    assert_error(err, "InvalidParameterException", "Invalid pagination token.")
    # ...and to its operation.
    err = client_error(client.list_user_pools, MaxResults=7, NextToken=token)
    assert_error(err, "InvalidParameterException", "Invalid pagination token.")


def test_tampered_next_token(big_pool):
    client, a, _, _ = big_pool
    token = client.list_resource_servers(UserPoolId=a, MaxResults=7)["NextToken"]
    i = len(token) // 2
    bad = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
    for forged in (bad, "x", token[:-4]):
        err = client_error(
            client.list_resource_servers, UserPoolId=a, MaxResults=7, NextToken=forged
        )
        assert_error(err, "InvalidParameterException", "Invalid pagination token.")


def test_next_token_survives_deletion_of_its_last_item(big_pool):
    client, a, _, expected = big_pool
    page = client.list_resource_servers(UserPoolId=a, MaxResults=7)
    client.delete_resource_server(UserPoolId=a, Identifier=expected[6])
    rest = client.list_resource_servers(UserPoolId=a, MaxResults=50, NextToken=page["NextToken"])
    assert [s["Identifier"] for s in rest["ResourceServers"]] == expected[7:57]


def test_boto3_paginator(big_pool):
    client, a, _, expected = big_pool
    pages = list(
        client.get_paginator("list_resource_servers").paginate(
            UserPoolId=a, PaginationConfig={"PageSize": 7}
        )
    )
    assert len(pages) == 9
    assert [s["Identifier"] for p in pages for s in p["ResourceServers"]] == expected
    result = (
        client.get_paginator("list_resource_servers")
        .paginate(UserPoolId=a, PaginationConfig={"PageSize": 50})
        .build_full_result()
    )
    assert [s["Identifier"] for s in result["ResourceServers"]] == expected


def test_empty_pool_lists_nothing(cognito, pool):
    page = cognito.list_resource_servers(UserPoolId=pool, MaxResults=50)
    assert page["ResourceServers"] == []
    assert "NextToken" not in page


def test_concurrent_creates_of_one_identifier(start_server):
    srv = start_server("--max-resource-servers-per-user-pool", "3", durability="fsync")
    pool_id = srv.client().create_user_pool(PoolName="race")["UserPool"]["Id"]

    def create(i):
        body = {"UserPoolId": pool_id, "Identifier": f"id-{i % 6}", "Name": f"n{i}"}
        return srv.post("CreateResourceServer", body).json()

    with ThreadPoolExecutor(max_workers=16) as workers:
        results = list(workers.map(create, range(24)))
    created = [r["ResourceServer"]["Identifier"] for r in results if "ResourceServer" in r]
    assert len(created) == 3 and len(set(created)) == 3
    errors = {r["__type"] for r in results if "__type" in r}
    assert errors <= {"InvalidParameterException", "LimitExceededException"}
    assert "LimitExceededException" in errors
    ids, _ = list_all(srv.client(), pool_id, 10)
    assert ids == sorted(created)
