"""The local message sink over HTTP: `GET /_rognito/messages`.

rognito sends no email or SMS; each message (confirmation codes, temporary passwords, MFA
codes) is kept in its store, and tests read it here. The request is signed like the API's
(SigV4, service `cognito-idp`, the server's region) and authorized as
`cognito-idp:AdminGetUser` on the pool's ARN; errors are the API's.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from rognito_helpers import (
    ACCESS_KEY_ID,
    BINARY,
    SECRET_ACCESS_KEY,
    Server,
    store_flags,
    unique,
)

PASSWORD = "Passw0rd!"
PATH = "/_rognito/messages"
EXPORT_RE = re.compile(r"^\s*export (AWS_[A-Z_]+)=(\S+)\s*$", re.M)
# How long a change made with the CLI takes to reach a running server, generously.
PROPAGATION = 0.5


def messages(server: Server, params: dict | None = None, *, signed: bool = True,
             key: str = ACCESS_KEY_ID, secret: str = SECRET_ACCESS_KEY) -> requests.Response:
    """`GET /_rognito/messages` with these query parameters, signed with botocore's SigV4
    signer (unless `signed` is false) by this access key."""
    url = server.url + PATH
    if params:
        url += "?" + urlencode(params, quote_via=quote)
    headers = {}
    if signed:
        request = AWSRequest(method="GET", url=url)
        SigV4Auth(Credentials(key, secret), "cognito-idp", server.region).add_auth(request)
        headers = dict(request.headers.items())
    return requests.get(url, headers=headers, timeout=30)


def assert_sink_error(resp: requests.Response, code: str, message: str | None = None,
                      status: int = 400) -> dict:
    """An error in the API's shape (`__type`, `message`, `x-amzn-ErrorType`)."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers.get("Content-Type") == "application/json"
    assert resp.headers.get("x-amzn-ErrorType") == code
    assert resp.headers.get("x-amzn-RequestId")
    body = resp.json()
    assert body["__type"] == code, body
    if message is not None:
        assert body["message"] == message
    return body


def ok(resp: requests.Response) -> list[dict]:
    assert resp.status_code == 200, (resp.status_code, resp.text)
    assert resp.headers.get("Content-Type") == "application/json"
    return resp.json()["Messages"]


def verifying_pool(cognito, **kwargs) -> tuple[str, str]:
    """A pool that verifies email automatically, with an app client; (pool id, client id)."""
    pool = cognito.create_user_pool(PoolName=unique("sink"), AutoVerifiedAttributes=["email"],
                                    **kwargs)["UserPool"]["Id"]
    client = cognito.create_user_pool_client(UserPoolId=pool, ClientName="app")[
        "UserPoolClient"]["ClientId"]
    return pool, client


def test_sign_up_code_is_read_and_confirms(server, cognito):
    pool, client = verifying_pool(cognito)
    resp = cognito.sign_up(ClientId=client, Username="carol", Password=PASSWORD,
                           UserAttributes=[{"Name": "email", "Value": "carol@example.com"}])
    assert resp["UserConfirmed"] is False
    before = time.time()

    found = ok(messages(server, {"UserPoolId": pool}))
    assert len(found) == 1, found
    m = found[0]
    assert m["Username"] == "carol"
    assert re.fullmatch(r"\d{6}", m["Code"]), m
    assert m["Kind"] == "SignUp"
    assert m["DeliveryMedium"] == "EMAIL"
    assert m["AttributeName"] == "email"
    assert m["Destination"] == "carol@example.com"
    assert m["Code"] in m["Body"]
    assert isinstance(m["CreatedAt"], float) and abs(m["CreatedAt"] - before) < 60
    assert set(m) <= {"Username", "CreatedAt", "Kind", "DeliveryMedium", "AttributeName",
                      "Destination", "Subject", "Body", "Code"}

    cognito.confirm_sign_up(ClientId=client, Username="carol", ConfirmationCode=m["Code"])
    assert cognito.admin_get_user(UserPoolId=pool, Username="carol")["UserStatus"] == "CONFIRMED"


