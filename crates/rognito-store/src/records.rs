use rognito_model::{AccountId, ClientId, UserPoolId};

/// A user pool as stored. `doc` is the pool's description as JSON text, owned by the operations
/// layer; the store only keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPoolRecord {
    pub id: UserPoolId,
    pub account_id: AccountId,
    pub name: String,
    pub doc: String,
    pub created_ms: i64,
    pub modified_ms: i64,
    /// Bumped by every replacement of the document; what [`UserPoolStore::replace_user_pool`]
    /// compares (0 for a new pool).
    ///
    /// [`UserPoolStore::replace_user_pool`]: crate::UserPoolStore::replace_user_pool
    pub version: i64,
}

/// A resource server as stored; `scopes` is a JSON array owned by the operations layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceServerRecord {
    pub user_pool_id: UserPoolId,
    pub identifier: String,
    pub name: String,
    pub scopes: String,
    pub created_ms: i64,
    pub modified_ms: i64,
}

/// One page of a keyset-paginated listing; `more` says whether anything follows the last item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub more: bool,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows: the extra row only tells that more exist.
    pub(crate) fn from_rows(mut rows: Vec<T>, limit: u32) -> Self {
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        Page { items: rows, more }
    }
}

/// An app client as stored; `doc` is its UserPoolClientType (without secret and dates) as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRecord {
    pub client_id: ClientId,
    pub user_pool_id: UserPoolId,
    pub client_name: String,
    pub doc: String,
    pub created_ms: i64,
    pub modified_ms: i64,
}

/// One client secret: its ciphertext (to show it back) and a keyed digest (to check it).
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecretRecord {
    pub secret_id: String,
    pub client_id: ClientId,
    pub ciphertext: Vec<u8>,
    pub digest: Vec<u8>,
    pub created_ms: i64,
}

impl std::fmt::Debug for ClientSecretRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSecretRecord")
            .field("secret_id", &self.secret_id)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// A user pool domain (prefix or custom); `doc` holds its settings as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainRecord {
    pub domain: String,
    pub user_pool_id: UserPoolId,
    pub doc: String,
    pub created_ms: i64,
    pub modified_ms: i64,
}

/// A pool's RSA signing key: encrypted PKCS#8 and the public JWK.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKeyRecord {
    pub kid: String,
    pub user_pool_id: UserPoolId,
    pub purpose: String,
    pub private_key: Vec<u8>,
    pub public_jwk: String,
    pub created_ms: i64,
}

impl std::fmt::Debug for SigningKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyRecord")
            .field("kid", &self.kid)
            .field("user_pool_id", &self.user_pool_id)
            .field("purpose", &self.purpose)
            .finish_non_exhaustive()
    }
}

/// An identity (IAM-style user) of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityRecord {
    pub account_id: AccountId,
    pub user_name: String,
    pub created_ms: i64,
}

/// An access key of an identity; `secret` is sealed under the master key.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKeyRecord {
    pub access_key_id: String,
    pub account_id: AccountId,
    pub user_name: String,
    pub secret: Vec<u8>,
    pub created_ms: i64,
}

impl std::fmt::Debug for AccessKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKeyRecord")
            .field("access_key_id", &self.access_key_id)
            .field("account_id", &self.account_id)
            .field("user_name", &self.user_name)
            .finish_non_exhaustive()
    }
}

/// An identity policy attached to a user, as the JSON document it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRecord {
    pub account_id: AccountId,
    pub user_name: String,
    pub policy_name: String,
    pub document: String,
}

/// A value sealed under the master key, with the row key its seal is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealedSample {
    AccessKey {
        access_key_id: String,
        sealed: Vec<u8>,
    },
    ClientSecret {
        client_id: String,
        sealed: Vec<u8>,
    },
    SigningKey {
        kid: String,
        sealed: Vec<u8>,
    },
}

/// A user of a pool as stored. `doc` is owned by the operations layer (attributes, status, MFA
/// settings, pending codes' digests) and `secrets` is sealed by it under the master key
/// (password hash, SRP verifier, TOTP secret): the store keeps both opaque.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub user_pool_id: UserPoolId,
    /// The username as created (case kept); immutable.
    pub username: String,
    pub doc: String,
    pub secrets: Vec<u8>,
    pub created_ms: i64,
    pub modified_ms: i64,
    /// Bumped by every replacement; what [`UserStore::replace_user`] compares (0 when new).
    ///
    /// [`UserStore::replace_user`]: crate::UserStore::replace_user
    pub version: i64,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("user_pool_id", &self.user_pool_id)
            .field("username", &self.username)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// A group of a pool; `doc` holds Description, Precedence and RoleArn as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    pub user_pool_id: UserPoolId,
    pub group_name: String,
    pub doc: String,
    pub created_ms: i64,
    pub modified_ms: i64,
}

/// One sign-in's refresh-token family: refreshed, revoked and signed out as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub user_pool_id: UserPoolId,
    /// The family's id: the `origin_jti` of every token issued from it.
    pub session_id: String,
    pub username: String,
    pub client_id: ClientId,
    /// What refreshing needs (auth time, device, scopes) as JSON.
    pub doc: String,
    pub created_ms: i64,
    /// When the refresh token expires (ms since the epoch).
    pub expires_ms: i64,
}

/// A message Cognito would have sent (confirmation code, temporary password, MFA code), kept in
/// the local message sink. `doc` is the message as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    pub user_pool_id: UserPoolId,
    /// Sorts by creation within the pool.
    pub message_id: String,
    pub username: String,
    pub doc: String,
    pub created_ms: i64,
}
