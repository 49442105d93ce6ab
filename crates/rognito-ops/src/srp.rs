//! The server side of Amazon Cognito's SRP-6a variant (`USER_SRP_AUTH` → `PASSWORD_VERIFIER`),
//! and in [`client`] the client side that real clients compute. Pure arithmetic: no I/O, no store,
//! no clock (the caller checks the TIMESTAMP's skew with [`parse_timestamp`]).
//!
//! Cognito's SRP is not RFC 5054 byte for byte; every rule below is the one the real clients
//! implement (amazon-cognito-identity-js `AuthenticationHelper`, Amplify v6, pycognito, the Go
//! client), as collected in `docs/research/srp-tokens-mfa.md` §1 (cited as "§1.x" below):
//!
//! - group: the RFC 3526 3072-bit MODP prime `N`, `g = 2`, `H` = SHA-256 (§1.1);
//! - `k = H(0x00 ‖ N ‖ 0x02)`, i.e. `H(padHex(N) ‖ padHex(g))` (§1.1);
//! - every integer that is hashed goes through `padHex`: minimal big-endian bytes, plus a leading
//!   `0x00` when the top bit is set (§1.2, pitfalls §1.9);
//! - `x = H(padHex(salt) ‖ H(utf8(poolName ‖ userIdForSrp ‖ ":" ‖ password)))`, `v = g^x mod N`
//!   (§1.3, §1.4);
//! - `u = H(padHex(A) ‖ padHex(B))`, `S = (A·v^u)^b mod N` (§1.3);
//! - `K = HKDF-SHA256(ikm = padHex(S), salt = padHex(u), info = "Caldera Derived Key")[..16]`
//!   (§1.5);
//! - `PASSWORD_CLAIM_SIGNATURE = base64(HMAC-SHA256(K, poolName ‖ userIdForSrp ‖ secretBlock ‖
//!   TIMESTAMP))`, TIMESTAMP re-formatted canonically before the HMAC (§1.6, §1.7).
//!
//! The bignum arithmetic (`num-bigint`) is not constant-time, as in RustCrypto's `srp` crate.

use std::fmt;
use std::sync::LazyLock;

use aws_lc_rs::{digest, hmac};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use num_bigint::BigUint;
use num_traits::Zero;
use subtle::ConstantTimeEq;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};
use zeroize::Zeroizing;

/// RFC 3526 / RFC 5054 3072-bit MODP prime, as every Cognito client hard-codes it (§1.1).
const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510",
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C",
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);

/// `N` (§1.1). The constant is valid hex (the tests check its size and `k`), so the fallback
/// never happens.
static N: LazyLock<BigUint> =
    LazyLock::new(|| BigUint::parse_bytes(N_HEX.as_bytes(), 16).unwrap_or_default());

/// `g = 2` (§1.1).
static G: LazyLock<BigUint> = LazyLock::new(|| BigUint::from(2u8));

/// `k = H(padHex(N) ‖ padHex(g)) = H(0x00 ‖ N ‖ 0x02)`, not RFC 5054's (§1.1).
static K: LazyLock<BigUint> = LazyLock::new(|| hash_int(&[&pad_hex(&N), &pad_hex(&G)]));

/// The HKDF info string of Cognito's clients (§1.5).
const HKDF_INFO: &[u8] = b"Caldera Derived Key";

/// Length of the random salt drawn at password-set time, in bytes (§1.3; Cognito sends 32 hex
/// characters, §1.8).
const SALT_LEN: usize = 16;

/// Length of the server's secret exponent `b`, in bytes (≥ 256 bits, RFC 5054; §1.3).
const B_LEN: usize = 32;

/// Length of the client's secret exponent `a`, in bytes (amazon-cognito-identity-js, §1.3).
const A_LEN: usize = 128;

/// What is stored when a password is set (§1.4): the salt and `v = g^x mod N`.
///
/// `x` depends on the pool name, USER_ID_FOR_SRP (the stored username) and the password, so the
/// pair stays valid until the password changes (§0 item 2, §1.4).
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier {
    /// The salt: 16 random bytes from [`make_verifier`] (any length is accepted; it is read as a
    /// big-endian unsigned integer, which is how clients read `SALT`, §1.2).
    pub salt: Vec<u8>,
    /// `v = g^x mod N`, big-endian, minimal bytes (no leading zero bytes).
    pub verifier: Vec<u8>,
}

impl fmt::Debug for Verifier {
    /// Shows the salt; `v` is password-equivalent for an offline guesser, so it is left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("salt", &salt_hex(self))
            .field("verifier", &format_args!(".."))
            .finish()
    }
}

/// A fresh [`Verifier`] for a password: 16 random salt bytes and `v = g^x mod N` (§1.3, §1.4).
///
/// `pool_name` is the part of the UserPoolId after the first `_` (`us-east-1_AbCdEfGhI` →
/// `AbCdEfGhI`), `user_id_for_srp` the stored username (also for alias sign-ins, §1.4), and
/// `password` is hashed as the exact UTF-8 bytes given (no normalisation, §1.9).
pub fn make_verifier(pool_name: &str, user_id_for_srp: &str, password: &str) -> Verifier {
    let salt = crate::ids::random_bytes::<SALT_LEN>();
    make_verifier_with_salt(pool_name, user_id_for_srp, password, &salt)
}

/// [`make_verifier`] with a given salt (big-endian bytes), for tests and published vectors.
pub fn make_verifier_with_salt(
    pool_name: &str,
    user_id_for_srp: &str,
    password: &str,
    salt: &[u8],
) -> Verifier {
    let x = compute_x(
        pool_name,
        user_id_for_srp,
        password,
        &BigUint::from_bytes_be(salt),
    );
    let v = G.modpow(&x, &N);
    Verifier {
        salt: salt.to_vec(),
        verifier: v.to_bytes_be(),
    }
}

/// The `SALT` challenge parameter for `verifier`: the salt as an integer in lowercase hex without
/// leading zeros (JavaScript's `BigInteger.toString(16)`), e.g. `8ce8291892390f6b53a245933faf6164`.
///
/// This is the form real Cognito sends (verified capture, §1.8). Clients either parse it as an
/// integer and `padHex` it (JS, Go) or apply `pad_hex` to the string itself (pycognito); the two
/// agree on this form, and only on it: a salt emitted with redundant leading zeros (`0012…`)
/// gives pycognito a different `x` (§1.2, §1.9). A salt of all zero bytes is `"0"`.
pub fn salt_hex(verifier: &Verifier) -> String {
    BigUint::from_bytes_be(&verifier.salt).to_str_radix(16)
}

