"""CreateIdentityProvider, DescribeIdentityProvider, ListIdentityProviders,
UpdateIdentityProvider, DeleteIdentityProvider, GetIdentityProviderByIdentifier (configuration
only), and app clients naming a configured provider."""

from __future__ import annotations

import datetime

import pytest

from rognito_helpers import assert_error, client_error, unique

MISSING_POOL = "us-east-1_AAAAAAAAA"

GOOGLE = {"client_id": "g-id", "client_secret": "g-secret", "authorize_scopes": "email openid"}
OIDC = {
    "client_id": "o-id",
    "client_secret": "o-secret",
    "attributes_request_method": "GET",
    "oidc_issuer": "https://auth.example.com",
    "authorize_scopes": "openid email",
}
APPLE = {
    "client_id": "com.example",
    "team_id": "TEAM",
    "key_id": "KEY",
    "private_key": "PRIVATE",
    "authorize_scopes": "email name",
}
SAML = {"MetadataURL": "https://idp.example.com/metadata"}


def oidc(cognito, pool, name="MyOidc", **extra):
    return cognito.create_identity_provider(
        UserPoolId=pool, ProviderName=name, ProviderType="OIDC", ProviderDetails=OIDC, **extra
    )["IdentityProvider"]


def not_found(name: str, pool: str) -> str:
    return f"Identity provider {name} does not exist in user pool {pool}."


def test_create_and_describe_google_adds_cognitos_details(cognito, pool):
    created = cognito.create_identity_provider(
        UserPoolId=pool, ProviderName="Google", ProviderType="Google", ProviderDetails=GOOGLE
    )["IdentityProvider"]
    assert created["UserPoolId"] == pool
    assert created["ProviderName"] == "Google" and created["ProviderType"] == "Google"
    details = created["ProviderDetails"]
    # The details Cognito adds (the model's ProviderDetails documentation, Describe response).
    assert details == {
        **GOOGLE,
        "attributes_url": "https://people.googleapis.com/v1/people/me?personFields=",
        "attributes_url_add_attributes": "true",
        "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "oidc_issuer": "https://accounts.google.com",
        "token_request_method": "POST",
        "token_url": "https://www.googleapis.com/oauth2/v4/token",
    }
    assert created["AttributeMapping"] == {"username": "sub"}
    assert created["IdpIdentifiers"] == []
    assert isinstance(created["CreationDate"], datetime.datetime)
    described = cognito.describe_identity_provider(UserPoolId=pool, ProviderName="Google")
    assert described["IdentityProvider"] == created
    # The pool's own description does not show the providers.
    assert "rognito:IdentityProviders" not in cognito.describe_user_pool(UserPoolId=pool)[
        "UserPool"
    ]


def test_social_types_and_their_required_details(cognito, pool):
    facebook = {"client_id": "f", "client_secret": "s", "authorize_scopes": "email",
                "api_version": "v17.0"}
    fb = cognito.create_identity_provider(
        UserPoolId=pool, ProviderName="Facebook", ProviderType="Facebook",
        ProviderDetails=facebook,
    )["IdentityProvider"]["ProviderDetails"]
    assert fb["token_url"] == "https://graph.facebook.com/v17.0/oauth/access_token"
    assert fb["token_request_method"] == "GET"
    amazon = cognito.create_identity_provider(
        UserPoolId=pool, ProviderName="LoginWithAmazon", ProviderType="LoginWithAmazon",
        ProviderDetails=GOOGLE,
    )["IdentityProvider"]["ProviderDetails"]
    assert amazon["authorize_url"] == "https://www.amazon.com/ap/oa"
    apple = cognito.create_identity_provider(
        UserPoolId=pool, ProviderName="SignInWithApple", ProviderType="SignInWithApple",
        ProviderDetails=APPLE,
    )["IdentityProvider"]["ProviderDetails"]
    # Describe never returns Apple's private key (API reference).
    assert "private_key" not in apple
    assert apple["oidc_issuer"] == "https://appleid.apple.com"
    described = cognito.describe_identity_provider(UserPoolId=pool, ProviderName="SignInWithApple")
    assert "private_key" not in described["IdentityProvider"]["ProviderDetails"]


