"""Machine-to-machine tokens: `POST /oauth2/token` (client_credentials), GetClientToken, the
pools' JWKS and discovery documents, and the --issuer-base / --public-url flags.

Every issued token is verified independently with PyJWT against the JWKS that the pool's
discovery document points at (`verify_token`)."""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest
import requests

from rognito_helpers import (
    DISCOVERY_KEYS,
    assert_error,
    assert_oauth_error,
    assert_token_response,
    basic_auth,
    client_error,
    decode_unverified,
    discovery,
    jwks_of,
    make_m2m,
    request_token,
    unique,
    unique_domain,
    verify_token,
)

MISSING_POOL = "us-east-1_AAAAAAAAA"
MISSING_CLIENT = "0000000000000000000000000a"
WRONG_SECRET = "w" * 51
AWS_ISSUER_BASE = "https://cognito-idp.us-east-1.amazonaws.com"


def no_domain_error(pool_id: str) -> dict:
    return {
        "error": "invalid_request",
        "error_description": (
            f"User pool {pool_id} has no domain, so it has no token endpoint: create one with "
            "CreateUserPoolDomain."
        ),
    }


def set_api_scopes(m, *names: str) -> None:
    m.cognito.update_resource_server(
        UserPoolId=m.pool_id, Identifier="api", Name="API",
        Scopes=[{"ScopeName": n, "ScopeDescription": n} for n in names],
    )


def token_client(m, scopes=("api/read", "api/write"), **kwargs) -> dict:
    """A GetClientToken client in m's pool: a secret, ALLOW_CLIENT_TOKEN_AUTH alone, and
    AllowedOAuthScopes without OAuth flows."""
    params = {
        "UserPoolId": m.pool_id,
        "ClientName": unique("gct"),
        "GenerateSecret": True,
        "ExplicitAuthFlows": ["ALLOW_CLIENT_TOKEN_AUTH"],
        "AllowedOAuthScopes": list(scopes),
    }
    params.update(kwargs)
    return m.cognito.create_user_pool_client(**params)["UserPoolClient"]


def client_token(m, client: dict, scopes=None) -> dict:
    kwargs = {"ClientId": client["ClientId"], "Secret": client["ClientSecret"]}
    if scopes is not None:
        kwargs["Scopes"] = scopes
    resp = m.cognito.get_client_token(**kwargs)
    result = resp["ClientAuthenticationResult"]
    assert set(result) == {"AccessToken", "ExpiresIn", "TokenType"}, result
    assert result["TokenType"] == "Bearer"
    return result


# --- The token endpoint: success -----------------------------------------------------------------


def test_basic_auth_issues_a_verifiable_token(server, cognito):
    m = make_m2m(server, cognito)
    resp = m.token()
    token = assert_token_response(resp)
    assert resp.json()["expires_in"] == 3600
    claims = verify_token(server.url, m.pool_id, token, client_id=m.client_id,
                          scope="api/read api/write", expires_in=3600)
    assert claims["iss"] == f"{server.url}/{m.pool_id}"
    assert "aud" not in claims and "username" not in claims
    # The kid is one of the pool's two published keys.
    keys = jwks_of(server.url, m.pool_id)["keys"]
    assert jwt.get_unverified_header(token)["kid"] in [k["kid"] for k in keys]


def test_credentials_in_the_body_and_content_type(server, cognito):
    m = make_m2m(server, cognito)
    token = assert_token_response(m.token(auth="body"))
    verify_token(server.url, m.pool_id, token, client_id=m.client_id, scope="api/read api/write")
    # Both ways at once are fine when they agree.
    token = assert_token_response(m.token(
        auth="basic",
        extra=[("client_id", m.client_id), ("client_secret", m.client_secret)],
    ))
    verify_token(server.url, m.pool_id, token, client_id=m.client_id, scope="api/read api/write")
    token = assert_token_response(m.token(auth="basic", extra=[("client_id", m.client_id)]))
    verify_token(server.url, m.pool_id, token, client_id=m.client_id, scope="api/read api/write")
    # A charset parameter on the form's Content-Type is fine.
    resp = m.token(headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"})
    token = assert_token_response(resp)
    verify_token(server.url, m.pool_id, token, client_id=m.client_id, scope="api/read api/write")


def test_every_token_is_unique(server, cognito):
    m = make_m2m(server, cognito)
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda _: m.token(), range(16)))
    tokens = [assert_token_response(r) for r in responses]
    claims = [verify_token(server.url, m.pool_id, t, client_id=m.client_id,
                           scope="api/read api/write") for t in tokens]
    assert len({c["jti"] for c in claims}) == 16
    assert len(set(tokens)) == 16


