"""Sign-in (issue 13): InitiateAuth/AdminInitiateAuth and their challenges, user tokens checked
with PyJWT against the pool's JWKS, SRP through pycognito (a real SRP client), TOTP through
pyotp, refresh, sign-out and revocation, lockout (docs/research/srp-tokens-mfa.md)."""

from __future__ import annotations

import time

import jwt
import pyotp
import pytest
import requests
from pycognito.aws_srp import AWSSRP

from rognito_helpers import assert_error, client_error, decode_unverified, unique

PASSWORD = "Passw0rd!"
FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH",
         "ALLOW_REFRESH_TOKEN_AUTH"]


def make_app(cognito, **pool_kwargs):
    pool = cognito.create_user_pool(PoolName=unique("p"), **pool_kwargs)["UserPool"]["Id"]
    client = cognito.create_user_pool_client(UserPoolId=pool, ClientName="app",
                                             ExplicitAuthFlows=FLOWS)["UserPoolClient"]["ClientId"]
    return pool, client


def make_user(cognito, pool, username="alice", permanent=True, **kwargs):
    cognito.admin_create_user(UserPoolId=pool, Username=username, MessageAction="SUPPRESS",
                              **kwargs)
    cognito.admin_set_user_password(UserPoolId=pool, Username=username, Password=PASSWORD,
                                    Permanent=permanent)


def password_auth(cognito, client, username="alice", password=PASSWORD):
    return cognito.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                                 AuthParameters={"USERNAME": username, "PASSWORD": password})


def verify(server, pool, token, token_use):
    """Verifies a user token with PyJWT against the JWKS the discovery document names."""
    issuer = f"{server.url}/{pool}"
    doc = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=30).json()
    keys = requests.get(doc["jwks_uri"], timeout=30).json()["keys"]
    header = jwt.get_unverified_header(token)
    key = next(k for k in keys if k["kid"] == header["kid"])
    claims = jwt.decode(token, jwt.PyJWK(key), algorithms=["RS256"], issuer=issuer,
                        options={"verify_aud": False})
    assert claims["token_use"] == token_use
    return claims


def test_password_sign_in_gives_verifiable_tokens(server, cognito):
    pool, client = make_app(cognito)
    make_user(cognito, pool, UserAttributes=[{"Name": "email", "Value": "alice@example.com"},
                                             {"Name": "email_verified", "Value": "true"}])
    resp = password_auth(cognito, client)
    assert resp["ChallengeParameters"] == {}
    result = resp["AuthenticationResult"]
    assert result["TokenType"] == "Bearer" and result["ExpiresIn"] == 3600
    access = verify(server, pool, result["AccessToken"], "access")
    ident = verify(server, pool, result["IdToken"], "id")
    assert access["username"] == "alice" and access["client_id"] == client
    assert access["scope"] == "aws.cognito.signin.user.admin"
    assert "aud" not in access and "cognito:groups" not in access
    assert ident["aud"] == client and ident["cognito:username"] == "alice"
    assert ident["email"] == "alice@example.com" and ident["email_verified"] is True
    assert access["sub"] == ident["sub"]
    assert access["origin_jti"] == ident["origin_jti"] and access["jti"] != ident["jti"]
    assert access["event_id"] == ident["event_id"]
    assert access["exp"] - access["iat"] == 3600
    # Cognito's claim order (a Java HashMap's): sub first, username last.
    assert list(access)[0] == "sub" and list(access)[-1] == "username"
    # ID and access tokens are signed with different keys.
    assert jwt.get_unverified_header(result["IdToken"])["kid"] != \
        jwt.get_unverified_header(result["AccessToken"])["kid"]
    user = cognito.get_user(AccessToken=result["AccessToken"])
    assert user["Username"] == "alice"
    assert "RefreshToken" in result and result["RefreshToken"].count(".") >= 1


def test_sign_in_errors(cognito):
    pool, client = make_app(cognito)
    make_user(cognito, pool)
    err = client_error(password_auth, cognito, client, password="Wrong0ne!")
    assert_error(err, "NotAuthorizedException", "Incorrect username or password.")
    err = client_error(password_auth, cognito, client, username="nobody")
    assert_error(err, "UserNotFoundException", "User does not exist.")
    err = client_error(cognito.initiate_auth, ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                       AuthParameters={"PASSWORD": PASSWORD})
    assert_error(err, "InvalidParameterException", "Missing required parameter USERNAME")
    err = client_error(cognito.initiate_auth, ClientId=client,
                       AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                       AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD})
    assert_error(err, "InvalidParameterException", "Initiate Auth method not supported.")
    only_srp = cognito.create_user_pool_client(UserPoolId=pool, ClientName="srp")[
        "UserPoolClient"]["ClientId"]
    err = client_error(password_auth, cognito, only_srp)
    assert_error(err, "InvalidParameterException",
                 "USER_PASSWORD_AUTH flow not enabled for this client")
    err = client_error(cognito.admin_initiate_auth, UserPoolId=pool, ClientId=only_srp,
                       AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                       AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD})
    assert_error(err, "InvalidParameterException", "Auth flow not enabled for this client")