@pytest.mark.parametrize(
    "ptype, details, message",
    [
        ("Google", {"client_id": "x", "authorize_scopes": "email"},
         "client_id, client_secret and authorize_scopes are all required idp details"),
        ("SignInWithApple", {k: v for k, v in APPLE.items() if k != "team_id"},
         "client_id, team_id, key_id, private_key and authorize_scopes are all required idp "
         "details"),
        ("OIDC", {k: v for k, v in OIDC.items() if k != "oidc_issuer"},
         "client_id, attributes_request_method, oidc_issuer and authorize_scopes are all "
         "required idp details"),
        ("OIDC", {**OIDC, "attributes_request_method": "PUT"},
         "attributes_request_method must be GET or POST"),
        ("SAML", {},
         "Exactly one of MetadataURL and MetadataFile is required for a SAML provider"),
        ("SAML", {**SAML, "RequestSigningAlgorithm": "rsa-sha1"},
         "RequestSigningAlgorithm must be rsa-sha256"),
    ],
)
def test_invalid_details(cognito, pool, ptype, details, message):
    name = ptype if ptype in ("Google", "SignInWithApple") else "Mine"
    err = client_error(cognito.create_identity_provider, UserPoolId=pool, ProviderName=name,
                       ProviderType=ptype, ProviderDetails=details)
    assert_error(err, "InvalidParameterException", message)
    assert cognito.list_identity_providers(UserPoolId=pool)["Providers"] == []


@pytest.mark.parametrize("name, ptype", [("NameOfGP", "Google"), ("Google", "OIDC"),
                                         ("COGNITO", "SAML")])
def test_name_must_fit_type(cognito, pool, name, ptype):
    details = GOOGLE if ptype == "Google" else OIDC if ptype == "OIDC" else SAML
    err = client_error(cognito.create_identity_provider, UserPoolId=pool, ProviderName=name,
                       ProviderType=ptype, ProviderDetails=details)
    assert_error(err, "InvalidParameterException", f"Provider {name} cannot be of type {ptype}.")


def test_provider_name_pattern_is_the_models(cognito, pool):
    err = client_error(cognito.create_identity_provider, UserPoolId=pool, ProviderName="_bad",
                       ProviderType="OIDC", ProviderDetails=OIDC)
    assert_error(err, "InvalidParameterException")
    assert "providerName" in err.response["Error"]["Message"]


def test_duplicates(cognito, pool):
    oidc(cognito, pool, "First", IdpIdentifiers=["example.com"])
    err = client_error(oidc, cognito, pool, "First")
    assert_error(err, "DuplicateProviderException", f"First already exists in user pool {pool}")
    err = client_error(oidc, cognito, pool, "Second", IdpIdentifiers=["example.com"])
    assert_error(err, "DuplicateProviderException",
                 f"Identifier example.com is already used by another provider in user pool "
                 f"{pool}.")
    err = client_error(oidc, cognito, pool, "Third", IdpIdentifiers=["a", "a"])
    assert_error(err, "DuplicateProviderException", "Duplicate identifier a in IdpIdentifiers.")
    names = [p["ProviderName"] for p in cognito.list_identity_providers(UserPoolId=pool)["Providers"]]
    assert names == ["First"]


def test_unknown_pool_and_provider(cognito, pool):
    err = client_error(oidc, cognito, MISSING_POOL)
    assert_error(err, "ResourceNotFoundException", f"User pool {MISSING_POOL} does not exist.")
    for call, extra in [
        (cognito.describe_identity_provider, {}),
        (cognito.delete_identity_provider, {}),
        (cognito.update_identity_provider, {"AttributeMapping": {"email": "email"}}),
    ]:
        err = client_error(call, UserPoolId=pool, ProviderName="Nope", **extra)
        assert_error(err, "ResourceNotFoundException", not_found("Nope", pool))
    err = client_error(cognito.list_identity_providers, UserPoolId=MISSING_POOL)
    assert_error(err, "ResourceNotFoundException", f"User pool {MISSING_POOL} does not exist.")


