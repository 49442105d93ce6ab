"""User pool domains: CreateUserPoolDomain, DescribeUserPoolDomain, UpdateUserPoolDomain,
DeleteUserPoolDomain, and how a domain shows in DescribeUserPool and blocks DeleteUserPool."""

from __future__ import annotations

import re

import pytest

from rognito_helpers import assert_error, assert_raw_error, client_error, unique, unique_domain

MISSING_POOL = "us-east-1_AAAAAAAAA"
DOMAIN_PATTERN = "^[a-z0-9](?:[a-z0-9\\-]{0,61}[a-z0-9])?$"
INVALID_PREFIX = (
    "The domain name contains an invalid character. Domain names can only contain lower-case "
    "letters, numbers, and hyphens. Please enter a different name that follows this format: "
    + DOMAIN_PATTERN
)
TAKEN = "Domain already associated with another user pool."
HAS_ONE = "User pool already has a domain configured."
POOL_HAS_DOMAIN = (
    "User pool cannot be deleted. It has a domain configured that should be deleted first."
)


def new_pool(cognito) -> str:
    return cognito.create_user_pool(PoolName=unique("pool"))["UserPool"]["Id"]


def describe(cognito, domain: str) -> dict:
    resp = cognito.describe_user_pool_domain(Domain=domain)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    return resp["DomainDescription"]


def test_create_and_describe(cognito, pool):
    domain = unique_domain()
    created = cognito.create_user_pool_domain(UserPoolId=pool, Domain=domain)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert set(created) == {"ResponseMetadata"}
    description = describe(cognito, domain)
    assert re.fullmatch(r"d[a-z0-9]{13}\.cloudfront\.net", description["CloudFrontDistribution"])
    assert re.fullmatch(r"20[0-9]{12}", description["Version"]), description["Version"]
    assert description == {
        "UserPoolId": pool,
        "AWSAccountId": "000000000000",
        "Domain": domain,
        "S3Bucket": "aws-cognito-prod-iad-assets",
        "CloudFrontDistribution": description["CloudFrontDistribution"],
        "Version": description["Version"],
        "Status": "ACTIVE",
        "CustomDomainConfig": {},
    }
    assert cognito.describe_user_pool(UserPoolId=pool)["UserPool"]["Domain"] == domain


def test_unknown_domain_is_an_empty_description(cognito):
    assert describe(cognito, unique_domain("nobody")) == {}


def test_prefix_pattern_is_the_services_and_length_the_models(cognito, pool):
    """Issue 10, kind 5: the service checks a prefix domain with its own text
    (mineiros-io/terraform-aws-cognito-user-pool#69); the model still caps the length."""
    for domain in ["MyShopAuth", "shop.auth", "Upper", "-lead", "trail-", "under_score",
                   "spa ce", "é"]:
        err = client_error(cognito.create_user_pool_domain, UserPoolId=pool, Domain=domain)
        assert_error(err, "InvalidParameterException", INVALID_PREFIX)
    long = "a" * 64
    err = client_error(cognito.create_user_pool_domain, UserPoolId=pool, Domain=long)
    assert_error(
        err,
        "InvalidParameterException",
        f"1 validation error detected: Value '{long}' at 'domain' failed to satisfy constraint: "
        "Member must have length less than or equal to 63",
    )
    assert "Domain" not in cognito.describe_user_pool(UserPoolId=pool)["UserPool"]


def test_longest_and_shortest_domains(cognito, pool):
    longest = ("x" + unique_domain()).ljust(63, "9")
    assert len(longest) == 63
    cognito.create_user_pool_domain(UserPoolId=pool, Domain=longest)
    assert describe(cognito, longest)["Domain"] == longest
    cognito.delete_user_pool_domain(UserPoolId=pool, Domain=longest)
    # One character is enough (the session server is fresh for each run, so "7" is free).
    cognito.create_user_pool_domain(UserPoolId=pool, Domain="7")
    assert describe(cognito, "7")["UserPoolId"] == pool
    cognito.delete_user_pool_domain(UserPoolId=pool, Domain="7")


def test_reserved_words(cognito, pool):
    tail = unique_domain("x")
    for domain, word in [
        (f"aws-{tail}", "aws"),
        (f"my-amazon{tail}", "amazon"),
        (f"{tail}cognito", "cognito"),
        (f"laws-{tail}", "aws"),
        (f"{tail}-amazonaws", "aws"),
    ]:
        err = client_error(cognito.create_user_pool_domain, UserPoolId=pool, Domain=domain)
        assert_error(err, "InvalidParameterException",
                     f"Domain cannot contain reserved word: {word}")
        assert describe(cognito, domain) == {}
    assert "Domain" not in cognito.describe_user_pool(UserPoolId=pool)["UserPool"]