# --- The token endpoint: client authentication -----------------------------------------------


def test_client_authentication_failures(server, cognito):
    """Basic and body failures are both 400 invalid_client, without a challenge (as Cognito)."""
    m = make_m2m(server, cognito)
    url = server.url
    # Basic.
    assert_oauth_error(request_token(url, m.client_id, WRONG_SECRET), "invalid_client")
    assert_oauth_error(request_token(url, m.client_id, ""), "invalid_client")
    assert_oauth_error(request_token(url, MISSING_CLIENT, m.client_secret), "invalid_client")
    assert_oauth_error(request_token(url, m.client_id.upper(), m.client_secret),
                       "invalid_client")
    for header in ["Basic !!!", "Bearer abc", "Basic", base64.b64encode(b"x:y").decode(),
                   "Basic " + base64.b64encode(b"no-colon").decode()]:
        resp = m.token(headers={"Authorization": header})
        assert_oauth_error(resp, "invalid_client")
    # Body.
    assert_oauth_error(request_token(url, m.client_id, WRONG_SECRET, auth="body"),
                       "invalid_client")
    assert_oauth_error(request_token(url, MISSING_CLIENT, m.client_secret, auth="body"),
                       "invalid_client")
    assert_oauth_error(request_token(url, m.client_id, None, auth="body"), "invalid_client")
    assert_oauth_error(request_token(url, None, m.client_secret, auth="body"), "invalid_client")
    assert_oauth_error(request_token(url, auth="none"), "invalid_client")
    # Basic and body credentials that disagree.
    for extra in [[("client_secret", WRONG_SECRET)], [("client_id", MISSING_CLIENT)]]:
        assert_oauth_error(m.token(extra=extra), "invalid_client")
    # A public client (no secret) never authenticates.
    public = cognito.create_user_pool_client(
        UserPoolId=m.pool_id, ClientName="public", AllowedOAuthScopes=["api/read"]
    )["UserPoolClient"]
    assert "ClientSecret" not in public
    cid = public["ClientId"]
    assert_oauth_error(request_token(server.url, cid, None, auth="body"), "invalid_client")
    assert_oauth_error(request_token(server.url, cid, "", auth="body"), "invalid_client")
    assert_oauth_error(request_token(server.url, cid, m.client_secret, auth="body"),
                       "invalid_client")
    assert_oauth_error(request_token(server.url, cid, ""), "invalid_client")
    # Another client's secret does not authenticate this one either.
    other = cognito.create_user_pool_client(
        UserPoolId=m.pool_id, ClientName="other", GenerateSecret=True
    )["UserPoolClient"]
    assert_oauth_error(request_token(server.url, other["ClientId"], m.client_secret),
                       "invalid_client")


# --- The token endpoint: request format --------------------------------------------------------


def test_malformed_requests(server, cognito):
    m = make_m2m(server, cognito)
    form = f"grant_type=client_credentials&client_id={m.client_id}&client_secret={m.client_secret}"
    for content_type in ["application/json", "text/plain", "multipart/form-data; boundary=x"]:
        resp = requests.post(server.url + "/oauth2/token", data=form.encode(),
                             headers={"Content-Type": content_type}, timeout=30)
        assert_oauth_error(resp, "invalid_request")
    resp = requests.post(server.url + "/oauth2/token", data=form.encode(), timeout=30)
    assert_oauth_error(resp, "invalid_request")
    resp = requests.post(server.url + "/oauth2/token", json={"grant_type": "client_credentials"},
                         headers={"Authorization": basic_auth(m.client_id, m.client_secret)},
                         timeout=30)
    assert_oauth_error(resp, "invalid_request")
    # A parameter repeated.
    for extra in [[("scope", "api/read"), ("scope", "api/write")],
                  [("grant_type", "client_credentials")],
                  [("scope", "api/read"), ("scope", "api/read")]]:
        assert_oauth_error(m.token(extra=extra), "invalid_request")
    assert_oauth_error(m.token(auth="body", extra=[("client_id", m.client_id)]),
                       "invalid_request")
    # grant_type missing, empty or other.
    assert_oauth_error(m.token(grant_type=None), "invalid_request")
    assert_oauth_error(m.token(grant_type=""), "invalid_request")
    for grant in ["authorization_code", "password", "refresh_token", "implicit",
                  "CLIENT_CREDENTIALS", "client_credentials "]:
        assert_oauth_error(m.token(grant_type=grant), "unsupported_grant_type")
    # Still fine afterwards.
    assert_token_response(m.token())


