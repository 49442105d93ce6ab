//! A pool's signing keys: made when the pool is created (sealed under the master key, stored
//! with the pool in one transaction), loaded and parsed once into a cache, published as JWKS.

use rognito_model::CognitoError;
use rognito_store::SigningKeyRecord;

use crate::Cognito;
use crate::keys::{Jwk, KeyPurpose, SigningKey};

/// The keys of one pool, ready to sign.
#[derive(Debug)]
pub struct PoolKeys {
    pub access: SigningKey,
    pub id: SigningKey,
}

impl PoolKeys {
    /// As `/.well-known/jwks.json` lists them: the ID-token key, then the access-token key.
    pub fn jwks(&self) -> Vec<Jwk> {
        vec![self.id.jwk().clone(), self.access.jwk().clone()]
    }
}

pub(crate) fn key_context(kid: &str) -> String {
    format!("signing-key:{kid}")
}

impl Cognito {
    /// Two fresh keys for a new pool, sealed for storage. RSA key generation takes tens of
    /// milliseconds, so it runs off the async workers.
    pub(crate) async fn new_pool_keys(
        &self,
        user_pool_id: &str,
        now_ms: i64,
    ) -> Result<Vec<SigningKeyRecord>, CognitoError> {
        let generated = tokio::task::spawn_blocking(|| {
            Ok::<_, crate::keys::KeyError>([SigningKey::generate()?, SigningKey::generate()?])
        })
        .await
        .map_err(|_| CognitoError::internal())?
        .map_err(|e| {
            tracing::error!(error = %e, "cannot generate signing keys");
            CognitoError::internal()
        })?;
        let records = [KeyPurpose::Access, KeyPurpose::Id]
            .into_iter()
            .zip(generated)
            .map(|(purpose, (key, pkcs8))| SigningKeyRecord {
                kid: key.kid().to_owned(),
                user_pool_id: user_pool_id.into(),
                purpose: purpose.as_str().to_owned(),
                private_key: self.master.seal(&key_context(key.kid()), &pkcs8),
                public_jwk: serde_json::to_string(key.jwk()).unwrap_or_default(),
                created_ms: now_ms,
            })
            .collect();
        Ok(records)
    }

    /// The pool's keys, from the cache or decrypted from the store. `None` for an unknown pool.
    pub(crate) async fn pool_keys(
        &self,
        user_pool_id: &str,
    ) -> Result<Option<std::sync::Arc<PoolKeys>>, CognitoError> {
        self.caches
            .pool_keys
            .get_or_load(user_pool_id, || async {
                let mut records = self
                    .store
                    .signing_keys(user_pool_id)
                    .await
                    .map_err(crate::internal)?;
                if records.is_empty() {
                    // A pool loaded without keys (bulk seeding) gets them on first need; if two
                    // requests race here, both re-read and settle on the same newest pair.
                    if self
                        .store
                        .user_pool(user_pool_id)
                        .await
                        .map_err(crate::internal)?
                        .is_none()
                    {
                        return Ok(None);
                    }
                    let fresh = self
                        .new_pool_keys(user_pool_id, self.clock.now_ms())
                        .await?;
                    match self.store.add_signing_keys(&fresh).await {
                        Ok(()) => {}
                        Err(rognito_store::StoreError::NotFound) => return Ok(None),
                        Err(e) => return Err(crate::internal(e)),
                    }
                    records = self
                        .store
                        .signing_keys(user_pool_id)
                        .await
                        .map_err(crate::internal)?;
                }
                let newest = |purpose: KeyPurpose| {
                    records.iter().rev().find(|r| r.purpose == purpose.as_str())
                };
                let (Some(access), Some(id)) = (newest(KeyPurpose::Access), newest(KeyPurpose::Id))
                else {
                    return Ok(None);
                };
                Ok(Some(PoolKeys {
                    access: self.open_key(access)?,
                    id: self.open_key(id)?,
                }))
            })
            .await
    }

