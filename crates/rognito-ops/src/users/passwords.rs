//! Passwords: the pool's policy with Cognito's texts, argon2id hashes for password checks, and
//! temporary passwords that satisfy the policy.
//!
//! A password is stored twice, both inside the user's sealed secrets: as an argon2id PHC string
//! (what USER_PASSWORD_AUTH and ChangePassword check) and as the SRP verifier (what
//! USER_SRP_AUTH checks; see `srp.rs`). Neither is reversible; the seal (AES-256-GCM under the
//! master key) keeps the verifier, which is cheaper to attack than argon2id, out of reach of
//! whoever reads the database alone.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rognito_model::{CognitoError, ErrorCode, PasswordPolicyType};

/// Cost of the argon2id password hash.
///
/// The default is OWASP's floor for argon2id (Password Storage Cheat Sheet: m = 19 MiB, t = 2,
/// p = 1), about 77 ms of one core on this project's reference machine
/// (docs/research/srp-tokens-mfa.md §5). `Fast` (m = 64 KiB, t = 1) is for throwaway CI
/// servers whose users are test fixtures: `rognito serve --password-hashing fast`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PasswordHashing {
    #[default]
    Owasp,
    Fast,
}

impl PasswordHashing {
    /// (memory in KiB, iterations, lanes).
    pub fn params(self) -> (u32, u32, u32) {
        match self {
            PasswordHashing::Owasp => (19_456, 2, 1),
            PasswordHashing::Fast => (64, 1, 1),
        }
    }

    fn hasher(self) -> Option<Argon2<'static>> {
        let (m, t, p) = self.params();
        let params = Params::new(m, t, p, None).ok()?;
        Some(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// The PHC string of `password` with a fresh salt (CPU-heavy: call off the async threads).
    pub fn hash(self, password: &str) -> Option<String> {
        let salt = SaltString::encode_b64(&crate::ids::random_bytes::<16>()).ok()?;
        let hash = self
            .hasher()?
            .hash_password(password.as_bytes(), &salt)
            .ok()?;
        Some(hash.to_string())
    }

    /// Whether `password` matches a PHC string (its own parameters are used, so hashes made
    /// under another setting still verify). Constant time in the comparison (the crate's).
    pub fn verify(password: &str, phc: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(phc) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    }
}

/// Which operation refuses a password: SignUp says `Password did not conform with policy`,
/// AdminCreateUser (and, by rognito's choice, every other operation) `Password did not conform
/// with password policy` (docs/research/users-and-groups.md §4: both prefixes are captured from
/// AWS; the others' prefix is unverified).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyPrefix {
    SignUp,
    Other,
}

/// The symbols Cognito counts for `RequireSymbols`, the space included (developer guide, "User
/// pool password policies", 2023 text).
const SYMBOLS: &str = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ";

/// Checks `password` against the pool's policy: the first broken rule, in the order length,
/// lowercase, uppercase, numbers, symbols (rognito's choice: Cognito reports one reason at a
/// time and its order is unverified).
///
/// Errors: `InvalidPasswordException` `Password did not conform with [password ]policy: <reason>`.
pub fn check_policy(
    password: &str,
    policy: Option<&PasswordPolicyType>,
    prefix: PolicyPrefix,
) -> Result<(), CognitoError> {
    let default = PasswordPolicyType::default();
    let policy = policy.unwrap_or(&default);
    let reason = if password.chars().count() < policy.minimum_length.unwrap_or(8).max(0) as usize {
        Some("Password not long enough")
    } else if policy.require_lowercase == Some(true)
        && !password.chars().any(|c| c.is_ascii_lowercase())
    {
        Some("Password must have lowercase characters")
    } else if policy.require_uppercase == Some(true)
        && !password.chars().any(|c| c.is_ascii_uppercase())
    {
        Some("Password must have uppercase characters")
    } else if policy.require_numbers == Some(true) && !password.chars().any(|c| c.is_ascii_digit())
    {
        Some("Password must have numeric characters")
    } else if policy.require_symbols == Some(true) && !password.chars().any(|c| SYMBOLS.contains(c))
    {
        Some("Password must have symbol characters")
    } else {
        None
    };
    match reason {
        None => Ok(()),
        Some(reason) => Err(CognitoError::new(
            ErrorCode::InvalidPasswordException,
            match prefix {
                PolicyPrefix::SignUp => format!("Password did not conform with policy: {reason}"),
                PolicyPrefix::Other => {
                    format!("Password did not conform with password policy: {reason}")
                }
            },
        )),
    }
}

