"""Authentication (SigV4) and authorization (IAM identity policies) end to end.

- SigV4: every JSON API request except GetClientToken must carry a valid signature for service
  `cognito-idp` in the server's region; the error codes and texts are AWS's.
- Identities and policies are managed with the binary's own CLI (`rognito identity ...`,
  `rognito policy ...`) on the data dir of a running fsync server, which picks changes up through
  the change feed within milliseconds (tests wait a generous PROPAGATION once per batch).
- `--auth dev`, and the root key generated and printed on first start.

Raw requests are signed by hand (`sigv4_headers`) where a test needs control botocore does not
give (the date, the signed header list, a change after signing); a positive control proves the
hand signer right, so its negative cases mean what they say.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from botocore import xform_name
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from rognito_helpers import (
    ACCESS_KEY_ID,
    BINARY,
    CONTENT_TYPE,
    SECRET_ACCESS_KEY,
    TARGET_PREFIX,
    Server,
    assert_error,
    assert_raw_error,
    client_error,
    sqlite_only,
    store_flags,
    unique,
)

ACCOUNT = "000000000000"
OTHER_ACCOUNT = "111111111111"
# The server applies the CLI's changes through the change feed's tail (polled every 10 ms);
# measured p99 in single milliseconds, waited for generously here.
PROPAGATION = 0.5
CLI_TIMEOUT = 30
MISSING_CLIENT = "0000000000000000000000000a"
ALLOW_ALL = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}

INVALID_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details."
)
INVALID_TOKEN = "The security token included in the request is invalid."
EXPORT_RE = re.compile(r"^\s*export (AWS_[A-Z_]+)=(\S+)\s*$", re.M)


# --- SigV4 by hand -------------------------------------------------------------------------------


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sigv4_headers(url: str, body: bytes, headers: dict, *, access_key: str = ACCESS_KEY_ID,
                  secret: str = SECRET_ACCESS_KEY, region: str = "us-east-1",
                  service: str = "cognito-idp", when: datetime.datetime | None = None,
                  signed: list[str] | None = None) -> dict:
    """`headers` plus Host, X-Amz-Date and a SigV4 Authorization for POST `url`/ with `body`.
    `signed` names the (lowercase) headers to sign; all of them by default."""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    h = {"Host": urlsplit(url).netloc, "X-Amz-Date": amz_date, **headers}
    canonical = {k.lower(): " ".join(str(v).split()) for k, v in h.items()}
    names = sorted(signed if signed is not None else canonical)
    signed_headers = ";".join(names)
    canonical_request = "\n".join([
        "POST", "/", "",
        "".join(f"{n}:{canonical[n]}\n" for n in names),
        signed_headers,
        hashlib.sha256(body).hexdigest(),
    ])
    scope = f"{date}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join([
        "AWS4-HMAC-SHA256", amz_date, scope,
        hashlib.sha256(canonical_request.encode()).hexdigest(),
    ])
    key = _hmac(("AWS4" + secret).encode(), date)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    h["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
                          f"SignedHeaders={signed_headers}, Signature={signature}")
    return h


def signed_post(server: Server, operation: str, body=None, *, send_body: bytes | None = None,
                send_target: str | None = None, **sign_kwargs) -> requests.Response:
    """A hand-signed request; `send_body`/`send_target` replace the body/target after signing."""
    data = json.dumps({} if body is None else body).encode()
    base = {"Content-Type": CONTENT_TYPE, "X-Amz-Target": f"{TARGET_PREFIX}.{operation}"}
    sign_kwargs.setdefault("region", server.region)
    h = sigv4_headers(server.url, data, base, **sign_kwargs)
    if send_target is not None:
        h["X-Amz-Target"] = f"{TARGET_PREFIX}.{send_target}"
    return requests.post(server.url + "/", data=send_body if send_body is not None else data,
                         headers=h, timeout=30)


def botocore_post(server: Server, operation: str, body, credentials: Credentials,
                  service: str = "cognito-idp") -> requests.Response:
    """A request signed by botocore's own SigV4Auth (any credentials, any service name)."""
    data = json.dumps(body).encode()
    request = AWSRequest(method="POST", url=server.url + "/", data=data, headers={
        "Content-Type": CONTENT_TYPE, "X-Amz-Target": f"{TARGET_PREFIX}.{operation}"})
    SigV4Auth(credentials, service, server.region).add_auth(request)
    return requests.post(server.url + "/", data=data, headers=dict(request.headers.items()),
                         timeout=30)


def list_user_pools_ok(resp: requests.Response) -> None:
    assert resp.status_code == 200, (resp.status_code, resp.text)
    assert "UserPools" in resp.json()


# --- signatures ----------------------------------------------------------------------------------


def test_hand_signed_request_is_accepted(server):
    """Positive control for the hand signer (and for a date a few minutes off either way)."""
    list_user_pools_ok(signed_post(server, "ListUserPools", {"MaxResults": 1}))
    now = datetime.datetime.now(datetime.timezone.utc)
    for skew in (-10, 10):
        list_user_pools_ok(signed_post(server, "ListUserPools", {"MaxResults": 1},
                                       when=now + datetime.timedelta(minutes=skew)))


def test_missing_and_malformed_authorization(server):
    resp = server.post("ListUserPools", {"MaxResults": 1}, signed=False)
    assert_raw_error(resp, "MissingAuthenticationTokenException",
                     "Request is missing Authentication Token")
    resp = server.post("ListUserPools", {"MaxResults": 1}, signed=False,
                       headers={"Authorization": "AWS4-HMAC-SHA256 Credential=x"})
    assert_raw_error(resp, "IncompleteSignatureException")


