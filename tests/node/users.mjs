#!/usr/bin/env node
// Signs users in to rognito with AWS's own JavaScript SRP client, amazon-cognito-identity-js (the
// library under Amplify's Auth), and verifies the tokens it gets with aws-jwt-verify's
// CognitoJwtVerifier.
//
// The client library is pointed at rognito with the `endpoint` member of the CognitoUserPool data;
// nothing is sent to AWS. The verifier gets the pool's JWKS from rognito (cacheJwks) and its
// fetcher refuses every request, so rognito must run with
// `--issuer-base https://cognito-idp.<region>.amazonaws.com` for CognitoJwtVerifier to accept
// its issuer.
//
// Environment:
//   ROGNITO_URL        base URL of the server, e.g. http://127.0.0.1:8080 (required)
//   POOL_ID, CLIENT_ID the user pool and its public app client (no secret), which must allow
//                      ALLOW_USER_SRP_AUTH and ALLOW_REFRESH_TOKEN_AUTH (required)
//   USERNAME, PASSWORD a CONFIRMED user and its password (required)
//   NEW_USERNAME, TEMP_PASSWORD, NEW_PASSWORD
//                      optional: a FORCE_CHANGE_PASSWORD user, its temporary password and the
//                      password it sets in the NEW_PASSWORD_REQUIRED challenge
//   NEW_NAME           optional: a `name` given in that challenge (userAttributes.name)
//   GROUP, OTHER_GROUP optional: a group USERNAME is in and one it is not in; with them the
//                      groups checks of the verifier run
//   SIGN_OUT           "0" skips the globalSignOut steps (default: they run)
//
// Output: one JSON object on stdout, {"steps": {<name>: {"ok": bool, ...}, ...}}, in the order the
// steps ran. ok is whether the call succeeded (a sign-in: reached tokens), not whether that was
// expected: a step the library reports as an error has {code, name, message}, a refused token
// {error, message}, a sign-in stopped by a challenge its outcome. The Python driver
// (tests/python/test_node_clients.py) decides which outcome each step must have.
// Exit status: 0 when the script ran to its end (whatever the steps' outcomes), 2 on a usage or
// setup error.

import { createRequire } from "node:module";
import { CognitoJwtVerifier } from "aws-jwt-verify";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";

// amazon-cognito-identity-js is CommonJS; it finds fetch (Node >= 18) and crypto.getRandomValues
// (globalThis.crypto, Node >= 19; else require("crypto").randomBytes) by itself.
const require = createRequire(import.meta.url);
const {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserPool,
  CognitoUserSession,
  CognitoIdToken,
  CognitoAccessToken,
  CognitoRefreshToken,
} = require("amazon-cognito-identity-js");

const env = process.env;

function usage(message) {
  console.error(`users.mjs: ${message}`);
  process.exit(2);
}

for (const name of ["ROGNITO_URL", "POOL_ID", "CLIENT_ID", "USERNAME", "PASSWORD"]) {
  if (!env[name]) usage(`environment variable ${name} is required`);
}
const newUserVars = ["NEW_USERNAME", "TEMP_PASSWORD", "NEW_PASSWORD"];
if (newUserVars.some((n) => env[n]) && !newUserVars.every((n) => env[n])) {
  usage(`${newUserVars.join(", ")} go together`);
}
if (Boolean(env.GROUP) !== Boolean(env.OTHER_GROUP)) usage("GROUP and OTHER_GROUP go together");

const ROGNITO_URL = env.ROGNITO_URL.replace(/\/+$/, "");
const { POOL_ID, CLIENT_ID } = env;

const steps = {};

function record(name, result) {
  if (name in steps) throw new Error(`step ${name} recorded twice`);
  steps[name] = result;
}

function describeError(err) {
  return { code: err?.code ?? null, name: err?.name ?? null, message: err?.message ?? String(err) };
}

const pool = new CognitoUserPool({ UserPoolId: POOL_ID, ClientId: CLIENT_ID, endpoint: ROGNITO_URL });

function userOf(username) {
  return new CognitoUser({ Username: username, Pool: pool });
}

/**
 * authenticateUser (USER_SRP_AUTH, then PASSWORD_VERIFIER). Resolves to
 * {outcome: "success", session} | {outcome: "newPasswordRequired", userAttributes,
 * requiredAttributes} | {outcome: "failure", error} | {outcome: <other callback>, ...}.
 */