def test_newest_first_limit_and_username_filter(server, cognito):
    pool, client = verifying_pool(cognito)
    for name in ("ann", "bob"):
        cognito.sign_up(ClientId=client, Username=name, Password=PASSWORD,
                        UserAttributes=[{"Name": "email", "Value": f"{name}@example.com"}])
        time.sleep(0.01)
    cognito.resend_confirmation_code(ClientId=client, Username="ann")

    found = ok(messages(server, {"UserPoolId": pool}))
    assert [m["Username"] for m in found] == ["ann", "bob", "ann"]
    assert [m["Kind"] for m in found][1:] == ["SignUp", "SignUp"]
    assert found[0]["CreatedAt"] >= found[1]["CreatedAt"] >= found[2]["CreatedAt"]

    newest = ok(messages(server, {"UserPoolId": pool, "Limit": "1"}))
    assert newest == found[:1]
    assert [m["Username"] for m in ok(messages(server, {"UserPoolId": pool,
                                                          "Username": "bob"}))] == ["bob"]
    assert ok(messages(server, {"UserPoolId": pool, "Username": "nobody"})) == []


def test_username_filter_takes_an_alias(server, cognito):
    pool, client = verifying_pool(cognito, UsernameAttributes=["email"])
    cognito.sign_up(ClientId=client, Username="dana@example.com", Password=PASSWORD)
    cognito.sign_up(ClientId=client, Username="erin@example.com", Password=PASSWORD)
    dana = cognito.admin_get_user(UserPoolId=pool, Username="dana@example.com")["Username"]
    assert dana != "dana@example.com"  # a generated username; the email is an alias

    found = ok(messages(server, {"UserPoolId": pool, "Username": "dana@example.com"}))
    assert len(found) == 1, found
    assert found[0]["Username"] == dana
    assert found[0]["Destination"] == "dana@example.com"
    assert ok(messages(server, {"UserPoolId": pool, "Username": dana})) == found
    cognito.confirm_sign_up(ClientId=client, Username="dana@example.com",
                            ConfirmationCode=found[0]["Code"])
    assert len(ok(messages(server, {"UserPoolId": pool}))) == 2


def test_unsigned_and_badly_signed_requests_are_refused(server, cognito):
    pool, _ = verifying_pool(cognito)
    assert_sink_error(messages(server, {"UserPoolId": pool}, signed=False),
                      "MissingAuthenticationTokenException",
                      "Request is missing Authentication Token")
    assert_sink_error(messages(server, {"UserPoolId": pool}, secret="not-the-secret"),
                      "InvalidSignatureException")
    assert_sink_error(messages(server, {"UserPoolId": pool}, key="AKIANOSUCHKEY0000000"),
                      "UnrecognizedClientException",
                      "The security token included in the request is invalid.")
    # The signature covers the query: a parameter changed after signing is refused.
    url = server.url + PATH + "?" + urlencode({"UserPoolId": pool})
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "cognito-idp",
              server.region).add_auth(request)
    resp = requests.get(url + "&Limit=1", headers=dict(request.headers.items()), timeout=30)
    assert_sink_error(resp, "InvalidSignatureException")


def test_invalid_parameters(server, cognito):
    pool, _ = verifying_pool(cognito)
    assert_sink_error(messages(server), "InvalidParameterException",
                      "1 validation error detected: Value null at 'userPoolId' failed to "
                      "satisfy constraint: Member must not be null")
    for limit in ("0", "1001", "ten"):
        body = assert_sink_error(messages(server, {"UserPoolId": pool, "Limit": limit}),
                                 "InvalidParameterException")
        assert "'limit'" in body["message"], body
    assert ok(messages(server, {"UserPoolId": pool, "Limit": "1000"})) == []


def test_unknown_pool_is_not_found(server, cognito):
    other = "us-east-1_NoSuchPool"
    assert_sink_error(messages(server, {"UserPoolId": other}), "ResourceNotFoundException",
                      f"User pool {other} does not exist.")


