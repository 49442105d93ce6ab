//! RFC 6238 TOTP as Cognito's software-token MFA uses it: HMAC-SHA1, 6 digits, 30-second steps
//! from T0 = 0 (docs/research/srp-tokens-mfa.md §4.5: moto's AWS-verified tests compute codes
//! with `pyotp.TOTP(secret)` defaults, and amazon-cognito-identity-js's tests use otplib's
//! sha1/6/30). The HOTP arithmetic is the `totp-rs` crate's; this module fixes the parameters,
//! the secret's size and text, the acceptance window and the code format, and compares codes in
//! constant time. No I/O: the caller supplies the time and keeps the last used step.

use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// Digits in a code (Cognito's `UserCode`: 6 digits, §4.3).
pub const DIGITS: usize = 6;

/// Seconds in one time step (§4.5).
pub const STEP_SECONDS: u64 = 30;

/// Bytes of a new secret. Cognito's real `SecretCode` length is unverified (§4.2); its model
/// only says `[A-Za-z0-9]+`, at least 16 characters. 32 bytes give 52 base32 characters, the
/// size §4.2 suggests, and exceed RFC 4226's 160-bit recommendation.
pub const SECRET_BYTES: usize = 32;

/// Steps accepted on either side of the current one (a choice, §4.5: Cognito says only that a
/// code "is accepted for a short time after its defined time window"; the emulators and
/// RFC 6238 §5.2's recommendation use one step).
pub const WINDOW_STEPS: u64 = 1;

/// A new secret: [`SECRET_BYTES`] bytes from the operating system's CSPRNG (`aws_lc_rs::rand`),
/// and their RFC 4648 base32 text without `=` padding, upper case, as AssociateSoftwareToken's
/// `SecretCode` returns it (the model's pattern `[A-Za-z0-9]+` excludes `=`, §4.2).
pub fn new_secret() -> (Vec<u8>, String) {
    let bytes = crate::ids::random_bytes::<SECRET_BYTES>().to_vec();
    let text = Secret::from(bytes.as_slice()).to_base32();
    (bytes, text)
}

/// The bytes of a base32 secret as [`new_secret`] writes it (RFC 4648 alphabet, no padding).
/// `None` when the text is empty or not valid base32.
pub fn decode_secret(base32: &str) -> Option<Vec<u8>> {
    if base32.is_empty() {
        return None;
    }
    Secret::try_from_base32(base32)
        .ok()
        .map(|s| s.as_bytes().to_vec())
}

/// The generator for `secret`. `build_noncompliant` because the secret's length is the
/// caller's (a stored secret is never refused here); digits and step are fixed and valid, so
/// generation cannot panic.
fn generator(secret: &[u8]) -> Totp {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS as u8)
        .with_step_duration(STEP_SECONDS)
        .with_skew(0)
        .with_secret(secret)
        .build_noncompliant()
}

/// The code for the step of `counter` (steps since the Unix epoch).
fn code_for_step(totp: &Totp, counter: u64) -> String {
    totp.generate(counter.saturating_mul(STEP_SECONDS))
        .to_string()
}

/// The 6-digit code (zero-padded) of `secret` at `unix_seconds` (seconds since the Unix epoch).
pub fn code_at(secret: &[u8], unix_seconds: u64) -> String {
    code_for_step(&generator(secret), unix_seconds / STEP_SECONDS)
}

