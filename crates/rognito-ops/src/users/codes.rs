//! One-time codes and the local message sink.
//!
//! Cognito mails or texts codes (sign-up confirmation, forgotten password, attribute
//! verification, MFA) and temporary passwords. rognito sends nothing: each message is kept in
//! the store's message sink (the newest [`KEPT_PER_USER`] per user), where tests read it through
//! the authenticated `GET /_rognito/messages` endpoint, and logged at info level without its
//! code. The user's document keeps only a keyed digest of each pending code.

use rognito_model::{CodeDeliveryDetailsType, CognitoError, ErrorCode};
use rognito_store::MessageRecord;
use serde::{Deserialize, Serialize};

use super::{PendingCode, PoolView, User};
use crate::{Cognito, internal};

/// How many messages the sink keeps per user.
pub const KEPT_PER_USER: u32 = 50;

/// Lifetimes of codes, in milliseconds (developer guide, "Quotas": sign-up and attribute
/// verification codes 24 hours, forgotten-password codes 1 hour; MFA codes 3 minutes like the
/// sign-in session).
pub(crate) const SIGN_UP_CODE_MS: i64 = 24 * 3600 * 1000;
pub(crate) const FORGOT_CODE_MS: i64 = 3600 * 1000;
pub(crate) const MFA_CODE_MS: i64 = 3 * 60 * 1000;

/// Wrong answers a code takes before it is void (rognito's choice; Cognito's per-hour quotas
/// are in users-and-groups.md §8).
const MAX_ATTEMPTS: u32 = 5;

/// Codes sent to one user per hour (sign-up, resend, forgotten password, attribute
/// verification) and wrong codes accepted from one per hour, across all its codes: beyond
/// either, `LimitExceededException` `Attempt limit exceeded, please try after some time.`
/// Cognito's per-user quotas are 5 to 20 per hour per operation (developer guide, "Quotas",
/// users-and-groups.md §8); rognito counts across operations so asking for new codes cannot
/// buy more guesses.
pub(crate) const CODES_PER_HOUR: usize = 10;
pub(crate) const WRONG_CODES_PER_HOUR: usize = 15;
const HOUR_MS: i64 = 3600 * 1000;

/// `LimitExceededException` `Attempt limit exceeded, please try after some time.` (verified
/// for ChangePassword: users-and-groups.md §8).
pub(crate) fn attempt_limit() -> CognitoError {
    CognitoError::limit_exceeded("Attempt limit exceeded, please try after some time.")
}

/// A message as the sink keeps it (`MessageRecord::doc`) and the endpoint shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    /// `SignUp`, `ResendConfirmationCode`, `AdminCreateUser`, `ForgotPassword`,
    /// `AdminResetUserPassword`, `VerifyUserAttribute`, `SMS_MFA`, `EMAIL_OTP`, ...
    pub kind: String,
    /// `EMAIL` or `SMS`.
    pub delivery_medium: String,
    /// The attribute the message went to (`email`, `phone_number`).
    pub attribute_name: String,
    /// The full address or number (the API shows it masked).
    pub destination: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The text after the pool's template was applied.
    pub body: String,
    /// The code or temporary password the message carries, for tests.
    pub code: String,
}

/// A fresh 6-digit code.
pub(crate) fn new_code() -> String {
    crate::ids::random_string(b"0123456789", 6)
}

/// How the API shows a destination (users-and-groups.md §1): `t***@t***` for an email, `+` and
/// stars then the last 4 digits for a phone number.
pub(crate) fn masked(attribute: &str, destination: &str) -> String {
    if attribute == "email" {
        let (local, domain) = destination.split_once('@').unwrap_or((destination, ""));
        let first = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
        format!("{}***@{}***", first(local), first(domain))
    } else {
        let digits: Vec<char> = destination.chars().collect();
        let keep = digits.len().saturating_sub(4);
        let tail: String = digits.iter().skip(keep).collect();
        format!("+{}{tail}", "*".repeat(keep.saturating_sub(1)))
    }
}

pub(crate) fn delivery(attribute: &str, destination: &str) -> CodeDeliveryDetailsType {
    CodeDeliveryDetailsType {
        destination: Some(masked(attribute, destination)),
        delivery_medium: Some(if attribute == "email" { "EMAIL" } else { "SMS" }.into()),
        attribute_name: Some(attribute.to_owned()),
    }
}