/// The server's ephemeral for one `USER_SRP_AUTH` (§1.3): the secret `b` and `SRP_B`.
///
/// `b` must reach [`check_signature`] (through the `SECRET_BLOCK`, §0 item 3) and nobody else;
/// it is zeroed when dropped and [`fmt::Debug`] does not print it.
#[derive(Clone)]
pub struct ServerEphemeral {
    /// The secret exponent `b`: 32 random bytes, big-endian.
    pub b: Zeroizing<Vec<u8>>,
    /// `SRP_B` as Cognito sends it: `B = (k·v + g^b) mod N` in lowercase hex without leading
    /// zeros (clients parse it as an integer, so any case or padding would work, §1.2).
    pub srp_b: String,
}

impl fmt::Debug for ServerEphemeral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerEphemeral")
            .field("b", &format_args!(".."))
            .field("srp_b", &self.srp_b)
            .finish()
    }
}

/// A fresh server ephemeral for `verifier`: `b` = 32 random bytes, `B = (k·v + g^b) mod N`,
/// drawn again in the (negligible) case `B ≡ 0 mod N` (§1.3).
///
/// `u = H(A ‖ B)` cannot be checked here (A is not an input); [`check_signature`] answers
/// [`SrpError::Mismatch`] if it is zero, where real clients refuse to go on (§1.3).
pub fn server_ephemeral(verifier: &Verifier) -> ServerEphemeral {
    let v = BigUint::from_bytes_be(&verifier.verifier);
    loop {
        let b = Zeroizing::new(crate::ids::random_bytes::<B_LEN>().to_vec());
        let big_b = server_public(&v, &BigUint::from_bytes_be(&b));
        if !big_b.is_zero() {
            return ServerEphemeral {
                b,
                srp_b: big_b.to_str_radix(16),
            };
        }
    }
}

/// Why a `PASSWORD_VERIFIER` response is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SrpError {
    /// `SRP_A` is empty, holds a character other than a hex digit, or `A ≡ 0 mod N` (which would
    /// make `S = 0` and let anyone in, §1.3, §1.9).
    #[error("SRP_A is not a valid public value")]
    BadA,
    /// TIMESTAMP does not parse as `EEE MMM d HH:mm:ss z yyyy` (English): Cognito's
    /// `InvalidParameterException` `TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in
    /// english.` (§1.6).
    #[error("TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english.")]
    BadTimestamp,
    /// The signature does not match (wrong password, wrong secret block or user, non-canonical
    /// TIMESTAMP, undecodable signature, `u = 0`, a stored verifier ≡ 0 mod N): Cognito's `NotAuthorizedException`
    /// `Incorrect username or password.` (§1.8).
    #[error("Incorrect username or password.")]
    Mismatch,
}

/// Checks `SRP_A` as InitiateAuth receives it (§1.2, §1.3): lowercase or uppercase hex digits
/// only (no sign, prefix, separator or whitespace), at least one, and `A mod N ≠ 0`.
///
/// Errors: [`SrpError::BadA`].
pub fn check_a(srp_a_hex: &str) -> Result<(), SrpError> {
    parse_a(srp_a_hex).map(|_| ())
}

/// Checks RespondToAuthChallenge's `PASSWORD_CLAIM_SIGNATURE` (§1.3, §1.7).
///
/// Inputs: the user's stored `verifier`; the server's secret `b` from [`server_ephemeral`]
/// (big-endian bytes; `B` is recomputed from it); `SRP_A` as the client sent it to InitiateAuth;
/// `pool_name` (the UserPoolId after `_`) and `user_id_for_srp` as used for the verifier;
/// `secret_block`, the base64-decoded `PASSWORD_CLAIM_SECRET_BLOCK`; `TIMESTAMP` and
/// `PASSWORD_CLAIM_SIGNATURE` as received.
///
/// The TIMESTAMP is parsed ([`parse_timestamp`]) and the HMAC is computed over its canonical
/// form ([`format_timestamp`]), not over the bytes received, as Cognito does (§1.6). The
/// signature is compared in constant time. This does not check the TIMESTAMP's distance from
/// the server's clock: the caller does, with [`parse_timestamp`].
///
/// Errors, checked in this order: [`SrpError::BadTimestamp`] (unparsable TIMESTAMP),
/// [`SrpError::BadA`] (see [`check_a`]), [`SrpError::Mismatch`] (everything else).
#[allow(clippy::too_many_arguments)] // the flat list of the challenge's values, in wire order
pub fn check_signature(
    verifier: &Verifier,
    b: &[u8],
    srp_a_hex: &str,
    pool_name: &str,
    user_id_for_srp: &str,
    secret_block: &[u8],
    timestamp: &str,
    signature_b64: &str,
) -> Result<(), SrpError> {
    let canonical = format_timestamp(parse_timestamp(timestamp)?);
    let a_pub = parse_a(srp_a_hex)?;
    let v = BigUint::from_bytes_be(&verifier.verifier) % &*N;
    if v.is_zero() {
        // An empty or zero verifier (a bug upstream) would make S = 0: anyone would pass.
        return Err(SrpError::Mismatch);
    }
    let b = BigUint::from_bytes_be(b);
    let b_pub = server_public(&v, &b);
    let u = compute_u(&a_pub, &b_pub);
    if u.is_zero() {
        return Err(SrpError::Mismatch);
    }
    let s = server_premaster(&a_pub, &v, &u, &b);
    let key = hkdf_key(&s, &u);
    let expected = signature(
        &key,
        pool_name,
        user_id_for_srp,
        secret_block,
        canonical.as_bytes(),
    );
    let Ok(received) = BASE64.decode(signature_b64) else {
        return Err(SrpError::Mismatch);
    };
    if bool::from(expected.as_slice().ct_eq(received.as_slice())) {
        Ok(())
    } else {
        Err(SrpError::Mismatch)
    }
}

/// Cognito's canonical TIMESTAMP for `t` (§1.6): `EEE MMM d HH:mm:ss 'UTC' yyyy` in English, in
/// UTC, the day not zero-padded, hours (24-hour clock), minutes and seconds zero-padded, the
/// year padded to 4 digits (Java's `yyyy`), e.g. `Tue Nov 3 21:04:05 UTC 2026`.
pub fn format_timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{} {} {} {:02}:{:02}:{:02} UTC {:04}",
        weekday_abbr(t.weekday()),
        month_abbr(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.year(),
    )
}