function authenticate(user, password) {
  const details = new AuthenticationDetails({ Username: user.getUsername(), Password: password });
  return new Promise((resolve) => {
    user.authenticateUser(details, {
      onSuccess: (session) => resolve({ outcome: "success", session }),
      onFailure: (error) => resolve({ outcome: "failure", error }),
      newPasswordRequired: (userAttributes, requiredAttributes) =>
        resolve({ outcome: "newPasswordRequired", userAttributes, requiredAttributes }),
      mfaRequired: (challengeName, params) => resolve({ outcome: "mfaRequired", challengeName, params }),
      totpRequired: (challengeName, params) => resolve({ outcome: "totpRequired", challengeName, params }),
      mfaSetup: (challengeName, params) => resolve({ outcome: "mfaSetup", challengeName, params }),
      selectMFAType: (challengeName, params) => resolve({ outcome: "selectMFAType", challengeName, params }),
      customChallenge: (params) => resolve({ outcome: "customChallenge", params }),
    });
  });
}

function completeNewPassword(user, newPassword, attributes) {
  return new Promise((resolve) => {
    user.completeNewPasswordChallenge(newPassword, attributes, {
      onSuccess: (session) => resolve({ outcome: "success", session }),
      onFailure: (error) => resolve({ outcome: "failure", error }),
      mfaRequired: (challengeName) => resolve({ outcome: "mfaRequired", challengeName }),
      mfaSetup: (challengeName) => resolve({ outcome: "mfaSetup", challengeName }),
      totpRequired: (challengeName) => resolve({ outcome: "totpRequired", challengeName }),
    });
  });
}

const callbackPromise = (fn) =>
  new Promise((resolve) => fn((err, result) => resolve(err ? { error: err } : { result })));

/** What the library itself makes of a session (it decodes but does not verify the tokens). */
function sessionSummary(session) {
  const id = session.getIdToken();
  const access = session.getAccessToken();
  return {
    valid: session.isValid(),
    idTokenUse: id.decodePayload().token_use,
    accessTokenUse: access.decodePayload().token_use,
    username: access.decodePayload().username,
    idUsername: id.decodePayload()["cognito:username"],
    idName: id.decodePayload().name ?? null,
    sub: id.decodePayload().sub,
    hasRefreshToken: Boolean(session.getRefreshToken().getToken()),
    accessJti: access.decodePayload().jti,
    originJti: access.decodePayload().origin_jti,
  };
}

function outcomeStep(res, extra = {}) {
  if (res.outcome === "success") return { ok: true, outcome: res.outcome, ...sessionSummary(res.session), ...extra };
  if (res.outcome === "failure") return { ok: false, outcome: res.outcome, ...describeError(res.error), ...extra };
  const { outcome, ...rest } = res;
  return { ok: false, outcome, detail: rest, ...extra };
}

// --- aws-jwt-verify -------------------------------------------------------------------------

const offlineFetcher = {
  async fetch(uri) {
    throw new Error(`refusing to fetch ${uri}: this check uses the JWKS from rognito only`);
  },
};