    fn open_key(&self, record: &SigningKeyRecord) -> Result<SigningKey, CognitoError> {
        let pkcs8 = self
            .master
            .open(&key_context(&record.kid), &record.private_key)
            .map_err(|e| {
                tracing::error!(kid = %record.kid, error = %e, "cannot decrypt a signing key: is the master key the one it was sealed with?");
                CognitoError::internal()
            })?;
        SigningKey::from_pkcs8(&pkcs8).map_err(|e| {
            tracing::error!(kid = %record.kid, error = %e, "stored signing key is unusable");
            CognitoError::internal()
        })
    }

    /// The JWKS of a pool, or `None` when there is no such pool.
    pub async fn jwks(&self, user_pool_id: &str) -> Result<Option<Vec<Jwk>>, CognitoError> {
        Ok(self.pool_keys(user_pool_id).await?.map(|k| k.jwks()))
    }
}

/// A pool's signing certificate (GetSigningCertificate): X.509, self-signed with the pool's
/// ID-token key, subject `CN=<pool id>`, valid for ten years from the key's creation (Cognito:
/// "valid for 10 years"), base64 DER without PEM armour. The same key, dates and serial give
/// the same certificate on every call.
fn certificate(
    pkcs8: &[u8],
    user_pool_id: &str,
    kid: &str,
    created_ms: i64,
) -> Result<String, rcgen::Error> {
    use base64::Engine as _;
    // An RSA PKCS#8 key signs with RSASSA-PKCS1-v1_5 SHA-256, as the pool's tokens do.
    let key = rcgen::KeyPair::try_from(pkcs8)?;
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, user_pool_id);
    let start = time::OffsetDateTime::from_unix_timestamp(created_ms / 1000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    params.not_before = start;
    params.not_after = start + time::Duration::days(3650);
    let serial = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, kid.as_bytes());
    let serial = serial.as_ref().get(..16).unwrap_or(serial.as_ref());
    params.serial_number = Some(rcgen::SerialNumber::from_slice(serial));
    let certificate = params.self_signed(&key)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(certificate.der()))
}

impl Cognito {
    /// GetSigningCertificate: the pool's signing certificate (see [`certificate`]).
    ///
    /// Errors: the pool is missing or another account's (`ResourceNotFoundException`).
    pub(crate) async fn get_signing_certificate(
        &self,
        ctx: &crate::RequestContext,
        input: rognito_model::GetSigningCertificateRequest,
    ) -> Result<rognito_model::GetSigningCertificateResponse, CognitoError> {
        let id = crate::required(input.user_pool_id.as_deref(), "UserPoolId")?;
        self.check_pool(ctx, id).await?;
        // Makes the keys of a pool seeded without them.
        if self.pool_keys(id).await?.is_none() {
            return Err(crate::user_pools::pool_not_found(id));
        }
        let records = self.store.signing_keys(id).await.map_err(crate::internal)?;
        let Some(record) = records
            .iter()
            .rev()
            .find(|r| r.purpose == KeyPurpose::Id.as_str())
        else {
            return Err(crate::user_pools::pool_not_found(id));
        };
        let pkcs8 = self
            .master
            .open(&key_context(&record.kid), &record.private_key)
            .map_err(|e| {
                tracing::error!(kid = %record.kid, error = %e, "cannot decrypt a signing key");
                CognitoError::internal()
            })?;
        let (id, kid, created) = (id.to_owned(), record.kid.clone(), record.created_ms);
        let certificate =
            tokio::task::spawn_blocking(move || certificate(&pkcs8, &id, &kid, created))
                .await
                .map_err(|_| CognitoError::internal())?
                .map_err(|e| {
                    tracing::error!(error = %e, "cannot make a signing certificate");
                    CognitoError::internal()
                })?;
        Ok(rognito_model::GetSigningCertificateResponse {
            certificate: Some(certificate),
        })
    }
}
