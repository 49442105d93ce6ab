"""Issue 10: the rules Cognito checks beyond the botocore model, with its texts (sources in
docs/compatibility.md). boto3 runs with parameter_validation=False, as a caller replaying real
Cognito traffic would."""

from __future__ import annotations

import pytest

from rognito_helpers import (
    assert_error,
    assert_oauth_error,
    assert_token_response,
    client_error,
    make_m2m,
    request_token,
    unique,
    unique_domain,
)

INVALID = "InvalidParameterException"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-000000000001"


def create_pool(cognito, **kwargs):
    return cognito.create_user_pool(PoolName=unique("rules"), **kwargs)["UserPool"]


def attribute(pool, name):
    return next(a for a in pool["SchemaAttributes"] if a["Name"] == name)


# --- Kind 1: schema rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "schema, message",
    [
        ([{"Name": "tier", "AttributeDataType": "String", "Required": True}],
         "Required custom attributes are not supported currently."),
        ([{"Name": "tier"}],
         "Invalid AttributeDataType input, consider using the provided AttributeDataType enum."),
        ([{"Name": "email", "AttributeDataType": "Number"}],
         "You can not change AttributeDataType or set developerOnlyAttribute for standard schema "
         "attribute email"),
        ([{"Name": "email", "AttributeDataType": "String", "DeveloperOnlyAttribute": True}],
         "You can not change AttributeDataType or set developerOnlyAttribute for standard schema "
         "attribute email"),
        ([{"Name": "tier", "AttributeDataType": "String",
           "StringAttributeConstraints": {"MinLength": "abc"}}],
         "Invalid StringAttributeConstraints for schema attribute custom:tier"),
        ([{"Name": "tier", "AttributeDataType": "String",
           "StringAttributeConstraints": {"MaxLength": "4096"}}],
         "user.custom:tier: String attributes cannot have a length of more than 2048"),
        ([{"Name": "tier", "AttributeDataType": "String",
           "StringAttributeConstraints": {"MinLength": "10", "MaxLength": "2"}}],
         "user.custom:tier: Max length cannot be less than min length."),
        ([{"Name": "level", "AttributeDataType": "Number",
           "NumberAttributeConstraints": {"MinValue": "x"}}],
         "Invalid NumberAttributeConstraints for schema attribute custom:level"),
    ],
)
def test_schema_rules(cognito, schema, message):
    name = unique("schema")
    err = client_error(cognito.create_user_pool, PoolName=name, Schema=schema)
    assert_error(err, INVALID, message)
    assert name not in all_pool_names(cognito), "nothing stored"


def all_pool_names(cognito):
    names, token = [], None
    while True:
        page = cognito.list_user_pools(MaxResults=60, **({"NextToken": token} if token else {}))
        names += [p["Name"] for p in page["UserPools"]]
        token = page.get("NextToken")
        if not token:
            return names


def test_constraints_that_do_not_fit_the_type_are_dropped(cognito):
    pool = create_pool(cognito, Schema=[
        {"Name": "flag", "AttributeDataType": "Boolean",
         "StringAttributeConstraints": {"MaxLength": "5"}},
        {"Name": "tier", "AttributeDataType": "String"},
    ])
    assert "StringAttributeConstraints" not in attribute(pool, "custom:flag")
    assert attribute(pool, "custom:tier")["StringAttributeConstraints"] == {}


# --- Kind 2: derived members -----------------------------------------------------------------------


