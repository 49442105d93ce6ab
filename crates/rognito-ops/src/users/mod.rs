//! Users of a pool: how they are stored (a JSON document, sealed secrets and lookup keys), how
//! a pool's settings shape them (username attributes, aliases, case, schema), and the shapes
//! the API answers with. The operations are in `admin.rs` (by pool and username, signed),
//! `self_service.rs` (by app client or access token, unsigned) and `codes.rs` (codes and the
//! message sink). Source of every rule: docs/research/users-and-groups.md (§ numbers below).

pub(crate) mod admin;
pub(crate) mod codes;
pub(crate) mod passwords;
mod self_service;

use rognito_model::{
    AttributeType, CognitoError, ErrorCode, MFAOptionType, SchemaAttributeType, UserPoolType,
    UserType,
};
use rognito_store::{StoreError, UserPoolRecord, UserRecord};
use serde::{Deserialize, Serialize};

use crate::clock::epoch_seconds;
use crate::{Cognito, internal};

pub use passwords::PasswordHashing;

/// The user statuses rognito sets (the model's `UserStatusType`; ARCHIVED, COMPROMISED and
/// UNKNOWN are "no longer used").
pub(crate) mod status {
    pub const UNCONFIRMED: &str = "UNCONFIRMED";
    pub const CONFIRMED: &str = "CONFIRMED";
    pub const FORCE_CHANGE_PASSWORD: &str = "FORCE_CHANGE_PASSWORD";
    pub const RESET_REQUIRED: &str = "RESET_REQUIRED";
}

/// One attribute of a user, as the API names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Attr {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Value")]
    pub value: String,
}

/// A user's MFA settings (SetUserMFAPreference and AssociateSoftwareToken).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MfaSettings {
    /// A TOTP secret was verified (VerifySoftwareToken).
    #[serde(default)]
    pub totp_verified: bool,
    #[serde(default)]
    pub totp_enabled: bool,
    #[serde(default)]
    pub sms_enabled: bool,
    #[serde(default)]
    pub email_enabled: bool,
    /// `SOFTWARE_TOKEN_MFA`, `SMS_MFA` or `EMAIL_OTP`.
    #[serde(default)]
    pub preferred: Option<String>,
    /// The newest TOTP time step accepted, so a code is never accepted twice (§4.5 of
    /// srp-tokens-mfa.md: `Your software token has already been used once.`).
    #[serde(default)]
    pub totp_last_step: u64,
}

/// Failed password sign-ins, for Cognito's lockout (users-and-groups.md §8): after the fifth
/// failure the user is locked for 2^(n-5) s (at most 900 s); 15 minutes without attempts
/// start the count again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Failures {
    pub count: u32,
    pub locked_until_ms: i64,
    pub last_ms: i64,
}

/// A pending code (sign-up confirmation, forgotten password, attribute verification): its keyed
/// digest, never the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PendingCode {
    /// `signup`, `forgot`, `verify:email`, `verify:phone_number`, `mfa`.
    pub purpose: String,
    pub digest: Vec<u8>,
    pub expires_ms: i64,
    #[serde(default)]
    pub attempts: u32,
}

/// How many answered challenge sessions a user's document remembers (see
/// `Cognito::consume_session`).
pub(crate) const ANSWERED_SESSIONS_KEPT: usize = 64;

/// A challenge session (or SRP secret block) that was answered, until it would have expired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AnsweredSession {
    pub nonce: String,
    pub exp_ms: i64,
}

/// The user as stored in `UserRecord::doc`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct UserDoc {
    /// `sub` first, then the others in the order they were first set.
    pub attributes: Vec<Attr>,
    pub status: String,
    pub enabled: bool,
    #[serde(default)]
    pub mfa: MfaSettings,
    #[serde(default)]
    pub codes: Vec<PendingCode>,
    #[serde(default)]
    pub failures: Failures,
    /// When a temporary password stops working (ms since the epoch).
    #[serde(default)]
    pub temporary_password_expires_ms: Option<i64>,
    /// Tokens issued before this instant are refused (GlobalSignOut, AdminUserGlobalSignOut,
    /// AdminDisableUser); ms since the epoch.
    #[serde(default)]
    pub signed_out_ms: i64,
    /// Challenge sessions already answered (single use).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answered_sessions: Vec<AnsweredSession>,
    /// When codes were sent to the user in the last hour (ms since the epoch), for the
    /// per-user hourly quota (see `codes.rs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub code_requests: Vec<i64>,
    /// When wrong codes were given for the user in the last hour.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub code_failures: Vec<i64>,
}

