#!/usr/bin/env node
// Verifies an access token issued by rognito with AWS's own verifier, aws-jwt-verify.
//
//   VERIFIER=cognito  CognitoJwtVerifier.create({userPoolId, tokenUse: "access", clientId}) after
//                     verifier.cacheJwks(jwks). The token's iss must be AWS's
//                     https://cognito-idp.<region>.amazonaws.com/<poolId> (start rognito with
//                     --issuer-base https://cognito-idp.<region>.amazonaws.com). Nothing is fetched
//                     from AWS: the JWKS comes from JWKS_JSON or from rognito, and the verifier's
//                     fetcher refuses every request.
//   VERIFIER=rsa      JwtRsaVerifier (= JwtVerifier in aws-jwt-verify 5) with issuer
//                     <ROGNITO_URL>/<poolId>, audience null and the jwks_uri of the pool's
//                     discovery document, fetched over HTTP from rognito (default issuer).
//
// Environment:
//   ROGNITO_URL      base URL of the server, e.g. http://127.0.0.1:8080 (required)
//   POOL_ID          user pool of the token (required)
//   CLIENT_ID        app client of the token (required)
//   TOKEN            the access token (required)
//   JWKS_JSON        the pool's JWKS as JSON (optional; fetched from rognito when absent)
//   VERIFIER         cognito | rsa (default cognito)
//   OTHER_POOL_ID, OTHER_TOKEN   optional: a token of another pool on the same server, which
//                    must be rejected by this pool's verifier and by this pool's keys
//
// Besides accepting TOKEN, the script checks that a tampered token (payload changed, signature
// changed, alg "none") and a token of a verifier's wrong client are rejected.
// Prints one line per check ("PASS <verifier>: <check> -- <detail>", or FAIL); exits 0 when every check passed, 1 when one failed,
// 2 on a usage or setup error.

import { CognitoJwtVerifier, JwtRsaVerifier, JwtVerifier } from "aws-jwt-verify";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";

const env = process.env;
const VERIFIER = env.VERIFIER ?? "cognito";

function usage(message) {
  console.error(`verify.mjs: ${message}`);
  process.exit(2);
}

for (const name of ["ROGNITO_URL", "POOL_ID", "CLIENT_ID", "TOKEN"]) {
  if (!env[name]) usage(`environment variable ${name} is required`);
}
if (!["cognito", "rsa"].includes(VERIFIER)) usage(`VERIFIER must be cognito or rsa, not ${VERIFIER}`);
if (Boolean(env.OTHER_POOL_ID) !== Boolean(env.OTHER_TOKEN)) {
  usage("OTHER_POOL_ID and OTHER_TOKEN go together");
}

const ROGNITO_URL = env.ROGNITO_URL.replace(/\/+$/, "");
const { POOL_ID, CLIENT_ID, TOKEN } = env;

let passed = 0;
let failed = 0;

function pass(what, detail = "") {
  passed += 1;
  console.log(`PASS ${VERIFIER}: ${what}${detail ? ` -- ${detail}` : ""}`);
}

function fail(what, detail = "") {
  failed += 1;
  console.log(`FAIL ${VERIFIER}: ${what}${detail ? ` -- ${detail}` : ""}`);
}

function errorName(err) {
  return err?.constructor?.name ?? typeof err;
}

/** The check passes when `run` resolves; `inspect(result)` may throw to fail it. */
async function expectAccepted(what, run, inspect = () => "") {
  try {
    const result = await run();
    pass(what, inspect(result));
  } catch (err) {
    fail(what, `${errorName(err)}: ${err?.message ?? err}`);
  }
}

/** The check passes when `run` throws (an instance of `errorClass`, when given). */
async function expectRejected(what, run, errorClass) {
  let result;
  try {
    result = await run();
  } catch (err) {
    if (errorClass && !(err instanceof errorClass)) {
      fail(what, `rejected, but with ${errorName(err)} instead of ${errorClass.name}: ${err.message}`);
    } else {
      pass(what, `rejected: ${errorName(err)}: ${err.message}`);
    }
    return;
  }
  fail(what, `ACCEPTED: ${JSON.stringify(result)}`);
}

async function getJson(url) {
  const response = await fetch(url);
  if (response.status !== 200) {
    throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
  }
  return response.json();
}