def test_user_existence_errors_can_be_hidden(cognito):
    pool, _ = make_app(cognito)
    hidden = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="h", ExplicitAuthFlows=FLOWS,
        PreventUserExistenceErrors="ENABLED")["UserPoolClient"]["ClientId"]
    err = client_error(password_auth, cognito, hidden, username="nobody")
    assert_error(err, "NotAuthorizedException", "Incorrect username or password.")
    # SRP answers an unknown user with a challenge like any other (the same salt every time),
    # and its proof fails as a wrong password does.
    a = "ab" * 384
    first = cognito.initiate_auth(ClientId=hidden, AuthFlow="USER_SRP_AUTH",
                                  AuthParameters={"USERNAME": "nobody", "SRP_A": a})
    second = cognito.initiate_auth(ClientId=hidden, AuthFlow="USER_SRP_AUTH",
                                   AuthParameters={"USERNAME": "nobody", "SRP_A": a})
    assert first["ChallengeName"] == "PASSWORD_VERIFIER"
    assert first["ChallengeParameters"]["SALT"] == second["ChallengeParameters"]["SALT"]
    assert first["ChallengeParameters"]["SRP_B"] != second["ChallengeParameters"]["SRP_B"]
    srp = AWSSRP(username="nobody", password=PASSWORD, pool_id=pool, client_id=hidden,
                 client=cognito)
    assert_error(client_error(srp.authenticate_user), "NotAuthorizedException",
                 "Incorrect username or password.")


def test_lockout_after_five_failures(cognito):
    pool, client = make_app(cognito)
    make_user(cognito, pool)
    for _ in range(5):
        assert_error(client_error(password_auth, cognito, client, password="Wrong0ne!"),
                     "NotAuthorizedException", "Incorrect username or password.")
    # Locked for 2^0 = 1 s: even the right password is refused meanwhile.
    assert_error(client_error(password_auth, cognito, client), "NotAuthorizedException",
                 "Password attempts exceeded")
    time.sleep(1.1)
    assert "AuthenticationResult" in password_auth(cognito, client)


