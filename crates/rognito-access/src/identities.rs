//! Identities that sign requests: IAM-style users of an account with access keys (secrets sealed
//! under the master key) and identity policies. The server starts with a root identity, `admin`,
//! allowed everything in its account: from `ROGNITO_ACCESS_KEY_ID`/`ROGNITO_SECRET_ACCESS_KEY`
//! when given, else generated on first start and shown once.

use std::sync::Arc;

use rognito_model::{AccountId, Clock, CognitoError};
use rognito_ops::ids::random_string;
use rognito_ops::{MasterKey, access_key_context};
use rognito_store::{AccessKeyRecord, IdentityRecord, PolicyRecord, Store, StoreError};
use secrecy::{ExposeSecret, SecretString};

/// The identity rognito makes when it starts without any.
pub const ROOT_USER: &str = "admin";
/// The policy that lets the root identity do everything.
pub const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

const KEY_ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A new access key: shown to its owner once, stored only sealed.
#[derive(Debug)]
pub struct NewAccessKey {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
}

/// What [`Identities::ensure_root_identity`] did.
#[derive(Debug)]
pub enum RootKey {
    /// The root identity already had the key it should have.
    Unchanged,
    /// There was no identity: one was made with this key, to be shown once.
    Generated(NewAccessKey),
    /// The configured key replaced these earlier keys of the root identity (same secret or
    /// not, they no longer work).
    Replaced { previous: Vec<String> },
}

/// Why an identity or policy change was refused; the texts are for the operator's terminal.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("identity {0} already exists in account {1}")]
    Exists(String, String),
    #[error("no identity {0} in account {1}")]
    NotFound(String, String),
    #[error("{0}")]
    InvalidPolicy(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stored secret cannot be opened with this master key")]
    Sealed,
}

/// `arn:aws:iam::<account>:user/<name>`, as IAM names a user.
pub fn user_arn(account_id: &str, user_name: &str) -> String {
    format!("arn:aws:iam::{account_id}:user/{user_name}")
}

fn check_user_name(name: &str) -> Result<(), IdentityError> {
    // IAM's user-name rule: 1..64 of [\w+=,.@-].
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(IdentityError::Invalid(format!(
            "identity name {name:?} must be 1-64 characters of letters, digits and _+=,.@-"
        )))
    }
}

/// The identities that sign requests, their access keys (secrets sealed under the master key)
/// and their policies, in the store.
pub struct Identities {
    store: Arc<dyn Store>,
    master: Arc<MasterKey>,
    clock: Arc<dyn Clock>,
}

impl Identities {
    /// Identities in `store`, their secrets sealed with `master`, dated by `clock`.
    pub fn new(store: Arc<dyn Store>, master: Arc<MasterKey>, clock: Arc<dyn Clock>) -> Self {
        Identities {
            store,
            master,
            clock,
        }
    }

    /// Makes sure the server has a root identity. With `configured` credentials, that key is
    /// (re)bound to `admin` of `account_id`, replacing the root identity's key when it differs
    /// (the way back in when the root credentials are lost); without, a key is generated when
    /// there is no identity at all, and returned so the caller can show it once.
    ///
    /// Several nodes sharing a database may start at once: when another made the root identity
    /// between this one's look and its write, this one looks again (the other's key stands, so
    /// exactly one is generated and shown).
    pub async fn ensure_root_identity(
        &self,
        account_id: &str,
        configured: Option<(String, SecretString)>,
    ) -> Result<RootKey, IdentityError> {
        let mut tries = 0;
        loop {
            match self.ensure_root_once(account_id, configured.clone()).await {
                Err(IdentityError::Exists(..)) if tries < 3 => tries += 1,
                outcome => return outcome,
            }
        }
    }