def test_verification_template_and_legacy_members_mirror_each_other(cognito):
    pool = create_pool(cognito, VerificationMessageTemplate={
        "EmailMessage": "Code {####}", "EmailSubject": "Your code", "SmsMessage": "SMS {####}",
    })
    assert pool["EmailVerificationMessage"] == "Code {####}"
    assert pool["EmailVerificationSubject"] == "Your code"
    assert pool["SmsVerificationMessage"] == "SMS {####}"
    legacy = create_pool(cognito, EmailVerificationMessage="Legacy {####}",
                         EmailVerificationSubject="Legacy subject",
                         SmsVerificationMessage="Legacy SMS {####}")
    template = legacy["VerificationMessageTemplate"]
    assert template["EmailMessage"] == "Legacy {####}"
    assert template["EmailSubject"] == "Legacy subject"
    assert template["SmsMessage"] == "Legacy SMS {####}"
    assert template["DefaultEmailOption"] == "CONFIRM_WITH_CODE"
    described = cognito.describe_user_pool(UserPoolId=legacy["Id"])["UserPool"]
    assert described["VerificationMessageTemplate"] == template


def test_message_and_validity_rules(cognito):
    err = client_error(cognito.create_user_pool, PoolName=unique("link"),
                       VerificationMessageTemplate={"EmailMessageByLink": "Click {####}"})
    assert_error(err, INVALID, "The message is invalid.")
    create_pool(cognito, VerificationMessageTemplate={
        "EmailMessageByLink": "Please {##Verify Your Email##}"})
    err = client_error(
        cognito.create_user_pool, PoolName=unique("days"),
        AdminCreateUserConfig={"UnusedAccountValidityDays": 3},
        Policies={"PasswordPolicy": {"TemporaryPasswordValidityDays": 4}},
    )
    assert_error(err, INVALID,
                 "Please use TemporaryPasswordValidityDays in PasswordPolicy instead of "
                 "UnusedAccountValidityDays")


# --- Kind 3: conditional members ---------------------------------------------------------------


def test_a_caller_supplied_secret_is_not_echoed(cognito, pool):
    client = cognito.create_user_pool_client(UserPoolId=pool, ClientName="c",
                                             GenerateSecret=True)["UserPoolClient"]
    added = cognito.add_user_pool_client_secret(
        UserPoolId=pool, ClientId=client["ClientId"], ClientSecret="Custom_secret_0123456789ab")
    assert "ClientSecretValue" not in added["ClientSecretDescriptor"]
    cognito.delete_user_pool_client_secret(
        UserPoolId=pool, ClientId=client["ClientId"],
        ClientSecretId=added["ClientSecretDescriptor"]["ClientSecretId"])
    generated = cognito.add_user_pool_client_secret(UserPoolId=pool, ClientId=client["ClientId"])
    assert len(generated["ClientSecretDescriptor"]["ClientSecretValue"]) == 51


# --- Kind 4: cross-member rules on clients ---------------------------------------------------------


@pytest.mark.parametrize("scope", ["openid", "email", "phone", "profile",
                                   "aws.cognito.signin.user.admin"])
def test_client_credentials_refuses_built_in_scopes(cognito, pool, scope):
    err = client_error(
        cognito.create_user_pool_client, UserPoolId=pool, ClientName="m2m", GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=[scope],
    )
    assert_error(err, "InvalidOAuthFlowException",
                 f"{scope} is not supported with client_credentials flow")