def test_unauthorized_client(server, cognito):
    m = make_m2m(server, cognito)
    code = cognito.create_user_pool_client(
        UserPoolId=m.pool_id, ClientName="code", GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["api/read"], CallbackURLs=["https://app.example.com/cb"],
    )["UserPoolClient"]
    no_oauth = cognito.create_user_pool_client(
        UserPoolId=m.pool_id, ClientName="no-oauth", GenerateSecret=True,
        AllowedOAuthScopes=["api/read"],
    )["UserPoolClient"]
    client_token_only = token_client(m)
    for client in [code, no_oauth, client_token_only]:
        for auth in ["basic", "body"]:
            resp = request_token(server.url, client["ClientId"], client["ClientSecret"],
                                 auth=auth)
            assert_oauth_error(resp, "unauthorized_client")
        # The secret is checked first.
        assert_oauth_error(request_token(server.url, client["ClientId"], WRONG_SECRET),
                           "invalid_client")


# --- The token endpoint: scopes ----------------------------------------------------------------


def test_scope_selection(server, cognito):
    m = make_m2m(server, cognito, allowed=("api/read", "api/write"))
    # Omitted: every custom scope the client is allowed (built-in ones are not for this grant).
    token = assert_token_response(m.token())
    verify_token(server.url, m.pool_id, token, client_id=m.client_id, scope="api/read api/write")
    for scope in ["api/read", "api/write", "api/read api/write", "api/write api/read"]:
        m.issue(scope)
    token = assert_token_response(m.token(scope="  api/write   api/read "))
    verify_token(server.url, m.pool_id, token, client_id=m.client_id, scope="api/write api/read")
    for scope in ["api/admin", "openid", "email", "nope/read", "api/read api/admin",
                  "api/read openid", "API/read", "api/Read", "api", "read"]:
        assert_oauth_error(m.token(scope=scope), "invalid_scope")
        assert_oauth_error(m.token(scope=scope, auth="body"), "invalid_scope")
    # Built-in scopes are user scopes: a client_credentials client cannot even be given them
    # (issue 10, kind 4; terraform-provider-aws#4984).
    err = client_error(
        cognito.create_user_pool_client,
        UserPoolId=m.pool_id, ClientName="builtin", GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=["api/read", "openid", "email"],
    )
    assert_error(err, "InvalidOAuthFlowException",
                 "openid is not supported with client_credentials flow")


def test_deleted_scopes_are_dropped_and_revived(server, cognito):
    pool_id = cognito.create_user_pool(PoolName=unique("m2m"))["UserPool"]["Id"]
    cognito.create_resource_server(
        UserPoolId=pool_id, Identifier="other", Name="other",
        Scopes=[{"ScopeName": "x", "ScopeDescription": "x"}],
    )
    m = make_m2m(server, cognito, pool_id=pool_id, allowed=("api/read", "api/write", "other/x"))
    m.issue(None)
    token = assert_token_response(m.token())
    verify_token(server.url, m.pool_id, token, client_id=m.client_id,
                 scope="api/read api/write other/x")
    # A scope removed from its resource server: dropped, on the very next request.
    set_api_scopes(m, "read", "admin")
    token = assert_token_response(m.token())
    verify_token(server.url, m.pool_id, token, client_id=m.client_id, scope="api/read other/x")
    token = assert_token_response(m.token(scope="api/read api/write"))
    verify_token(server.url, m.pool_id, token, client_id=m.client_id, scope="api/read")
    assert_oauth_error(m.token(scope="api/write"), "invalid_scope")
    # The client still lists it.
    described = cognito.describe_user_pool_client(UserPoolId=m.pool_id, ClientId=m.client_id)
    assert described["UserPoolClient"]["AllowedOAuthScopes"] == ["api/read", "api/write", "other/x"]
    # A resource server deleted: its scopes are dropped.
    cognito.delete_resource_server(UserPoolId=m.pool_id, Identifier="other")
    token = assert_token_response(m.token())
    verify_token(server.url, m.pool_id, token, client_id=m.client_id, scope="api/read")
    assert_oauth_error(m.token(scope="other/x"), "invalid_scope")
    # Nothing left: invalid_scope.
    set_api_scopes(m, "admin")
    assert_oauth_error(m.token(), "invalid_scope")
    assert_oauth_error(m.token(scope="api/read api/write"), "invalid_scope")
    # Re-adding revives them.
    set_api_scopes(m, "write", "admin")
    token = assert_token_response(m.token())
    verify_token(server.url, m.pool_id, token, client_id=m.client_id, scope="api/write")
    cognito.create_resource_server(
        UserPoolId=m.pool_id, Identifier="other", Name="other",
        Scopes=[{"ScopeName": "x", "ScopeDescription": "x"}],
    )
    set_api_scopes(m, "read", "write")
    token = assert_token_response(m.token())
    verify_token(server.url, m.pool_id, token, client_id=m.client_id,
                 scope="api/read api/write other/x")


