"""Issue 11, item 7: the pool-configuration operations Terraform's aws_cognito_user_pool and CDK
call on every apply (UpdateUserPool, AddCustomAttributes, Get/SetUserPoolMfaConfig, the tag
operations, GetSigningCertificate), through boto3, with Cognito's rules and texts (sources in
docs/compatibility.md, "Pool settings after creation")."""

from __future__ import annotations

import base64
import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from rognito_helpers import assert_error, client_error, jwks_of, unique

INVALID = "InvalidParameterException"
NOT_FOUND = "ResourceNotFoundException"
ACCOUNT = "000000000000"
TOTP_ON = {"Enabled": True}


def arn_of(pool_id: str, region: str = "us-east-1", account: str = ACCOUNT) -> str:
    return f"arn:aws:cognito-idp:{region}:{account}:userpool/{pool_id}"


def describe(cognito, pool_id):
    return cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]


def test_a_terraform_apply_sequence_behaves_as_on_cognito(cognito):
    """What aws_cognito_user_pool does on create and on a later apply: CreateUserPool with tags,
    SetUserPoolMfaConfig, UpdateUserPool with every managed member, then the reads."""
    pool = cognito.create_user_pool(
        PoolName=unique("tf"),
        UserPoolTags={"env": "test", "owner": "team-a"},
        AutoVerifiedAttributes=["email"],
        Schema=[{"Name": "tenant", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]
    pool_id = pool["Id"]
    assert pool["UserPoolTags"] == {"env": "test", "owner": "team-a"}

    mfa = cognito.set_user_pool_mfa_config(
        UserPoolId=pool_id, MfaConfiguration="ON", SoftwareTokenMfaConfiguration=TOTP_ON)
    assert mfa["MfaConfiguration"] == "ON"
    assert mfa["SoftwareTokenMfaConfiguration"] == TOTP_ON

    cognito.update_user_pool(
        UserPoolId=pool_id,
        AutoVerifiedAttributes=["email"],
        MfaConfiguration="ON",
        EmailVerificationSubject="Your code",
        EmailVerificationMessage="Your code is {####}",
        UserPoolTags={"env": "prod", "owner": "team-a"},
        DeletionProtection="ACTIVE",
    )
    assert cognito.list_tags_for_resource(ResourceArn=arn_of(pool_id))["Tags"] == {
        "env": "prod", "owner": "team-a"}
    described = describe(cognito, pool_id)
    assert described["Name"] == pool["Name"], "the name is kept"
    assert described["MfaConfiguration"] == "ON"
    assert described["DeletionProtection"] == "ACTIVE"
    assert not any(k.startswith("rognito") for k in described), "no private member leaks"
    assert described["UserPoolTags"] == {"env": "prod", "owner": "team-a"}
    assert described["EmailVerificationSubject"] == "Your code"
    # mirrored into the template, as CreateUserPool does
    assert described["VerificationMessageTemplate"]["EmailSubject"] == "Your code"
    assert any(a["Name"] == "custom:tenant" for a in described["SchemaAttributes"]), \
        "the schema is kept"
    assert described["LastModifiedDate"] >= pool["LastModifiedDate"]
    assert described["CreationDate"] == pool["CreationDate"]
    got = cognito.get_user_pool_mfa_config(UserPoolId=pool_id)
    assert got["MfaConfiguration"] == "ON"
    assert got["SoftwareTokenMfaConfiguration"] == TOTP_ON
    # deletion protection now holds
    assert_error(client_error(cognito.delete_user_pool, UserPoolId=pool_id), INVALID,
                 "The user pool cannot be deleted because deletion protection is activated. "
                 "Deletion protection must be inactivated first.")
    cognito.update_user_pool(UserPoolId=pool_id, MfaConfiguration="ON")
    assert describe(cognito, pool_id)["DeletionProtection"] == "INACTIVE", \
        "omitted: back to the default"
    cognito.delete_user_pool(UserPoolId=pool_id)


def test_update_user_pool_resets_what_it_omits_and_keeps_the_rest(cognito):
    pool = cognito.create_user_pool(
        PoolName=unique("reset"),
        AutoVerifiedAttributes=["email"],
        UsernameAttributes=["email"],
        LambdaConfig={"PreSignUp": "arn:aws:lambda:us-east-1:000000000000:function:f"},
        SmsAuthenticationMessage="Code {####}",
        Policies={"PasswordPolicy": {"MinimumLength": 12}},
        UserPoolTags={"k": "v"},
        UserPoolTier="PLUS",
    )["UserPool"]
    pool_id = pool["Id"]
    cognito.update_user_pool(UserPoolId=pool_id)
    after = describe(cognito, pool_id)
    # reset to Cognito's defaults
    assert after.get("AutoVerifiedAttributes") is None
    assert after["LambdaConfig"] == {}
    assert after.get("SmsAuthenticationMessage") is None
    assert after["EmailConfiguration"] == {"EmailSendingAccount": "COGNITO_DEFAULT"}
    # kept: name, tier, sign-in attributes, policies, tags, MFA mode, schema
    assert after["Name"] == pool["Name"]
    assert after["UserPoolTier"] == "PLUS"
    assert after["UsernameAttributes"] == ["email"]
    assert after["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert after["UserPoolTags"] == {"k": "v"}
    assert after["MfaConfiguration"] == "OFF"
    assert after["SchemaAttributes"] == pool["SchemaAttributes"]
    cognito.update_user_pool(UserPoolId=pool_id, PoolName="renamed")
    assert describe(cognito, pool_id)["Name"] == "renamed"
    # The shared server holds many pools: look through every page.
    listed = [p for page in cognito.get_paginator("list_user_pools").paginate(MaxResults=60)
              for p in page["UserPools"]]
    assert any(p["Id"] == pool_id and p["Name"] == "renamed" for p in listed)


def test_update_user_pool_errors(cognito, pool):
    assert_error(client_error(cognito.update_user_pool, UserPoolId="us-east-1_nope0000"),
                 NOT_FOUND, "User pool us-east-1_nope0000 does not exist.")
    sms_needed = ("SMS configuration and Auto verification for phone_number are required when "
                  "MFA is required/optional")
    assert_error(client_error(cognito.update_user_pool, UserPoolId=pool, MfaConfiguration="ON"),
                 INVALID, sms_needed)
    # the same rules as CreateUserPool
    assert_error(client_error(cognito.update_user_pool, UserPoolId=pool,
                              VerificationMessageTemplate={"DefaultEmailOption":
                                                           "CONFIRM_WITH_LINK",
                                                           "EmailMessageByLink": "Click {####}"}),
                 INVALID, "The message is invalid.")
    # SMS MFA with SMS settings and phone_number verified is accepted
    cognito.update_user_pool(
        UserPoolId=pool, MfaConfiguration="OPTIONAL", AutoVerifiedAttributes=["phone_number"],
        SmsConfiguration={"SnsCallerArn": "arn:aws:iam::000000000000:role/sms"})
    assert describe(cognito, pool)["MfaConfiguration"] == "OPTIONAL"
    # nothing was half-written by the refusals
    assert describe(cognito, pool).get("VerificationMessageTemplate", {}).get(
        "DefaultEmailOption") == "CONFIRM_WITH_CODE"


def test_add_custom_attributes(cognito, pool):
    cognito.add_custom_attributes(UserPoolId=pool, CustomAttributes=[
        {"Name": "plan", "AttributeDataType": "String",
         "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "32"}},
        {"Name": "seats", "AttributeDataType": "Number", "Mutable": False},
        {"Name": "secret", "AttributeDataType": "String", "DeveloperOnlyAttribute": True},
    ])
    attributes = {a["Name"]: a for a in describe(cognito, pool)["SchemaAttributes"]}
    assert attributes["custom:plan"] == {
        "Name": "custom:plan", "AttributeDataType": "String", "DeveloperOnlyAttribute": False,
        "Mutable": True, "Required": False,
        "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "32"}}
    assert attributes["custom:seats"]["Mutable"] is False
    assert "dev:custom:secret" in attributes
    # Cognito always adds the prefix, even to a name that has one
    cognito.add_custom_attributes(UserPoolId=pool, CustomAttributes=[
        {"Name": "custom:x", "AttributeDataType": "Boolean"}])
    assert "custom:custom:x" in {a["Name"] for a in describe(cognito, pool)["SchemaAttributes"]}

    assert_error(client_error(cognito.add_custom_attributes, UserPoolId=pool,
                              CustomAttributes=[{"Name": "plan", "AttributeDataType": "String"}]),
                 INVALID, "custom:plan: Existing attribute already has name custom:plan.")
    assert_error(client_error(cognito.add_custom_attributes, UserPoolId=pool,
                              CustomAttributes=[{"Name": "t", "AttributeDataType": "String",
                                                 "Required": True}]),
                 INVALID, "Required custom attributes are not supported currently.")
    assert_error(client_error(cognito.add_custom_attributes, UserPoolId=pool,
                              CustomAttributes=[{"Name": "t"}]),
                 INVALID,
                 "Invalid AttributeDataType input, consider using the provided AttributeDataType "
                 "enum.")
    assert_error(client_error(cognito.add_custom_attributes, UserPoolId="us-east-1_nope0000",
                              CustomAttributes=[{"Name": "t", "AttributeDataType": "String"}]),
                 NOT_FOUND, "User pool us-east-1_nope0000 does not exist.")
    # the model's limits: 1 to 25 attributes a call, names of at most 20 characters
    err = client_error(cognito.add_custom_attributes, UserPoolId=pool, CustomAttributes=[
        {"Name": "n" * 21, "AttributeDataType": "String"}])
    assert_error(err, INVALID)
    assert "Member must have length less than or equal to 20" in err.response["Error"]["Message"]

    # 50 custom attributes at most: 4 so far, 46 more fit, the 51st does not
    for start in (0, 25):
        batch = [{"Name": f"a{i}", "AttributeDataType": "String"}
                 for i in range(start, min(start + 25, 46))]
        cognito.add_custom_attributes(UserPoolId=pool, CustomAttributes=batch)
    before = describe(cognito, pool)["SchemaAttributes"]
    assert_error(client_error(cognito.add_custom_attributes, UserPoolId=pool,
                              CustomAttributes=[{"Name": "z", "AttributeDataType": "String"}]),
                 INVALID, "A user pool can have at most 50 custom attributes.")
    assert describe(cognito, pool)["SchemaAttributes"] == before, "nothing half-written"


def test_mfa_config(cognito, pool):
    assert_error(client_error(cognito.get_user_pool_mfa_config, UserPoolId="us-east-1_nope0000"),
                 NOT_FOUND, "User pool us-east-1_nope0000 does not exist.")
    fresh = cognito.get_user_pool_mfa_config(UserPoolId=pool)
    fresh.pop("ResponseMetadata")
    assert fresh == {"MfaConfiguration": "OFF"}

    assert_error(client_error(cognito.set_user_pool_mfa_config, UserPoolId=pool,
                              MfaConfiguration="OFF",
                              SoftwareTokenMfaConfiguration={"Enabled": False}),
                 INVALID,
                 "Invalid MFA configuration given, can't turn off MFA and configure an MFA "
                 "together.")
    for mode in ("ON", "OPTIONAL"):
        assert_error(client_error(cognito.set_user_pool_mfa_config, UserPoolId=pool,
                                  MfaConfiguration=mode,
                                  SoftwareTokenMfaConfiguration={"Enabled": False}),
                     INVALID,
                     "Invalid MFA Configuration given. SMS MFA, Email MFA, or Software Token MFA "
                     "must be enabled.")
    assert_error(client_error(cognito.set_user_pool_mfa_config, UserPoolId=pool,
                              MfaConfiguration="ON",
                              EmailMfaConfiguration={"Message": "{####}", "Subject": "code"}),
                 INVALID,
                 "Cannot set EmailMfaConfiguration when user pool EmailConfiguration contains an "
                 "EmailSendingAccount of COGNITO_DEFAULT")
    assert describe(cognito, pool)["MfaConfiguration"] == "OFF", "refusals change nothing"

    sms = {"SnsCallerArn": "arn:aws:iam::000000000000:role/sms", "ExternalId": "x"}
    got = cognito.set_user_pool_mfa_config(
        UserPoolId=pool, MfaConfiguration="OPTIONAL", SoftwareTokenMfaConfiguration=TOTP_ON,
        SmsMfaConfiguration={"SmsAuthenticationMessage": "Code {####}",
                             "SmsConfiguration": sms},
        WebAuthnConfiguration={"RelyingPartyId": "example.com", "UserVerification": "required"})
    got.pop("ResponseMetadata")
    assert got == {
        "MfaConfiguration": "OPTIONAL",
        "SoftwareTokenMfaConfiguration": TOTP_ON,
        "SmsMfaConfiguration": {"SmsAuthenticationMessage": "Code {####}",
                                "SmsConfiguration": sms},
        "WebAuthnConfiguration": {"RelyingPartyId": "example.com",
                                  "UserVerification": "required"},
    }
    again = cognito.get_user_pool_mfa_config(UserPoolId=pool)
    again.pop("ResponseMetadata")
    assert again == got
    described = describe(cognito, pool)
    assert described["MfaConfiguration"] == "OPTIONAL"
    assert described["SmsConfiguration"] == sms
    assert described["SmsAuthenticationMessage"] == "Code {####}"

    # a full replace: what is left out is off
    cognito.set_user_pool_mfa_config(UserPoolId=pool, MfaConfiguration="ON",
                                     SoftwareTokenMfaConfiguration=TOTP_ON)
    replaced = cognito.get_user_pool_mfa_config(UserPoolId=pool)
    assert "SmsMfaConfiguration" not in replaced and "WebAuthnConfiguration" not in replaced
    cognito.set_user_pool_mfa_config(UserPoolId=pool)
    off = cognito.get_user_pool_mfa_config(UserPoolId=pool)
    off.pop("ResponseMetadata")
    assert off == {"MfaConfiguration": "OFF"}


def test_tags(cognito, server):
    pool_id = cognito.create_user_pool(PoolName=unique("tags"),
                                       UserPoolTags={"a": "1"})["UserPool"]["Id"]
    arn = arn_of(pool_id, server.region)
    assert cognito.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"a": "1"}
    cognito.tag_resource(ResourceArn=arn, Tags={"b": "2", "a": "one"})
    assert cognito.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"a": "one", "b": "2"}
    cognito.untag_resource(ResourceArn=arn, TagKeys=["a", "missing"])
    assert cognito.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"b": "2"}
    assert describe(cognito, pool_id)["UserPoolTags"] == {"b": "2"}
    cognito.untag_resource(ResourceArn=arn, TagKeys=["b"])
    assert cognito.list_tags_for_resource(ResourceArn=arn)["Tags"] == {}

    cognito.tag_resource(ResourceArn=arn, Tags={f"k{i}": "v" for i in range(50)})
    err = client_error(cognito.tag_resource, ResourceArn=arn, Tags={"one-more": "v"})
    assert_error(err, INVALID, "A user pool can have as many as 50 tags.")
    assert len(cognito.list_tags_for_resource(ResourceArn=arn)["Tags"]) == 50

    for other in (arn_of("us-east-1_nope0000", server.region),
                  arn_of(pool_id, server.region, account="111111111111"),
                  arn_of(pool_id, "eu-west-1")):
        missing = other.rsplit("/", 1)[1]
        for call, kwargs in ((cognito.list_tags_for_resource, {}),
                             (cognito.tag_resource, {"Tags": {"x": "y"}}),
                             (cognito.untag_resource, {"TagKeys": ["x"]})):
            assert_error(client_error(call, ResourceArn=other, **kwargs), NOT_FOUND,
                         f"User pool {missing} does not exist.")
    err = client_error(cognito.list_tags_for_resource, ResourceArn="not-an-arn-at-all-really")
    assert_error(err, INVALID)
    assert "resourceArn" in err.response["Error"]["Message"]


def test_signing_certificate(cognito, server, pool):
    first = cognito.get_signing_certificate(UserPoolId=pool)["Certificate"]
    assert cognito.get_signing_certificate(UserPoolId=pool)["Certificate"] == first, "stable"
    assert "BEGIN" not in first
    cert = x509.load_der_x509_certificate(base64.b64decode(first))
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == pool
    assert cert.issuer == cert.subject
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc) == datetime.timedelta(days=3650)
    public = cert.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    # self-signed: its own key verifies its signature
    public.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                  cert.signature_hash_algorithm)
    # the pool's ID-token key, as its JWKS publishes it
    numbers = public.public_numbers()
    n = base64.urlsafe_b64encode(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big"))
    assert n.rstrip(b"=").decode() in {k["n"] for k in jwks_of(server.url, pool)["keys"]}
    assert_error(client_error(cognito.get_signing_certificate, UserPoolId="us-east-1_nope0000"),
                 NOT_FOUND, "User pool us-east-1_nope0000 does not exist.")


def test_another_spelling_of_a_pool_arn_is_no_way_around_iam(cognito, server):
    """IAM evaluates the ARN as the caller gives it, so only rognito's own spelling of a pool's
    ARN reaches the pool: another partition or another case would escape a policy naming it."""
    pool_id = cognito.create_user_pool(PoolName=unique("arn"))["UserPool"]["Id"]
    real = arn_of(pool_id, server.region)
    for spelling in (real.replace("arn:aws:", "arn:evil:"), real.replace("arn:aws:", "arn:AWS:"),
                     real.replace("arn:aws:", "arn:aws-cn:")):
        for call, kwargs in ((cognito.tag_resource, {"Tags": {"owned": "yes"}}),
                             (cognito.untag_resource, {"TagKeys": ["x"]}),
                             (cognito.list_tags_for_resource, {})):
            assert_error(client_error(call, ResourceArn=spelling, **kwargs), NOT_FOUND,
                         f"User pool {pool_id} does not exist.")
    assert cognito.list_tags_for_resource(ResourceArn=real)["Tags"] == {}


def test_mfa_settings_follow_update_user_pool(cognito, pool):
    sms = {"SnsCallerArn": "arn:aws:iam::000000000000:role/sms"}
    cognito.set_user_pool_mfa_config(UserPoolId=pool, MfaConfiguration="OPTIONAL",
                                     SoftwareTokenMfaConfiguration=TOTP_ON,
                                     SmsMfaConfiguration={"SmsConfiguration": sms})
    # updated without the SMS settings: SMS MFA ends, the authenticator app stays
    cognito.update_user_pool(UserPoolId=pool, MfaConfiguration="OPTIONAL")
    got = cognito.get_user_pool_mfa_config(UserPoolId=pool)
    assert "SmsMfaConfiguration" not in got
    assert got["SoftwareTokenMfaConfiguration"] == TOTP_ON
    # MFA turned off: no factor stays on
    cognito.update_user_pool(UserPoolId=pool, MfaConfiguration="OFF")
    off = cognito.get_user_pool_mfa_config(UserPoolId=pool)
    off.pop("ResponseMetadata")
    assert off == {"MfaConfiguration": "OFF"}