def rognito(*args: str) -> str:
    args = list(args)
    args += store_flags(Path(args[args.index("--data-dir") + 1]))
    proc = subprocess.run([str(BINARY), *args], capture_output=True, text=True, timeout=30,
                          env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, f"rognito {args} failed:\n{proc.stderr}"
    return proc.stdout


def test_iam_decides_as_for_admin_get_user(start_server, tmp_path):
    srv = start_server(durability="fsync")
    admin = srv.client()
    pool, client = verifying_pool(admin)
    other_pool, _ = verifying_pool(admin)
    admin.sign_up(ClientId=client, Username="fay", Password=PASSWORD,
                  UserAttributes=[{"Name": "email", "Value": "fay@example.com"}])
    data_dir = str(srv.data_dir)

    def identity(name: str, account: str = "000000000000") -> tuple[str, str]:
        out = rognito("identity", "create", "--name", name, "--data-dir", data_dir,
                      "--account-id", account)
        exports = dict(EXPORT_RE.findall(out))
        return exports["AWS_ACCESS_KEY_ID"], exports["AWS_SECRET_ACCESS_KEY"]

    def attach(name: str, statement: dict, account: str = "000000000000") -> None:
        path = tmp_path / f"{unique('policy')}.json"
        path.write_text(json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
        rognito("policy", "attach", "--identity", name, "--name", name, "--document",
                str(path), "--data-dir", data_dir, "--account-id", account)

    arn = f"arn:aws:cognito-idp:{srv.region}:000000000000:userpool/{pool}"
    noperm = identity("noperm")
    reader = identity("reader")
    attach("reader", {"Effect": "Allow", "Action": "cognito-idp:AdminGetUser", "Resource": arn})
    stranger = identity("stranger", "111111111111")
    attach("stranger", {"Effect": "Allow", "Action": "*", "Resource": "*"}, "111111111111")
    time.sleep(PROPAGATION)

    key, secret = noperm
    assert_sink_error(
        messages(srv, {"UserPoolId": pool}, key=key, secret=secret), "AccessDeniedException",
        "User: arn:aws:iam::000000000000:user/noperm is not authorized to perform: "
        f"cognito-idp:AdminGetUser on resource: {arn} because no identity-based policy "
        "allows the cognito-idp:AdminGetUser action")

    key, secret = reader
    found = ok(messages(srv, {"UserPoolId": pool}, key=key, secret=secret))
    assert [m["Username"] for m in found] == ["fay"]
    # Allowed on one pool only.
    assert_sink_error(messages(srv, {"UserPoolId": other_pool}, key=key, secret=secret),
                      "AccessDeniedException")

    # Another account's pool does not exist for its caller, whatever its policies allow.
    key, secret = stranger
    assert_sink_error(messages(srv, {"UserPoolId": pool}, key=key, secret=secret),
                      "ResourceNotFoundException", f"User pool {pool} does not exist.")

    # The codes are written neither to the server's log nor to its audit log.
    time.sleep(PROPAGATION)
    code = re.compile(rf"(?<!\d){found[0]['Code']}(?!\d)")
    assert not code.search(srv.log_text)
    audit = srv.data_dir / "audit.log"
    assert audit.exists()
    assert not code.search(audit.read_text())


def test_dev_mode_accepts_any_well_formed_signature(start_server):
    srv = start_server("--auth", "dev")
    admin = srv.client(access_key_id="AKIAANYTHING00000000", secret_access_key="anything")
    pool, client = verifying_pool(admin)
    admin.sign_up(ClientId=client, Username="gus", Password=PASSWORD,
                  UserAttributes=[{"Name": "email", "Value": "gus@example.com"}])
    found = ok(messages(srv, {"UserPoolId": pool}, key="AKIAANYTHING00000000",
                        secret="anything"))
    assert [m["Username"] for m in found] == ["gus"]
    assert_sink_error(messages(srv, {"UserPoolId": pool}, signed=False),
                      "MissingAuthenticationTokenException")