impl UserDoc {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }

    pub fn sub(&self) -> &str {
        self.attribute("sub").unwrap_or_default()
    }

    /// Sets (or, with an empty value, removes) an attribute.
    pub fn set_attribute(&mut self, name: &str, value: &str) {
        if value.is_empty() {
            self.attributes.retain(|a| a.name != name);
        } else if let Some(a) = self.attributes.iter_mut().find(|a| a.name == name) {
            a.value = value.to_owned();
        } else {
            self.attributes.push(Attr {
                name: name.to_owned(),
                value: value.to_owned(),
            });
        }
    }

    pub fn verified(&self, attribute: &str) -> bool {
        self.attribute(&format!("{attribute}_verified"))
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

/// What is sealed in `UserRecord::secrets`. Its `Debug` shows which secrets exist, never them.
#[derive(Clone, Default, Serialize, Deserialize)]
pub(crate) struct UserSecrets {
    /// The argon2id PHC string of the password.
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub srp_salt: Vec<u8>,
    #[serde(default)]
    pub srp_verifier: Vec<u8>,
    /// The verified TOTP secret.
    #[serde(default)]
    pub totp: Option<Vec<u8>>,
    /// A TOTP secret from AssociateSoftwareToken, not verified yet.
    #[serde(default)]
    pub totp_pending: Option<Vec<u8>>,
}

impl std::fmt::Debug for UserSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserSecrets")
            .field("password", &self.password.is_some())
            .field("srp", &!self.srp_verifier.is_empty())
            .field("totp", &self.totp.is_some())
            .field("totp_pending", &self.totp_pending.is_some())
            .finish()
    }
}

/// A user as the operations see it: the stored record with its document and secrets opened.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub record: UserRecord,
    pub doc: UserDoc,
}

/// A pool's settings that decide how users behave, read from its stored document.
#[derive(Debug, Clone)]
pub(crate) struct PoolView {
    pub id: String,
    pub account_id: String,
    pub pool: UserPoolType,
    /// The raw document (for members UserPoolType does not have: the MFA factors).
    pub doc: serde_json::Map<String, serde_json::Value>,
}