function b64url(value) {
  return Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
}

function decodePart(token, index) {
  return JSON.parse(Buffer.from(token.split(".")[index], "base64url").toString("utf8"));
}

/** Same header and signature, a payload claiming more than was granted. */
function tamperPayload(token) {
  const [header, , signature] = token.split(".");
  const payload = decodePart(token, 1);
  payload.scope = `${payload.scope ?? ""} admin/everything`.trim();
  payload.exp += 86400;
  return `${header}.${b64url(payload)}.${signature}`;
}

/** Same header and payload, one bit of the signature flipped. */
function tamperSignature(token) {
  const [header, payload, signature] = token.split(".");
  const bytes = Buffer.from(signature, "base64url");
  bytes[Math.floor(bytes.length / 2)] ^= 0x01;
  return `${header}.${payload}.${bytes.toString("base64url")}`;
}

/** An unsigned token: alg "none", no signature. */
function algNone(token) {
  const header = decodePart(token, 0);
  return `${b64url({ ...header, alg: "none" })}.${token.split(".")[1]}.`;
}

/** A fetcher for aws-jwt-verify's JWKS cache that reads over plain HTTP (rognito is http). */
const httpFetcher = {
  async fetch(uri) {
    const response = await fetch(uri);
    if (response.status !== 200) throw new Error(`GET ${uri} answered ${response.status}`);
    return response.arrayBuffer();
  },
};

/** A fetcher that refuses everything: in cognito mode nothing may be fetched (least of all AWS). */
const offlineFetcher = {
  async fetch(uri) {
    throw new Error(`refusing to fetch ${uri}: this check uses cached JWKS only`);
  },
};

function checkClaims(payload, poolIssuer) {
  const problems = [];
  if (payload.iss !== poolIssuer) problems.push(`iss ${payload.iss} != ${poolIssuer}`);
  if (payload.token_use !== "access") problems.push(`token_use ${payload.token_use}`);
  if (payload.client_id !== CLIENT_ID) problems.push(`client_id ${payload.client_id}`);
  if (payload.sub !== CLIENT_ID) problems.push(`sub ${payload.sub}`);
  if ("aud" in payload) problems.push("unexpected aud claim");
  if (problems.length) throw new Error(problems.join("; "));
  return `iss=${payload.iss} scope=${payload.scope} exp-iat=${payload.exp - payload.iat}`;
}

async function cognitoChecks() {
  if (JwtRsaVerifier !== JwtVerifier) fail("JwtRsaVerifier is JwtVerifier");
  const region = POOL_ID.split("_")[0];
  const issuer = `https://cognito-idp.${region}.amazonaws.com/${POOL_ID}`;
  const jwks = env.JWKS_JSON
    ? JSON.parse(env.JWKS_JSON)
    : await getJson(`${ROGNITO_URL}/${POOL_ID}/.well-known/jwks.json`);
  const make = (props, trusted) => {
    const verifier = CognitoJwtVerifier.create(
      { tokenUse: "access", ...props },
      { jwksCache: new SimpleJwksCache({ fetcher: offlineFetcher }) },
    );
    verifier.cacheJwks(trusted);
    return verifier;
  };
  const verifier = make({ userPoolId: POOL_ID, clientId: CLIENT_ID }, jwks);

  await expectAccepted("token verifies (async)", () => verifier.verify(TOKEN), (p) => checkClaims(p, issuer));
  await expectAccepted("token verifies (sync, cached JWKS only)", () => verifier.verifySync(TOKEN), (p) =>
    checkClaims(p, issuer),
  );
  const { JwtInvalidSignatureError, CognitoJwtInvalidClientIdError } = await import("aws-jwt-verify/error");
  await expectRejected("tampered payload", () => verifier.verify(tamperPayload(TOKEN)), JwtInvalidSignatureError);
  await expectRejected("tampered signature", () => verifier.verify(tamperSignature(TOKEN)), JwtInvalidSignatureError);
  await expectRejected("alg none", () => verifier.verify(algNone(TOKEN)));
  await expectRejected(
    "verifier of another client id",
    () => make({ userPoolId: POOL_ID, clientId: "someotherclientid0000000000" }, jwks).verify(TOKEN),
    CognitoJwtInvalidClientIdError,
  );

  if (env.OTHER_TOKEN) {
    const otherPool = env.OTHER_POOL_ID;
    const otherClient = decodePart(env.OTHER_TOKEN, 1).client_id;
    const { KidNotFoundInJwksError } = await import("aws-jwt-verify/error");
    await expectRejected("other pool's token, this pool's verifier", () => verifier.verify(env.OTHER_TOKEN));
    // A verifier for the other pool that trusts only this pool's keys: the keys must not match.
    await expectRejected(
      "other pool's token, this pool's keys",
      () => make({ userPoolId: otherPool, clientId: otherClient }, jwks).verifySync(env.OTHER_TOKEN),
      KidNotFoundInJwksError,
    );
    // Control: with its own pool's keys the other token is fine, so the rejection above is the keys'.
    const otherJwks = await getJson(`${ROGNITO_URL}/${otherPool}/.well-known/jwks.json`);
    await expectAccepted(
      "other pool's token, its own pool's keys (control)",
      () => make({ userPoolId: otherPool, clientId: otherClient }, otherJwks).verify(env.OTHER_TOKEN),
      (p) => `iss=${p.iss}`,
    );
  }
}

