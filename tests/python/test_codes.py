"""Codes through the message sink (issue 13): forgotten passwords, attribute verification, SMS
and email MFA, and the pool's message templates."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from rognito_helpers import ACCESS_KEY_ID, SECRET_ACCESS_KEY, assert_error, client_error, unique

PASSWORD = "Passw0rd!"
FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


def newest(server, pool, username):
    """The newest message the sink holds for a user."""
    url = server.url + "/_rognito/messages?" + urlencode(
        {"UserPoolId": pool, "Username": username, "Limit": 1}, quote_via=quote)
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "cognito-idp",
              server.region).add_auth(request)
    resp = requests.get(url, headers=dict(request.headers.items()), timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()["Messages"][0]


def make_app(cognito, **kwargs):
    pool = cognito.create_user_pool(PoolName=unique("p"), **kwargs)["UserPool"]["Id"]
    client = cognito.create_user_pool_client(UserPoolId=pool, ClientName="c",
                                             ExplicitAuthFlows=FLOWS)["UserPoolClient"]["ClientId"]
    return pool, client


def test_forgot_password_with_a_code(server, cognito):
    pool, client = make_app(cognito, VerificationMessageTemplate={
        "EmailMessage": "Hello, your code is {####}", "EmailSubject": "Code!",
        "DefaultEmailOption": "CONFIRM_WITH_CODE"})
    cognito.admin_create_user(UserPoolId=pool, Username="ann", MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "email", "Value": "ann@example.com"},
                                              {"Name": "email_verified", "Value": "true"}])
    cognito.admin_set_user_password(UserPoolId=pool, Username="ann", Password=PASSWORD,
                                    Permanent=True)
    details = cognito.forgot_password(ClientId=client, Username="ann")["CodeDeliveryDetails"]
    assert details == {"Destination": "a***@e***", "DeliveryMedium": "EMAIL",
                       "AttributeName": "email"}
    message = newest(server, pool, "ann")
    assert message["Kind"] == "ForgotPassword" and message["Subject"] == "Code!"
    assert message["Body"] == f"Hello, your code is {message['Code']}"
    wrong = "000000" if message["Code"] != "000000" else "111111"
    err = client_error(cognito.confirm_forgot_password, ClientId=client, Username="ann",
                       ConfirmationCode=wrong, Password="N3wPassword!")
    assert_error(err, "CodeMismatchException",
                 "Invalid verification code provided, please try again.")
    cognito.confirm_forgot_password(ClientId=client, Username="ann",
                                    ConfirmationCode=message["Code"], Password="N3wPassword!")
    # The code is used up; the new password works.
    err = client_error(cognito.confirm_forgot_password, ClientId=client, Username="ann",
                       ConfirmationCode=message["Code"], Password="Other0ne!")
    assert_error(err, "ExpiredCodeException", "Invalid code provided, please request a code again.")
    cognito.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                          AuthParameters={"USERNAME": "ann", "PASSWORD": "N3wPassword!"})
    # Without a verified channel there is nothing to send a code to.
    cognito.admin_create_user(UserPoolId=pool, Username="bob", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool, Username="bob", Password=PASSWORD,
                                    Permanent=True)
    err = client_error(cognito.forgot_password, ClientId=client, Username="bob")
    assert_error(err, "InvalidParameterException",
                 "Cannot reset password for the user as there is no registered/verified email "
                 "or phone_number")


def test_admin_reset_and_invitations(server, cognito):
    pool, client = make_app(cognito, AdminCreateUserConfig={"InviteMessageTemplate": {
        "EmailMessage": "Welcome {username}, use {####}", "EmailSubject": "Welcome"}})
    cognito.admin_create_user(UserPoolId=pool, Username="cat", DesiredDeliveryMediums=["EMAIL"],
                              UserAttributes=[{"Name": "email", "Value": "cat@example.com"},
                                              {"Name": "email_verified", "Value": "true"}])
    invite = newest(server, pool, "cat")
    assert invite["Kind"] == "AdminCreateUser" and invite["Subject"] == "Welcome"
    assert invite["Body"] == f"Welcome cat, use {invite['Code']}"
    # The invitation's temporary password signs in (and asks for a new one).
    challenge = cognito.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": "cat",
                                                      "PASSWORD": invite["Code"]})
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    err = client_error(cognito.admin_reset_user_password, UserPoolId=pool, Username="cat")
    assert_error(err, "NotAuthorizedException",
                 "User password cannot be reset in the current state.")
    cognito.admin_set_user_password(UserPoolId=pool, Username="cat", Password=PASSWORD,
                                    Permanent=True)
    cognito.admin_reset_user_password(UserPoolId=pool, Username="cat")
    assert cognito.admin_get_user(UserPoolId=pool, Username="cat")["UserStatus"] == "RESET_REQUIRED"
    err = client_error(cognito.initiate_auth, ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                       AuthParameters={"USERNAME": "cat", "PASSWORD": PASSWORD})
    assert_error(err, "PasswordResetRequiredException", "Password reset required for the user")
    code = newest(server, pool, "cat")["Code"]
    cognito.confirm_forgot_password(ClientId=client, Username="cat", ConfirmationCode=code,
                                    Password="N3wPassword!")
    assert cognito.admin_get_user(UserPoolId=pool, Username="cat")["UserStatus"] == "CONFIRMED"


def test_attribute_verification(server, cognito):
    pool, client = make_app(cognito, AutoVerifiedAttributes=["email"],
                             AliasAttributes=["email"])
    cognito.admin_create_user(UserPoolId=pool, Username="dan", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool, Username="dan", Password=PASSWORD,
                                    Permanent=True)
    token = cognito.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                                  AuthParameters={"USERNAME": "dan", "PASSWORD": PASSWORD})[
        "AuthenticationResult"]["AccessToken"]
    sent = cognito.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "email", "Value": "dan@example.com"}])
    assert sent["CodeDeliveryDetailsList"] == [{"Destination": "d***@e***",
                                                "DeliveryMedium": "EMAIL",
                                                "AttributeName": "email"}]
    # An unverified alias does not sign in yet.
    err = client_error(cognito.initiate_auth, ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                       AuthParameters={"USERNAME": "dan@example.com", "PASSWORD": PASSWORD})
    assert_error(err, "UserNotFoundException")
    code = newest(server, pool, "dan")["Code"]
    cognito.verify_user_attribute(AccessToken=token, AttributeName="email", Code=code)
    attrs = {a["Name"]: a["Value"] for a in
             cognito.admin_get_user(UserPoolId=pool, Username="dan")["UserAttributes"]}
    assert attrs["email_verified"] == "true"
    cognito.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                          AuthParameters={"USERNAME": "dan@example.com", "PASSWORD": PASSWORD})
    again = cognito.get_user_attribute_verification_code(AccessToken=token, AttributeName="email")
    assert again["CodeDeliveryDetails"]["AttributeName"] == "email"
    err = client_error(cognito.get_user_attribute_verification_code, AccessToken=token,
                       AttributeName="name")
    assert_error(err, "InvalidParameterException")


def test_sms_and_email_mfa_codes(server, cognito):
    pool, client = make_app(
        cognito, SmsConfiguration={"SnsCallerArn": "arn:aws:iam::123456789012:role/sns"},
        EmailConfiguration={"EmailSendingAccount": "DEVELOPER",
                            "SourceArn": "arn:aws:ses:us-east-1:123456789012:identity/x.example"})
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool, MfaConfiguration="OPTIONAL",
        SmsMfaConfiguration={"SmsAuthenticationMessage": "Your code: {####}",
                             "SmsConfiguration": {"SnsCallerArn":
                                                  "arn:aws:iam::123456789012:role/sns"}},
        EmailMfaConfiguration={"Message": "Code {####}", "Subject": "Code"})
    cognito.admin_create_user(UserPoolId=pool, Username="eve", MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "phone_number", "Value": "+15555550100"},
                                              {"Name": "email", "Value": "eve@example.com"}])
    cognito.admin_set_user_password(UserPoolId=pool, Username="eve", Password=PASSWORD,
                                    Permanent=True)
    cognito.admin_set_user_mfa_preference(UserPoolId=pool, Username="eve",
                                          SMSMfaSettings={"Enabled": True},
                                          EmailMfaSettings={"Enabled": True})
    choose = cognito.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": "eve", "PASSWORD": PASSWORD})
    assert choose["ChallengeName"] == "SELECT_MFA_TYPE"
    sms = cognito.respond_to_auth_challenge(ClientId=client, ChallengeName="SELECT_MFA_TYPE",
                                            Session=choose["Session"],
                                            ChallengeResponses={"USERNAME": "eve",
                                                                "ANSWER": "SMS_MFA"})
    assert sms["ChallengeName"] == "SMS_MFA"
    assert sms["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"] == "+*******0100"
    message = newest(server, pool, "eve")
    assert message["Kind"] == "SMS_MFA" and message["Body"] == f"Your code: {message['Code']}"
    wrong = "000000" if message["Code"] != "000000" else "111111"
    err = client_error(cognito.respond_to_auth_challenge, ClientId=client,
                       ChallengeName="SMS_MFA", Session=sms["Session"],
                       ChallengeResponses={"USERNAME": "eve", "SMS_MFA_CODE": wrong})
    assert_error(err, "CodeMismatchException", "Invalid code received for user")
    done = cognito.respond_to_auth_challenge(ClientId=client, ChallengeName="SMS_MFA",
                                             Session=sms["Session"],
                                             ChallengeResponses={"USERNAME": "eve",
                                                                 "SMS_MFA_CODE": message["Code"]})
    assert "AccessToken" in done["AuthenticationResult"]
    cognito.admin_set_user_mfa_preference(UserPoolId=pool, Username="eve",
                                          EmailMfaSettings={"Enabled": True,
                                                            "PreferredMfa": True})
    email = cognito.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                                  AuthParameters={"USERNAME": "eve", "PASSWORD": PASSWORD})
    assert email["ChallengeName"] == "EMAIL_OTP"
    message = newest(server, pool, "eve")
    assert message["Body"] == f"Code {message['Code']}" and message["Subject"] == "Code"
    code = message["Code"]
    done = cognito.respond_to_auth_challenge(ClientId=client, ChallengeName="EMAIL_OTP",
                                             Session=email["Session"],
                                             ChallengeResponses={"USERNAME": "eve",
                                                                 "EMAIL_OTP_CODE": code})
    assert "IdToken" in done["AuthenticationResult"]


def test_codes_are_limited_and_bound_to_their_address(server, cognito):
    pool, client = make_app(cognito)
    cognito.admin_create_user(UserPoolId=pool, Username="fay", MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "email", "Value": "fay@example.com"},
                                              {"Name": "email_verified", "Value": "true"}])
    cognito.admin_set_user_password(UserPoolId=pool, Username="fay", Password=PASSWORD,
                                    Permanent=True)
    token = cognito.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                                  AuthParameters={"USERNAME": "fay", "PASSWORD": PASSWORD})[
        "AuthenticationResult"]["AccessToken"]
    # A code sent to one address does not verify another the user switches to.
    cognito.update_user_attributes(AccessToken=token,
                                   UserAttributes=[{"Name": "email", "Value": "a@fay.example"}])
    cognito.get_user_attribute_verification_code(AccessToken=token, AttributeName="email")
    code = newest(server, pool, "fay")["Code"]
    cognito.update_user_attributes(AccessToken=token,
                                   UserAttributes=[{"Name": "email", "Value": "b@fay.example"}])
    err = client_error(cognito.verify_user_attribute, AccessToken=token, AttributeName="email",
                       Code=code)
    assert_error(err, "CodeMismatchException")
    # At most 10 codes an hour per user (one was sent above).
    for _ in range(9):
        cognito.get_user_attribute_verification_code(AccessToken=token, AttributeName="email")
    err = client_error(cognito.get_user_attribute_verification_code, AccessToken=token,
                       AttributeName="email")
    assert_error(err, "LimitExceededException", "Attempt limit exceeded, please try after some time.")