impl PoolView {
    pub fn from_record(record: &UserPoolRecord) -> Result<Self, CognitoError> {
        let unreadable = |e: serde_json::Error| {
            tracing::error!(error = %e, pool = %record.id, "stored user pool document is unreadable");
            CognitoError::internal()
        };
        let doc: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&record.doc).map_err(unreadable)?;
        let pool: UserPoolType =
            serde_json::from_value(serde_json::Value::Object(doc.clone())).map_err(unreadable)?;
        Ok(PoolView {
            id: record.id.to_string(),
            account_id: record.account_id.to_string(),
            pool,
            doc,
        })
    }

    /// The part of the pool id after `_`: what Cognito's SRP hashes (srp-tokens-mfa.md §1.4).
    pub fn srp_pool_name(&self) -> &str {
        self.id.split_once('_').map_or(self.id.as_str(), |(_, n)| n)
    }

    /// `UsernameConfiguration.CaseSensitive`; the API's default is true (model doc).
    pub fn case_sensitive(&self) -> bool {
        self.pool
            .username_configuration
            .as_ref()
            .and_then(|c| c.case_sensitive)
            .unwrap_or(true)
    }

    pub fn username_attributes(&self) -> &[String] {
        self.pool.username_attributes.as_deref().unwrap_or_default()
    }

    pub fn alias_attributes(&self) -> &[String] {
        self.pool.alias_attributes.as_deref().unwrap_or_default()
    }

    pub fn auto_verified(&self) -> &[String] {
        self.pool
            .auto_verified_attributes
            .as_deref()
            .unwrap_or_default()
    }

    pub fn password_policy(&self) -> Option<&rognito_model::PasswordPolicyType> {
        self.pool.policies.as_ref()?.password_policy.as_ref()
    }

    pub fn schema(&self) -> &[SchemaAttributeType] {
        self.pool.schema_attributes.as_deref().unwrap_or_default()
    }

    pub fn schema_attribute(&self, name: &str) -> Option<&SchemaAttributeType> {
        self.schema()
            .iter()
            .find(|s| s.name.as_deref() == Some(name))
    }

    /// How a username or alias value is compared: folded to lower case in a case-insensitive
    /// pool.
    pub fn fold(&self, value: &str) -> String {
        if self.case_sensitive() {
            value.to_owned()
        } else {
            value.to_lowercase()
        }
    }

    /// Every key a user is found by (see the store's `user_keys`): its username, its sub, the
    /// email/phone it signs in with (a username attribute: always; an alias: once verified),
    /// and its preferred_username when that is an alias.
    pub fn keys(&self, username: &str, doc: &UserDoc) -> Vec<String> {
        let mut keys = vec![format!("u:{}", self.fold(username))];
        let sub = doc.sub();
        if !sub.is_empty() {
            keys.push(format!("sub:{sub}"));
        }
        for attribute in ["email", "phone_number"] {
            let Some(value) = doc.attribute(attribute) else {
                continue;
            };
            let signs_in = self.username_attributes().iter().any(|a| a == attribute)
                || (self.alias_attributes().iter().any(|a| a == attribute)
                    && doc.verified(attribute));
            if signs_in {
                keys.push(format!("{attribute}:{}", self.fold(value)));
            }
        }
        if self
            .alias_attributes()
            .iter()
            .any(|a| a == "preferred_username")
            && let Some(value) = doc.attribute("preferred_username")
        {
            keys.push(format!("preferred_username:{}", self.fold(value)));
        }
        keys
    }

    /// The keys a `Username` given to an operation may be, in the order they are tried.
    pub fn lookup_keys(&self, given: &str) -> Vec<String> {
        let folded = self.fold(given);
        let mut keys = vec![format!("u:{folded}")];
        for attribute in self
            .username_attributes()
            .iter()
            .chain(self.alias_attributes())
        {
            keys.push(format!("{attribute}:{folded}"));
        }
        // The sub names a user too (srp-tokens-mfa.md §1.8: USERNAME may be the sub).
        keys.push(format!("sub:{given}"));
        keys
    }
}

/// `UserNotFoundException` `User does not exist.` (verified; users-and-groups.md §4).
pub(crate) fn user_not_found() -> CognitoError {
    CognitoError::new(ErrorCode::UserNotFoundException, "User does not exist.")
}

impl Cognito {
    /// The caller's pool and its settings (`ResourceNotFoundException` when missing or
    /// another account's).
    pub(crate) async fn pool_view(
        &self,
        ctx: &crate::RequestContext,
        id: &str,
    ) -> Result<PoolView, CognitoError> {
        PoolView::from_record(&self.owned_pool(ctx, id).await?)
    }

    /// A pool by id whoever owns it (for operations that name a client or carry a token).
    pub(crate) async fn pool_view_by_id(&self, id: &str) -> Result<PoolView, CognitoError> {
        match self.store.user_pool(id).await.map_err(internal)? {
            Some(record) => PoolView::from_record(&record),
            None => Err(crate::user_pools::pool_not_found(id)),
        }
    }

    /// The user a `Username` names (the username, or a sign-in alias), or None.
    pub(crate) async fn find_user(
        &self,
        pool: &PoolView,
        given: &str,
    ) -> Result<Option<User>, CognitoError> {
        for key in pool.lookup_keys(given) {
            if let Some(record) = self
                .store
                .user_by_key(&pool.id, &key)
                .await
                .map_err(internal)?
            {
                return Ok(Some(self.user_from(record)?));
            }
        }
        Ok(None)
    }

    /// [`Cognito::find_user`], with `UserNotFoundException` when there is none.
    pub(crate) async fn existing_user(
        &self,
        pool: &PoolView,
        given: &str,
    ) -> Result<User, CognitoError> {
        self.find_user(pool, given)
            .await?
            .ok_or_else(user_not_found)
    }

