"""Users (issue 13): the Admin* user operations, SignUp and confirmation, ListUsers and its
filter, through boto3 against a real server, with Cognito's shapes and error texts
(docs/research/users-and-groups.md)."""

from __future__ import annotations

import time

import pytest

from rognito_helpers import assert_error, client_error, unique

PASSWORD = "Passw0rd!"


@pytest.fixture
def app(cognito, pool):
    """A pool with an app client that allows password sign-in; (pool id, client id)."""
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="app",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH",
                           "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    return pool, client


def attrs(user: dict, key: str = "Attributes") -> dict:
    return {a["Name"]: a["Value"] for a in user[key]}


def test_admin_create_user_has_cognitos_shape(cognito, pool):
    user = cognito.admin_create_user(
        UserPoolId=pool, Username="alice", TemporaryPassword=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "alice@example.com"},
                        {"Name": "email_verified", "Value": "True"}],
        MessageAction="SUPPRESS",
    )["User"]
    assert user["Username"] == "alice"
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert user["Enabled"] is True
    assert user["UserCreateDate"] == user["UserLastModifiedDate"]
    assert "MFAOptions" not in user
    assert user["Attributes"][0]["Name"] == "sub"
    a = attrs(user)
    assert a["email"] == "alice@example.com"
    assert a["email_verified"] == "true"
    got = cognito.admin_get_user(UserPoolId=pool, Username="alice")
    assert got["Username"] == "alice"
    assert attrs(got, "UserAttributes") == a
    assert "PreferredMfaSetting" not in got and "UserMFASettingList" not in got
    assert_error(client_error(cognito.admin_create_user, UserPoolId=pool, Username="alice"),
                 "UsernameExistsException", "User account already exists")
    assert_error(client_error(cognito.admin_get_user, UserPoolId=pool, Username="bob"),
                 "UserNotFoundException", "User does not exist.")


def test_temporary_passwords_follow_the_policy(cognito, pool):
    err = client_error(cognito.admin_create_user, UserPoolId=pool, Username="u",
                       TemporaryPassword="short")
    assert_error(err, "InvalidPasswordException",
                 "Password did not conform with password policy: Password not long enough")
    err = client_error(cognito.admin_create_user, UserPoolId=pool, Username="u",
                       TemporaryPassword="alllowercase1!")
    assert_error(err, "InvalidPasswordException",
                 "Password did not conform with password policy: "
                 "Password must have uppercase characters")
    # Nothing was left behind.
    assert_error(client_error(cognito.admin_get_user, UserPoolId=pool, Username="u"),
                 "UserNotFoundException")


def test_attributes_are_checked_against_the_schema(cognito, pool):
    err = client_error(cognito.admin_create_user, UserPoolId=pool, Username="u",
                       UserAttributes=[{"Name": "custom:nope", "Value": "x"},
                                       {"Name": "favourite", "Value": "y"}])
    assert_error(err, "InvalidParameterException",
                 "Attributes did not conform to the schema: custom:nope: Attribute does not "
                 "exist in the schema.\nfavourite: Attribute does not exist in the schema.\n")
    err = client_error(cognito.admin_create_user, UserPoolId=pool, Username="u",
                       UserAttributes=[{"Name": "email", "Value": "not-an-email"}])
    assert_error(err, "InvalidParameterException", "Invalid email address format.")


def test_email_as_username(cognito):
    pool = cognito.create_user_pool(PoolName=unique("p"), UsernameAttributes=["email"])[
        "UserPool"]["Id"]
    err = client_error(cognito.admin_create_user, UserPoolId=pool, Username="plainname")
    assert_error(err, "InvalidParameterException", "Username should be an email.")
    user = cognito.admin_create_user(UserPoolId=pool, Username="Jane@Example.com",
                                     MessageAction="SUPPRESS")["User"]
    a = attrs(user)
    # The username is a UUID equal to sub; the email is the attribute.
    assert user["Username"] == a["sub"]
    assert a["email"] == "Jane@Example.com"
    got = cognito.admin_get_user(UserPoolId=pool, Username="Jane@Example.com")
    assert got["Username"] == user["Username"]
    err = client_error(cognito.admin_create_user, UserPoolId=pool, Username="Jane@Example.com")
    assert_error(err, "UsernameExistsException", "An account with the given email already exists.")
    # Changing another user's email to a taken one is an alias clash.
    cognito.admin_create_user(UserPoolId=pool, Username="other@example.com",
                              MessageAction="SUPPRESS")
    err = client_error(cognito.admin_update_user_attributes, UserPoolId=pool,
                       Username="other@example.com",
                       UserAttributes=[{"Name": "email", "Value": "Jane@Example.com"}])
    assert_error(err, "AliasExistsException", "An account with the given email already exists.")