async function getJson(url) {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

const jwks = await getJson(`${ROGNITO_URL}/${POOL_ID}/.well-known/jwks.json`).catch((err) =>
  usage(`setup failed: ${err.message}`),
);

function verifier(props) {
  const v = CognitoJwtVerifier.create(
    { userPoolId: POOL_ID, clientId: CLIENT_ID, ...props },
    { jwksCache: new SimpleJwksCache({ fetcher: offlineFetcher }) },
  );
  v.cacheJwks(jwks);
  return v;
}

async function verifyStep(name, token, props) {
  try {
    const payload = await verifier(props).verify(token);
    record(name, {
      ok: true,
      iss: payload.iss,
      token_use: payload.token_use,
      client_id: payload.client_id ?? null,
      aud: payload.aud ?? null,
      groups: payload["cognito:groups"] ?? null,
    });
  } catch (err) {
    record(name, { ok: false, error: err?.constructor?.name ?? typeof err, message: err?.message ?? String(err) });
  }
}

async function verifySession(prefix, session) {
  const id = session.getIdToken().getJwtToken();
  const access = session.getAccessToken().getJwtToken();
  await verifyStep(`${prefix}.verify id`, id, { tokenUse: "id" });
  await verifyStep(`${prefix}.verify access`, access, { tokenUse: "access" });
  // Control: each token is refused as the other kind.
  await verifyStep(`${prefix}.verify id as access`, id, { tokenUse: "access" });
  await verifyStep(`${prefix}.verify access as id`, access, { tokenUse: "id" });
  await verifyStep(`${prefix}.verify access, other client`, access, {
    tokenUse: "access",
    clientId: "someotherclientid0000000000",
  });
  if (env.GROUP) {
    for (const [kind, token] of [["id", id], ["access", access]]) {
      await verifyStep(`${prefix}.verify ${kind}, groups ${env.GROUP}`, token, { tokenUse: kind, groups: env.GROUP });
      await verifyStep(`${prefix}.verify ${kind}, groups ${env.OTHER_GROUP}`, token, {
        tokenUse: kind,
        groups: env.OTHER_GROUP,
      });
    }
  }
}

// --- the flows ------------------------------------------------------------------------------

async function run() {
  // A wrong password: the SRP exchange runs, PASSWORD_VERIFIER is refused.
  const wrong = await authenticate(userOf(env.USERNAME), `${env.PASSWORD}-wrong`);
  record("wrong password", outcomeStep(wrong));

  // SRP sign-in.
  const user = userOf(env.USERNAME);
  const signedIn = await authenticate(user, env.PASSWORD);
  record("sign in", outcomeStep(signedIn));
  if (signedIn.outcome !== "success") return;
  const session = signedIn.session;
  await verifySession("sign in", session);

  // GetUser with the access token.
  const attrs = await callbackPromise((cb) => user.getUserAttributes(cb));
  record(
    "get user attributes",
    attrs.error
      ? { ok: false, ...describeError(attrs.error) }
      : { ok: true, attributes: Object.fromEntries(attrs.result.map((a) => [a.getName(), a.getValue()])) },
  );

  // REFRESH_TOKEN_AUTH.
  const refreshed = await callbackPromise((cb) => user.refreshSession(session.getRefreshToken(), cb));
  if (refreshed.error) {
    record("refresh", { ok: false, ...describeError(refreshed.error) });
  } else {
    record("refresh", { ok: true, outcome: "success", ...sessionSummary(refreshed.result) });
    await verifySession("refresh", refreshed.result);
  }

  if (env.SIGN_OUT !== "0") {
    // Keep the tokens: globalSignOut clears the library's own copy of them.
    const tokens = {
      IdToken: new CognitoIdToken({ IdToken: session.getIdToken().getJwtToken() }),
      AccessToken: new CognitoAccessToken({ AccessToken: session.getAccessToken().getJwtToken() }),
      RefreshToken: new CognitoRefreshToken({ RefreshToken: session.getRefreshToken().getToken() }),
    };
    const out = await new Promise((resolve) =>
      user.globalSignOut({
        onSuccess: (msg) => resolve({ ok: true, result: msg }),
        onFailure: (err) => resolve({ ok: false, ...describeError(err) }),
      }),
    );
    record("global sign out", out);
    // The same (still unexpired) access token, on a fresh CognitoUser, must now be refused by
    // rognito's GetUser.
    const again = userOf(env.USERNAME);
    again.setSignInUserSession(new CognitoUserSession(tokens));
    const after = await callbackPromise((cb) => again.getUserAttributes(cb));
    record(
      "get user attributes after sign out",
      after.error
        ? { ok: false, ...describeError(after.error) }
        : { ok: true, attributes: Object.fromEntries(after.result.map((a) => [a.getName(), a.getValue()])) },
    );
    const refreshAfter = await callbackPromise((cb) => again.refreshSession(tokens.RefreshToken, cb));
    record(
      "refresh after sign out",
      refreshAfter.error ? { ok: false, ...describeError(refreshAfter.error) } : { ok: true },
    );
    // A new sign-in works again.
    const back = await authenticate(userOf(env.USERNAME), env.PASSWORD);
    record("sign in after sign out", outcomeStep(back));
  }

  if (env.NEW_USERNAME) {
    const fresh = userOf(env.NEW_USERNAME);
    const first = await authenticate(fresh, env.TEMP_PASSWORD);
    record("new user sign in", outcomeStep(first));
    if (first.outcome !== "newPasswordRequired") return;
    // As Amplify does: the attributes the challenge listed are not sent back.
    const attributes = env.NEW_NAME ? { name: env.NEW_NAME } : {};
    const done = await completeNewPassword(fresh, env.NEW_PASSWORD, attributes);
    record("new user complete new password", outcomeStep(done));
    if (done.outcome === "success") await verifySession("new user", done.session);
    const next = await authenticate(userOf(env.NEW_USERNAME), env.NEW_PASSWORD);
    record("new user sign in with new password", outcomeStep(next));
  }
}

try {
  await run();
} catch (err) {
  console.error(`users.mjs: ${err?.stack ?? err}`);
  process.exit(2);
}
console.log(JSON.stringify({ steps }));
process.exit(0);