# --- The token endpoint: changes take effect on the next request ------------------------------


def test_client_changes_take_effect_immediately(server, cognito):
    m = make_m2m(server, cognito)
    m.issue("api/write")
    # Scope removed from the client.
    cognito.update_user_pool_client(**m.client_kwargs(AllowedOAuthScopes=["api/read"]))
    assert_oauth_error(m.token(scope="api/write"), "invalid_scope")
    token = assert_token_response(m.token())
    verify_token(server.url, m.pool_id, token, client_id=m.client_id, scope="api/read")
    # Validity changed.
    cognito.update_user_pool_client(**m.client_kwargs(
        AllowedOAuthScopes=["api/read"], AccessTokenValidity=10,
        TokenValidityUnits={"AccessToken": "minutes"},
    ))
    resp = m.token()
    token = assert_token_response(resp)
    assert resp.json()["expires_in"] == 600
    verify_token(server.url, m.pool_id, token, client_id=m.client_id, scope="api/read",
                 expires_in=600)
    # Flow removed (an update that omits the OAuth members turns OAuth off).
    cognito.update_user_pool_client(UserPoolId=m.pool_id, ClientId=m.client_id)
    assert_oauth_error(m.token(), "unauthorized_client")
    cognito.update_user_pool_client(**m.client_kwargs())
    m.issue(None)
    # Client deleted.
    cognito.delete_user_pool_client(UserPoolId=m.pool_id, ClientId=m.client_id)
    assert_oauth_error(m.token(), "invalid_client")
    assert_oauth_error(m.token(auth="body"), "invalid_client")


def test_secret_rotation(server, cognito):
    m = make_m2m(server, cognito)
    first = m.client_secret
    [first_id] = [s["ClientSecretId"] for s in cognito.list_user_pool_client_secrets(
        UserPoolId=m.pool_id, ClientId=m.client_id)["ClientSecrets"]]
    added = cognito.add_user_pool_client_secret(UserPoolId=m.pool_id, ClientId=m.client_id)
    second = added["ClientSecretDescriptor"]["ClientSecretValue"]
    for secret in [first, second]:
        for auth in ["basic", "body"]:
            resp = request_token(server.url, m.client_id, secret, auth=auth)
            verify_token(server.url, m.pool_id, assert_token_response(resp),
                         client_id=m.client_id, scope="api/read api/write")
    cognito.delete_user_pool_client_secret(UserPoolId=m.pool_id, ClientId=m.client_id,
                                           ClientSecretId=first_id)
    assert_oauth_error(request_token(server.url, m.client_id, first), "invalid_client")
    assert_oauth_error(request_token(server.url, m.client_id, first, auth="body"),
                       "invalid_client")
    resp = request_token(server.url, m.client_id, second)
    verify_token(server.url, m.pool_id, assert_token_response(resp), client_id=m.client_id,
                 scope="api/read api/write")
    # A caller-supplied secret works as soon as it is added.
    supplied = "Supplied_rotation_secret_0123"
    cognito.add_user_pool_client_secret(UserPoolId=m.pool_id, ClientId=m.client_id,
                                        ClientSecret=supplied)
    assert_token_response(request_token(server.url, m.client_id, supplied))
    assert_token_response(request_token(server.url, m.client_id, second))