    async fn ensure_root_once(
        &self,
        account_id: &str,
        configured: Option<(String, SecretString)>,
    ) -> Result<RootKey, IdentityError> {
        let Some((access_key_id, secret)) = configured else {
            if !self.store.identities(None).await?.is_empty() {
                return Ok(RootKey::Unchanged);
            }
            let key = self.create_identity(account_id, ROOT_USER).await?;
            self.attach_policy(account_id, ROOT_USER, "AllowAll", ALLOW_ALL)
                .await?;
            return Ok(RootKey::Generated(key));
        };
        let current = match self.store.access_key(&access_key_id).await? {
            Some(record) if record.account_id == account_id && record.user_name == ROOT_USER => {
                Some(self.open_secret(&record)?)
            }
            // The configured key follows --account-id: the root identity moves with it.
            Some(record) if record.user_name == ROOT_USER => {
                self.store
                    .delete_identity(&record.account_id, ROOT_USER)
                    .await?;
                None
            }
            Some(record) => {
                return Err(IdentityError::Invalid(format!(
                    "access key {access_key_id} belongs to identity {} of account {}",
                    record.user_name, record.account_id
                )));
            }
            None => None,
        };
        let outcome =
            if current.as_ref().map(ExposeSecret::expose_secret) == Some(secret.expose_secret()) {
                RootKey::Unchanged
            } else {
                let previous: Vec<String> = self
                    .store
                    .access_keys_of(account_id, ROOT_USER)
                    .await?
                    .into_iter()
                    .map(|k| k.access_key_id)
                    .collect();
                // The configured key is the root identity's only key.
                self.store.delete_identity(account_id, ROOT_USER).await?;
                self.create_identity_with_key(account_id, ROOT_USER, &access_key_id, &secret)
                    .await?;
                if previous.is_empty() {
                    RootKey::Unchanged
                } else {
                    RootKey::Replaced { previous }
                }
            };
        self.attach_policy(account_id, ROOT_USER, "AllowAll", ALLOW_ALL)
            .await?;
        Ok(outcome)
    }