def test_case_insensitive_pools_fold_usernames(cognito):
    pool = cognito.create_user_pool(PoolName=unique("p"),
                                    UsernameConfiguration={"CaseSensitive": False})[
        "UserPool"]["Id"]
    cognito.admin_create_user(UserPoolId=pool, Username="Bob", MessageAction="SUPPRESS")
    assert cognito.admin_get_user(UserPoolId=pool, Username="BOB")["Username"] == "Bob"
    assert_error(client_error(cognito.admin_create_user, UserPoolId=pool, Username="bob"),
                 "UsernameExistsException")
    sensitive = cognito.create_user_pool(PoolName=unique("p"))["UserPool"]["Id"]
    cognito.admin_create_user(UserPoolId=sensitive, Username="Bob", MessageAction="SUPPRESS")
    cognito.admin_create_user(UserPoolId=sensitive, Username="bob", MessageAction="SUPPRESS")


def test_list_users_filters_and_pages(cognito, pool):
    for i in range(7):
        cognito.admin_create_user(
            UserPoolId=pool, Username=f"user{i}", MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": f"u{i}@{'a' if i % 2 else 'b'}.example"},
                            {"Name": "given_name", "Value": "Jon" if i < 3 else "Ann"}])
    cognito.admin_disable_user(UserPoolId=pool, Username="user6")
    assert cognito.describe_user_pool(UserPoolId=pool)["UserPool"]["EstimatedNumberOfUsers"] == 7
    names = lambda r: [u["Username"] for u in r["Users"]]  # noqa: E731
    everyone = cognito.list_users(UserPoolId=pool)
    assert names(everyone) == [f"user{i}" for i in range(7)]
    assert "PaginationToken" not in everyone
    first = cognito.list_users(UserPoolId=pool, Limit=3)
    assert names(first) == ["user0", "user1", "user2"]
    second = cognito.list_users(UserPoolId=pool, Limit=3, PaginationToken=first["PaginationToken"])
    assert names(second) == ["user3", "user4", "user5"]
    assert names(cognito.list_users(UserPoolId=pool, Filter='given_name = "Jon"')) == [
        "user0", "user1", "user2"]
    assert names(cognito.list_users(UserPoolId=pool, Filter='email ^= "u1@"')) == ["user1"]
    assert names(cognito.list_users(UserPoolId=pool, Filter='status = "Disabled"')) == ["user6"]
    assert names(cognito.list_users(UserPoolId=pool,
                                    Filter='cognito:user_status = "force_change_password"',
                                    Limit=2)) == ["user0", "user1"]
    # A filtered page is filled across the store's pages and continues where it stopped.
    page = cognito.list_users(UserPoolId=pool, Filter='given_name = "Ann"', Limit=2)
    assert names(page) == ["user3", "user4"]
    rest = cognito.list_users(UserPoolId=pool, Filter='given_name = "Ann"', Limit=2,
                              PaginationToken=page["PaginationToken"])
    assert names(rest) == ["user5", "user6"]
    only = cognito.list_users(UserPoolId=pool, AttributesToGet=["email"], Limit=1)["Users"][0]
    assert [a["Name"] for a in only["Attributes"]] == ["email"]
    assert_error(client_error(cognito.list_users, UserPoolId=pool, Filter="given_name = Jon"),
                 "InvalidParameterException", "Error while parsing filter.")
    assert_error(client_error(cognito.list_users, UserPoolId=pool,
                              PaginationToken="bm90LWEtdG9rZW4"),
                 "InvalidParameterException", "Invalid pagination token.")