def test_expires_in_follows_access_token_validity(server, cognito):
    m = make_m2m(server, cognito)
    cases = [
        (5, "minutes", 300),
        (300, "seconds", 300),
        (2, "hours", 7200),
        (24, "hours", 86400),
        (1, "days", 86400),
        (1440, "minutes", 86400),
    ]
    for validity, unit, seconds in cases:
        client = cognito.create_user_pool_client(
            UserPoolId=m.pool_id, ClientName=unique("validity"), GenerateSecret=True,
            AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthFlows=["client_credentials"],
            AllowedOAuthScopes=["api/read"], AccessTokenValidity=validity,
            TokenValidityUnits={"AccessToken": unit},
        )["UserPoolClient"]
        resp = request_token(server.url, client["ClientId"], client["ClientSecret"])
        token = assert_token_response(resp)
        assert resp.json()["expires_in"] == seconds, (validity, unit)
        verify_token(server.url, m.pool_id, token, client_id=client["ClientId"],
                     scope="api/read", expires_in=seconds)


# --- The token endpoint: domains -----------------------------------------------------------------


def test_pool_without_a_domain_has_no_token_endpoint(server, cognito):
    m = make_m2m(server, cognito, domain=False)
    for auth in ["basic", "body"]:
        resp = m.token(auth=auth)
        assert resp.status_code == 400, resp.text
        assert resp.json() == no_domain_error(m.pool_id)
    domain = unique_domain()
    cognito.create_user_pool_domain(UserPoolId=m.pool_id, Domain=domain)
    m.issue(None)
    cognito.delete_user_pool_domain(UserPoolId=m.pool_id, Domain=domain)
    assert m.token().json() == no_domain_error(m.pool_id)


def test_host_naming_a_domain_must_be_the_clients_pools(server, cognito):
    m = make_m2m(server, cognito)
    other = make_m2m(server, cognito)
    own = f"{m.domain}.auth.us-east-1.amazoncognito.com"
    for host in [own, own + ":443", "localhost", "127.0.0.1", "api.example.com"]:
        m.issue(None, headers={"Host": host})
    foreign = f"{other.domain}.auth.us-east-1.amazoncognito.com"
    unknown = f"{unique_domain()}.auth.us-east-1.amazoncognito.com"
    for host in [foreign, unknown]:
        assert_oauth_error(m.token(headers={"Host": host}), "invalid_client")
        assert_oauth_error(m.token(headers={"Host": host}, auth="body"), "invalid_client")
    other.issue(None, headers={"Host": foreign})


def test_host_names_are_case_insensitive(server, cognito):
    """Host names are case-insensitive (RFC 9110 section 4.2.3, RFC 3986 section 3.2.2): a Host
    naming the client's own domain in capitals is that domain, and a foreign domain in any
    case is refused."""
    m = make_m2m(server, cognito)
    other = make_m2m(server, cognito)
    own = f"{m.domain.upper()}.auth.us-east-1.amazoncognito.com"
    m.issue(None, headers={"Host": own})
    for host in [f"{other.domain}.AUTH.us-east-1.AMAZONCOGNITO.COM",
                 f"{other.domain.upper()}.auth.us-east-1.amazoncognito.com"]:
        assert_oauth_error(m.token(headers={"Host": host}), "invalid_client")


# --- JWKS and discovery --------------------------------------------------------------------------


def test_jwks_and_discovery_documents(server, cognito, pool):
    doc = discovery(server.url, pool)
    assert doc == {
        "issuer": f"{server.url}/{pool}",
        "jwks_uri": f"{server.url}/{pool}/.well-known/jwks.json",
        "token_endpoint": f"{server.url}/oauth2/token",
        "authorization_endpoint": f"{server.url}/oauth2/authorize",
        "userinfo_endpoint": f"{server.url}/oauth2/userInfo",
        "response_types_supported": ["code", "token"],
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }
    resp = requests.get(doc["jwks_uri"], timeout=30)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json"
    jwks = resp.json()
    assert set(jwks) == {"keys"}
    assert len(jwks["keys"]) == 2
    for key in jwks["keys"]:
        assert set(key) == {"kty", "alg", "use", "kid", "n", "e"}, key
        assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig")
        assert key["e"] == "AQAB"
        public = jwt.PyJWK(key).key
        assert public.key_size == 2048
    assert len({k["kid"] for k in jwks["keys"]}) == 2
    # Stable between requests.
    assert requests.get(doc["jwks_uri"], timeout=30).json() == jwks


