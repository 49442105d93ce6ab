//! Identifiers as Cognito makes them, from the operating system's CSPRNG.

use rognito_model::UserPoolId;

const ALPHANUMERIC: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `len` characters drawn uniformly from `alphabet` (rejection sampling, so no modulo bias).
pub fn random_string(alphabet: &[u8], len: usize) -> String {
    let limit = 256 - (256 % alphabet.len());
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        // Failure of the system RNG is not recoverable; fall back to a fresh attempt.
        if aws_lc_rs::rand::fill(&mut buf).is_err() {
            continue;
        }
        for &b in &buf {
            if out.len() == len {
                break;
            }
            if usize::from(b) < limit
                && let Some(&c) = alphabet.get(usize::from(b) % alphabet.len())
            {
                out.push(char::from(c));
            }
        }
    }
    out
}

/// `<region>_<9 alphanumerics>`, e.g. `us-east-1_aBcD3fGh1`.
pub fn user_pool_id(region: &str) -> UserPoolId {
    format!("{region}_{}", random_string(ALPHANUMERIC, 9)).into()
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    while aws_lc_rs::rand::fill(&mut buf).is_err() {}
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_ids_have_cognitos_shape() {
        let id = user_pool_id("eu-west-1");
        let (region, suffix) = id.split_once('_').expect("underscore");
        assert_eq!(region, "eu-west-1");
        assert_eq!(suffix.len(), 9);
        assert!(suffix.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(user_pool_id("eu-west-1"), id);
    }
}