def test_update_and_delete_attributes(cognito, pool):
    cognito.admin_create_user(UserPoolId=pool, Username="u", MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "email", "Value": "a@x.example"},
                                              {"Name": "email_verified", "Value": "true"}])
    before = cognito.admin_get_user(UserPoolId=pool, Username="u")
    time.sleep(0.01)
    cognito.admin_update_user_attributes(
        UserPoolId=pool, Username="u",
        UserAttributes=[{"Name": "email", "Value": "b@x.example"},
                        {"Name": "name", "Value": "U"}])
    after = cognito.admin_get_user(UserPoolId=pool, Username="u")
    a = attrs(after, "UserAttributes")
    assert a["email"] == "b@x.example" and a["name"] == "U"
    # A changed email is no longer verified.
    assert a["email_verified"] == "false"
    assert after["UserLastModifiedDate"] > before["UserLastModifiedDate"]
    assert_error(client_error(cognito.admin_update_user_attributes, UserPoolId=pool,
                              Username="u", UserAttributes=[{"Name": "sub", "Value": "x"}]),
                 "InvalidParameterException")
    cognito.admin_delete_user_attributes(UserPoolId=pool, Username="u",
                                         UserAttributeNames=["name"])
    assert "name" not in attrs(cognito.admin_get_user(UserPoolId=pool, Username="u"),
                               "UserAttributes")
    err = client_error(cognito.admin_delete_user_attributes, UserPoolId=pool, Username="u",
                       UserAttributeNames=["custom:nope"])
    assert_error(err, "InvalidParameterException",
                 "Invalid user attributes: user.custom:nope: Attribute does not exist in the "
                 "schema.\n")


def test_disable_enable_delete(cognito, app):
    pool, client = app
    cognito.admin_create_user(UserPoolId=pool, Username="u", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool, Username="u", Password=PASSWORD,
                                    Permanent=True)
    assert cognito.admin_get_user(UserPoolId=pool, Username="u")["UserStatus"] == "CONFIRMED"
    cognito.admin_disable_user(UserPoolId=pool, Username="u")
    assert cognito.admin_get_user(UserPoolId=pool, Username="u")["Enabled"] is False
    err = client_error(cognito.initiate_auth, ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                       AuthParameters={"USERNAME": "u", "PASSWORD": PASSWORD})
    assert_error(err, "NotAuthorizedException", "User is disabled.")
    cognito.admin_enable_user(UserPoolId=pool, Username="u")
    assert "AuthenticationResult" in cognito.initiate_auth(
        ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "u", "PASSWORD": PASSWORD})
    cognito.admin_delete_user(UserPoolId=pool, Username="u")
    assert_error(client_error(cognito.admin_delete_user, UserPoolId=pool, Username="u"),
                 "UserNotFoundException", "User does not exist.")
    # The username can be used again.
    cognito.admin_create_user(UserPoolId=pool, Username="u", MessageAction="SUPPRESS")


def test_sign_up_and_admin_confirm(cognito, app):
    pool, client = app
    resp = cognito.sign_up(ClientId=client, Username="carol", Password=PASSWORD,
                           UserAttributes=[{"Name": "email", "Value": "carol@example.com"}])
    assert resp["UserConfirmed"] is False
    assert "CodeDeliveryDetails" not in resp  # the pool verifies nothing automatically
    assert cognito.admin_get_user(UserPoolId=pool, Username="carol")["UserStatus"] == "UNCONFIRMED"
    assert resp["UserSub"] == attrs(cognito.admin_get_user(UserPoolId=pool, Username="carol"),
                                    "UserAttributes")["sub"]
    # An unconfirmed user with the right password is told so.
    err = client_error(cognito.initiate_auth, ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                       AuthParameters={"USERNAME": "carol", "PASSWORD": PASSWORD})
    assert_error(err, "UserNotConfirmedException", "User is not confirmed.")
    assert_error(client_error(cognito.sign_up, ClientId=client, Username="carol",
                              Password=PASSWORD), "UsernameExistsException", "User already exists")
    assert_error(client_error(cognito.sign_up, ClientId=client, Username="dave",
                              Password="password"),
                 "InvalidPasswordException",
                 "Password did not conform with policy: Password must have uppercase characters")
    cognito.admin_confirm_sign_up(UserPoolId=pool, Username="carol")
    err = client_error(cognito.admin_confirm_sign_up, UserPoolId=pool, Username="carol")
    assert_error(err, "NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED")
    assert "AuthenticationResult" in cognito.initiate_auth(
        ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "carol", "PASSWORD": PASSWORD})