@pytest.mark.parametrize(
    "members, message",
    [
        ({"CallbackURLs": ["http://app.example.com/cb"]},
         "Invalid redirect URL http://app.example.com/cb: it must use HTTPS (HTTP only for "
         "localhost) or an app's own scheme, and must not contain a fragment."),
        ({"CallbackURLs": ["https://app.example.com/cb#frag"]},
         "Invalid redirect URL https://app.example.com/cb#frag: it must use HTTPS (HTTP only "
         "for localhost) or an app's own scheme, and must not contain a fragment."),
        ({"CallbackURLs": ["https://a.example/cb"], "DefaultRedirectURI": "https://b.example/cb"},
         "DefaultRedirectURI https://b.example/cb must be one of the CallbackURLs."),
        ({"SupportedIdentityProviders": ["COGNITO", "Google"]},
         "The provider Google does not exist for User Pool {pool}"),
        ({"ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH"]},
         "REFRESH_TOKEN_AUTH should always be allowed."),
        ({"ExplicitAuthFlows": ["ADMIN_NO_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]},
         "ExplicitAuthFlows cannot mix legacy values (ADMIN_NO_SRP_AUTH, CUSTOM_AUTH_FLOW_ONLY, "
         "USER_PASSWORD_AUTH) with values that begin with ALLOW_."),
        ({"WriteAttributes": ["email_verified"]},
         "Invalid write attributes specified while creating a client"),
        ({"ReadAttributes": ["custom:nope"]},
         "Invalid read attributes specified while creating a client"),
        ({"GenerateSecret": True, "ClientSecret": "Given_secret_0123456789ab"},
         "GenerateSecret and ClientSecret cannot both be specified."),
    ],
)
def test_client_rules(cognito, pool, members, message):
    err = client_error(cognito.create_user_pool_client, UserPoolId=pool, ClientName="c",
                       **members)
    assert_error(err, INVALID, message.format(pool=pool))
    assert cognito.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"] == []


def test_update_checks_the_same_rules(cognito, pool):
    client_id = cognito.create_user_pool_client(UserPoolId=pool, ClientName="c")[
        "UserPoolClient"]["ClientId"]
    err = client_error(cognito.update_user_pool_client, UserPoolId=pool, ClientId=client_id,
                       ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"])
    assert_error(err, INVALID, "REFRESH_TOKEN_AUTH should always be allowed.")
    err = client_error(cognito.update_user_pool_client, UserPoolId=pool, ClientId=client_id,
                       WriteAttributes=["email_verified"])
    assert_error(err, INVALID, "Invalid write attributes specified while updating a client")


def test_immutable_required_attributes_are_written_at_sign_up(cognito):
    pool = create_pool(cognito, Schema=[{"Name": "email", "AttributeDataType": "String",
                                         "Required": True}])
    assert attribute(pool, "email")["Mutable"] is False
    cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web",
                                    WriteAttributes=["email", "name"])
    err = client_error(cognito.create_user_pool_client, UserPoolId=pool["Id"],
                       ClientName="web", WriteAttributes=["name"])
    assert_error(err, INVALID, "Invalid write attributes specified while creating a client")


def test_acceptable_clients(cognito, pool):
    cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="web", AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid", "email"],
        CallbackURLs=["https://app.example.com/cb", "http://localhost:3000/cb", "myapp://cb"],
        DefaultRedirectURI="http://localhost:3000/cb", SupportedIdentityProviders=["COGNITO"],
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        ReadAttributes=["email", "email_verified"], WriteAttributes=["email", "name"],
    )
    cognito.create_user_pool_client(UserPoolId=pool, ClientName="legacy",
                                    ExplicitAuthFlows=["ADMIN_NO_SRP_AUTH"])


# --- Kind 5: domains ---------------------------------------------------------------------------------


def test_custom_domains(server, cognito):
    m = make_m2m(server, cognito, domain=False)
    custom = f"auth.{unique_domain()}.example.com"
    created = cognito.create_user_pool_domain(
        UserPoolId=m.pool_id, Domain=custom, CustomDomainConfig={"CertificateArn": CERT})
    assert created["CloudFrontDomain"].endswith(".cloudfront.net")
    described = cognito.describe_user_pool_domain(Domain=custom)["DomainDescription"]
    assert described["CustomDomainConfig"] == {"CertificateArn": CERT}
    assert described["CloudFrontDistribution"] == created["CloudFrontDomain"]
    assert cognito.describe_user_pool(UserPoolId=m.pool_id)["UserPool"]["CustomDomain"] == custom
    # The token endpoint answers on the custom domain's host, for its own pool only.
    host = {"Host": custom.upper() + ":443"}
    assert_token_response(m.token(headers=host))
    other = make_m2m(server, cognito)
    assert_oauth_error(other.token(headers=host), "invalid_client")
    # A domain keeps its kind.
    err = client_error(cognito.update_user_pool_domain, UserPoolId=m.pool_id, Domain=custom,
                       ManagedLoginVersion=2)
    assert_error(err, INVALID, "Cannot convert custom domain to prefix domain.")
    err = client_error(cognito.update_user_pool_domain, UserPoolId=other.pool_id,
                       Domain=other.domain, CustomDomainConfig={"CertificateArn": CERT})
    assert_error(err, INVALID,
                 "User pool should have a custom domain associated, failed to update the "
                 "certificate.")
    cognito.delete_user_pool_domain(UserPoolId=m.pool_id, Domain=custom)