def test_list_pages_by_name(cognito, pool):
    names = [f"P{i:02}" for i in range(7)]
    for name in reversed(names):
        oidc(cognito, pool, name)
    seen, token = [], None
    while True:
        kwargs = {"UserPoolId": pool, "MaxResults": 3}
        if token:
            kwargs["NextToken"] = token
        page = cognito.list_identity_providers(**kwargs)
        assert len(page["Providers"]) <= 3
        for p in page["Providers"]:
            assert set(p) == {"ProviderName", "ProviderType", "LastModifiedDate", "CreationDate"}
        seen += [p["ProviderName"] for p in page["Providers"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == names
    whole = cognito.list_identity_providers(UserPoolId=pool)
    assert len(whole["Providers"]) == 7 and "NextToken" not in whole
    err = client_error(cognito.list_identity_providers, UserPoolId=pool, NextToken="forged")
    assert_error(err, "InvalidParameterException", "Invalid pagination token.")
    err = client_error(cognito.list_identity_providers, UserPoolId=pool, MaxResults=61)
    assert_error(err, "InvalidParameterException")


def test_token_is_bound_to_its_pool(cognito, pool):
    for i in range(2):
        oidc(cognito, pool, f"Prov{i}")
    token = cognito.list_identity_providers(UserPoolId=pool, MaxResults=1)["NextToken"]
    other = cognito.create_user_pool(PoolName=unique("pool"))["UserPool"]["Id"]
    err = client_error(cognito.list_identity_providers, UserPoolId=other, NextToken=token)
    assert_error(err, "InvalidParameterException", "Invalid pagination token.")


def test_update_replaces_given_members_and_keeps_the_rest(cognito, pool):
    created = oidc(cognito, pool, IdpIdentifiers=["example.com"],
                   AttributeMapping={"email": "email"})
    updated = cognito.update_identity_provider(
        UserPoolId=pool, ProviderName="MyOidc",
        ProviderDetails={**OIDC, "authorize_scopes": "openid"},
    )["IdentityProvider"]
    assert updated["ProviderDetails"]["authorize_scopes"] == "openid"
    assert updated["AttributeMapping"] == {"email": "email"}
    assert updated["IdpIdentifiers"] == ["example.com"]
    assert updated["CreationDate"] == created["CreationDate"]
    assert updated["LastModifiedDate"] >= created["LastModifiedDate"]
    updated = cognito.update_identity_provider(
        UserPoolId=pool, ProviderName="MyOidc", IdpIdentifiers=["example.org"]
    )["IdentityProvider"]
    assert updated["IdpIdentifiers"] == ["example.org"]
    described = cognito.describe_identity_provider(UserPoolId=pool, ProviderName="MyOidc")
    assert described["IdentityProvider"] == updated


def test_failed_update_changes_nothing(cognito, pool):
    oidc(cognito, pool, "Alpha", IdpIdentifiers=["a.example"])
    before = oidc(cognito, pool, "Bravo", IdpIdentifiers=["b.example"])
    err = client_error(cognito.update_identity_provider, UserPoolId=pool, ProviderName="Bravo",
                       ProviderDetails={"client_id": "x"}, IdpIdentifiers=["new.example"])
    assert_error(err, "InvalidParameterException")
    err = client_error(cognito.update_identity_provider, UserPoolId=pool, ProviderName="Bravo",
                       AttributeMapping={"email": "mail"}, IdpIdentifiers=["a.example"])
    assert_error(err, "DuplicateProviderException")
    after = cognito.describe_identity_provider(UserPoolId=pool, ProviderName="Bravo")
    assert after["IdentityProvider"] == before


def test_apple_update_may_leave_out_the_private_key(cognito, pool):
    cognito.create_identity_provider(UserPoolId=pool, ProviderName="SignInWithApple",
                                     ProviderType="SignInWithApple", ProviderDetails=APPLE)
    details = {k: v for k, v in APPLE.items() if k != "private_key"}
    updated = cognito.update_identity_provider(
        UserPoolId=pool, ProviderName="SignInWithApple", ProviderDetails=details
    )["IdentityProvider"]
    assert updated["ProviderDetails"]["client_id"] == "com.example"


def test_get_by_identifier(cognito, pool):
    oidc(cognito, pool, "Corp", IdpIdentifiers=["example.com", "corp"])
    found = cognito.get_identity_provider_by_identifier(UserPoolId=pool, IdpIdentifier="corp")
    assert found["IdentityProvider"]["ProviderName"] == "Corp"
    err = client_error(cognito.get_identity_provider_by_identifier, UserPoolId=pool,
                       IdpIdentifier="other")
    assert_error(err, "ResourceNotFoundException",
                 f"Identity provider with identifier other does not exist in user pool {pool}.")
    err = client_error(cognito.get_identity_provider_by_identifier, UserPoolId=MISSING_POOL,
                       IdpIdentifier="corp")
    assert_error(err, "ResourceNotFoundException", f"User pool {MISSING_POOL} does not exist.")


def test_delete(cognito, pool):
    oidc(cognito, pool, IdpIdentifiers=["example.com"])
    cognito.delete_identity_provider(UserPoolId=pool, ProviderName="MyOidc")
    err = client_error(cognito.describe_identity_provider, UserPoolId=pool, ProviderName="MyOidc")
    assert_error(err, "ResourceNotFoundException", not_found("MyOidc", pool))
    # Its name and identifier are free again.
    oidc(cognito, pool, IdpIdentifiers=["example.com"])


def test_clients_may_name_configured_providers(cognito, pool):
    err = client_error(cognito.create_user_pool_client, UserPoolId=pool, ClientName="app",
                       SupportedIdentityProviders=["COGNITO", "MyOidc"])
    assert_error(err, "InvalidParameterException",
                 f"The provider MyOidc does not exist for User Pool {pool}")
    oidc(cognito, pool)
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="app", SupportedIdentityProviders=["COGNITO", "MyOidc"]
    )["UserPoolClient"]
    assert client["SupportedIdentityProviders"] == ["COGNITO", "MyOidc"]
    # Deleting a provider a client names is allowed; the client keeps the name.
    cognito.delete_identity_provider(UserPoolId=pool, ProviderName="MyOidc")
    described = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=client["ClientId"])
    assert described["UserPoolClient"]["SupportedIdentityProviders"] == ["COGNITO", "MyOidc"]