def test_sign_up_can_be_refused_by_the_pool(cognito):
    pool = cognito.create_user_pool(PoolName=unique("p"),
                                    AdminCreateUserConfig={"AllowAdminCreateUserOnly": True})[
        "UserPool"]["Id"]
    client = cognito.create_user_pool_client(UserPoolId=pool, ClientName="c")[
        "UserPoolClient"]["ClientId"]
    err = client_error(cognito.sign_up, ClientId=client, Username="x", Password=PASSWORD)
    assert_error(err, "NotAuthorizedException", "SignUp is not permitted for this user pool")
    err = client_error(cognito.sign_up, ClientId="nosuchclient00000000000000", Username="x",
                       Password=PASSWORD)
    assert_error(err, "ResourceNotFoundException")


def test_sign_up_checks_the_secret_hash(cognito, pool):
    import base64
    import hashlib
    import hmac
    c = cognito.create_user_pool_client(UserPoolId=pool, ClientName="s", GenerateSecret=True)[
        "UserPoolClient"]
    err = client_error(cognito.sign_up, ClientId=c["ClientId"], Username="x", Password=PASSWORD)
    assert_error(err, "NotAuthorizedException",
                 f"Client {c['ClientId']} is configured with secret but SECRET_HASH was not received")
    err = client_error(cognito.sign_up, ClientId=c["ClientId"], Username="x", Password=PASSWORD,
                       SecretHash="d3Jvbmc=")
    assert_error(err, "NotAuthorizedException",
                 f"Unable to verify secret hash for client {c['ClientId']}")
    digest = hmac.new(c["ClientSecret"].encode(), ("x" + c["ClientId"]).encode(),
                      hashlib.sha256).digest()
    cognito.sign_up(ClientId=c["ClientId"], Username="x", Password=PASSWORD,
                    SecretHash=base64.b64encode(digest).decode())


def test_required_attributes_at_sign_up(cognito):
    pool = cognito.create_user_pool(
        PoolName=unique("p"),
        Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True}],
    )["UserPool"]["Id"]
    client = cognito.create_user_pool_client(UserPoolId=pool, ClientName="c")[
        "UserPoolClient"]["ClientId"]
    err = client_error(cognito.sign_up, ClientId=client, Username="x", Password=PASSWORD)
    assert_error(err, "InvalidParameterException", "Invalid attributes given, email is missing")
    # A client may not set verification flags itself.
    err = client_error(cognito.sign_up, ClientId=client, Username="x", Password=PASSWORD,
                       UserAttributes=[{"Name": "email", "Value": "x@example.com"},
                                       {"Name": "email_verified", "Value": "true"}])
    assert_error(err, "NotAuthorizedException", "A client attempted to write unauthorized attribute")


def test_resend_gives_a_new_temporary_password(cognito, app):
    pool, client = app
    cognito.admin_create_user(UserPoolId=pool, Username="gus", TemporaryPassword="Temp0rary!",
                              MessageAction="SUPPRESS")
    cognito.admin_create_user(UserPoolId=pool, Username="gus", TemporaryPassword="Sec0nd-Temp!",
                              MessageAction="RESEND")
    err = client_error(cognito.initiate_auth, ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                       AuthParameters={"USERNAME": "gus", "PASSWORD": "Temp0rary!"})
    assert_error(err, "NotAuthorizedException", "Incorrect username or password.")
    challenge = cognito.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": "gus",
                                                      "PASSWORD": "Sec0nd-Temp!"})
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    cognito.admin_set_user_password(UserPoolId=pool, Username="gus", Password=PASSWORD,
                                    Permanent=True)
    err = client_error(cognito.admin_create_user, UserPoolId=pool, Username="gus",
                       MessageAction="RESEND")
    assert_error(err, "UnsupportedUserStateException")
    err = client_error(cognito.admin_create_user, UserPoolId=pool, Username="nobody",
                       MessageAction="RESEND")
    assert_error(err, "UserNotFoundException", "User does not exist.")