    pub(crate) fn user_from(&self, record: UserRecord) -> Result<User, CognitoError> {
        let doc: UserDoc = serde_json::from_str(&record.doc).map_err(|e| {
            tracing::error!(error = %e, pool = %record.user_pool_id, "stored user is unreadable");
            CognitoError::internal()
        })?;
        Ok(User { record, doc })
    }

    fn secrets_context(user_pool_id: &str, username: &str) -> String {
        format!("user:{user_pool_id}:{username}")
    }

    /// Opens a user's sealed secrets.
    pub(crate) fn secrets_of(&self, user: &User) -> Result<UserSecrets, CognitoError> {
        if user.record.secrets.is_empty() {
            return Ok(UserSecrets::default());
        }
        let context = Self::secrets_context(&user.record.user_pool_id, &user.record.username);
        let plain = self.master.open(&context, &user.record.secrets).map_err(|e| {
            tracing::error!(error = %e, pool = %user.record.user_pool_id, "cannot open a user's secrets");
            CognitoError::internal()
        })?;
        serde_json::from_slice(&plain).map_err(|_| CognitoError::internal())
    }

    pub(crate) fn seal_secrets(
        &self,
        user_pool_id: &str,
        username: &str,
        secrets: &UserSecrets,
    ) -> Result<Vec<u8>, CognitoError> {
        let plain = serde_json::to_vec(secrets).map_err(|_| CognitoError::internal())?;
        Ok(self
            .master
            .seal(&Self::secrets_context(user_pool_id, username), &plain))
    }

    /// Hashes a password (argon2id, off the async threads) and makes its SRP verifier.
    pub(crate) async fn password_secrets(
        &self,
        pool: &PoolView,
        username: &str,
        password: &str,
        mut secrets: UserSecrets,
    ) -> Result<UserSecrets, CognitoError> {
        let hashing = self.config.password_hashing;
        let (pool_name, username, password) = (
            pool.srp_pool_name().to_owned(),
            username.to_owned(),
            password.to_owned(),
        );
        let (phc, verifier) = self
            .heavy(move || {
                let phc = hashing.hash(&password);
                let verifier = crate::srp::make_verifier(&pool_name, &username, &password);
                (phc, verifier)
            })
            .await
            .map_err(|_| CognitoError::internal())?;
        secrets.password = Some(phc.ok_or_else(CognitoError::internal)?);
        secrets.srp_salt = verifier.salt;
        secrets.srp_verifier = verifier.verifier;
        Ok(secrets)
    }

    /// Stores a changed user (document, and secrets when given) as its next version; the
    /// keys are recomputed from the document. `Conflict` (someone else changed it since it was
    /// read) and key collisions come back as store errors for the caller to map.
    pub(crate) async fn save_user(
        &self,
        pool: &PoolView,
        user: &User,
        secrets: Option<&UserSecrets>,
    ) -> Result<Option<User>, StoreError> {
        let doc = serde_json::to_string(&user.doc)
            .map_err(|e| StoreError::Commit(format!("cannot serialise a user: {e}")))?;
        let sealed = match secrets {
            Some(s) => self
                .seal_secrets(&pool.id, &user.record.username, s)
                .map_err(|_| StoreError::Commit("cannot seal a user's secrets".into()))?,
            None => user.record.secrets.clone(),
        };
        let keys = pool.keys(&user.record.username, &user.doc);
        let next = UserRecord {
            doc,
            secrets: sealed,
            modified_ms: self.clock.now_ms(),
            ..user.record.clone()
        };
        let stored = self.store.replace_user(&next, Some(&keys)).await?;
        Ok(stored.map(|record| User {
            record,
            doc: user.doc.clone(),
        }))
    }

    /// Reads a user, applies `change` and saves it, reading again when another write got in
    /// between. `change` may return an error to stop; `UserNotFoundException` when the user
    /// disappears.
    pub(crate) async fn modify_user<F>(
        &self,
        pool: &PoolView,
        given: &str,
        mut change: F,
    ) -> Result<User, CognitoError>
    where
        F: FnMut(&mut User) -> Result<(), CognitoError>,
    {
        self.modify_user_with(pool, given, false, |user, _| change(user))
            .await
    }