/// Parses a TIMESTAMP as Cognito does (Java `SimpleDateFormat("EEE MMM d HH:mm:ss z yyyy",
/// Locale.ENGLISH)`, non-lenient; §1.6). The result is the instant named, for the caller's skew
/// check (Cognito's window is unpublished, §1.6).
///
/// Accepted: six fields separated by single spaces; weekday and month as English names,
/// abbreviated or full, any case; day 1–2 digits within the month; `H:m:s` of 1–2 digits each
/// with hour 0–23, minute and second 0–59; zone `UTC` or `GMT` (any case; other zones unverified,
/// refused); year 1–4 digits. The weekday is read but not checked against the date: a wrong
/// weekday parses and then fails the signature, since the HMAC is over the canonical form
/// (§1.6). Likewise `05` for the day, `GMT` or `tue` parse but are not canonical.
///
/// Errors: [`SrpError::BadTimestamp`] for anything else (hour 24, day 31 in November, a missing
/// field, trailing text, ...).
pub fn parse_timestamp(timestamp: &str) -> Result<OffsetDateTime, SrpError> {
    const BAD: SrpError = SrpError::BadTimestamp;
    let mut fields = timestamp.split(' ');
    let (Some(weekday), Some(month), Some(day), Some(hms), Some(zone), Some(year), None) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return Err(BAD);
    };
    if !WEEKDAYS
        .iter()
        .any(|(_, short, long)| is_name(weekday, short, long))
    {
        return Err(BAD);
    }
    let month = MONTHS
        .iter()
        .find(|(_, short, long)| is_name(month, short, long))
        .map(|(m, _, _)| *m)
        .ok_or(BAD)?;
    let day = small_number(day, 2).ok_or(BAD)?;
    let mut hms = hms.split(':');
    let (Some(hour), Some(minute), Some(second), None) =
        (hms.next(), hms.next(), hms.next(), hms.next())
    else {
        return Err(BAD);
    };
    let hour = small_number(hour, 2).ok_or(BAD)?;
    let minute = small_number(minute, 2).ok_or(BAD)?;
    let second = small_number(second, 2).ok_or(BAD)?;
    if !zone.eq_ignore_ascii_case("UTC") && !zone.eq_ignore_ascii_case("GMT") {
        return Err(BAD);
    }
    let year = small_number(year, 4).ok_or(BAD)?;
    let date =
        Date::from_calendar_date(i32::from(year), month, u8::try_from(day).map_err(|_| BAD)?)
            .map_err(|_| BAD)?;
    let time = Time::from_hms(
        u8::try_from(hour).map_err(|_| BAD)?,
        u8::try_from(minute).map_err(|_| BAD)?,
        u8::try_from(second).map_err(|_| BAD)?,
    )
    .map_err(|_| BAD)?;
    Ok(PrimitiveDateTime::new(date, time).assume_utc())
}

/// The client side of the exchange, as amazon-cognito-identity-js's `AuthenticationHelper` and
/// `CognitoUser.authenticateUser` compute it (§1.3, §1.7): for tests and the benchmark in other
/// crates, so they can sign in through `USER_SRP_AUTH` like a real client.
pub mod client {
    use super::*;

    /// A fresh client ephemeral: `a` (128 random bytes, big-endian; secret) and `SRP_A` =
    /// `g^a mod N` in lowercase hex without leading zeros (`A.toString(16)`, §1.2, §1.3). `a` is
    /// drawn again in the (negligible) case `A ≡ 0 mod N`, as the JS client does.
    pub fn client_ephemeral() -> (Vec<u8>, String) {
        loop {
            let a = crate::ids::random_bytes::<A_LEN>().to_vec();
            let a_pub = client_public(&BigUint::from_bytes_be(&a));
            if !a_pub.is_zero() {
                return (a, a_pub.to_str_radix(16));
            }
        }
    }

    /// `PASSWORD_CLAIM_SIGNATURE` (standard base64 of 32 bytes) for a `PASSWORD_VERIFIER`
    /// challenge (§1.3, §1.7): `salt_hex`, `srp_b_hex` and `secret_block_b64` are the challenge's
    /// `SALT`, `SRP_B` and `SECRET_BLOCK` as received; `a` is from [`client_ephemeral`];
    /// `timestamp` is signed as given (use [`super::format_timestamp`] for a canonical one).
    ///
    /// `SALT` and `SRP_B` are read as integers (JS and Go do; §1.2), `S = (B − k·g^x)^(a + u·x)
    /// mod N`, and the key and message are the server's (§1.5, §1.7).
    ///
    /// `None` where the JS client throws: `SALT` or `SRP_B` not hex, `B ≡ 0 mod N`, `u = 0`; or
    /// `SECRET_BLOCK` not standard base64.
    #[allow(clippy::too_many_arguments)] // the flat list of the challenge's values
    pub fn client_signature(
        pool_name: &str,
        user_id_for_srp: &str,
        password: &str,
        salt_hex: &str,
        srp_b_hex: &str,
        a: &[u8],
        secret_block_b64: &str,
        timestamp: &str,
    ) -> Option<String> {
        let salt = parse_hex(salt_hex)?;
        let b_pub = parse_hex(srp_b_hex)?;
        if (&b_pub % &*N).is_zero() {
            return None;
        }
        let secret_block = BASE64.decode(secret_block_b64).ok()?;
        let a = BigUint::from_bytes_be(a);
        let a_pub = client_public(&a);
        let u = compute_u(&a_pub, &b_pub);
        if u.is_zero() {
            return None;
        }
        let x = compute_x(pool_name, user_id_for_srp, password, &salt);
        let s = client_premaster(&b_pub, &x, &a, &u);
        let key = hkdf_key(&s, &u);
        let mac = signature(
            &key,
            pool_name,
            user_id_for_srp,
            &secret_block,
            timestamp.as_bytes(),
        );
        Some(BASE64.encode(mac))
    }
}

// ---- arithmetic (§1.2, §1.3, §1.5, §1.7) ----

/// `padHex(x)` as bytes (§1.2): minimal big-endian bytes (`[0]` for zero), with one `0x00`
/// prepended when the top bit of the first byte is set.
fn pad_hex(x: &BigUint) -> Vec<u8> {
    let bytes = x.to_bytes_be();
    match bytes.first() {
        Some(first) if first & 0x80 != 0 => {
            let mut padded = Vec::with_capacity(bytes.len() + 1);
            padded.push(0);
            padded.extend_from_slice(&bytes);
            padded
        }
        _ => bytes,
    }
}

/// SHA-256 of the concatenation of `parts`.
fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut context = digest::Context::new(&digest::SHA256);
    for part in parts {
        context.update(part);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(context.finish().as_ref());
    out
}

/// SHA-256 of the concatenation of `parts`, read as a big-endian integer.
fn hash_int(parts: &[&[u8]]) -> BigUint {
    BigUint::from_bytes_be(&sha256(parts))
}

/// A hex string (either case, at least one digit, nothing else) as an integer.
fn parse_hex(hex: &str) -> Option<BigUint> {
    // parse_bytes alone would also accept `_` separators.
    if hex.is_empty() || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    BigUint::parse_bytes(hex.as_bytes(), 16)
}

/// `SRP_A` as an integer, refused when not hex or `A ≡ 0 mod N` (§1.3). The value itself (not
/// reduced) is what `u` hashes, as the client did.
fn parse_a(srp_a_hex: &str) -> Result<BigUint, SrpError> {
    let a_pub = parse_hex(srp_a_hex).ok_or(SrpError::BadA)?;
    if (&a_pub % &*N).is_zero() {
        return Err(SrpError::BadA);
    }
    Ok(a_pub)
}