@pytest.mark.parametrize("arn", [
    "arn:aws:acm:eu-west-1:123456789012:certificate/x",
    "arn:aws:iam::123456789012:server-certificate/x",
    "arn:aws:acm:us-east-1:12345:certificate/x",
])
def test_custom_domain_certificates(cognito, pool, arn):
    err = client_error(cognito.create_user_pool_domain, UserPoolId=pool,
                       Domain=f"auth.{unique_domain()}.example.com",
                       CustomDomainConfig={"CertificateArn": arn})
    assert_error(err, INVALID)
    assert "isn't in us-east-1 region" in err.response["Error"]["Message"]


def test_custom_domain_names_are_case_insensitive(server, cognito):
    m = make_m2m(server, cognito, domain=False)
    label = unique_domain()
    mixed = f"Auth.{label}.Example.com"
    cognito.create_user_pool_domain(UserPoolId=m.pool_id, Domain=mixed,
                                    CustomDomainConfig={"CertificateArn": CERT})
    lower = mixed.lower()
    assert cognito.describe_user_pool_domain(Domain=mixed)["DomainDescription"]["Domain"] == lower
    other = make_m2m(server, cognito, domain=False)
    err = client_error(cognito.create_user_pool_domain, UserPoolId=other.pool_id, Domain=lower,
                       CustomDomainConfig={"CertificateArn": CERT})
    assert_error(err, INVALID, "Domain already associated with another user pool.")
    assert_oauth_error(other.token(headers={"Host": mixed}), "invalid_client")
    assert_token_response(m.token(headers={"Host": mixed}))
    cognito.delete_user_pool_domain(UserPoolId=m.pool_id, Domain=mixed)


def test_the_prefix_pattern_is_botocores(server):
    """The service's prefix message quotes the model's pattern: keep them the same."""
    import botocore.session
    model = botocore.session.get_session().get_service_model("cognito-idp")
    pattern = model.shape_for("DomainType").metadata["pattern"]
    from test_domains import DOMAIN_PATTERN
    assert pattern == DOMAIN_PATTERN


def test_not_found_says_what_is_served(server):
    import requests
    resp = requests.get(server.url + "/oauth2/authorize", timeout=10)
    assert resp.status_code == 404
    assert "does not serve /oauth2/authorize yet" in resp.json()["message"]
    resp = requests.get(server.url + "/nowhere", timeout=10)
    assert "POST /oauth2/token" in resp.json()["message"]


def test_managed_login_versions(cognito, pool):
    domain = unique_domain()
    err = client_error(cognito.create_user_pool_domain, UserPoolId=pool, Domain=domain,
                       ManagedLoginVersion=3)
    assert_error(err, INVALID,
                 "ManagedLoginVersion 3 does not exist: use 1 (the classic hosted UI) or 2 "
                 "(managed login).")
    cognito.create_user_pool_domain(UserPoolId=pool, Domain=domain, ManagedLoginVersion=2)
    cognito.delete_user_pool_domain(UserPoolId=pool, Domain=domain)


def test_token_endpoint_without_a_matching_domain(server):
    m = make_m2m(server)
    resp = request_token(server.url, m.client_id, m.client_secret,
                         headers={"Host": "unknown.example.com"})
    assert_token_response(resp)