    /// [`Cognito::modify_user`], with the user's secrets opened for `change` (and sealed again
    /// with the user) when `secrets` is true; `change` gets `None` otherwise.
    pub(crate) async fn modify_user_with<F>(
        &self,
        pool: &PoolView,
        given: &str,
        secrets: bool,
        mut change: F,
    ) -> Result<User, CognitoError>
    where
        F: FnMut(&mut User, Option<&mut UserSecrets>) -> Result<(), CognitoError>,
    {
        for _ in 0..8 {
            let mut user = self.existing_user(pool, given).await?;
            let mut opened = if secrets {
                Some(self.secrets_of(&user)?)
            } else {
                None
            };
            change(&mut user, opened.as_mut())?;
            match self.save_user(pool, &user, opened.as_ref()).await {
                Ok(Some(saved)) => return Ok(saved),
                Ok(None) => return Err(user_not_found()),
                Err(StoreError::Conflict) => continue,
                Err(StoreError::AlreadyExists) => return Err(alias_exists(&user)),
                Err(e) => return Err(internal(e)),
            }
        }
        tracing::error!(pool = %pool.id, "user kept changing under a read-modify-write");
        Err(CognitoError::internal())
    }

    /// The `UserType` of ListUsers, AdminCreateUser and ListUsersInGroup; `only` limits the
    /// attributes (ListUsers' `AttributesToGet`).
    pub(crate) fn user_type(user: &User, only: Option<&[String]>) -> UserType {
        let attributes = user
            .doc
            .attributes
            .iter()
            .filter(|a| only.is_none_or(|names| names.contains(&a.name)))
            .map(attribute_type)
            .collect();
        UserType {
            username: Some(user.record.username.clone()),
            attributes: Some(attributes),
            user_create_date: Some(epoch_seconds(user.record.created_ms)),
            user_last_modified_date: Some(epoch_seconds(user.record.modified_ms)),
            enabled: Some(user.doc.enabled),
            user_status: Some(user.doc.status.clone()),
            mfa_options: mfa_options(&user.doc),
        }
    }
}

pub(crate) fn attribute_type(a: &Attr) -> AttributeType {
    AttributeType {
        name: Some(a.name.clone()),
        value: Some(a.value.clone()),
    }
}

/// `MFAOptions`: only SMS MFA is listed there; absent for users without it (users-and-groups.md
/// §1: AWS sends no MFAOptions for a fresh user).
pub(crate) fn mfa_options(doc: &UserDoc) -> Option<Vec<MFAOptionType>> {
    doc.mfa.sms_enabled.then(|| {
        vec![MFAOptionType {
            delivery_medium: Some("SMS".into()),
            attribute_name: Some("phone_number".into()),
        }]
    })
}

/// `AliasExistsException` for the first sign-in key of `user` that another user holds (a
/// change to an existing user that raced another write; see `free_aliases`).
pub(crate) fn alias_exists(user: &User) -> CognitoError {
    let attribute = ["email", "phone_number", "preferred_username"]
        .into_iter()
        .find(|a| user.doc.attribute(a).is_some())
        .unwrap_or("email");
    CognitoError::new(
        ErrorCode::AliasExistsException,
        format!("An account with the given {attribute} already exists."),
    )
}

/// Standard attributes a user can have besides those in the schema (developer guide, "User
/// pool attributes").
const STANDARD: &[&str] = &[
    "address",
    "birthdate",
    "email",
    "email_verified",
    "family_name",
    "gender",
    "given_name",
    "locale",
    "middle_name",
    "name",
    "nickname",
    "phone_number",
    "phone_number_verified",
    "picture",
    "preferred_username",
    "profile",
    "updated_at",
    "website",
    "zoneinfo",
];

/// Who is writing attributes: an administrator (Admin* operations) or the user through an app
/// client (SignUp, UpdateUserAttributes), whose `WriteAttributes` limit what it may write.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Writer<'a> {
    Admin,
    Client(Option<&'a [String]>),
}