def test_new_password_required(server, cognito):
    pool, client = make_app(cognito)
    cognito.admin_create_user(UserPoolId=pool, Username="bob", TemporaryPassword="Temp0rary!",
                              MessageAction="SUPPRESS")
    resp = cognito.admin_initiate_auth(
        UserPoolId=pool, ClientId=client, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "bob", "PASSWORD": "Temp0rary!"})
    assert resp["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    params = resp["ChallengeParameters"]
    assert params["USER_ID_FOR_SRP"] == "bob" and params["requiredAttributes"] == "[]"
    err = client_error(cognito.admin_respond_to_auth_challenge, UserPoolId=pool,
                       ClientId=client, ChallengeName="NEW_PASSWORD_REQUIRED",
                       Session=resp["Session"],
                       ChallengeResponses={"USERNAME": "bob", "NEW_PASSWORD": "weak"})
    assert_error(err, "InvalidPasswordException")
    done = cognito.admin_respond_to_auth_challenge(
        UserPoolId=pool, ClientId=client, ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=resp["Session"],
        ChallengeResponses={"USERNAME": "bob", "NEW_PASSWORD": PASSWORD,
                            "userAttributes.name": "Bob"})
    verify(server, pool, done["AuthenticationResult"]["AccessToken"], "access")
    user = cognito.admin_get_user(UserPoolId=pool, Username="bob")
    assert user["UserStatus"] == "CONFIRMED"
    assert {"Name": "name", "Value": "Bob"} in user["UserAttributes"]
    err = client_error(cognito.respond_to_auth_challenge, ClientId=client,
                       ChallengeName="NEW_PASSWORD_REQUIRED", Session="x" * 40,
                       ChallengeResponses={"USERNAME": "bob", "NEW_PASSWORD": PASSWORD})
    assert_error(err, "NotAuthorizedException", "Invalid session for the user.")


def test_srp_sign_in_with_pycognito(server, cognito):
    pool, client = make_app(cognito, UsernameAttributes=["email"])
    cognito.admin_create_user(UserPoolId=pool, Username="erin@example.com",
                              MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool, Username="erin@example.com",
                                    Password=PASSWORD, Permanent=True)
    for _ in range(3):  # several runs, so both of SRP's padding branches are likely exercised
        srp = AWSSRP(username="erin@example.com", password=PASSWORD, pool_id=pool,
                     client_id=client, client=cognito)
        tokens = srp.authenticate_user()["AuthenticationResult"]
        claims = verify(server, pool, tokens["IdToken"], "id")
        assert claims["email"] == "erin@example.com"
        assert claims["cognito:username"] == claims["sub"]
    bad = AWSSRP(username="erin@example.com", password="Wrong0ne!", pool_id=pool,
                 client_id=client, client=cognito)
    assert_error(client_error(bad.authenticate_user), "NotAuthorizedException",
                 "Incorrect username or password.")


def test_refresh_sign_out_and_revocation(server, cognito):
    pool, client = make_app(cognito)
    make_user(cognito, pool)
    first = password_auth(cognito, client)["AuthenticationResult"]
    refreshed = cognito.initiate_auth(ClientId=client, AuthFlow="REFRESH_TOKEN_AUTH",
                                      AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]})
    again = refreshed["AuthenticationResult"]
    assert "RefreshToken" not in again
    a1, a2 = decode_unverified(first["AccessToken"]), decode_unverified(again["AccessToken"])
    assert a1["origin_jti"] == a2["origin_jti"] and a1["jti"] != a2["jti"]
    assert a1["auth_time"] == a2["auth_time"]
    # RevokeToken ends that sign-in: its refresh token and access tokens stop working.
    cognito.revoke_token(Token=first["RefreshToken"], ClientId=client)
    assert_error(client_error(cognito.get_user, AccessToken=again["AccessToken"]),
                 "NotAuthorizedException", "Access Token has been revoked")
    err = client_error(cognito.initiate_auth, ClientId=client, AuthFlow="REFRESH_TOKEN_AUTH",
                       AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]})
    assert_error(err, "NotAuthorizedException", "Refresh Token has been revoked")
    # GlobalSignOut ends every sign-in of the user.
    s1 = password_auth(cognito, client)["AuthenticationResult"]
    s2 = password_auth(cognito, client)["AuthenticationResult"]
    cognito.global_sign_out(AccessToken=s1["AccessToken"])
    for s in (s1, s2):
        assert_error(client_error(cognito.get_user, AccessToken=s["AccessToken"]),
                     "NotAuthorizedException", "Access Token has been revoked")
    # AdminUserGlobalSignOut too; a new sign-in works again.
    s3 = password_auth(cognito, client)["AuthenticationResult"]
    cognito.admin_user_global_sign_out(UserPoolId=pool, Username="alice")
    assert_error(client_error(cognito.get_user, AccessToken=s3["AccessToken"]),
                 "NotAuthorizedException", "Access Token has been revoked")
    assert_error(client_error(cognito.get_user, AccessToken="not.a.token"),
                 "NotAuthorizedException", "Invalid Access Token")
    err = client_error(cognito.initiate_auth, ClientId=client, AuthFlow="REFRESH_TOKEN_AUTH",
                       AuthParameters={"REFRESH_TOKEN": "garbage"})
    assert_error(err, "NotAuthorizedException", "Invalid Refresh Token")


def test_access_token_operations(cognito):
    pool, client = make_app(cognito)
    make_user(cognito, pool)
    token = password_auth(cognito, client)["AuthenticationResult"]["AccessToken"]
    err = client_error(cognito.change_password, AccessToken=token, PreviousPassword="Wrong0ne!",
                       ProposedPassword="N3wPassword!")
    assert_error(err, "NotAuthorizedException", "Incorrect username or password.")
    cognito.change_password(AccessToken=token, PreviousPassword=PASSWORD,
                            ProposedPassword="N3wPassword!")
    token = password_auth(cognito, client, password="N3wPassword!")["AuthenticationResult"][
        "AccessToken"]
    cognito.update_user_attributes(AccessToken=token,
                                   UserAttributes=[{"Name": "given_name", "Value": "Al"}])
    got = cognito.get_user(AccessToken=token)
    assert {"Name": "given_name", "Value": "Al"} in got["UserAttributes"]
    cognito.delete_user_attributes(AccessToken=token, UserAttributeNames=["given_name"])
    cognito.delete_user(AccessToken=token)
    assert_error(client_error(cognito.admin_get_user, UserPoolId=pool, Username="alice"),
                 "UserNotFoundException")


