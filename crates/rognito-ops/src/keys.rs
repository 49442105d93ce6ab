//! Per-pool RSA-2048 signing keys (one for access tokens, one for ID tokens, as Cognito), their
//! JWKs, and RS256 JWT signing with a key parsed once and kept ready.

use std::fmt;

use aws_lc_rs::digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Serialize;

/// What a key signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPurpose {
    Access,
    Id,
}

impl KeyPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyPurpose::Access => "access",
            KeyPurpose::Id => "id",
        }
    }
}

/// A public key as JWKS publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Jwk {
    pub alg: String,
    pub e: String,
    pub kid: String,
    pub kty: String,
    pub n: String,
    #[serde(rename = "use")]
    pub use_: String,
}

/// A ready-to-sign key: parsed once, with its JWT header already encoded.
pub struct SigningKey {
    kid: String,
    key_pair: RsaKeyPair,
    header_b64: String,
    jwk: Jwk,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
pub struct KeyError(pub &'static str);

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for KeyError {}

impl SigningKey {
    /// A new RSA-2048 key and its PKCS#8 encoding (to be sealed and stored).
    pub fn generate() -> Result<(SigningKey, Vec<u8>), KeyError> {
        let key_pair = RsaKeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| KeyError("RSA key generation failed"))?;
        let pkcs8 = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der<'static>>::as_der(
            &key_pair,
        )
        .map_err(|_| KeyError("PKCS#8 encoding failed"))?
        .as_ref()
        .to_vec();
        Ok((Self::from_key_pair(key_pair), pkcs8))
    }

    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<SigningKey, KeyError> {
        let key_pair =
            RsaKeyPair::from_pkcs8(pkcs8).map_err(|_| KeyError("stored signing key is invalid"))?;
        Ok(Self::from_key_pair(key_pair))
    }

    fn from_key_pair(key_pair: RsaKeyPair) -> SigningKey {
        let public = key_pair.public_key();
        // Cognito's kids are 44-character base64 strings; ours are the SHA-256 of the public key.
        let kid = STANDARD.encode(digest::digest(&digest::SHA256, public.as_ref()));
        let jwk = Jwk {
            alg: "RS256".into(),
            e: URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero()),
            kid: kid.clone(),
            kty: "RSA".into(),
            n: URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero()),
            use_: "sig".into(),
        };
        let header = format!(r#"{{"kid":"{kid}","alg":"RS256"}}"#);
        SigningKey {
            header_b64: URL_SAFE_NO_PAD.encode(header),
            kid,
            key_pair,
            jwk,
        }
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// The payload of a JWT this key signed: the header must be this key's exactly (its kid and
    /// RS256) and the RS256 signature must verify. None for anything else.
    pub fn verified_payload(&self, token: &str) -> Option<Vec<u8>> {
        let (signed, signature) = token.rsplit_once('.')?;
        let (header, payload) = signed.split_once('.')?;
        if header != self.header_b64 {
            return None;
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let public = aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            self.key_pair.public_key().as_ref(),
        );
        public.verify(signed.as_bytes(), &signature).ok()?;
        URL_SAFE_NO_PAD.decode(payload).ok()
    }

    /// `header.payload.signature`, RS256 over the already-serialised claims.
    pub fn sign_jwt(&self, claims_json: &[u8]) -> Result<String, KeyError> {
        let payload = URL_SAFE_NO_PAD.encode(claims_json);
        let mut token = String::with_capacity(self.header_b64.len() + payload.len() + 344 + 2);
        token.push_str(&self.header_b64);
        token.push('.');
        token.push_str(&payload);
        let mut signature = vec![0u8; self.key_pair.public_modulus_len()];
        self.key_pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                token.as_bytes(),
                &mut signature,
            )
            .map_err(|_| KeyError("RSA signing failed"))?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};

    use super::*;

    #[test]
    fn signs_jwts_that_verify_with_the_published_jwk() {
        let (key, pkcs8) = SigningKey::generate().expect("generate");
        let reloaded = SigningKey::from_pkcs8(&pkcs8).expect("reload");
        assert_eq!(reloaded.kid(), key.kid());
        assert_eq!(key.kid().len(), 44);
        let token = reloaded.sign_jwt(br#"{"sub":"x"}"#).expect("sign");
        let (signed, signature) = token.rsplit_once('.').expect("three parts");
        let jwk = key.jwk();
        let public = RsaPublicKeyComponents {
            n: URL_SAFE_NO_PAD.decode(&jwk.n).expect("n"),
            e: URL_SAFE_NO_PAD.decode(&jwk.e).expect("e"),
        };
        public
            .verify(
                &RSA_PKCS1_2048_8192_SHA256,
                signed.as_bytes(),
                &URL_SAFE_NO_PAD.decode(signature).expect("sig"),
            )
            .expect("verifies");
        let header = URL_SAFE_NO_PAD
            .decode(token.split('.').next().expect("header"))
            .expect("b64");
        assert_eq!(
            String::from_utf8(header).expect("utf8"),
            format!(r#"{{"kid":"{}","alg":"RS256"}}"#, key.kid())
        );
        assert_eq!(jwk.e, "AQAB");
    }
}