/// Checks attributes being written against the pool's schema and the writer's permissions.
/// `creating`: immutable attributes may still be set.
///
/// Errors (users-and-groups.md §2): a name outside the client's `WriteAttributes` (or a
/// `*_verified` flag when the client lists none) → `NotAuthorizedException` `A client attempted
/// to write unauthorized attribute`; names not in the schema → `InvalidParameterException`
/// `Attributes did not conform to the schema: <name>: Attribute does not exist in the
/// schema.\n` (one line per name); `sub`, or an immutable attribute after creation →
/// `InvalidParameterException` `Attribute cannot be updated.` (rognito's text, unverified);
/// a malformed email or phone number → `InvalidParameterException` `Invalid email address
/// format.` / `Invalid phone number format.`.
pub(crate) fn check_attributes(
    pool: &PoolView,
    attributes: &[AttributeType],
    writer: Writer<'_>,
    creating: bool,
) -> Result<(), CognitoError> {
    if let Writer::Client(allowed) = writer {
        let permitted = |name: &str| match allowed {
            Some(list) => list.iter().any(|a| a == name),
            None => !name.ends_with("_verified"),
        };
        if attributes
            .iter()
            .any(|a| !permitted(a.name.as_deref().unwrap_or_default()))
        {
            return Err(CognitoError::new(
                ErrorCode::NotAuthorizedException,
                "A client attempted to write unauthorized attribute",
            ));
        }
    }
    let mut unknown = String::new();
    for a in attributes {
        let name = a.name.as_deref().unwrap_or_default();
        let known = STANDARD.contains(&name) || pool.schema_attribute(name).is_some();
        if !known {
            unknown.push_str(&format!(
                "{name}: Attribute does not exist in the schema.\n"
            ));
        }
    }
    if !unknown.is_empty() {
        return Err(CognitoError::invalid_parameter(format!(
            "Attributes did not conform to the schema: {unknown}"
        )));
    }
    for a in attributes {
        let name = a.name.as_deref().unwrap_or_default();
        let value = a.value.as_deref().unwrap_or_default();
        let immutable = pool
            .schema_attribute(name)
            .is_some_and(|s| s.mutable == Some(false));
        if name == "sub" || (immutable && !creating) {
            return Err(CognitoError::invalid_parameter(
                "Attribute cannot be updated.",
            ));
        }
        if value.is_empty() {
            continue;
        }
        if name == "email" && !is_email(value) {
            return Err(CognitoError::invalid_parameter(
                "Invalid email address format.",
            ));
        }
        if name == "phone_number" && !is_phone(value) {
            return Err(CognitoError::invalid_parameter(
                "Invalid phone number format.",
            ));
        }
    }
    Ok(())
}

/// A plausible email address: one `@` with text on both sides and no spaces (Cognito's exact
/// check is unpublished).
pub(crate) fn is_email(value: &str) -> bool {
    match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !value.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// E.164 as Cognito asks for it: `+` and then digits only (developer guide).
pub(crate) fn is_phone(value: &str) -> bool {
    value
        .strip_prefix('+')
        .is_some_and(|d| !d.is_empty() && d.len() <= 15 && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Required attributes missing from a new user (SignUp; NEW_PASSWORD_REQUIRED answers):
/// `InvalidParameterException` `Invalid attributes given, <name> is missing` (verified for
/// the challenge; used for SignUp too, whose own text is unverified).
pub(crate) fn check_required(pool: &PoolView, doc: &UserDoc) -> Result<(), CognitoError> {
    for s in pool.schema() {
        let name = s.name.as_deref().unwrap_or_default();
        if s.required == Some(true) && name != "sub" && doc.attribute(name).is_none() {
            return Err(CognitoError::invalid_parameter(format!(
                "Invalid attributes given, {name} is missing"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert!(is_email("a@b.c"));
        assert!(!is_email("a@"));
        assert!(!is_email("a b@c"));
        assert!(!is_email("ab"));
        assert!(is_phone("+14325551212"));
        assert!(!is_phone("14325551212"));
        assert!(!is_phone("+1 432"));
        assert!(!is_phone("+"));
    }
}