def test_groups_reach_the_tokens(server, cognito):
    pool, client = make_app(cognito)
    make_user(cognito, pool)
    cognito.create_group(UserPoolId=pool, GroupName="readers", Precedence=5,
                         RoleArn="arn:aws:iam::123456789012:role/readers")
    cognito.create_group(UserPoolId=pool, GroupName="admins", Precedence=1,
                         RoleArn="arn:aws:iam::123456789012:role/admins")
    cognito.create_group(UserPoolId=pool, GroupName="plain")
    for g in ("readers", "admins", "plain"):
        cognito.admin_add_user_to_group(UserPoolId=pool, Username="alice", GroupName=g)
    result = password_auth(cognito, client)["AuthenticationResult"]
    access = verify(server, pool, result["AccessToken"], "access")
    ident = verify(server, pool, result["IdToken"], "id")
    assert access["cognito:groups"] == ["admins", "readers", "plain"]
    assert ident["cognito:groups"] == ["admins", "readers", "plain"]
    assert ident["cognito:preferred_role"] == "arn:aws:iam::123456789012:role/admins"
    assert ident["cognito:roles"] == ["arn:aws:iam::123456789012:role/admins",
                                      "arn:aws:iam::123456789012:role/readers"]
    cognito.admin_remove_user_from_group(UserPoolId=pool, Username="alice", GroupName="admins")
    refreshed = cognito.initiate_auth(ClientId=client, AuthFlow="REFRESH_TOKEN_AUTH",
                                      AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]})
    assert decode_unverified(refreshed["AuthenticationResult"]["AccessToken"])[
        "cognito:groups"] == ["readers", "plain"]