def test_one_domain_per_pool_and_pool_per_domain(cognito, pool):
    domain = unique_domain()
    cognito.create_user_pool_domain(UserPoolId=pool, Domain=domain)
    other = new_pool(cognito)
    err = client_error(cognito.create_user_pool_domain, UserPoolId=other, Domain=domain)
    assert_error(err, "InvalidParameterException", TAKEN)
    err = client_error(cognito.create_user_pool_domain, UserPoolId=pool, Domain=unique_domain())
    assert_error(err, "InvalidParameterException", HAS_ONE)
    assert describe(cognito, domain)["UserPoolId"] == pool
    assert "Domain" not in cognito.describe_user_pool(UserPoolId=other)["UserPool"]


def test_delete_frees_the_domain_and_the_pool(cognito, pool):
    domain = unique_domain()
    cognito.create_user_pool_domain(UserPoolId=pool, Domain=domain)
    deleted = cognito.delete_user_pool_domain(UserPoolId=pool, Domain=domain)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert describe(cognito, domain) == {}
    assert "Domain" not in cognito.describe_user_pool(UserPoolId=pool)["UserPool"]
    err = client_error(cognito.delete_user_pool_domain, UserPoolId=pool, Domain=domain)
    assert_error(
        err, "ResourceNotFoundException", f"Domain {domain} does not exist in user pool {pool}."
    )
    # Another pool may take the name now, and this pool may have a new domain.
    other = new_pool(cognito)
    cognito.create_user_pool_domain(UserPoolId=other, Domain=domain)
    assert describe(cognito, domain)["UserPoolId"] == other
    second = unique_domain()
    cognito.create_user_pool_domain(UserPoolId=pool, Domain=second)
    assert cognito.describe_user_pool(UserPoolId=pool)["UserPool"]["Domain"] == second


def test_delete_needs_the_pools_own_domain(cognito, pool):
    domain = unique_domain()
    cognito.create_user_pool_domain(UserPoolId=pool, Domain=domain)
    other = new_pool(cognito)
    err = client_error(cognito.delete_user_pool_domain, UserPoolId=other, Domain=domain)
    assert_error(
        err, "ResourceNotFoundException", f"Domain {domain} does not exist in user pool {other}."
    )
    assert describe(cognito, domain)["UserPoolId"] == pool


def test_update(cognito, pool):
    domain = unique_domain()
    cognito.create_user_pool_domain(UserPoolId=pool, Domain=domain)
    before = describe(cognito, domain)
    updated = cognito.update_user_pool_domain(UserPoolId=pool, Domain=domain,
                                              ManagedLoginVersion=2)
    assert updated["ManagedLoginVersion"] == 2
    after = describe(cognito, domain)
    assert after == {**before, "Version": after["Version"], "ManagedLoginVersion": 2}
    assert after["Version"] >= before["Version"]
    missing = unique_domain()
    err = client_error(cognito.update_user_pool_domain, UserPoolId=pool, Domain=missing,
                       ManagedLoginVersion=2)
    assert_error(
        err, "ResourceNotFoundException", f"Domain {missing} does not exist in user pool {pool}."
    )


def test_pool_with_a_domain_cannot_be_deleted(cognito, pool):
    domain = unique_domain()
    cognito.create_user_pool_domain(UserPoolId=pool, Domain=domain)
    err = client_error(cognito.delete_user_pool, UserPoolId=pool)
    assert_error(err, "InvalidParameterException", POOL_HAS_DOMAIN)
    assert cognito.describe_user_pool(UserPoolId=pool)["UserPool"]["Domain"] == domain
    cognito.delete_user_pool_domain(UserPoolId=pool, Domain=domain)
    cognito.delete_user_pool(UserPoolId=pool)
    err = client_error(cognito.describe_user_pool, UserPoolId=pool)
    assert_error(err, "ResourceNotFoundException", f"User pool {pool} does not exist.")


@pytest.mark.parametrize("operation", ["create_user_pool_domain", "delete_user_pool_domain",
                                       "update_user_pool_domain"])
def test_domain_operations_on_a_missing_pool(cognito, operation):
    err = client_error(getattr(cognito, operation), UserPoolId=MISSING_POOL,
                       Domain=unique_domain())
    assert_error(err, "ResourceNotFoundException", f"User pool {MISSING_POOL} does not exist.")


def test_describe_needs_a_domain(server):
    resp = server.post("DescribeUserPoolDomain", {})
    assert_raw_error(
        resp,
        "InvalidParameterException",
        "1 validation error detected: Value null at 'domain' failed to satisfy constraint: "
        "Member must not be null",
    )