/// `x = H(padHex(salt) ‖ H(utf8(P ‖ I ‖ ":" ‖ password)))` (§1.3): the inner digest enters the
/// outer hash as its 32 bytes (clients concatenate its hex after `padHex(salt)`'s hex and
/// decode the whole).
fn compute_x(pool_name: &str, user_id_for_srp: &str, password: &str, salt: &BigUint) -> BigUint {
    let identity = sha256(&[
        pool_name.as_bytes(),
        user_id_for_srp.as_bytes(),
        b":",
        password.as_bytes(),
    ]);
    hash_int(&[&pad_hex(salt), &identity])
}

/// `B = (k·v + g^b) mod N` (§1.3).
fn server_public(v: &BigUint, b: &BigUint) -> BigUint {
    (&*K * v + G.modpow(b, &N)) % &*N
}

/// `A = g^a mod N` (§1.3).
fn client_public(a: &BigUint) -> BigUint {
    G.modpow(a, &N)
}

/// `u = H(padHex(A) ‖ padHex(B))` (§1.3; fixed-width encodings are pitfall §1.9).
fn compute_u(a_pub: &BigUint, b_pub: &BigUint) -> BigUint {
    hash_int(&[&pad_hex(a_pub), &pad_hex(b_pub)])
}

/// The server's `S = (A·v^u)^b mod N` (§1.3).
fn server_premaster(a_pub: &BigUint, v: &BigUint, u: &BigUint, b: &BigUint) -> BigUint {
    ((a_pub % &*N) * v.modpow(u, &N) % &*N).modpow(b, &N)
}

/// The client's `S = (B − k·g^x)^(a + u·x) mod N` (§1.3), the base taken in `[0, N)`.
fn client_premaster(b_pub: &BigUint, x: &BigUint, a: &BigUint, u: &BigUint) -> BigUint {
    let kgx = (&*K * G.modpow(x, &N)) % &*N;
    let base = ((b_pub % &*N) + &*N - kgx) % &*N;
    base.modpow(&(a + u * x), &N)
}

/// `K = HKDF-SHA256(ikm = padHex(S), salt = padHex(u), info = "Caldera Derived Key")`, first 16
/// bytes: one HKDF block, computed with HMAC (§1.5).
fn hkdf_key(s: &BigUint, u: &BigUint) -> [u8; 16] {
    let prk = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &pad_hex(u)), &pad_hex(s));
    let mut context = hmac::Context::with_key(&hmac::Key::new(hmac::HMAC_SHA256, prk.as_ref()));
    context.update(HKDF_INFO);
    context.update(&[1]);
    let okm = context.sign();
    let mut key = [0u8; 16];
    for (k, o) in key.iter_mut().zip(okm.as_ref()) {
        *k = *o;
    }
    key
}

/// `HMAC-SHA256(K, utf8(P) ‖ utf8(I) ‖ secretBlock ‖ utf8(TIMESTAMP))` (§1.7).
fn signature(
    key: &[u8; 16],
    pool_name: &str,
    user_id_for_srp: &str,
    secret_block: &[u8],
    timestamp: &[u8],
) -> Vec<u8> {
    let mut context = hmac::Context::with_key(&hmac::Key::new(hmac::HMAC_SHA256, key));
    context.update(pool_name.as_bytes());
    context.update(user_id_for_srp.as_bytes());
    context.update(secret_block);
    context.update(timestamp);
    context.sign().as_ref().to_vec()
}

// ---- TIMESTAMP names (§1.6) ----

const WEEKDAYS: [(Weekday, &str, &str); 7] = [
    (Weekday::Monday, "Mon", "Monday"),
    (Weekday::Tuesday, "Tue", "Tuesday"),
    (Weekday::Wednesday, "Wed", "Wednesday"),
    (Weekday::Thursday, "Thu", "Thursday"),
    (Weekday::Friday, "Fri", "Friday"),
    (Weekday::Saturday, "Sat", "Saturday"),
    (Weekday::Sunday, "Sun", "Sunday"),
];

const MONTHS: [(Month, &str, &str); 12] = [
    (Month::January, "Jan", "January"),
    (Month::February, "Feb", "February"),
    (Month::March, "Mar", "March"),
    (Month::April, "Apr", "April"),
    (Month::May, "May", "May"),
    (Month::June, "Jun", "June"),
    (Month::July, "Jul", "July"),
    (Month::August, "Aug", "August"),
    (Month::September, "Sep", "September"),
    (Month::October, "Oct", "October"),
    (Month::November, "Nov", "November"),
    (Month::December, "Dec", "December"),
];

fn weekday_abbr(weekday: Weekday) -> &'static str {
    WEEKDAYS
        .iter()
        .find(|(w, _, _)| *w == weekday)
        .map_or("", |(_, short, _)| short)
}

fn month_abbr(month: Month) -> &'static str {
    MONTHS
        .iter()
        .find(|(m, _, _)| *m == month)
        .map_or("", |(_, short, _)| short)
}

/// Whether `field` is the English name `short` or `long`, in any case (Java's text fields).
fn is_name(field: &str, short: &str, long: &str) -> bool {
    field.eq_ignore_ascii_case(short) || field.eq_ignore_ascii_case(long)
}