def test_unknown_pool_has_no_jwks_or_discovery(server):
    for path in ["jwks.json", "openid-configuration"]:
        resp = requests.get(f"{server.url}/{MISSING_POOL}/.well-known/{path}", timeout=30)
        assert resp.status_code == 404, resp.text
        assert resp.json() == {"message": f"User pool {MISSING_POOL} does not exist."}


def test_a_token_does_not_verify_with_another_pools_keys(server, cognito):
    a = make_m2m(server, cognito)
    b = make_m2m(server, cognito)
    token_a = a.issue(None)
    keys_a = jwks_of(server.url, a.pool_id)["keys"]
    keys_b = jwks_of(server.url, b.pool_id)["keys"]
    assert not {k["kid"] for k in keys_a} & {k["kid"] for k in keys_b}
    assert not {k["n"] for k in keys_a} & {k["n"] for k in keys_b}
    for key in keys_b:
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(token_a, jwt.PyJWK(key), algorithms=["RS256"],
                       issuer=f"{server.url}/{a.pool_id}")
    # Relabelled with pool B's issuer it fails too (the signature covers the claims).
    header, payload, signature = token_a.split(".")
    claims = decode_unverified(token_a)
    claims["iss"] = f"{server.url}/{b.pool_id}"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    forged = f"{header}.{forged_payload}.{signature}"
    for key in keys_a + keys_b:
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(forged, jwt.PyJWK(key), algorithms=["RS256"])


def test_deleted_pool_loses_its_endpoints(server, cognito):
    m = make_m2m(server, cognito)
    m.issue(None)
    cognito.delete_user_pool_domain(UserPoolId=m.pool_id, Domain=m.domain)
    cognito.delete_user_pool(UserPoolId=m.pool_id)
    assert_oauth_error(m.token(), "invalid_client")
    for path in ["jwks.json", "openid-configuration"]:
        resp = requests.get(f"{server.url}/{m.pool_id}/.well-known/{path}", timeout=30)
        assert resp.status_code == 404


# --- GetClientToken --------------------------------------------------------------------------


def test_get_client_token(server, cognito):
    # No domain and no client_credentials flow needed.
    m = make_m2m(server, cognito, domain=False)
    client = token_client(m)
    assert client["AllowedOAuthFlowsUserPoolClient"] is False
    result = client_token(m, client)
    assert result["ExpiresIn"] == 3600
    verify_token(server.url, m.pool_id, result["AccessToken"], client_id=client["ClientId"],
                 scope="api/read api/write", expires_in=3600)
    for scopes, expected in [(["api/write"], "api/write"),
                             (["api/write", "api/read"], "api/write api/read"),
                             ([], "api/read api/write")]:
        result = client_token(m, client, scopes)
        verify_token(server.url, m.pool_id, result["AccessToken"],
                     client_id=client["ClientId"], scope=expected)
    short = token_client(m, AccessTokenValidity=5, TokenValidityUnits={"AccessToken": "minutes"})
    result = client_token(m, short)
    assert result["ExpiresIn"] == 300
    verify_token(server.url, m.pool_id, result["AccessToken"], client_id=short["ClientId"],
                 scope="api/read api/write", expires_in=300)