def test_unknown_access_key_and_session_token(server):
    resp = signed_post(server, "ListUserPools", {"MaxResults": 1},
                       access_key="AKIAUNKNOWNKEY000000")
    assert_raw_error(resp, "UnrecognizedClientException", INVALID_TOKEN)
    # Temporary credentials (a session token) are not something rognito ever hands out.
    resp = botocore_post(server, "ListUserPools", {"MaxResults": 1},
                         Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY, "FQoGZXIvYXdzEXAMPLE"))
    assert "X-Amz-Security-Token" in resp.request.headers
    assert_raw_error(resp, "UnrecognizedClientException", INVALID_TOKEN)


def test_wrong_secret_and_tampering(server):
    body = {"MaxResults": 1}
    resp = signed_post(server, "ListUserPools", body, secret="not-the-secret")
    assert_raw_error(resp, "InvalidSignatureException", INVALID_SIGNATURE)
    resp = signed_post(server, "ListUserPools", body,
                       send_body=json.dumps({"MaxResults": 2}).encode())
    assert_raw_error(resp, "InvalidSignatureException", INVALID_SIGNATURE)
    resp = signed_post(server, "ListUserPools", body, send_target="DescribeUserPoolDomain")
    assert_raw_error(resp, "InvalidSignatureException", INVALID_SIGNATURE)


def test_wrong_region_and_service(server):
    err = client_error(server.client(region="eu-west-1").list_user_pools, MaxResults=1)
    assert_error(err, "InvalidSignatureException",
                 "Credential should be scoped to a valid region, not 'eu-west-1'. ")
    resp = botocore_post(server, "ListUserPools", {"MaxResults": 1},
                         Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), service="dynamodb")
    assert_raw_error(resp, "InvalidSignatureException",
                     "Credential should be scoped to correct service: 'cognito-idp'. ")


def test_expired_and_future_signature(server):
    now = datetime.datetime.now(datetime.timezone.utc)
    resp = signed_post(server, "ListUserPools", {"MaxResults": 1},
                       when=now - datetime.timedelta(minutes=16))
    body = assert_raw_error(resp, "InvalidSignatureException")
    assert body["message"].startswith("Signature expired:"), body
    resp = signed_post(server, "ListUserPools", {"MaxResults": 1},
                       when=now + datetime.timedelta(minutes=16))
    body = assert_raw_error(resp, "InvalidSignatureException")
    assert body["message"].startswith("Signature not yet current:"), body


def test_date_errors(server):
    data = json.dumps({"MaxResults": 1}).encode()
    base = {"Content-Type": CONTENT_TYPE, "X-Amz-Target": f"{TARGET_PREFIX}.ListUserPools"}
    headers = sigv4_headers(server.url, data, base)
    del headers["X-Amz-Date"]
    resp = requests.post(server.url + "/", data=data, headers=headers, timeout=30)
    assert_raw_error(resp, "IncompleteSignatureException",
                     "Authorization header requires existence of either a 'X-Amz-Date' or a "
                     "'Date' header.")
    # The credential scope names yesterday, X-Amz-Date today.
    now = datetime.datetime.now(datetime.timezone.utc)
    headers = sigv4_headers(server.url, data, base, when=now - datetime.timedelta(days=1))
    headers["X-Amz-Date"] = now.strftime("%Y%m%dT%H%M%SZ")
    resp = requests.post(server.url + "/", data=data, headers=headers, timeout=30)
    body = assert_raw_error(resp, "InvalidSignatureException")
    assert body["message"].startswith("Date in Credential scope does not match"), body
    # The query string is part of what is signed.
    headers = sigv4_headers(server.url, data, base)
    resp = requests.post(server.url + "/?extra=1", data=data, headers=headers, timeout=30)
    assert_raw_error(resp, "InvalidSignatureException", INVALID_SIGNATURE)


@pytest.mark.parametrize("left_out", ["x-amz-target", "host"])
def test_required_signed_headers(server, left_out):
    signed = [h for h in ("content-type", "host", "x-amz-date", "x-amz-target") if h != left_out]
    resp = signed_post(server, "ListUserPools", {"MaxResults": 1}, signed=signed)
    assert_raw_error(resp, "InvalidSignatureException",
                     f"'{left_out}' must be a 'SignedHeader' in the AWS Authorization.")


def test_get_client_token_needs_no_signature(server):
    resp = server.post("GetClientToken", {"ClientId": MISSING_CLIENT, "Secret": "w" * 51},
                       signed=False)
    assert_raw_error(resp, "ResourceNotFoundException",
                     f"User pool client {MISSING_CLIENT} does not exist.")


def test_boto3_credentials(server):
    assert "UserPools" in server.client().list_user_pools(MaxResults=1)
    err = client_error(server.client(secret_access_key="wrong-secret").list_user_pools,
                       MaxResults=1)
    assert_error(err, "InvalidSignatureException", INVALID_SIGNATURE)
    err = client_error(server.client(access_key_id="AKIAUNKNOWNKEY000000").list_user_pools,
                       MaxResults=1)
    assert_error(err, "UnrecognizedClientException", INVALID_TOKEN)