    /// A new identity with a generated access key.
    pub async fn create_identity(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<NewAccessKey, IdentityError> {
        check_user_name(user_name)?;
        let access_key_id = format!("AKIA{}", random_string(KEY_ID_ALPHABET, 16));
        let secret = SecretString::from(random_string(SECRET_ALPHABET, 40));
        self.create_identity_with_key(account_id, user_name, &access_key_id, &secret)
            .await?;
        Ok(NewAccessKey {
            access_key_id,
            secret_access_key: secret,
        })
    }

    async fn create_identity_with_key(
        &self,
        account_id: &str,
        user_name: &str,
        access_key_id: &str,
        secret: &SecretString,
    ) -> Result<(), IdentityError> {
        let now = self.clock.now_ms();
        let identity = IdentityRecord {
            account_id: account_id.into(),
            user_name: user_name.to_owned(),
            created_ms: now,
        };
        let key = AccessKeyRecord {
            access_key_id: access_key_id.to_owned(),
            account_id: account_id.into(),
            user_name: user_name.to_owned(),
            secret: self.master.seal(
                &access_key_context(access_key_id),
                secret.expose_secret().as_bytes(),
            ),
            created_ms: now,
        };
        match self.store.create_identity(&identity, &key).await {
            Err(StoreError::AlreadyExists) => Err(IdentityError::Exists(
                user_name.to_owned(),
                account_id.to_owned(),
            )),
            other => Ok(other?),
        }
    }

    pub async fn identities(
        &self,
        account_id: Option<&str>,
    ) -> Result<Vec<(IdentityRecord, Vec<String>, Vec<String>)>, IdentityError> {
        let mut out = Vec::new();
        for identity in self.store.identities(account_id).await? {
            let keys = self
                .store
                .access_keys_of(&identity.account_id, &identity.user_name)
                .await?
                .into_iter()
                .map(|k| k.access_key_id)
                .collect();
            let policies = self
                .store
                .policies_of(&identity.account_id, &identity.user_name)
                .await?
                .into_iter()
                .map(|p| p.policy_name)
                .collect();
            out.push((identity, keys, policies));
        }
        Ok(out)
    }

    pub async fn delete_identity(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<(), IdentityError> {
        if self.store.delete_identity(account_id, user_name).await? {
            Ok(())
        } else {
            Err(IdentityError::NotFound(
                user_name.to_owned(),
                account_id.to_owned(),
            ))
        }
    }

    /// Attaches (or replaces) a named identity policy after checking it can be evaluated.
    /// Returns the `cognito-idp:` actions it names that are no Cognito operation (likely
    /// typos, which match nothing), for the caller to warn about.
    pub async fn attach_policy(
        &self,
        account_id: &str,
        user_name: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<Vec<String>, IdentityError> {
        let policy = crate::iam::Policy::parse(document).map_err(IdentityError::InvalidPolicy)?;
        let record = PolicyRecord {
            account_id: account_id.into(),
            user_name: user_name.to_owned(),
            policy_name: policy_name.to_owned(),
            document: document.to_owned(),
        };
        match self.store.put_policy(&record).await {
            Err(StoreError::NotFound) => Err(IdentityError::NotFound(
                user_name.to_owned(),
                account_id.to_owned(),
            )),
            other => {
                other?;
                Ok(policy.unknown_actions())
            }
        }
    }

    pub async fn detach_policy(
        &self,
        account_id: &str,
        user_name: &str,
        policy_name: &str,
    ) -> Result<bool, IdentityError> {
        Ok(self
            .store
            .delete_policy(account_id, user_name, policy_name)
            .await?)
    }

    fn open_secret(&self, record: &AccessKeyRecord) -> Result<SecretString, IdentityError> {
        let plain = self
            .master
            .open(&access_key_context(&record.access_key_id), &record.secret)
            .map_err(|_| IdentityError::Sealed)?;
        let plain = String::from_utf8(plain).map_err(|_| IdentityError::Sealed)?;
        Ok(SecretString::from(plain))
    }
}

impl Identities {
    /// The owner and secret of an access key, for signature verification: (account id, user
    /// name, secret); None for an unknown key.
    ///
    /// Errors: InternalErrorException when the store cannot be read or the secret opened.
    pub async fn access_key_secret(
        &self,
        access_key_id: &str,
    ) -> Result<Option<(AccountId, String, SecretString)>, CognitoError> {
        let Some(record) = self.store.access_key(access_key_id).await.map_err(|e| {
            tracing::error!(error = %e, "cannot read an access key");
            CognitoError::internal()
        })?
        else {
            return Ok(None);
        };
        let secret = self.open_secret(&record).map_err(|e| {
            tracing::error!(access_key_id, error = %e, "cannot open an access key's secret");
            CognitoError::internal()
        })?;
        Ok(Some((record.account_id, record.user_name, secret)))
    }
}

#[cfg(test)]
mod tests {
    use rognito_model::SystemClock;

    use super::*;

    #[tokio::test]
    async fn access_key_secrets_redact_themselves() {
        let store = rognito_store::open_in_memory().await.expect("store");
        let identities = Identities::new(
            store,
            Arc::new(MasterKey::random().expect("master key")),
            Arc::new(SystemClock),
        );
        let key = identities
            .create_identity("000000000000", "alice")
            .await
            .expect("identity");
        let secret = key.secret_access_key.expose_secret().to_owned();
        let found = identities
            .access_key_secret(&key.access_key_id)
            .await
            .expect("read")
            .expect("key");
        assert_eq!(found.2.expose_secret(), secret);
        let access_key_id = key.access_key_id.clone();
        for shown in [
            format!("{key:?}"),
            format!("{:?}", RootKey::Generated(key)),
            format!("{found:?}"),
        ] {
            assert!(
                shown.contains(&access_key_id) || shown.contains("alice"),
                "{shown}"
            );
            assert!(!shown.contains(&secret), "{shown}");
        }
    }
}
