//! Secrets at rest. Client secrets and signing keys are sealed with AES-256-GCM under a master
//! key that lives outside the database (a key file or the environment), with the owning record's
//! identity as associated data so a ciphertext cannot be moved to another row. Client secrets are
//! also stored as an HMAC-SHA256 digest, which is what authentication compares (in constant time)
//! so the token endpoint never decrypts.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::error::Unspecified;
use aws_lc_rs::hmac;

const FORMAT_V1: u8 = 1;

/// Why a sealed value could not be opened: wrong master key, tampering, or a moved row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenError;

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sealed value cannot be opened with this master key")
    }
}

impl std::error::Error for OpenError {}

/// The sealing context of an access key's secret (the access gateway seals and opens them;
/// the key check opens one to tell whether a master key is the database's).
pub fn access_key_context(access_key_id: &str) -> String {
    format!("access-key:{access_key_id}")
}

/// The 32-byte master key and the two keys derived from it.
pub struct MasterKey {
    aead: LessSafeKey,
    digest: hmac::Key,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    pub fn new(master: &[u8; 32]) -> Result<Self, Unspecified> {
        let root = hmac::Key::new(hmac::HMAC_SHA256, master);
        let derive = |label: &[u8]| hmac::sign(&root, label);
        let aead_key = derive(b"rognito/aes-256-gcm/v1");
        let digest_key = derive(b"rognito/secret-digest/v1");
        let aead = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, aead_key.as_ref())?);
        Ok(MasterKey {
            aead,
            digest: hmac::Key::new(hmac::HMAC_SHA256, digest_key.as_ref()),
        })
    }

    /// A fresh random master key (for `--durability memory`, where nothing outlives the process).
    pub fn random() -> Result<Self, Unspecified> {
        Self::new(&crate::ids::random_bytes::<32>())
    }

    /// `[version][nonce][ciphertext+tag]`, bound to `context`.
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Vec<u8> {
        let nonce_bytes = crate::ids::random_bytes::<NONCE_LEN>();
        let mut buf = plaintext.to_vec();
        let nonce = Nonce::assume_unique_for_key(nonce_bytes);
        // Sealing into a Vec only fails for inputs beyond AES-GCM's 64 GiB limit.
        if self
            .aead
            .seal_in_place_append_tag(nonce, Aad::from(context.as_bytes()), &mut buf)
            .is_err()
        {
            buf.clear();
        }
        let mut out = Vec::with_capacity(1 + NONCE_LEN + buf.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&buf);
        out
    }

    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        let (&version, rest) = sealed.split_first().ok_or(OpenError)?;
        if version != FORMAT_V1 || rest.len() < NONCE_LEN {
            return Err(OpenError);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| OpenError)?;
        let mut buf = ciphertext.to_vec();
        let plain = self
            .aead
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut buf)
            .map_err(|_| OpenError)?;
        Ok(plain.to_vec())
    }

    /// The keyed digest of a client secret, bound to its client.
    pub fn digest(&self, client_id: &str, secret: &[u8]) -> Vec<u8> {
        let mut ctx = hmac::Context::with_key(&self.digest);
        ctx.update(&(client_id.len() as u64).to_be_bytes());
        ctx.update(client_id.as_bytes());
        ctx.update(secret);
        ctx.sign().as_ref().to_vec()
    }

    /// Whether `secret` matches a stored digest, compared in constant time.
    pub fn digest_matches(&self, client_id: &str, secret: &[u8], digest: &[u8]) -> bool {
        let candidate = self.digest(client_id, secret);
        bool::from(subtle::ConstantTimeEq::ct_eq(candidate.as_slice(), digest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_bound_to_context_and_key() {
        let key = MasterKey::new(&[7; 32]).expect("key");
        let sealed = key.seal("client-secret:abc", b"s3cret");
        assert_ne!(&sealed[13..], b"s3cret");
        assert_eq!(
            key.open("client-secret:abc", &sealed),
            Ok(b"s3cret".to_vec())
        );
        assert_eq!(key.open("client-secret:xyz", &sealed), Err(OpenError));
        assert_eq!(
            MasterKey::new(&[8; 32])
                .expect("key")
                .open("client-secret:abc", &sealed),
            Err(OpenError)
        );
        let mut tampered = sealed.clone();
        if let Some(last) = tampered.last_mut() {
            *last ^= 1;
        }
        assert_eq!(key.open("client-secret:abc", &tampered), Err(OpenError));
        // fresh nonce each time
        assert_ne!(key.seal("c", b"x"), key.seal("c", b"x"));
    }

    #[test]
    fn digests_are_keyed_and_bound_to_the_client() {
        let key = MasterKey::new(&[7; 32]).expect("key");
        let d = key.digest("client", b"secret");
        assert!(key.digest_matches("client", b"secret", &d));
        assert!(!key.digest_matches("client", b"secreT", &d));
        assert!(!key.digest_matches("other", b"secret", &d));
        assert!(
            !MasterKey::new(&[9; 32])
                .expect("key")
                .digest_matches("client", b"secret", &d)
        );
    }
}