def test_aws_cli_with_wrong_credentials(server, tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_")
           and k not in {"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"}}
    env.update(
        HOME=str(tmp_path),
        AWS_ACCESS_KEY_ID="AKIAUNKNOWNKEY000000",
        AWS_SECRET_ACCESS_KEY="wrong-secret",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(tmp_path / "config-does-not-exist"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials-do-not-exist"),
        AWS_MAX_ATTEMPTS="1",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_PAGER="",
        NO_PROXY="127.0.0.1,localhost",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "awscli", "--endpoint-url", server.url, "cognito-idp",
         "list-user-pools", "--max-results", "10", "--output", "json"],
        env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0, proc
    assert ("An error occurred (UnrecognizedClientException) when calling the ListUserPools "
            "operation: The security token included in the request is invalid.") in proc.stderr


# --- identities and policies ---------------------------------------------------------------------


def rognito(*args: str, check: bool = True,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Runs the rognito binary (not a lasting `serve`), free of ROGNITO_* settings from the
    outside but for those in `env`."""
    extra = env or {}
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROGNITO_")}
    env["NO_COLOR"] = "1"
    env.update(extra)
    args = list(args)
    if "--data-dir" in args:
        args += store_flags(Path(args[args.index("--data-dir") + 1]))
    proc = subprocess.run([str(BINARY), *args], env=env, capture_output=True, text=True,
                          timeout=CLI_TIMEOUT)
    if check:
        assert proc.returncode == 0, f"rognito {args} failed ({proc.returncode}):\n{proc.stderr}"
    return proc


class Iam:
    """A running fsync server and the CLI operations on its data dir."""

    def __init__(self, server: Server, tmp: Path):
        self.server = server
        self.tmp = tmp
        self.admin = server.client()
        self.keys: dict[tuple[str, str], tuple[str, str]] = {}

    @property
    def data_dir(self) -> str:
        return str(self.server.data_dir)

    def create_identity(self, name: str, account: str = ACCOUNT) -> tuple[str, str]:
        out = rognito("identity", "create", "--name", name, "--data-dir", self.data_dir,
                      "--account-id", account).stdout
        exports = dict(EXPORT_RE.findall(out))
        key, secret = exports["AWS_ACCESS_KEY_ID"], exports["AWS_SECRET_ACCESS_KEY"]
        self.keys[(account, name)] = (key, secret)
        return key, secret

    def attach(self, identity: str, name: str, document, account: str = ACCOUNT,
               check: bool = True) -> subprocess.CompletedProcess:
        path = self.tmp / f"{unique('policy')}.json"
        path.write_text(document if isinstance(document, str) else json.dumps(document))
        return rognito("policy", "attach", "--identity", identity, "--name", name,
                       "--document", str(path), "--data-dir", self.data_dir,
                       "--account-id", account, check=check)

    def client(self, name: str, account: str = ACCOUNT):
        key, secret = self.keys[(account, name)]
        return self.server.client(access_key_id=key, secret_access_key=secret)

    def pool_arn(self, pool_id: str, account: str = ACCOUNT) -> str:
        return f"arn:aws:cognito-idp:us-east-1:{account}:userpool/{pool_id}"

    def list_output(self, *args: str) -> str:
        return rognito("identity", "list", "--data-dir", self.data_dir, *args).stdout


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


@pytest.fixture(scope="module")
def iam(tmp_path_factory):
    """An fsync server with two admin pools (B holds resource server `rs-b`) and identities:

    - noperm: no policy at all
    - matrix: Describe*/List* on *, *ResourceServer on pool A only, Deny DeleteResourceServer
    - nots: NotAction / NotResource statements
    - cases: action matched case-insensitively, resource case-sensitively, `?` wildcard
    - explicit: allow-all with two explicit denies
    - scoped: resources that name pools of this account, another account, another region
    - other (account 111111111111): allow-all in its own account
    - detach, doomed: allow-all, for the detach/delete test
    """
    tmp = tmp_path_factory.mktemp("iam")
    srv = Server(tmp / "data", ["--durability", "fsync"]).start()
    try:
        env = Iam(srv, tmp)
        env.pool_a = env.admin.create_user_pool(PoolName=unique("pool-a"))["UserPool"]["Id"]
        env.pool_b = env.admin.create_user_pool(PoolName=unique("pool-b"))["UserPool"]["Id"]
        env.admin.create_resource_server(UserPoolId=env.pool_b, Identifier="rs-b", Name="B")
        arn_a, arn_b = env.pool_arn(env.pool_a), env.pool_arn(env.pool_b)

        env.create_identity("noperm")
        env.create_identity("matrix")
        env.attach("matrix", "matrix", policy(
            {"Effect": "Allow", "Action": ["cognito-idp:Describe*", "cognito-idp:List*"],
             "Resource": "*"},
            {"Effect": "Allow", "Action": "cognito-idp:*ResourceServer",
             "Resource": f"arn:aws:cognito-idp:*:*:userpool/{env.pool_a}"},
            {"Effect": "Deny", "Action": "cognito-idp:DeleteResourceServer", "Resource": "*"},
        ))
        env.create_identity("nots")
        env.attach("nots", "nots", policy(
            {"Effect": "Allow",
             "NotAction": ["cognito-idp:*ResourceServer*", "cognito-idp:CreateUserPool"],
             "Resource": "*"},
            {"Effect": "Allow", "Action": "cognito-idp:DescribeResourceServer",
             "NotResource": arn_a},
            {"Effect": "Deny", "Action": "cognito-idp:ListResourceServers",
             "NotResource": arn_b},
        ))
        env.create_identity("cases")
        upper_a = f"ARN:AWS:COGNITO-IDP:US-EAST-1:{ACCOUNT}:USERPOOL/{env.pool_a.upper()}"
        assert upper_a != arn_a
        env.attach("cases", "cases", policy(
            {"Effect": "Allow", "Action": "COGNITO-IDP:describe*", "Resource": "*"},
            {"Effect": "Allow", "Action": "cognito-idp:ListResourceServers",
             "Resource": upper_a},
            {"Effect": "Allow", "Action": "cognito-idp:ListUserPoolClients",
             "Resource": f"arn:aws:cognito-idp:us-east-?:{ACCOUNT}:userpool/{env.pool_a}"},
        ))
        env.create_identity("explicit")
        env.attach("explicit", "explicit", policy(
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "cognito-idp:ListUserPools", "Resource": "*"},
            {"Effect": "Deny", "Action": "cognito-idp:Describe*", "Resource": arn_a},
        ))
        env.create_identity("scoped")
        env.attach("scoped", "scoped", policy(
            {"Effect": "Allow", "Action": "cognito-idp:Describe*",
             "Resource": f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/*"},
            {"Effect": "Allow", "Action": "cognito-idp:List*",
             "Resource": ["arn:aws:cognito-idp:eu-west-1:*:userpool/*",
                          f"arn:aws:cognito-idp:*:{OTHER_ACCOUNT}:userpool/*"]},
        ))
        env.create_identity("other", OTHER_ACCOUNT)
        env.attach("other", "all", ALLOW_ALL, OTHER_ACCOUNT)
        for name in ("detach", "doomed"):
            env.create_identity(name)
            env.attach(name, "all", ALLOW_ALL)
        env.create_identity("replace")
        env.attach("replace", "p", policy(
            {"Effect": "Allow", "Action": "cognito-idp:ListUserPools", "Resource": "*"}))
        time.sleep(PROPAGATION)
        yield env
    finally:
        srv.stop()


def denied(name: str, op: str, resource: str, *, explicit: bool = False,
           account: str = ACCOUNT) -> str:
    reason = ("with an explicit deny in an identity-based policy" if explicit
              else f"because no identity-based policy allows the cognito-idp:{op} action")
    return (f"User: arn:aws:iam::{account}:user/{name} is not authorized to perform: "
            f"cognito-idp:{op} on resource: {resource} {reason}")


def check_access(iam: Iam, name: str, cases: list, account: str = ACCOUNT) -> None:
    """`cases`: (operation, params, expected) with expected "allow", "implicit" or "explicit";
    a denied pool operation names the pool's ARN, any other the resource `*`."""
    client = iam.client(name, account)
    failures = []
    for op, params, expected in cases:
        call = getattr(client, xform_name(op))
        resource = iam.pool_arn(params["UserPoolId"]) if "UserPoolId" in params else "*"
        try:
            call(**params)
            outcome = "allow"
        except Exception as exc:  # noqa: BLE001 - collected and reported below
            outcome = getattr(exc, "response", {"Error": {"Code": repr(exc)}})["Error"]
            if expected != "allow" and outcome.get("Code") == "AccessDeniedException" \
                    and outcome.get("Message") == denied(name, op, resource,
                                                         explicit=expected == "explicit",
                                                         account=account):
                outcome = expected
        if outcome != expected:
            failures.append((op, params.get("UserPoolId"), expected, outcome))
    assert not failures, failures


def test_new_identity_has_no_permissions(iam):
    a = iam.pool_a
    check_access(iam, "noperm", [
        ("CreateUserPool", {"PoolName": unique("np")}, "implicit"),
        ("ListUserPools", {"MaxResults": 10}, "implicit"),
        ("DescribeUserPoolDomain", {"Domain": "no-such-domain"}, "implicit"),
        ("DescribeUserPool", {"UserPoolId": a}, "implicit"),
        ("CreateResourceServer", {"UserPoolId": a, "Identifier": "x", "Name": "x"}, "implicit"),
        ("ListUserPoolClients", {"UserPoolId": a, "MaxResults": 10}, "implicit"),
        # IAM is evaluated before the pool is looked up.
        ("DescribeUserPool", {"UserPoolId": "us-east-1_AAAAAAAAA"}, "implicit"),
    ])
    # The full text once, spelled out.
    err = client_error(iam.client("noperm").describe_user_pool, UserPoolId=a)
    assert_error(err, "AccessDeniedException",
                 f"User: arn:aws:iam::000000000000:user/noperm is not authorized to perform: "
                 f"cognito-idp:DescribeUserPool on resource: "
                 f"arn:aws:cognito-idp:us-east-1:000000000000:userpool/{a} because no "
                 f"identity-based policy allows the cognito-idp:DescribeUserPool action")


def test_allow_deny_matrix(iam):
    a, b = iam.pool_a, iam.pool_b
    check_access(iam, "matrix", [
        ("CreateResourceServer", {"UserPoolId": a, "Identifier": "rs-m", "Name": "M"}, "allow"),
        ("CreateResourceServer", {"UserPoolId": b, "Identifier": "rs-m", "Name": "M"},
         "implicit"),
        ("DescribeResourceServer", {"UserPoolId": a, "Identifier": "rs-m"}, "allow"),
        ("DescribeResourceServer", {"UserPoolId": b, "Identifier": "rs-b"}, "allow"),
        ("UpdateResourceServer", {"UserPoolId": a, "Identifier": "rs-m", "Name": "M2"}, "allow"),
        ("UpdateResourceServer", {"UserPoolId": b, "Identifier": "rs-b", "Name": "B2"},
         "implicit"),
        ("ListResourceServers", {"UserPoolId": a, "MaxResults": 10}, "allow"),
        ("ListResourceServers", {"UserPoolId": b, "MaxResults": 10}, "allow"),
        ("DeleteResourceServer", {"UserPoolId": a, "Identifier": "rs-m"}, "explicit"),
        ("DeleteResourceServer", {"UserPoolId": b, "Identifier": "rs-b"}, "explicit"),
        ("CreateUserPool", {"PoolName": unique("m")}, "implicit"),
        ("ListUserPools", {"MaxResults": 10}, "allow"),
        ("DescribeUserPool", {"UserPoolId": b}, "allow"),
    ])
    # What was allowed happened, what was denied did not.
    assert iam.admin.describe_resource_server(
        UserPoolId=a, Identifier="rs-m")["ResourceServer"]["Name"] == "M2"
    assert iam.admin.describe_resource_server(
        UserPoolId=b, Identifier="rs-b")["ResourceServer"]["Name"] == "B"
    assert [r["Identifier"] for r in iam.admin.list_resource_servers(
        UserPoolId=b, MaxResults=10)["ResourceServers"]] == ["rs-b"]


def test_not_action_and_not_resource(iam):
    a, b = iam.pool_a, iam.pool_b
    check_access(iam, "nots", [
        ("DescribeUserPool", {"UserPoolId": a}, "allow"),
        ("ListUserPools", {"MaxResults": 10}, "allow"),
        ("CreateUserPool", {"PoolName": unique("n")}, "implicit"),
        ("DescribeResourceServer", {"UserPoolId": b, "Identifier": "rs-b"}, "allow"),
        ("DescribeResourceServer", {"UserPoolId": a, "Identifier": "rs-b"}, "implicit"),
        ("ListResourceServers", {"UserPoolId": a, "MaxResults": 10}, "explicit"),
        ("ListResourceServers", {"UserPoolId": b, "MaxResults": 10}, "implicit"),
    ])


def test_action_case_insensitive_resource_case_sensitive(iam):
    a, b = iam.pool_a, iam.pool_b
    check_access(iam, "cases", [
        ("DescribeUserPool", {"UserPoolId": a}, "allow"),
        ("DescribeUserPoolDomain", {"Domain": "no-such-domain"}, "allow"),
        ("ListResourceServers", {"UserPoolId": a, "MaxResults": 10}, "implicit"),
        ("ListUserPoolClients", {"UserPoolId": a, "MaxResults": 10}, "allow"),
        ("ListUserPoolClients", {"UserPoolId": b, "MaxResults": 10}, "implicit"),
        ("ListUserPools", {"MaxResults": 10}, "implicit"),
    ])


def test_explicit_deny_wins(iam):
    a, b = iam.pool_a, iam.pool_b
    check_access(iam, "explicit", [
        ("ListUserPools", {"MaxResults": 10}, "explicit"),
        ("DescribeUserPool", {"UserPoolId": a}, "explicit"),
        ("DescribeResourceServer", {"UserPoolId": a, "Identifier": "nope"}, "explicit"),
        ("DescribeUserPool", {"UserPoolId": b}, "allow"),
        ("ListResourceServers", {"UserPoolId": a, "MaxResults": 10}, "allow"),
    ])
    err = client_error(iam.client("explicit").list_user_pools, MaxResults=10)
    assert_error(err, "AccessDeniedException",
                 "User: arn:aws:iam::000000000000:user/explicit is not authorized to perform: "
                 "cognito-idp:ListUserPools on resource: * with an explicit deny in an "
                 "identity-based policy")


def test_resource_arns_are_scoped(iam):
    """A pool ARN pattern never matches the `*` of pool-less operations, nor pools of another
    region or account."""
    a = iam.pool_a
    check_access(iam, "scoped", [
        ("DescribeUserPool", {"UserPoolId": a}, "allow"),
        ("DescribeResourceServer", {"UserPoolId": iam.pool_b, "Identifier": "rs-b"}, "allow"),
        ("DescribeUserPoolDomain", {"Domain": "no-such-domain"}, "implicit"),
        ("ListResourceServers", {"UserPoolId": a, "MaxResults": 10}, "implicit"),
        ("ListUserPoolClients", {"UserPoolId": a, "MaxResults": 10}, "implicit"),
        ("ListUserPools", {"MaxResults": 10}, "implicit"),
    ])


def test_get_client_token_is_not_evaluated_by_iam(iam):
    err = client_error(iam.client("noperm").get_client_token, ClientId=MISSING_CLIENT,
                       Secret="w" * 51)
    assert_error(err, "ResourceNotFoundException",
                 f"User pool client {MISSING_CLIENT} does not exist.")


def test_policy_with_condition_is_refused(iam):
    doc = policy({"Effect": "Allow", "Action": "*", "Resource": "*",
                  "Condition": {"Bool": {"aws:SecureTransport": "true"}}})
    proc = iam.attach("noperm", "conditional", doc, check=False)
    assert proc.returncode != 0, proc
    assert "Condition" in proc.stderr, proc.stderr
    line = [l for l in iam.list_output().splitlines() if l.startswith(
        f"arn:aws:iam::{ACCOUNT}:user/noperm\t")]
    assert len(line) == 1 and line[0].endswith("policies: "), line


def test_identity_list(iam):
    out = iam.list_output()
    lines = out.splitlines()
    for (account, name), (key, secret) in iam.keys.items():
        matching = [l for l in lines if l.startswith(f"arn:aws:iam::{account}:user/{name}\t")]
        assert len(matching) == 1, (name, out)
        assert f"\tkeys: {key}" in matching[0]
        assert "\tpolicies: " in matching[0]
        assert secret not in out
    assert f"arn:aws:iam::{ACCOUNT}:user/matrix\tkeys: {iam.keys[(ACCOUNT, 'matrix')][0]}\t" \
           f"policies: matrix" in lines
    admin = [l for l in lines if l.startswith(f"arn:aws:iam::{ACCOUNT}:user/admin\t")]
    assert len(admin) == 1 and f"keys: {ACCESS_KEY_ID}" in admin[0]
    assert SECRET_ACCESS_KEY not in out
    for _, secret in iam.keys.values():
        assert secret not in iam.server.log_text
    # --account-id narrows the listing to one account.
    other = iam.list_output("--account-id", OTHER_ACCOUNT).splitlines()
    assert [l.split("\t")[0] for l in other] == [f"arn:aws:iam::{OTHER_ACCOUNT}:user/other"]


def test_detach_replace_and_delete_take_effect(iam):
    for name in ("detach", "doomed", "replace"):
        assert "UserPools" in iam.client(name).list_user_pools(MaxResults=10)
    rognito("policy", "detach", "--identity", "detach", "--name", "all",
            "--data-dir", iam.data_dir)
    rognito("identity", "delete", "--name", "doomed", "--data-dir", iam.data_dir)
    # Attaching under an existing name replaces that policy.
    iam.attach("replace", "p", policy(
        {"Effect": "Allow", "Action": "cognito-idp:DescribeUserPool", "Resource": "*"}))
    out = iam.list_output()
    assert f"arn:aws:iam::{ACCOUNT}:user/doomed" not in out
    assert iam.keys[(ACCOUNT, "doomed")][0] not in out
    time.sleep(PROPAGATION)
    err = client_error(iam.client("detach").list_user_pools, MaxResults=10)
    assert_error(err, "AccessDeniedException", denied("detach", "ListUserPools", "*"))
    err = client_error(iam.client("doomed").list_user_pools, MaxResults=10)
    assert_error(err, "UnrecognizedClientException", INVALID_TOKEN)
    check_access(iam, "replace", [
        ("ListUserPools", {"MaxResults": 10}, "implicit"),
        ("DescribeUserPool", {"UserPoolId": iam.pool_a}, "allow"),
    ])


@pytest.mark.parametrize("account", ["12", "abc", ""])
def test_identity_cli_refuses_invalid_account_id(iam, account):
    """`rognito serve --account-id 12` is refused ("must be 12 digits"); the identity commands
    must refuse it too, or they create identities (and later pools) with malformed ARNs such as
    `arn:aws:iam::12:user/...`."""
    name = unique("badacct")
    proc = rognito("identity", "create", "--name", name, "--data-dir", iam.data_dir,
                   "--account-id", account, check=False)
    # (Only the first line of stdout: the rest is the new secret.)
    assert proc.returncode != 0, proc.stdout.splitlines()[:1]
    assert f"user/{name}\t" not in iam.list_output()


def test_admin_commands_take_the_config_file(iam, tmp_path):
    """Every command takes `--config`: `identity` and `policy` work on the data dir and in the
    account that only the server's config file names."""
    config = tmp_path / "rognito.toml"
    config.write_text(f"[store]\ndata_dir = {json.dumps(iam.data_dir)}\n"
                      f"[server]\naccount_id = \"{OTHER_ACCOUNT}\"\n")
    name = unique("fromfile")
    arn = f"arn:aws:iam::{OTHER_ACCOUNT}:user/{name}"
    created = rognito("identity", "create", "--config", str(config), "--name", name).stdout
    assert f"created identity {name} ({arn})" in created
    document = tmp_path / "policy.json"
    document.write_text(json.dumps(ALLOW_ALL))
    rognito("policy", "attach", "--config", str(config), "--identity", name, "--name", "all",
            "--document", str(document))
    listed = rognito("identity", "list", "--config", str(config)).stdout
    assert any(line.startswith(f"{arn}\t") and line.endswith("policies: all")
               for line in listed.splitlines()), listed
    rognito("policy", "detach", "--identity", name, "--name", "all",
            env={"ROGNITO_CONFIG": str(config)})
    rognito("identity", "delete", "--config", str(config), "--name", name)
    assert f"{arn}\t" not in iam.list_output()


def test_admin_changes_are_audited(iam):
    """The CLI goes through the gateway: every identity and policy change (and a refused one)
    gets a line in the data dir's audit log, as IAM's CloudTrail events name them, naming the
    operating-system user who ran it; reads (identity list) get none."""
    log = Path(iam.data_dir) / "audit.log"
    name = unique("audited")
    arn = f"arn:aws:iam::{ACCOUNT}:user/{name}"
    before = len(log.read_text().splitlines())
    iam.create_identity(name)
    iam.attach(name, "all", ALLOW_ALL)
    iam.list_output()
    rognito("policy", "detach", "--identity", name, "--name", "all", "--data-dir", iam.data_dir)
    refused = rognito("policy", "detach", "--identity", name, "--name", "all",
                      "--data-dir", iam.data_dir, check=False)
    assert refused.returncode != 0 and f"identity {name} has no policy all" in refused.stderr
    rognito("identity", "delete", "--name", name, "--data-dir", iam.data_dir)
    lines = [json.loads(line) for line in log.read_text().splitlines()[before:]]
    events = [(r["eventSource"], r["eventName"], r.get("errorCode")) for r in lines
              if r.get("resource") == arn]
    assert events == [
        ("iam.amazonaws.com", "CreateUser", None),
        ("iam.amazonaws.com", "PutUserPolicy", None),
        ("iam.amazonaws.com", "DeleteUserPolicy", None),
        ("iam.amazonaws.com", "DeleteUserPolicy", "OperatorError"),
        ("iam.amazonaws.com", "DeleteUser", None),
    ], lines
    mine = [r for r in lines if r.get("resource") == arn]
    assert all(r["userIdentity"]["type"] == "LocalOperator" for r in mine)
    operator = os.environ.get("USER") or os.environ.get("LOGNAME") or f"uid {os.getuid()}"
    assert all(r["userIdentity"]["userName"] == operator for r in mine), mine
    assert all(r["recipientAccountId"] == ACCOUNT for r in mine)
    # Secrets never reach the log.
    assert iam.keys[(ACCOUNT, name)][1] not in log.read_text()


@sqlite_only
def test_admin_settings_take_flags_over_environment_over_file(tmp_path):
    """The data dir an admin command opens (named in its error when missing) comes from the
    flag, else the variable, else the config file, else the default."""
    config = tmp_path / "rognito.toml"
    config.write_text(f"[store]\ndata_dir = {json.dumps(str(tmp_path / 'file'))}\n")

    def refused(*args: str, env: dict[str, str] | None = None) -> str:
        proc = rognito("identity", "list", *args, env=env, check=False)
        assert proc.returncode != 0, proc
        return proc.stderr

    assert f"data dir {tmp_path / 'file'} (`store.data_dir` in {config}) does not exist" in (
        refused("--config", str(config)))
    env = {"ROGNITO_DATA_DIR": str(tmp_path / "env")}
    assert f"data dir {tmp_path / 'env'} (ROGNITO_DATA_DIR) does not exist" in (
        refused("--config", str(config), env=env))
    assert f"data dir {tmp_path / 'flag'} (--data-dir) does not exist" in (
        refused("--config", str(config), "--data-dir", str(tmp_path / "flag"), env=env))
    config.write_text('[server]\naccount_id = "12"\n')
    assert f'`server.account_id` in {config} "12" must be 12 digits' in refused(
        "--config", str(config))


def test_serve_settings_take_flags_over_environment_over_file(tmp_path):
    """A bad value is refused under the name of the place that won: flag, then variable, then
    file (a setting of [server] and one of [quotas])."""
    config = tmp_path / "rognito.toml"
    config.write_text('[server]\nregion = "moon"\n[quotas]\nclients_per_user_pool = 0\n')

    def refused(*args: str, env: dict[str, str] | None = None) -> str:
        proc = rognito("serve", "--config", str(config), "--listen", "127.0.0.1:0",
                       "--durability", "memory", *args, env=env, check=False)
        assert proc.returncode == 2, proc
        return proc.stderr

    assert f'`server.region` in {config} "moon" is not an AWS region name' in refused()
    env = {"ROGNITO_REGION": "mars"}
    assert 'ROGNITO_REGION "mars" is not an AWS region name' in refused(env=env)
    assert '--region "venus" is not an AWS region name' in refused("--region", "venus", env=env)
    region = ("--region", "eu-west-1")
    assert f"`quotas.clients_per_user_pool` in {config} must be at least 1" in refused(*region)
    env = {"ROGNITO_MAX_CLIENTS_PER_USER_POOL": "0"}
    assert "ROGNITO_MAX_CLIENTS_PER_USER_POOL must be at least 1" in refused(*region, env=env)
    assert "--max-clients-per-user-pool must be at least 1" in refused(
        *region, "--max-clients-per-user-pool", "0", env=env)


def test_a_flat_config_file_says_where_its_keys_went(tmp_path):
    config = tmp_path / "rognito.toml"
    config.write_text('region = "eu-west-1"\n')
    for command in (["serve"], ["identity", "list"], ["seed", "--pools", "1"]):
        proc = rognito(*command, "--config", str(config), check=False)
        assert proc.returncode != 0, proc
        assert f"`region` in {config}: moved to `region` under `[server]`" in proc.stderr


def all_pool_ids(client) -> set[str]:
    ids, kwargs = set(), {"MaxResults": 60}
    while True:
        page = client.list_user_pools(**kwargs)
        ids |= {p["Id"] for p in page["UserPools"]}
        if not page.get("NextToken"):
            return ids
        kwargs["NextToken"] = page["NextToken"]


def test_account_isolation(iam):
    other = iam.client("other", OTHER_ACCOUNT)
    a = iam.pool_a
    err = client_error(other.describe_user_pool, UserPoolId=a)
    assert_error(err, "ResourceNotFoundException", f"User pool {a} does not exist.")
    err = client_error(other.create_resource_server, UserPoolId=a, Identifier="x", Name="x")
    assert_error(err, "ResourceNotFoundException", f"User pool {a} does not exist.")
    err = client_error(other.list_resource_servers, UserPoolId=iam.pool_b, MaxResults=10)
    assert_error(err, "ResourceNotFoundException", f"User pool {iam.pool_b} does not exist.")
    admin_pools = all_pool_ids(iam.admin)
    assert {a, iam.pool_b} <= admin_pools
    assert not (all_pool_ids(other) & admin_pools)

    mine = other.create_user_pool(PoolName=unique("other"))["UserPool"]
    assert mine["Arn"] == iam.pool_arn(mine["Id"], OTHER_ACCOUNT)
    assert mine["Id"] in all_pool_ids(other)
    assert mine["Id"] not in all_pool_ids(iam.admin)
    err = client_error(iam.admin.describe_user_pool, UserPoolId=mine["Id"])
    assert_error(err, "ResourceNotFoundException", f"User pool {mine['Id']} does not exist.")
    other.create_resource_server(UserPoolId=mine["Id"], Identifier="o", Name="O")
    err = client_error(iam.admin.delete_user_pool, UserPoolId=mine["Id"])
    assert_error(err, "ResourceNotFoundException", f"User pool {mine['Id']} does not exist.")
    assert [r["Identifier"] for r in other.list_resource_servers(
        UserPoolId=mine["Id"], MaxResults=10)["ResourceServers"]] == ["o"]


# --- --auth dev and the generated root key -----------------------------------------------------


def test_dev_auth(start_server):
    srv = start_server("--auth", "dev")
    anyone = srv.client(access_key_id="AKIA" + os.urandom(8).hex().upper(),
                        secret_access_key=os.urandom(20).hex())
    pool = anyone.create_user_pool(PoolName=unique("dev"))["UserPool"]["Id"]
    assert pool in all_pool_ids(srv.client())
    assert anyone.describe_user_pool(UserPoolId=pool)["UserPool"]["Arn"] == (
        f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/{pool}")
    # Any key, but still a well-formed and fresh signature.
    resp = signed_post(srv, "ListUserPools", {"MaxResults": 1}, access_key="AKIAANYTHING",
                       secret="anything", when=datetime.datetime.now(datetime.timezone.utc)
                       - datetime.timedelta(minutes=16))
    body = assert_raw_error(resp, "InvalidSignatureException")
    assert body["message"].startswith("Signature expired:"), body
    list_user_pools_ok(signed_post(srv, "ListUserPools", {"MaxResults": 1},
                                   access_key="AKIAANYTHING", secret="anything"))
    resp = srv.post("ListUserPools", {"MaxResults": 1}, signed=False)
    assert_raw_error(resp, "MissingAuthenticationTokenException",
                     "Request is missing Authentication Token")


def test_dev_auth_refused_off_loopback(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROGNITO_")}
    env["NO_COLOR"] = "1"
    proc = subprocess.run(
        [str(BINARY), "serve", "--auth", "dev", "--listen", "0.0.0.0:0", "--durability",
         "memory", "--data-dir", str(tmp_path / "data")],
        env=env, capture_output=True, text=True, timeout=15, stdin=subprocess.DEVNULL)
    assert proc.returncode != 0, proc
    assert "loopback" in proc.stderr, proc.stderr


def test_generated_root_key_stays_out_of_an_audit_log_on_stdout(start_server, tmp_path):
    """With `--audit-log -`, standard output is the audit stream: a generated root key goes to a
    private file in the data dir, never into it."""
    data = tmp_path / "stdout-audit"
    srv = start_server("--audit-log", "-", data_dir=data, durability="fsync",
                       root_credentials=False, capture_stdout=True)
    file = data / "root-credentials"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not file.exists():
        time.sleep(0.05)
    values = dict(EXPORT_RE.findall(file.read_text()))
    key, secret = values["AWS_ACCESS_KEY_ID"], values["AWS_SECRET_ACCESS_KEY"]
    assert file.stat().st_mode & 0o777 == 0o600
    srv.client(access_key_id=key, secret_access_key=secret).create_user_pool(
        PoolName=unique("root"))
    srv.stop()
    assert secret not in srv.stdout_text and "export AWS_" not in srv.stdout_text
    assert any(json.loads(line).get("eventName") == "CreateUserPool"
               for line in srv.stdout_text.splitlines() if line.startswith("{"))
    assert secret not in srv.log_text and str(file) in srv.log_text


def test_admin_changes_wait_for_a_writable_audit_log_when_failing_closed(iam, tmp_path):
    """`audit.failure = "closed"`: as the server accepts no write while its audit log cannot be
    written, the CLI makes no identity or policy change it cannot record."""
    config = tmp_path / "closed.toml"
    config.write_text(f"[store]\ndata_dir = {json.dumps(iam.data_dir)}\n"
                      "[audit]\nlog = \"/dev/full\"\nfailure = \"closed\"\n")
    name = unique("unrecorded")
    refused = rognito("identity", "create", "--config", str(config), "--name", name, check=False)
    assert refused.returncode != 0
    assert "no change was made" in refused.stderr, refused.stderr
    assert "AWS_SECRET_ACCESS_KEY" not in refused.stdout
    assert f"user/{name}\t" not in iam.list_output()
    document = tmp_path / "all.json"
    document.write_text(json.dumps(ALLOW_ALL))
    refused = rognito("policy", "attach", "--config", str(config), "--identity", "noperm",
                      "--name", "sneaky", "--document", str(document), check=False)
    assert refused.returncode != 0 and "no change was made" in refused.stderr
    assert "sneaky" not in iam.list_output()


def test_first_start_generates_root_key(start_server, tmp_path):
    data = tmp_path / "fresh"
    srv = start_server(data_dir=data, durability="fsync", root_credentials=False,
                       capture_stdout=True)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(EXPORT_RE.findall(srv.stdout_text)) < 3:
        time.sleep(0.05)
    exports = EXPORT_RE.findall(srv.stdout_text)
    assert len(exports) == 3, srv.stdout_text
    values = dict(exports)
    assert len(values) == 3, exports
    key, secret = values["AWS_ACCESS_KEY_ID"], values["AWS_SECRET_ACCESS_KEY"]
    assert key.startswith("AKIA") and len(key) == 20, key
    assert len(secret) == 40, secret
    assert values.get("AWS_DEFAULT_REGION") == "us-east-1", values
    cognito = srv.client(access_key_id=key, secret_access_key=secret)
    pool = cognito.create_user_pool(PoolName=unique("root"))["UserPool"]["Id"]
    srv.stop()
    assert srv.stdout_text.count("AWS_SECRET_ACCESS_KEY=") == 1
    assert secret not in srv.log_text

    again = start_server(data_dir=data, durability="fsync", root_credentials=False,
                         capture_stdout=True)
    cognito = again.client(access_key_id=key, secret_access_key=secret)
    assert cognito.describe_user_pool(UserPoolId=pool)["UserPool"]["Id"] == pool
    again.stop()
    assert "export AWS_" not in again.stdout_text, again.stdout_text
    assert secret not in again.stdout_text and secret not in again.log_text