async function rsaChecks() {
  const issuer = `${ROGNITO_URL}/${POOL_ID}`;
  const discovery = await getJson(`${ROGNITO_URL}/${POOL_ID}/.well-known/openid-configuration`);
  if (discovery.issuer !== issuer) {
    fail("discovery issuer", `${discovery.issuer} != ${issuer}`);
  } else {
    pass("discovery issuer", issuer);
  }
  const jwksUri = discovery.jwks_uri;
  const make = (iss, uri) =>
    JwtRsaVerifier.create(
      {
        issuer: iss,
        audience: null,
        jwksUri: uri,
        customJwtCheck: ({ payload }) => {
          if (payload.token_use !== "access") throw new Error(`token_use is ${payload.token_use}`);
        },
      },
      { jwksCache: new SimpleJwksCache({ fetcher: httpFetcher }) },
    );
  const verifier = make(issuer, jwksUri);
  await expectAccepted(`token verifies with keys from ${jwksUri}`, () => verifier.verify(TOKEN), (p) =>
    checkClaims(p, issuer),
  );
  const { JwtInvalidSignatureError, JwtInvalidIssuerError, KidNotFoundInJwksError } = await import(
    "aws-jwt-verify/error"
  );
  await expectRejected("tampered payload", () => verifier.verify(tamperPayload(TOKEN)), JwtInvalidSignatureError);
  await expectRejected("tampered signature", () => verifier.verify(tamperSignature(TOKEN)), JwtInvalidSignatureError);
  await expectRejected("alg none", () => verifier.verify(algNone(TOKEN)));
  await expectRejected(
    "verifier of another issuer",
    () => make(`${ROGNITO_URL}/us-east-1_Nope00000`, jwksUri).verify(TOKEN),
    JwtInvalidIssuerError,
  );

  if (env.OTHER_TOKEN) {
    const otherIssuer = `${ROGNITO_URL}/${env.OTHER_POOL_ID}`;
    // Signature before claims: the kid is not among this pool's keys (or, failing that, the issuer).
    await expectRejected("other pool's token, this pool's verifier", () => verifier.verify(env.OTHER_TOKEN));
    await expectRejected(
      "other pool's token, this pool's jwks_uri",
      () => make(otherIssuer, jwksUri).verify(env.OTHER_TOKEN),
      KidNotFoundInJwksError,
    );
    const otherDiscovery = await getJson(`${otherIssuer}/.well-known/openid-configuration`);
    await expectAccepted(
      "other pool's token, its own jwks_uri (control)",
      () => make(otherIssuer, otherDiscovery.jwks_uri).verify(env.OTHER_TOKEN),
      (p) => `iss=${p.iss}`,
    );
  }
}

try {
  if (VERIFIER === "cognito") await cognitoChecks();
  else await rsaChecks();
} catch (err) {
  console.error(`verify.mjs: setup failed: ${errorName(err)}: ${err?.message ?? err}`);
  process.exit(2);
}

console.log(`verify.mjs (${VERIFIER}): ${passed} checks passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