/// Where a verification code goes: the phone when the pool auto-verifies it and the user has
/// one, else the email (developer guide: with both, the code goes to the phone).
pub(crate) fn verification_channel(pool: &PoolView, user: &User) -> Option<(String, String)> {
    for attribute in ["phone_number", "email"] {
        if pool.auto_verified().iter().any(|a| a == attribute)
            && let Some(value) = user.doc.attribute(attribute)
        {
            return Some((attribute.to_owned(), value.to_owned()));
        }
    }
    None
}

/// Where a recovery code goes (ForgotPassword, AdminResetUserPassword): the pool's
/// `AccountRecoverySetting` in priority order, else the legacy rule (a verified phone, then a
/// verified email); only verified channels count.
pub(crate) fn recovery_channel(pool: &PoolView, user: &User) -> Option<(String, String)> {
    let mut order: Vec<(i32, String)> = pool
        .pool
        .account_recovery_setting
        .as_ref()
        .and_then(|s| s.recovery_mechanisms.clone())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| Some((m.priority.unwrap_or(i32::MAX), m.name?)))
        .collect();
    order.sort();
    let names: Vec<String> = if order.is_empty() {
        vec!["verified_phone_number".into(), "verified_email".into()]
    } else {
        order.into_iter().map(|(_, n)| n).collect()
    };
    for name in names {
        let attribute = match name.as_str() {
            "verified_phone_number" => "phone_number",
            "verified_email" => "email",
            _ => continue,
        };
        if user.doc.verified(attribute)
            && let Some(value) = user.doc.attribute(attribute)
        {
            return Some((attribute.to_owned(), value.to_owned()));
        }
    }
    None
}

impl Cognito {
    /// What a code's digest is bound to: the pool, the user, the purpose, and the value the
    /// code was sent to verify (so a code sent to one address cannot verify another one the
    /// user switches to).
    fn code_context(pool_id: &str, username: &str, purpose: &str, bound: &str) -> String {
        format!("code:{pool_id}:{username}:{purpose}:{bound}")
    }

    /// Makes a code for `purpose`, bound to `bound` (the email or phone number it verifies, or
    /// empty), replacing any pending one for the purpose; returns the code.
    pub(crate) fn issue_code(
        &self,
        user: &mut User,
        purpose: &str,
        bound: &str,
        lifetime_ms: i64,
    ) -> String {
        let now = self.clock.now_ms();
        user.doc.code_requests.retain(|t| now - t < HOUR_MS);
        user.doc.code_requests.push(now);
        let code = new_code();
        let context = Self::code_context(
            &user.record.user_pool_id,
            &user.record.username,
            purpose,
            bound,
        );
        user.doc.codes.retain(|c| c.purpose != purpose);
        user.doc.codes.push(PendingCode {
            purpose: purpose.to_owned(),
            digest: self.master.digest(&context, code.as_bytes()),
            expires_ms: self.clock.now_ms() + lifetime_ms,
            attempts: 0,
        });
        code
    }

    /// Whether the user may be sent another code this hour (see [`CODES_PER_HOUR`]); callers
    /// check it before [`Cognito::issue_code`] so a refused request changes nothing.
    ///
    /// Errors: [`attempt_limit`].
    pub(crate) fn may_send_code(&self, user: &User) -> Result<(), CognitoError> {
        let now = self.clock.now_ms();
        let recent = user
            .doc
            .code_requests
            .iter()
            .filter(|t| now - *t < HOUR_MS)
            .count();
        if recent >= CODES_PER_HOUR {
            return Err(attempt_limit());
        }
        Ok(())
    }