/// The step (`unix_seconds / 30`) whose code `code` is, searched in the current step and
/// [`WINDOW_STEPS`] on either side (steps below 0 do not exist); `None` when no step in the
/// window matches, or when `code` is not exactly 6 ASCII digits.
///
/// Every step in the window is computed and compared in constant time (`subtle`), with no early
/// exit. If a code matches several steps (a 1-in-10^6 coincidence), the latest step is returned,
/// so that refusing reuse (a code is accepted only if its step is greater than the last used
/// step: Cognito's `ExpiredCodeException` `Your software token has already been used once.`,
/// §4.5) refuses the most. Replay is the caller's rule, not this function's.
pub fn check(secret: &[u8], code: &str, unix_seconds: u64) -> Option<u64> {
    let code = code.as_bytes();
    if code.len() != DIGITS || !code.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let totp = generator(secret);
    let counter = unix_seconds / STEP_SECONDS;
    let mut matched = None;
    for step in counter.saturating_sub(WINDOW_STEPS)..=counter.saturating_add(WINDOW_STEPS) {
        let expected = code_for_step(&totp, step);
        if bool::from(expected.as_bytes().ct_eq(code)) {
            matched = Some(step);
        }
    }
    matched
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    /// RFC 6238 Appendix B (SHA-1), truncated to 6 digits (§4.5).
    const VECTORS: [(u64, &str); 6] = [
        (59, "287082"),
        (1_111_111_109, "081804"),
        (1_111_111_111, "050471"),
        (1_234_567_890, "005924"),
        (2_000_000_000, "279037"),
        (20_000_000_000, "353130"),
    ];

    #[test]
    fn rfc_6238_vectors() {
        for (t, code) in VECTORS {
            assert_eq!(code_at(RFC_SECRET, t), code, "T={t}");
            assert_eq!(check(RFC_SECRET, code, t), Some(t / 30), "T={t}");
        }
    }

    #[test]
    fn rfc_secret_base32() {
        let text = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        assert_eq!(decode_secret(text).as_deref(), Some(RFC_SECRET));
        assert_eq!(Secret::from(RFC_SECRET).to_base32(), text);
    }

    #[test]
    fn new_secret_shape() {
        let (bytes, text) = new_secret();
        assert_eq!(bytes.len(), SECRET_BYTES);
        assert_eq!(text.len(), 52);
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
        );
        assert!(!text.contains('='));
        assert_eq!(decode_secret(&text), Some(bytes.clone()));
        let (other, _) = new_secret();
        assert_ne!(bytes, other);
    }

    #[test]
    fn decode_rejects_bad_text() {
        assert_eq!(decode_secret(""), None);
        assert_eq!(decode_secret("GEZDGNBV!"), None);
        assert_eq!(decode_secret("01189"), None);
    }

    #[test]
    fn window_edges() {
        let t: u64 = 1_111_111_111; // step 37_037_037, second 1 of it
        let counter = t / 30;
        for (offset, accepted) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
            let step = counter.checked_add_signed(offset).unwrap();
            let code = code_at(RFC_SECRET, step * 30);
            let got = check(RFC_SECRET, &code, t);
            if accepted {
                assert_eq!(got, Some(step), "offset {offset}");
            } else {
                // The code of a step outside the window may coincide with one inside.
                let inside: Vec<String> = (counter - 1..=counter + 1)
                    .map(|s| code_at(RFC_SECRET, s * 30))
                    .collect();
                assert!(!inside.contains(&code));
                assert_eq!(got, None, "offset {offset}");
            }
        }
    }

    #[test]
    fn step_boundaries() {
        // 59 is the last second of step 1; 60 starts step 2.
        assert_eq!(code_at(RFC_SECRET, 30), code_at(RFC_SECRET, 59));
        assert_eq!(check(RFC_SECRET, "287082", 60), Some(1));
        assert_eq!(check(RFC_SECRET, "287082", 89), Some(1));
        assert_eq!(check(RFC_SECRET, "287082", 90), None);
    }

    #[test]
    fn no_step_before_zero() {
        let code = code_at(RFC_SECRET, 0);
        assert_eq!(check(RFC_SECRET, &code, 0), Some(0));
        assert_eq!(check(RFC_SECRET, &code, 29), Some(0));
    }

    #[test]
    fn malformed_codes_never_match() {
        let t = 59;
        for code in [
            "28708",
            "2870820",
            "",
            "28708a",
            "+87082",
            " 87082",
            "287082 ",
            "٢٨٧٠٨٢",
            "28 082",
            "-87082",
        ] {
            assert_eq!(check(RFC_SECRET, code, t), None, "{code:?}");
        }
        // 7 digits whose first 6 are the right code.
        assert_eq!(check(RFC_SECRET, "2870820", t), None);
        // 5 digits that are the right code without its leading zero.
        assert_eq!(check(RFC_SECRET, "81804", 1_111_111_109), None);
        assert_eq!(check(RFC_SECRET, "081804", 1_111_111_109), Some(37_037_036));
    }

    #[test]
    fn wrong_secret_does_not_match() {
        assert_eq!(check(b"another secret of 20", "287082", 59), None);
    }

    #[test]
    fn short_secret_still_works() {
        // A stored secret is never refused for its length; HMAC takes any key.
        let code = code_at(b"k", 1000);
        assert_eq!(code.len(), 6);
        assert_eq!(check(b"k", &code, 1000), Some(33));
    }
}