def test_totp_mfa(server, cognito):
    pool, client = make_app(cognito)
    cognito.set_user_pool_mfa_config(UserPoolId=pool, MfaConfiguration="OPTIONAL",
                                     SoftwareTokenMfaConfiguration={"Enabled": True})
    make_user(cognito, pool)
    token = password_auth(cognito, client)["AuthenticationResult"]["AccessToken"]
    err = client_error(cognito.set_user_mfa_preference, AccessToken=token,
                       SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    assert_error(err, "InvalidParameterException",
                 "User does not have delivery config set to turn on SOFTWARE_TOKEN_MFA")
    secret = cognito.associate_software_token(AccessToken=token)["SecretCode"]
    totp = pyotp.TOTP(secret)
    err = client_error(cognito.verify_software_token, AccessToken=token, UserCode="000000"
                       if totp.now() != "000000" else "111111")
    assert_error(err, "EnableSoftwareTokenMFAException",
                 "Code mismatch and fail enable Software Token MFA")
    used = totp.now()
    assert cognito.verify_software_token(AccessToken=token, UserCode=used)["Status"] == "SUCCESS"
    cognito.set_user_mfa_preference(AccessToken=token, SoftwareTokenMfaSettings={
        "Enabled": True, "PreferredMfa": True})
    user = cognito.admin_get_user(UserPoolId=pool, Username="alice")
    assert user["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    assert user["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"
    challenge = password_auth(cognito, client)
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    # The code used to verify cannot be used again.
    err = client_error(cognito.respond_to_auth_challenge, ClientId=client,
                       ChallengeName="SOFTWARE_TOKEN_MFA", Session=challenge["Session"],
                       ChallengeResponses={"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": used})
    assert_error(err, "ExpiredCodeException", "Your software token has already been used once.")
    err = client_error(cognito.respond_to_auth_challenge, ClientId=client,
                       ChallengeName="SOFTWARE_TOKEN_MFA", Session=challenge["Session"],
                       ChallengeResponses={"USERNAME": "alice",
                                           "SOFTWARE_TOKEN_MFA_CODE": "12345"})
    assert_error(err, "CodeMismatchException", "Invalid code received for user")
    # The next time step's code is accepted (wait for it rather than reuse the last one).
    time.sleep(30 - time.time() % 30 + 0.5)
    done = cognito.respond_to_auth_challenge(
        ClientId=client, ChallengeName="SOFTWARE_TOKEN_MFA", Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": totp.now()})
    verify(server, pool, done["AuthenticationResult"]["AccessToken"], "access")


def test_mfa_required_asks_for_setup(server, cognito):
    pool, client = make_app(cognito)
    cognito.set_user_pool_mfa_config(UserPoolId=pool, MfaConfiguration="ON",
                                     SoftwareTokenMfaConfiguration={"Enabled": True})
    make_user(cognito, pool)
    setup = password_auth(cognito, client)
    assert setup["ChallengeName"] == "MFA_SETUP"
    assert setup["ChallengeParameters"]["MFAS_CAN_SETUP"] == '["SOFTWARE_TOKEN_MFA"]'
    assoc = cognito.associate_software_token(Session=setup["Session"])
    totp = pyotp.TOTP(assoc["SecretCode"])
    verified = cognito.verify_software_token(Session=assoc["Session"], UserCode=totp.now())
    assert verified["Status"] == "SUCCESS"
    done = cognito.respond_to_auth_challenge(ClientId=client, ChallengeName="MFA_SETUP",
                                             Session=verified["Session"],
                                             ChallengeResponses={"USERNAME": "alice"})
    verify(server, pool, done["AuthenticationResult"]["IdToken"], "id")
    # From now on the authenticator is asked for.
    assert password_auth(cognito, client)["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def test_no_secret_reaches_the_log_or_the_audit_log(start_server, tmp_path):
    """Passwords, temporary passwords, tokens, TOTP secrets and codes never appear in the
    server's log (at debug level) or its audit log."""
    audit = tmp_path / "audit.log"
    srv = start_server("--audit-log", str(audit), "--password-hashing", "fast",
                       env={"ROGNITO_LOG": "debug"})
    cognito = srv.client()
    pool, client = make_app(cognito)
    cognito.set_user_pool_mfa_config(UserPoolId=pool, MfaConfiguration="OPTIONAL",
                                     SoftwareTokenMfaConfiguration={"Enabled": True})
    temporary = "Temp0rary-Secret-77!"
    cognito.admin_create_user(UserPoolId=pool, Username="alice", TemporaryPassword=temporary,
                              UserAttributes=[{"Name": "email", "Value": "a@example.com"}],
                              DesiredDeliveryMediums=["EMAIL"])
    secret_password = "Perm4nent-Secret-88!"
    cognito.admin_set_user_password(UserPoolId=pool, Username="alice",
                                    Password=secret_password, Permanent=True)
    result = password_auth(cognito, client, password=secret_password)["AuthenticationResult"]
    client_error(password_auth, cognito, client, password="Wr0ng-Secret-99!")
    totp_secret = cognito.associate_software_token(AccessToken=result["AccessToken"])["SecretCode"]
    cognito.sign_up(ClientId=client, Username="bob", Password="S1gnup-Secret-66!")
    cognito.revoke_token(Token=result["RefreshToken"], ClientId=client)
    srv.stop()
    secrets = [temporary, secret_password, "Wr0ng-Secret-99!", "S1gnup-Secret-66!",
               totp_secret, result["RefreshToken"], result["AccessToken"], result["IdToken"]]
    log, audited = srv.log_text, audit.read_text()
    assert "AdminCreateUser" in audited and "InitiateAuth" in audited
    for secret in secrets:
        assert secret not in log, secret
        assert secret not in audited, secret


def test_refresh_token_rotation(cognito):
    pool = cognito.create_user_pool(PoolName=unique("p"))["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="rot", ExplicitAuthFlows=FLOWS,
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0},
    )["UserPoolClient"]["ClientId"]
    make_user(cognito, pool)
    first = password_auth(cognito, client)["AuthenticationResult"]
    err = client_error(cognito.initiate_auth, ClientId=client, AuthFlow="REFRESH_TOKEN_AUTH",
                       AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]})
    assert_error(err, "InvalidParameterException")
    second = cognito.get_tokens_from_refresh_token(RefreshToken=first["RefreshToken"],
                                                   ClientId=client)["AuthenticationResult"]
    assert second["RefreshToken"] != first["RefreshToken"]
    assert decode_unverified(second["AccessToken"])["origin_jti"] == \
        decode_unverified(first["AccessToken"])["origin_jti"]
    # The rotated-out token no longer works (no grace period); the new one does.
    err = client_error(cognito.get_tokens_from_refresh_token, RefreshToken=first["RefreshToken"],
                       ClientId=client)
    assert_error(err, "NotAuthorizedException", "Invalid Refresh Token")
    third = cognito.get_tokens_from_refresh_token(RefreshToken=second["RefreshToken"],
                                                  ClientId=client)["AuthenticationResult"]
    assert "RefreshToken" in third
    # Without rotation, GetTokensFromRefreshToken refreshes like REFRESH_TOKEN_AUTH.
    plain = cognito.create_user_pool_client(UserPoolId=pool, ClientName="plain",
                                            ExplicitAuthFlows=FLOWS)["UserPoolClient"]["ClientId"]
    tokens = password_auth(cognito, plain)["AuthenticationResult"]
    again = cognito.get_tokens_from_refresh_token(RefreshToken=tokens["RefreshToken"],
                                                  ClientId=plain)["AuthenticationResult"]
    assert "RefreshToken" not in again


def test_challenges_are_answered_once(cognito):
    """A NEW_PASSWORD_REQUIRED session and an SRP proof cannot be replayed; attributes given
    with the new password are checked as a client's writes are."""
    pool, client = make_app(cognito)
    cognito.admin_create_user(UserPoolId=pool, Username="nat", TemporaryPassword="Temp0rary!",
                              MessageAction="SUPPRESS")
    start = password_auth(cognito, client, username="nat", password="Temp0rary!")
    answer = dict(ClientId=client, ChallengeName="NEW_PASSWORD_REQUIRED", Session=start["Session"])
    for attributes, code in (({"userAttributes.email_verified": "true"}, "NotAuthorizedException"),
                             ({"userAttributes.sub": "mine"}, "InvalidParameterException")):
        err = client_error(cognito.respond_to_auth_challenge, **answer,
                           ChallengeResponses={"USERNAME": "nat", "NEW_PASSWORD": PASSWORD,
                                               **attributes})
        assert_error(err, code)
    # Another user's name with this session is refused.
    make_user(cognito, pool, username="other")
    err = client_error(cognito.respond_to_auth_challenge, **answer,
                       ChallengeResponses={"USERNAME": "other", "NEW_PASSWORD": PASSWORD})
    assert_error(err, "NotAuthorizedException", "Invalid session for the user.")
    cognito.respond_to_auth_challenge(**answer, ChallengeResponses={"USERNAME": "nat",
                                                                    "NEW_PASSWORD": PASSWORD})
    err = client_error(cognito.respond_to_auth_challenge, **answer,
                       ChallengeResponses={"USERNAME": "nat", "NEW_PASSWORD": "Ev1l-Password!"})
    assert_error(err, "NotAuthorizedException", "Invalid session for the user.")
    # An SRP proof works once.
    srp = AWSSRP(username="nat", password=PASSWORD, pool_id=pool, client_id=client,
                 client=cognito)
    params = srp.get_auth_params()
    challenge = cognito.initiate_auth(ClientId=client, AuthFlow="USER_SRP_AUTH",
                                      AuthParameters=params)
    responses = srp.process_challenge(challenge["ChallengeParameters"], params)
    cognito.respond_to_auth_challenge(ClientId=client, ChallengeName="PASSWORD_VERIFIER",
                                      ChallengeResponses=responses)
    err = client_error(cognito.respond_to_auth_challenge, ClientId=client,
                       ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses)
    assert_error(err, "NotAuthorizedException",
                 "Invalid session for the user, session can only be used once.")


def test_wrong_mfa_codes_lock_the_user(cognito):
    pool, client = make_app(cognito)
    cognito.set_user_pool_mfa_config(UserPoolId=pool, MfaConfiguration="OPTIONAL",
                                     SoftwareTokenMfaConfiguration={"Enabled": True})
    make_user(cognito, pool)
    token = password_auth(cognito, client)["AuthenticationResult"]["AccessToken"]
    totp = pyotp.TOTP(cognito.associate_software_token(AccessToken=token)["SecretCode"])
    cognito.verify_software_token(AccessToken=token, UserCode=totp.now())
    cognito.set_user_mfa_preference(AccessToken=token, SoftwareTokenMfaSettings={
        "Enabled": True, "PreferredMfa": True})
    challenge = password_auth(cognito, client)
    wrong = "000000" if totp.now() != "000000" else "111111"
    answer = dict(ClientId=client, ChallengeName="SOFTWARE_TOKEN_MFA",
                  Session=challenge["Session"],
                  ChallengeResponses={"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": wrong})
    for _ in range(5):
        assert_error(client_error(cognito.respond_to_auth_challenge, **answer),
                     "CodeMismatchException", "Invalid code received for user")
    assert_error(client_error(cognito.respond_to_auth_challenge, **answer),
                 "NotAuthorizedException", "Password attempts exceeded")