    /// Checks a code for `purpose` (constant-time digest comparison). A right code is used up;
    /// a wrong one counts an attempt, and the code is void after [`MAX_ATTEMPTS`].
    ///
    /// Errors (users-and-groups.md §4): no code pending, expired or void →
    /// `ExpiredCodeException` `Invalid code provided, please request a code again.`; wrong →
    /// `CodeMismatchException` `Invalid verification code provided, please try again.` (the
    /// caller must save the user either way: the attempt is counted in `user`).
    pub(crate) fn check_code(
        &self,
        user: &mut User,
        purpose: &str,
        bound: &str,
        code: &str,
    ) -> Result<(), CognitoError> {
        let now = self.clock.now_ms();
        let context = Self::code_context(
            &user.record.user_pool_id,
            &user.record.username,
            purpose,
            bound,
        );
        user.doc.code_failures.retain(|t| now - t < HOUR_MS);
        if user.doc.code_failures.len() >= WRONG_CODES_PER_HOUR {
            return Err(attempt_limit());
        }
        let Some(index) = user.doc.codes.iter().position(|c| c.purpose == purpose) else {
            return Err(expired_code());
        };
        let pending = user
            .doc
            .codes
            .get_mut(index)
            .ok_or_else(CognitoError::internal)?;
        if pending.expires_ms <= now || pending.attempts >= MAX_ATTEMPTS {
            user.doc.codes.remove(index);
            return Err(expired_code());
        }
        if self
            .master
            .digest_matches(&context, code.as_bytes(), &pending.digest)
        {
            user.doc.codes.remove(index);
            Ok(())
        } else {
            pending.attempts += 1;
            user.doc.code_failures.push(now);
            Err(CognitoError::new(
                ErrorCode::CodeMismatchException,
                "Invalid verification code provided, please try again.",
            ))
        }
    }

    /// Puts a message into the sink (after the user's change is saved: a message about a
    /// write that failed is never kept). The log line names the pool, user, kind and masked
    /// destination, never the code.
    pub(crate) async fn send_message(
        &self,
        pool: &PoolView,
        username: &str,
        message: Message,
    ) -> Result<(), CognitoError> {
        tracing::info!(
            pool = %pool.id,
            kind = %message.kind,
            medium = %message.delivery_medium,
            destination = %masked(&message.attribute_name, &message.destination),
            "message delivered to the local sink"
        );
        let now = self.clock.now_ms();
        let record = MessageRecord {
            user_pool_id: pool.id.clone().into(),
            message_id: format!(
                "{now:016x}-{}",
                crate::ids::random_string(b"0123456789abcdef", 8)
            ),
            username: username.to_owned(),
            doc: serde_json::to_string(&message).map_err(|_| CognitoError::internal())?,
            created_ms: now,
        };
        self.store
            .add_message(&record, KEPT_PER_USER)
            .await
            .map_err(internal)
    }

    /// The sink's messages of a pool (one user's, when `username` names one by any of its
    /// sign-in names), newest first: (username, time in ms, message).
    pub async fn sink_messages(
        &self,
        ctx: &crate::RequestContext,
        user_pool_id: &str,
        username: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(String, i64, Message)>, CognitoError> {
        let pool = self.pool_view(ctx, user_pool_id).await?;
        let username = match username {
            Some(given) => Some(match self.find_user(&pool, given).await? {
                Some(user) => user.record.username,
                None => given.to_owned(),
            }),
            None => None,
        };
        let records = self
            .store
            .messages(&pool.id, username.as_deref(), limit)
            .await
            .map_err(internal)?;
        records
            .into_iter()
            .map(|r| {
                let message: Message =
                    serde_json::from_str(&r.doc).map_err(|_| CognitoError::internal())?;
                Ok((r.username, r.created_ms, message))
            })
            .collect()
    }
}

/// A pool's template with its placeholders filled: `{####}` is the code, `{username}` the
/// username (developer guide, "Message templates").
pub(crate) fn fill(template: &str, code: &str, username: &str) -> String {
    template
        .replace("{####}", code)
        .replace("{username}", username)
}

pub(crate) fn expired_code() -> CognitoError {
    CognitoError::new(
        ErrorCode::ExpiredCodeException,
        "Invalid code provided, please request a code again.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_masked_as_cognito_does() {
        assert_eq!(masked("email", "test@test.com"), "t***@t***");
        assert_eq!(masked("phone_number", "+15555550100"), "+*******0100");
    }

    #[test]
    fn templates_are_filled() {
        assert_eq!(
            fill("Code {####} for {username}", "123456", "bob"),
            "Code 123456 for bob"
        );
    }
}