def test_get_client_token_errors(server, cognito):
    m = make_m2m(server, cognito, domain=False)
    client = token_client(m)
    cid, secret = client["ClientId"], client["ClientSecret"]
    err = client_error(cognito.get_client_token, ClientId=cid, Secret=WRONG_SECRET)
    assert_error(err, "NotAuthorizedException")
    err = client_error(cognito.get_client_token, ClientId=MISSING_CLIENT, Secret=WRONG_SECRET)
    assert_error(err, "ResourceNotFoundException",
                 f"User pool client {MISSING_CLIENT} does not exist.")
    for scopes, bad in [(["api/admin"], "api/admin"), (["api/read", "nope/x"], "nope/x")]:
        err = client_error(cognito.get_client_token, ClientId=cid, Secret=secret, Scopes=scopes)
        assert_error(err, "InvalidParameterException", f"Invalid scope requested: {bad}")
    # Without ALLOW_CLIENT_TOKEN_AUTH (the m2m client, and a plain confidential one).
    for other in [m.client, cognito.create_user_pool_client(
            UserPoolId=m.pool_id, ClientName="plain", GenerateSecret=True,
            AllowedOAuthScopes=["api/read"])["UserPoolClient"]]:
        err = client_error(cognito.get_client_token, ClientId=other["ClientId"],
                           Secret=other["ClientSecret"])
        assert_error(err, "InvalidParameterException",
                     "ALLOW_CLIENT_TOKEN_AUTH flow not enabled for this client")
    # Changes apply at once: a rotated-out secret and a deleted client.
    [first_id] = [s["ClientSecretId"] for s in cognito.list_user_pool_client_secrets(
        UserPoolId=m.pool_id, ClientId=cid)["ClientSecrets"]]
    new = cognito.add_user_pool_client_secret(UserPoolId=m.pool_id, ClientId=cid)
    new_secret = new["ClientSecretDescriptor"]["ClientSecretValue"]
    cognito.delete_user_pool_client_secret(UserPoolId=m.pool_id, ClientId=cid,
                                           ClientSecretId=first_id)
    err = client_error(cognito.get_client_token, ClientId=cid, Secret=secret)
    assert_error(err, "NotAuthorizedException")
    client_token(m, {"ClientId": cid, "ClientSecret": new_secret})
    cognito.delete_user_pool_client(UserPoolId=m.pool_id, ClientId=cid)
    err = client_error(cognito.get_client_token, ClientId=cid, Secret=new_secret)
    assert_error(err, "ResourceNotFoundException", f"User pool client {cid} does not exist.")


def test_get_client_token_drops_deleted_scopes(server, cognito):
    m = make_m2m(server, cognito, domain=False)
    client = token_client(m)
    set_api_scopes(m, "read")
    result = client_token(m, client, ["api/read", "api/write"])
    verify_token(server.url, m.pool_id, result["AccessToken"], client_id=client["ClientId"],
                 scope="api/read")
    result = client_token(m, client)
    verify_token(server.url, m.pool_id, result["AccessToken"], client_id=client["ClientId"],
                 scope="api/read")


def test_get_client_token_names_a_refused_built_in_scope(server, cognito):
    """A built-in scope the client is allowed is still refused (as on /oauth2/token), and the
    message must name it like every other refused scope."""
    m = make_m2m(server, cognito, domain=False)
    client = token_client(m, scopes=("api/read", "openid"))
    err = client_error(cognito.get_client_token, ClientId=client["ClientId"],
                       Secret=client["ClientSecret"], Scopes=["openid"])
    assert_error(err, "InvalidParameterException", "Invalid scope requested: openid")


def test_get_client_token_names_a_deleted_scope(server, cognito):
    """An allowed scope whose resource-server scope was deleted, requested alone: refused, and
    the message must name it."""
    m = make_m2m(server, cognito, domain=False)
    client = token_client(m)
    set_api_scopes(m, "read")
    err = client_error(cognito.get_client_token, ClientId=client["ClientId"],
                       Secret=client["ClientSecret"], Scopes=["api/write"])
    assert_error(err, "InvalidParameterException", "Invalid scope requested: api/write")


# --- Server flags and restarts -------------------------------------------------------------------


def test_issuer_base_flag(start_server):
    srv = start_server("--issuer-base", AWS_ISSUER_BASE)
    cognito = srv.client()
    m = make_m2m(srv, cognito)
    issuer = f"{AWS_ISSUER_BASE}/{m.pool_id}"
    doc = discovery(srv.url, m.pool_id)
    assert doc["issuer"] == issuer
    # The endpoints stay rognito's own.
    assert doc["jwks_uri"] == f"{srv.url}/{m.pool_id}/.well-known/jwks.json"
    assert doc["token_endpoint"] == f"{srv.url}/oauth2/token"
    token = assert_token_response(m.token())
    claims = verify_token(srv.url, m.pool_id, token, client_id=m.client_id,
                          scope="api/read api/write", issuer=issuer)
    assert claims["iss"] == issuer
    client = token_client(m)
    result = client_token(m, client)
    claims = verify_token(srv.url, m.pool_id, result["AccessToken"],
                          client_id=client["ClientId"], issuer=issuer)
    assert claims["iss"] == issuer
    # Verifying with the default issuer fails.
    kid = jwt.get_unverified_header(token)["kid"]
    [key] = [k for k in jwks_of(srv.url, m.pool_id)["keys"] if k["kid"] == kid]
    with pytest.raises(jwt.InvalidIssuerError):
        jwt.decode(token, jwt.PyJWK(key), algorithms=["RS256"], issuer=f"{srv.url}/{m.pool_id}")