/// A temporary password for AdminCreateUser without `TemporaryPassword`: 12 characters or the
/// policy's minimum if longer, with one character of every class (Cognito's format is
/// undocumented; this one satisfies any policy the pool can have).
pub fn temporary_password(policy: Option<&PasswordPolicyType>) -> String {
    const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGITS: &[u8] = b"23456789";
    const SYMBOL: &[u8] = b"!#%&*+-=?@^_";
    let min = policy
        .and_then(|p| p.minimum_length)
        .map_or(8, |m| m.max(0) as usize);
    let len = min.max(12);
    let mut out: Vec<u8> = Vec::with_capacity(len);
    for class in [LOWER, UPPER, DIGITS, SYMBOL] {
        out.extend(crate::ids::random_string(class, 1).bytes());
    }
    let all: Vec<u8> = [LOWER, UPPER, DIGITS, SYMBOL].concat();
    out.extend(crate::ids::random_string(&all, len.saturating_sub(4)).bytes());
    // Shuffle so the classes are not always in front (Fisher-Yates with fresh random bytes).
    for i in (1..out.len()).rev() {
        let r = u64::from_le_bytes(crate::ids::random_bytes::<8>());
        let j = usize::try_from(r % (i as u64 + 1)).unwrap_or(0);
        out.swap(i, j);
    }
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(min: i32, all: bool) -> PasswordPolicyType {
        PasswordPolicyType {
            minimum_length: Some(min),
            require_uppercase: Some(all),
            require_lowercase: Some(all),
            require_numbers: Some(all),
            require_symbols: Some(all),
            ..Default::default()
        }
    }

    fn reason(password: &str, p: &PasswordPolicyType) -> Option<String> {
        check_policy(password, Some(p), PolicyPrefix::Other)
            .err()
            .map(|e| e.message)
    }

    #[test]
    fn policy_reasons_come_one_at_a_time_in_a_fixed_order() {
        let p = policy(8, true);
        assert_eq!(
            reason("aB1!", &p).as_deref(),
            Some("Password did not conform with password policy: Password not long enough")
        );
        assert_eq!(
            reason("ABCDEFG1!", &p).as_deref(),
            Some(
                "Password did not conform with password policy: Password must have lowercase characters"
            )
        );
        assert_eq!(
            reason("abcdefg1!", &p).as_deref(),
            Some(
                "Password did not conform with password policy: Password must have uppercase characters"
            )
        );
        assert_eq!(
            reason("abcdefgH!", &p).as_deref(),
            Some(
                "Password did not conform with password policy: Password must have numeric characters"
            )
        );
        assert_eq!(
            reason("abcdefgH1", &p).as_deref(),
            Some(
                "Password did not conform with password policy: Password must have symbol characters"
            )
        );
        // The space is a symbol.
        assert_eq!(reason("abcdefH1 ", &p), None);
        assert_eq!(reason("abcdefgh", &policy(8, false)), None);
        let e = check_policy("short", Some(&p), PolicyPrefix::SignUp).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidPasswordException);
        assert_eq!(
            e.message,
            "Password did not conform with policy: Password not long enough"
        );
    }

    #[test]
    fn temporary_passwords_satisfy_any_policy() {
        for min in [6, 8, 20, 99] {
            let p = policy(min, true);
            for _ in 0..20 {
                let t = temporary_password(Some(&p));
                assert!(t.len() >= min as usize && t.len() >= 12);
                assert_eq!(
                    check_policy(&t, Some(&p), PolicyPrefix::Other).map_err(|e| e.message),
                    Ok(()),
                    "{t}"
                );
            }
        }
    }

    #[test]
    fn hashes_verify_only_their_password_whatever_the_setting() {
        let phc = PasswordHashing::Fast.hash("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert!(PasswordHashing::verify("correct horse", &phc));
        assert!(!PasswordHashing::verify("correct horsf", &phc));
        assert!(!PasswordHashing::verify(
            "correct horse",
            "not a phc string"
        ));
        let owasp = PasswordHashing::Owasp.hash("pw").unwrap();
        assert!(owasp.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(PasswordHashing::verify("pw", &owasp));
    }
}