def test_update_user_pool_keeps_the_providers(cognito, pool):
    oidc(cognito, pool)
    cognito.update_user_pool(UserPoolId=pool)
    cognito.describe_identity_provider(UserPoolId=pool, ProviderName="MyOidc")


def test_saml_and_secrets_are_described(cognito, pool):
    saml = cognito.create_identity_provider(
        UserPoolId=pool, ProviderName="Corp", ProviderType="SAML", ProviderDetails=SAML
    )["IdentityProvider"]
    assert saml["ProviderDetails"] == SAML
    described = oidc(cognito, pool)
    # Cognito returns client_secret in Describe (the model's documentation).
    assert described["ProviderDetails"]["client_secret"] == "o-secret"


def test_quota_of_300_providers_per_pool(cognito, pool):
    for i in range(300):
        cognito.create_identity_provider(UserPoolId=pool, ProviderName=f"Corp{i:03}",
                                         ProviderType="SAML", ProviderDetails=SAML)
    err = client_error(cognito.create_identity_provider, UserPoolId=pool, ProviderName="Corp300",
                       ProviderType="SAML", ProviderDetails=SAML)
    assert_error(err, "LimitExceededException",
                 f"The number of identity providers in user pool {pool} has reached the quota "
                 f"of 300.")
    err = client_error(cognito.describe_identity_provider, UserPoolId=pool, ProviderName="Corp300")
    assert_error(err, "ResourceNotFoundException")