def test_issuer_base_trailing_slash_is_ignored(start_server):
    srv = start_server("--issuer-base", AWS_ISSUER_BASE + "/")
    m = make_m2m(srv)
    token = assert_token_response(m.token())
    verify_token(srv.url, m.pool_id, token, client_id=m.client_id,
                 issuer=f"{AWS_ISSUER_BASE}/{m.pool_id}")


def test_public_url_flag(start_server):
    public = "https://rognito.example.test:8443"
    srv = start_server("--public-url", public)
    m = make_m2m(srv)
    resp = requests.get(f"{srv.url}/{m.pool_id}/.well-known/openid-configuration", timeout=30)
    doc = resp.json()
    assert set(doc) == DISCOVERY_KEYS
    assert doc["jwks_uri"] == f"{public}/{m.pool_id}/.well-known/jwks.json"
    assert doc["token_endpoint"] == f"{public}/oauth2/token"
    assert doc["authorization_endpoint"] == f"{public}/oauth2/authorize"
    assert doc["userinfo_endpoint"] == f"{public}/oauth2/userInfo"
    # Without --issuer-base the issuer follows the public URL.
    assert doc["issuer"] == f"{public}/{m.pool_id}"
    token = assert_token_response(m.token())
    assert decode_unverified(token)["iss"] == f"{public}/{m.pool_id}"


def test_keys_and_secrets_survive_a_restart(start_server, tmp_path):
    data = tmp_path / "durable"
    first = start_server(data_dir=data, durability="fsync")
    m = make_m2m(first)
    gct = token_client(m)
    token = assert_token_response(m.token())
    claims_before = verify_token(first.url, m.pool_id, token, client_id=m.client_id,
                                 scope="api/read api/write")
    gct_token = client_token(m, gct)["AccessToken"]
    jwks_before = jwks_of(first.url, m.pool_id)
    assert first.stop() == 0

    second = start_server(data_dir=data, durability="fsync")
    assert jwks_of(second.url, m.pool_id) == jwks_before
    # The old token verifies against the JWKS served after the restart (the issuer carries the
    # first server's URL, since the default issuer is the server's own address).
    keys = {k["kid"]: k for k in jwks_of(second.url, m.pool_id)["keys"]}
    for old, client_id in [(token, m.client_id), (gct_token, gct["ClientId"])]:
        kid = jwt.get_unverified_header(old)["kid"]
        claims = jwt.decode(old, jwt.PyJWK(keys[kid]), algorithms=["RS256"],
                            issuer=f"{first.url}/{m.pool_id}")
        assert claims["client_id"] == client_id
    # The secrets still work, and new tokens are signed with the same key.
    new = request_token(second.url, m.client_id, m.client_secret)
    claims_after = verify_token(second.url, m.pool_id, assert_token_response(new),
                                client_id=m.client_id, scope="api/read api/write")
    assert claims_after["jti"] != claims_before["jti"]
    assert jwt.get_unverified_header(assert_token_response(new))["kid"] == \
        jwt.get_unverified_header(token)["kid"]
    cognito = second.client()
    described = cognito.describe_user_pool_client(UserPoolId=m.pool_id, ClientId=m.client_id)
    assert described["UserPoolClient"]["ClientSecret"] == m.client_secret
    result = cognito.get_client_token(ClientId=gct["ClientId"], Secret=gct["ClientSecret"])
    verify_token(second.url, m.pool_id, result["ClientAuthenticationResult"]["AccessToken"],
                 client_id=gct["ClientId"], scope="api/read api/write")
    assert cognito.describe_user_pool_domain(Domain=m.domain)["DomainDescription"][
        "UserPoolId"] == m.pool_id