/// A number of 1 to `max_digits` ASCII digits.
fn small_number(field: &str, max_digits: usize) -> Option<u16> {
    if field.is_empty() || field.len() > max_digits || !field.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    field.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::client::{client_ephemeral, client_signature};
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn int(s: &str) -> BigUint {
        let s: String = s.split_whitespace().collect();
        BigUint::parse_bytes(s.as_bytes(), 16).unwrap()
    }

    // ---- §1.11 C: the end-to-end vector ----

    const POOL: &str = "AbCdEfGhI";
    const USER: &str = "alice";
    const PASSWORD: &str = "Passw0rd!";
    const SALT: &str = "8ce8291892390f6b53a245933faf6164";
    const SECRET_BLOCK_B64: &str = "cm9nbml0by1leGFtcGxlLXNlY3JldC1ibG9jay0wMDAx";
    const TIMESTAMP: &str = "Tue Nov 3 21:04:05 UTC 2026";
    const SIGNATURE: &str = "yk7ZucJjfZLYVOJJq8eTV13n7nhVltjjzBqebycJvDk=";
    const V: &str = "
    edf33e3ae440ecc519be7899c8aaa5a326800f19ea07935e4f6a96932190af75bf27fe178183d0d4e238c46fbce322e1
    9d312ba8df9ba5f0314e85c10c6b3d86a560eb79b4cafe7b7299658a1a2a21576aecf1f7fa27bad66a347ad63e7e20d0
    6f6e8eb3d089ee5232924b341bca8b33633f71578fd26a5b1fd89b634a708339faacdb7d8516cacf3a5749667a8df1f2
    e5a225ff22b2914405aa969221e2aa421c3c021b48a9b8960567a35657d611b21aee090618be4f3620a047b887ed2329
    d26a648b3994388b1c8a111871f5ae9d0735920b5948983f5418e74454c7c8b4202a20d89fc70d23d7fea274bb6ff212
    40e7cced005cdb31e15b7fc6c7f7dd1a90cdef93ecd45b9f520df6330313abbf6c37a6196ced8674ebe7ec834196d866
    46cbee0dd873838a74d8e8ed2cd534213ece374c7ddcb1a5581b9affcfa71f3e0bbb7aaa67dbe83d103760dd252582c0
    866e03ca9389258b24a22a088ff9e64ead28c3d56d213e6f3a76ebe7f31e5851606a293441a45e0964b85c55e21f0fb5";
    const SRP_A: &str = "
    5cb967af6ec0aa592e56e77f603b2a2fca70ddb04ded61500a730d8cd535a9d29e63dd86bccb2fc7209443f460754dc4
    3b4731c1f7cded35524891ee0bb51a5ccbb3aec415eeeba7045b6dee96ff5379ac95f9a1309b573744124e7bcaf902a1
    eda91dbd8796972e8340eef22da0a2a1c82ce95acd1a48b24c852224ea0d079daea10786c970e940834e01c8f2c5a130
    c54fcdfcbaebf97d712a6db9fed59e71258b69b4264902d84fe27a43b590ab1f599a901393fabc3cf7fc58f68a37d241
    5fd62f32afc1e4ab1deb1554f344920810f79bb19bc5feda7523cb93ee83d09a30e049bab8d287bd80cb128996587d99
    94a618034237d649b4b021be0554c7d3c1d68783e8fa65b19eecf8389a961127c7ead2026b56720f26f17fe3f035e5b1
    0ccdbf90f2b77291d7aa809e1643fb337a6db694d358c4e36ad9b3e09090ea479ead38e80146ae5aeaa3f9d96059f73d
    277ab46ac54559eadcce78e380fbc9f4dc97bbeea6ed1b7302da86e2ae3c6751b49653e849b718473d8f5a9019aaf21d";
    const SRP_B: &str = "
    82c9fa5c522892e4e102b755e6874d359e57f16c2b08182fd99df9d9fd9b73953cea53a96307ad497c53469ed114df81
    c456648ad76c970f7259e77199ac689ad0d7e566f1c6efa7f808066f398db2a3398bf5bcf28245c883ef8a6995e835af
    f1a56e661231b0a940e28968414deded3cb48f141a9381ab0f0012118410861770272cfe56957f9fba97eb24ee423aad
    b9e3867cd53f43ba528b7f1809a540b396aee32ba4ef344266f18f6309aa910c41315b43a8332888cdbb6a4718e680b9
    e6988834ff12935a466903c2f2f1051c3d94061323093e40f3179d11592d6a89cd71934429e91931623d689831b2f766
    4f89695372d27c4ad1bde5b9ec0408b871ccd595f5a252fe372129e25723a1f192cecab0ba2148db20edc6d7b44f5bae
    f34928b2a8e19dd9dd7348765da64e711c5c77c8263eaaa3483f26e8d6940b2cfa4e318feca11b6ccf2845d6718abc4c
    34bbc502fccdcf5d16d63ee50014bc08ff14e9faacca26de78f18b8d1074c199c96d54d9010653e14415880a585fd339";
    const S: &str = "
    ba791bdf2ce8c88b70b79c0ac74b71def97805b944488c8c531a5ddbcc50bbf36e0cd2272d76c158a4af5fe5a4ebdcca
    143e1b6a879ba98f2d21b3b198eebb399cbbf5e30c5f6ac31c40c1bde5e719e4c9bf5129341e8044c1f5478c93332cdb
    14aabaa7232d070faf2c8b6a337c4709f380593f8805e72fb3320ec22618363d89e8f29c43986d4cb4cef83d80475c4a
    254827c4b72933af10f088fa03fb33d150274ce21af69f0c990a47d35442d1774f9b3ea050ff4d602a9eff15f90b1484
    a0766671b804259f15a78453d48e2c7df6dc196bae22e9d8b645873102192f092c8638b0dbe1e6e7a09add0cc55ee47b
    07a56eb2cd6b98829602c3dc1f231eff1949b7e18daa2fe046eb65477e86c6bf1c3fb006714575f8bafd687d8f96b8c0
    18a67611e3228665cd731fdd6b6850bae8d165a6aadc8bfab77e9654a994a976e62c3aaad1b92102323aaf59fd892bfc
    84b95db63ebc7582ae94cc9a2e6850a005a5faf6185b4104ee01928f09c752dbfdce69476a2ccfb2d610acb9518e2b1f";
    const U: &str = "c3eee0e40c82850afd362e61d7827dd282c48f259f735989a725cf5c0ce8da46";

    fn vector_a() -> Vec<u8> {
        vec![0xab; 128]
    }

    fn vector_b() -> Vec<u8> {
        vec![0xcd; 32]
    }

    fn secret_block() -> Vec<u8> {
        BASE64.decode(SECRET_BLOCK_B64).unwrap()
    }

    #[test]
    fn srp_group_and_multiplier_are_cognitos() {
        assert_eq!(N.bits(), 3072);
        assert_eq!(N.to_str_radix(16), N_HEX.to_ascii_lowercase());
        // §1.1: k = H(00 ‖ N ‖ 02), and its decimal form from the Go client's test.
        assert_eq!(
            K.to_str_radix(16),
            "538282c4354742d7cbbde2359fcf67f9f5b3a6b08791e5011b43b8a5b66d9ee6"
        );
        assert_eq!(
            K.to_string(),
            "37772559067617796309459009502931177628717927509759535181635788491848250400486"
        );
    }

    #[test]
    fn srp_vector_c_verifier_and_x() {
        assert_eq!(secret_block(), b"rognito-example-secret-block-0001");
        assert_eq!(
            hex(&sha256(&[b"AbCdEfGhIalice:Passw0rd!"])),
            "2def378180b909ccedf8c5b4bc62ec7ea7887b93fba0c5408fd1be059751a59d"
        );
        let x = compute_x(POOL, USER, PASSWORD, &int(SALT));
        assert_eq!(
            x.to_str_radix(16),
            "7df8aeb48014931f5d0f535adabbb898ccf0b84226b85994ff91aba8d8ad7d2f"
        );
        let verifier = make_verifier_with_salt(POOL, USER, PASSWORD, &unhex(SALT));
        assert_eq!(verifier.salt, unhex(SALT));
        assert_eq!(
            hex(&verifier.verifier),
            V.split_whitespace().collect::<String>()
        );
        assert_eq!(salt_hex(&verifier), SALT);
        assert_eq!(pad_hex(&int(SALT)).len(), 17);
    }

    #[test]
    fn srp_vector_c_server_side() {
        let verifier = make_verifier_with_salt(POOL, USER, PASSWORD, &unhex(SALT));
        let v = BigUint::from_bytes_be(&verifier.verifier);
        let b = BigUint::from_bytes_be(&vector_b());
        let b_pub = server_public(&v, &b);
        assert_eq!(b_pub, int(SRP_B));
        let a_pub = int(SRP_A);
        // The padHex sizes the note lists: A 384, B 385, S 385, u 33 bytes.
        assert_eq!(pad_hex(&a_pub).len(), 384);
        assert_eq!(pad_hex(&b_pub).len(), 385);
        let u = compute_u(&a_pub, &b_pub);
        assert_eq!(u.to_str_radix(16), U);
        assert_eq!(pad_hex(&u).len(), 33);
        let s = server_premaster(&a_pub, &v, &u, &b);
        assert_eq!(s, int(S));
        assert_eq!(pad_hex(&s).len(), 385);
        let key = hkdf_key(&s, &u);
        assert_eq!(hex(&key), "27062c7ff790a6cb3e69aaea4baa773f");
        let mac = signature(&key, POOL, USER, &secret_block(), TIMESTAMP.as_bytes());
        assert_eq!(BASE64.encode(mac), SIGNATURE);

        let srp_a: String = SRP_A.split_whitespace().collect();
        let check = |sig: &str, timestamp: &str| {
            check_signature(
                &verifier,
                &vector_b(),
                &srp_a,
                POOL,
                USER,
                &secret_block(),
                timestamp,
                sig,
            )
        };
        assert_eq!(check(SIGNATURE, TIMESTAMP), Ok(()));
        // Uppercase SRP_A is the same integer.
        assert_eq!(
            check_signature(
                &verifier,
                &vector_b(),
                &srp_a.to_ascii_uppercase(),
                POOL,
                USER,
                &secret_block(),
                TIMESTAMP,
                SIGNATURE,
            ),
            Ok(())
        );
        // The pitfalls of §1.9 give these signatures; the server must refuse them.
        assert_eq!(
            check("EMJpKYKU/VpdNsN2Qq6O+Wbvu8uzY/A0iI+CQXaZeKA=", TIMESTAMP),
            Err(SrpError::Mismatch)
        );
        assert_eq!(
            check("6cT+t7G0ZMuWyNhQSzyqEG5HHLFo1FZvlNykcRaWe1E=", TIMESTAMP),
            Err(SrpError::Mismatch)
        );
        // The same instant written non-canonically parses, but the HMAC is over the canonical
        // form (§1.6): a client that signed what it sent fails, and the canonical signature
        // passes whatever spelling came with it.
        for non_canonical in [
            "Tue Nov 03 21:04:05 UTC 2026",
            "Tue Nov 3 21:04:05 GMT 2026",
            "Wed Nov 3 21:04:05 UTC 2026",
            "tue nov 3 21:4:5 UTC 2026",
        ] {
            let signed_as_sent = client::client_signature(
                POOL,
                USER,
                PASSWORD,
                SALT,
                &SRP_B.split_whitespace().collect::<String>(),
                &vector_a(),
                SECRET_BLOCK_B64,
                non_canonical,
            )
            .unwrap();
            assert_ne!(signed_as_sent, SIGNATURE);
            assert_eq!(
                check(&signed_as_sent, non_canonical),
                Err(SrpError::Mismatch),
                "{non_canonical:?}"
            );
            assert_eq!(check(SIGNATURE, non_canonical), Ok(()), "{non_canonical:?}");
        }
        // Undecodable signature, other user, other pool, other secret block.
        assert_eq!(check("not base64!", TIMESTAMP), Err(SrpError::Mismatch));
        assert_eq!(
            check_signature(
                &verifier,
                &vector_b(),
                &srp_a,
                POOL,
                "alicf",
                &secret_block(),
                TIMESTAMP,
                SIGNATURE
            ),
            Err(SrpError::Mismatch)
        );
        assert_eq!(
            check_signature(
                &verifier,
                &vector_b(),
                &srp_a,
                "AbCdEfGhJ",
                USER,
                &secret_block(),
                TIMESTAMP,
                SIGNATURE
            ),
            Err(SrpError::Mismatch)
        );
        assert_eq!(
            check_signature(
                &verifier,
                &vector_b(),
                &srp_a,
                POOL,
                USER,
                b"rognito-example-secret-block-0002",
                TIMESTAMP,
                SIGNATURE
            ),
            Err(SrpError::Mismatch)
        );
        // A different b (so a different B than the client used).
        assert_eq!(
            check_signature(
                &verifier,
                &[0xcd; 31],
                &srp_a,
                POOL,
                USER,
                &secret_block(),
                TIMESTAMP,
                SIGNATURE
            ),
            Err(SrpError::Mismatch)
        );
        // Unparsable timestamp comes first.
        assert_eq!(
            check(SIGNATURE, "Tue Nov 3 24:04:05 UTC 2026"),
            Err(SrpError::BadTimestamp)
        );
    }

    #[test]
    fn srp_vector_c_client_side() {
        let a = vector_a();
        assert_eq!(
            client_public(&BigUint::from_bytes_be(&a)),
            int(SRP_A),
            "A = g^a mod N"
        );
        let srp_b: String = SRP_B.split_whitespace().collect();
        let sig = client_signature(
            POOL,
            USER,
            PASSWORD,
            SALT,
            &srp_b,
            &a,
            SECRET_BLOCK_B64,
            TIMESTAMP,
        );
        assert_eq!(sig.as_deref(), Some(SIGNATURE));
        // The client's S equals the server's.
        let u = int(U);
        let x = compute_x(POOL, USER, PASSWORD, &int(SALT));
        assert_eq!(
            client_premaster(&int(SRP_B), &x, &BigUint::from_bytes_be(&a), &u),
            int(S)
        );
    }

    #[test]
    fn srp_vector_a_go_client() {
        // §1.11 A, the Go client's published vector: a = SRP_B = SALT = 1234567890.
        let a = 1_234_567_890u32.to_be_bytes();
        let a_pub = client_public(&BigUint::from_bytes_be(&a));
        assert!(
            a_pub
                .to_string()
                .starts_with("2012821450179237266067414751941060928019")
        );
        let b_pub = int("499602d2");
        let u = compute_u(&a_pub, &b_pub);
        let x = compute_x("myPool", "test", "test", &int("499602d2"));
        let s = client_premaster(&b_pub, &x, &BigUint::from_bytes_be(&a), &u);
        assert_eq!(hex(&hkdf_key(&s, &u)), "d96cde6c95dda17175c1293140c5a81f");
        let sig = client_signature(
            "myPool",
            "test",
            "test",
            "499602d2",
            "499602d2",
            &a,
            &BASE64.encode("secretssecrestssecrets"),
            "Tue Jul 10 11:01:00 UTC 2018",
        );
        assert_eq!(
            sig.as_deref(),
            Some("tdvQu/Li/qWl8Nni0aFPs+MwY4rvKZm0kSMrGIMSUHk=")
        );
    }

    #[test]
    fn srp_pad_hex_cases() {
        // Top bit set: one 00 byte in front.
        assert_eq!(pad_hex(&BigUint::from(0x80u8)), vec![0x00, 0x80]);
        assert_eq!(pad_hex(&BigUint::from(0xffffu16)), vec![0x00, 0xff, 0xff]);
        // Top bit clear: minimal bytes.
        assert_eq!(pad_hex(&BigUint::from(0x7fu8)), vec![0x7f]);
        // Odd-length hex ("123"): a leading 0 nibble, no 00 byte.
        assert_eq!(pad_hex(&BigUint::from(0x123u16)), vec![0x01, 0x23]);
        assert_eq!(pad_hex(&BigUint::from(0x823u16)), vec![0x08, 0x23]);
        // Zero is one 00 byte, as JS's padHex("0") = "00".
        assert_eq!(pad_hex(&BigUint::ZERO), vec![0x00]);
        // N has its top bit set.
        assert_eq!(pad_hex(&N).len(), 385);
        assert_eq!(pad_hex(&G), vec![0x02]);
    }

    /// pycognito's `pad_hex` applied to the SALT string as sent (§1.2).
    fn pycognito_pad_hex(s: &str) -> Vec<u8> {
        let padded = if s.len() % 2 == 1 {
            format!("0{s}")
        } else if "89abcdefABCDEF".contains(&s[..1]) {
            format!("00{s}")
        } else {
            s.to_string()
        };
        unhex(&padded)
    }

    #[test]
    fn srp_salt_hex_is_read_alike_by_all_clients() {
        for salt in [
            unhex(SALT),
            unhex("0012345678901234567890123456789a"), // leading 00, then < 0x80
            unhex("00923456789012345678901234567890"), // leading 00, then >= 0x80
            unhex("0a123456789012345678901234567890"), // odd-length integer hex
            unhex("7a123456789012345678901234567890"),
            vec![0; 16],
        ] {
            let verifier = Verifier {
                salt: salt.clone(),
                verifier: vec![1],
            };
            let sent = salt_hex(&verifier);
            assert!(!sent.starts_with("00"), "{sent}");
            let server = pad_hex(&BigUint::from_bytes_be(&salt));
            // JS / Go: parse as an integer, then padHex.
            assert_eq!(pad_hex(&int(&sent)), server, "{sent}");
            // pycognito: pad_hex on the string.
            assert_eq!(pycognito_pad_hex(&sent), server, "{sent}");
        }
        assert_eq!(
            salt_hex(&Verifier {
                salt: unhex("0012345678901234567890123456789a"),
                verifier: vec![1]
            }),
            "12345678901234567890123456789a"
        );
    }

    fn random_string(len_seed: u8, alphabet: &[char]) -> String {
        let bytes = crate::ids::random_bytes::<64>();
        let len = 1 + usize::from(len_seed) % 40;
        bytes[..len]
            .iter()
            .map(|b| alphabet[usize::from(*b) % alphabet.len()])
            .collect()
    }

    #[test]
    fn srp_round_trips_for_random_users() {
        let alphabet: Vec<char> = "abcXYZ019_-.@+é日本 !:\"\\".chars().collect();
        let mut top_bit = [[0usize; 2]; 4]; // A, B, u, S: [clear, set]
        for round in 0..50 {
            let seed = crate::ids::random_bytes::<3>();
            let pool = random_string(seed[0] % 9, &alphabet[..10]);
            let user = random_string(seed[1], &alphabet);
            let password = random_string(seed[2], &alphabet);
            let verifier = make_verifier(&pool, &user, &password);
            assert_eq!(verifier.salt.len(), 16);
            let server = server_ephemeral(&verifier);
            assert_eq!(server.b.len(), 32);
            let (a, srp_a) = client_ephemeral();
            assert_eq!(a.len(), 128);
            assert_eq!(check_a(&srp_a), Ok(()));
            let block = crate::ids::random_bytes::<48>();
            let secret_block_b64 = BASE64.encode(block);
            let now = OffsetDateTime::now_utc() + time::Duration::days(i64::from(round) * 7);
            let timestamp = format_timestamp(now);
            let sig = client_signature(
                &pool,
                &user,
                &password,
                &salt_hex(&verifier),
                &server.srp_b,
                &a,
                &secret_block_b64,
                &timestamp,
            )
            .unwrap();
            let check = |password_sig: &str| {
                check_signature(
                    &verifier,
                    &server.b,
                    &srp_a,
                    &pool,
                    &user,
                    &block,
                    &timestamp,
                    password_sig,
                )
            };
            assert_eq!(check(&sig), Ok(()), "{pool:?} {user:?} {password:?}");

            // A wrong password signs differently.
            let wrong = client_signature(
                &pool,
                &user,
                &format!("{password}x"),
                &salt_hex(&verifier),
                &server.srp_b,
                &a,
                &secret_block_b64,
                &timestamp,
            )
            .unwrap();
            assert_eq!(check(&wrong), Err(SrpError::Mismatch));

            // Record which padHex branches this round took.
            let v = BigUint::from_bytes_be(&verifier.verifier);
            let b_pub = int(&server.srp_b);
            let a_pub = int(&srp_a);
            let u = compute_u(&a_pub, &b_pub);
            let s = server_premaster(&a_pub, &v, &u, &BigUint::from_bytes_be(&server.b));
            for (i, x) in [&a_pub, &b_pub, &u, &s].into_iter().enumerate() {
                let set = pad_hex(x).first() == Some(&0) && !x.is_zero();
                top_bit[i][usize::from(set)] += 1;
            }
        }
        for (name, counts) in ["A", "B", "u", "S"].iter().zip(top_bit) {
            assert!(
                counts[0] > 0 && counts[1] > 0,
                "{name}: both padHex branches should occur in 50 rounds, got {counts:?}"
            );
        }
    }

    #[test]
    fn srp_bad_a_is_refused() {
        let verifier = make_verifier_with_salt(POOL, USER, PASSWORD, &unhex(SALT));
        let n_hex = N.to_str_radix(16);
        let two_n = (&*N * 2u8).to_str_radix(16);
        for bad in [
            "0", "000", "", &n_hex, &two_n, "12g4", "0x1234", "-1234", "12_34", " 1234",
        ] {
            assert_eq!(check_a(bad), Err(SrpError::BadA), "{bad:?}");
            assert_eq!(
                check_signature(
                    &verifier,
                    &vector_b(),
                    bad,
                    POOL,
                    USER,
                    &secret_block(),
                    TIMESTAMP,
                    SIGNATURE
                ),
                Err(SrpError::BadA),
                "{bad:?}"
            );
        }
        assert_eq!(check_a("1"), Ok(()));
        assert_eq!(check_a(&(&*N + 1u8).to_str_radix(16)), Ok(()));
    }

    #[test]
    fn srp_zero_verifier_lets_nobody_in() {
        // With v = 0, S = 0 and K is computable without a password; the server must refuse.
        let srp_a: String = SRP_A.split_whitespace().collect();
        let b = vector_b();
        for stored in [vec![], vec![0; 384], N.to_bytes_be()] {
            let verifier = Verifier {
                salt: unhex(SALT),
                verifier: stored,
            };
            let b_pub = server_public(&BigUint::ZERO, &BigUint::from_bytes_be(&b));
            let u = compute_u(&int(&srp_a), &b_pub);
            let key = hkdf_key(&BigUint::ZERO, &u);
            let forged = BASE64.encode(signature(
                &key,
                POOL,
                USER,
                &secret_block(),
                TIMESTAMP.as_bytes(),
            ));
            assert_eq!(
                check_signature(
                    &verifier,
                    &b,
                    &srp_a,
                    POOL,
                    USER,
                    &secret_block(),
                    TIMESTAMP,
                    &forged
                ),
                Err(SrpError::Mismatch)
            );
        }
    }

    #[test]
    fn srp_client_refuses_bad_challenges() {
        let a = vector_a();
        let sign = |salt: &str, b: &str, block: &str| {
            client_signature(POOL, USER, PASSWORD, salt, b, &a, block, TIMESTAMP)
        };
        let n_hex = N.to_str_radix(16);
        assert_eq!(sign(SALT, "0", SECRET_BLOCK_B64), None);
        assert_eq!(sign(SALT, &n_hex, SECRET_BLOCK_B64), None);
        assert_eq!(sign(SALT, "xyz", SECRET_BLOCK_B64), None);
        assert_eq!(sign("zz", "1234", SECRET_BLOCK_B64), None);
        assert_eq!(sign(SALT, "1234", "not base64!"), None);
        assert!(sign(SALT, "1234", SECRET_BLOCK_B64).is_some());
    }

    #[test]
    fn srp_secrets_are_not_debug_printed() {
        let verifier = make_verifier_with_salt(POOL, USER, PASSWORD, &unhex(SALT));
        let printed = format!("{verifier:?}");
        assert!(printed.contains(SALT));
        assert!(!printed.contains(&hex(&verifier.verifier)[..16]));
        let server = server_ephemeral(&verifier);
        let printed = format!("{server:?}");
        assert!(printed.contains(&server.srp_b));
        assert!(!printed.contains(&hex(&server.b)[..16]), "{printed}");
        assert!(
            !printed.contains(&format!("{:?}", &server.b[..4])),
            "{printed}"
        );
    }

    // ---- TIMESTAMP (§1.6) ----

    fn at(year: i32, month: Month, day: u8, h: u8, m: u8, s: u8) -> OffsetDateTime {
        PrimitiveDateTime::new(
            Date::from_calendar_date(year, month, day).unwrap(),
            Time::from_hms(h, m, s).unwrap(),
        )
        .assume_utc()
    }

    #[test]
    fn srp_timestamp_format_is_cognitos() {
        assert_eq!(
            format_timestamp(at(2026, Month::November, 3, 21, 4, 5)),
            "Tue Nov 3 21:04:05 UTC 2026"
        );
        assert_eq!(
            format_timestamp(at(2022, Month::January, 1, 0, 0, 0)),
            "Sat Jan 1 00:00:00 UTC 2022"
        );
        assert_eq!(
            format_timestamp(at(2018, Month::July, 10, 11, 1, 0)),
            "Tue Jul 10 11:01:00 UTC 2018"
        );
        assert_eq!(
            format_timestamp(at(2024, Month::February, 29, 23, 59, 59)),
            "Thu Feb 29 23:59:59 UTC 2024"
        );
        // Other offsets are shown in UTC.
        let plus_two = at(2026, Month::November, 3, 23, 4, 5)
            .replace_offset(UtcOffset::from_hms(2, 0, 0).unwrap());
        assert_eq!(format_timestamp(plus_two), "Tue Nov 3 21:04:05 UTC 2026");
        // Every weekday and month name.
        let names: Vec<String> = (0..12)
            .map(|i| {
                let t = at(2026, Month::January, 5, 0, 0, 0) + time::Duration::days(i * 31);
                format_timestamp(t)[..7].to_string()
            })
            .collect();
        assert_eq!(
            names,
            [
                "Mon Jan", "Thu Feb", "Sun Mar", "Wed Apr", "Sat May", "Tue Jun", "Fri Jul",
                "Mon Aug", "Thu Sep", "Sun Oct", "Wed Nov", "Sat Dec"
            ]
        );
    }

    #[test]
    fn srp_timestamp_parsing() {
        let t = at(2026, Month::November, 3, 21, 4, 5);
        for ok in [
            "Tue Nov 3 21:04:05 UTC 2026",
            "Tue Nov 03 21:04:05 UTC 2026",
            "Wed Nov 3 21:04:05 UTC 2026", // wrong weekday: parses, fails the HMAC
            "tue NOV 3 21:04:05 utc 2026",
            "Tuesday November 3 21:04:05 GMT 2026",
            "Tue Nov 3 21:4:5 UTC 2026",
        ] {
            assert_eq!(parse_timestamp(ok), Ok(t), "{ok:?}");
        }
        // The Go client's 12-hour clock still parses (§1.6).
        assert_eq!(
            parse_timestamp("Tue Nov 3 09:04:05 UTC 2026"),
            Ok(at(2026, Month::November, 3, 9, 4, 5))
        );
        for bad in [
            "",
            "Tue Nov 3 24:04:05 UTC 2026",
            "Tue Nov 3 21:60:05 UTC 2026",
            "Tue Nov 3 21:04:60 UTC 2026",
            "Tue Nov 31 21:04:05 UTC 2026",
            "Tue Nov 0 21:04:05 UTC 2026",
            "Tue Nov 003 21:04:05 UTC 2026",
            "Tue Nov 3 21:04 UTC 2026",
            "Tue Nov 3 21:04:05:00 UTC 2026",
            "Tue Nov 3 21:04:05 PST 2026",
            "Tue Nov 3 21:04:05 UTC",
            "Tue Nov 3 21:04:05 UTC 2026 extra",
            "Tue Nov  3 21:04:05 UTC 2026",
            "Tus Nov 3 21:04:05 UTC 2026",
            "Tue Nox 3 21:04:05 UTC 2026",
            "Tue Nov 3 21:04:05 UTC 20266",
            "Tue Nov +3 21:04:05 UTC 2026",
            "2026-11-03T21:04:05Z",
        ] {
            assert_eq!(parse_timestamp(bad), Err(SrpError::BadTimestamp), "{bad:?}");
        }
        // Canonical forms survive a round trip.
        for day in 1..=30 {
            let t = at(2026, Month::November, day, 1, 2, 3);
            assert_eq!(parse_timestamp(&format_timestamp(t)), Ok(t));
        }
    }
}
