//! Multi-factor authentication: the MFA step of a sign-in, the answers to its challenges, and
//! the operations that set a user's factors (AssociateSoftwareToken, VerifySoftwareToken,
//! SetUserMFAPreference, AdminSetUserMFAPreference). Source: srp-tokens-mfa.md §4 and §2.4.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rognito_model::*;
use serde_json::Value;

use super::client::UserClient;
use super::{Pending, SESSION_CONTEXT, Step, invalid_session, missing};
use crate::users::codes::{self, Message};
use crate::users::{PoolView, User, UserDoc};
use crate::{Cognito, RequestContext, required, totp};

/// One factor's `(Enabled, PreferredMfa)` from a SetUserMFAPreference request.
type FactorSetting = (Option<bool>, Option<bool>);

/// Where the pool document keeps the MFA factors (see user_pools/settings.rs).
const MFA_SETTINGS: &str = "rognito:MfaSettings";

/// The factors a pool offers: (TOTP, SMS, email).
fn pool_factors(pool: &PoolView) -> (bool, bool, bool) {
    let settings = pool.doc.get(MFA_SETTINGS).and_then(Value::as_object);
    let on = |key: &str| {
        settings
            .and_then(|s| s.get(key))
            .and_then(|v| v.get("Enabled").and_then(Value::as_bool).or(Some(true)))
            == Some(true)
    };
    let sms = settings.and_then(|s| s.get("SmsMfa")) == Some(&Value::Bool(true));
    (
        on("SoftwareTokenMfaConfiguration"),
        sms,
        on("EmailMfaConfiguration"),
    )
}

fn mfa_mode(pool: &PoolView) -> &str {
    pool.doc
        .get("MfaConfiguration")
        .and_then(Value::as_str)
        .unwrap_or("OFF")
}

/// The factors a user can be challenged with, in Cognito's names.
fn user_factors(pool: &PoolView, doc: &UserDoc) -> Vec<&'static str> {
    let (totp, sms, email) = pool_factors(pool);
    let required = mfa_mode(pool) == "ON";
    let mut out = Vec::new();
    // With MFA required, a verified authenticator is used without SetUserMFAPreference.
    if totp && doc.mfa.totp_verified && (doc.mfa.totp_enabled || required) {
        out.push("SOFTWARE_TOKEN_MFA");
    }
    if sms && doc.attribute("phone_number").is_some() && (doc.mfa.sms_enabled || required) {
        out.push("SMS_MFA");
    }
    if email && doc.attribute("email").is_some() && (doc.mfa.email_enabled || required) {
        out.push("EMAIL_OTP");
    }
    out
}

fn code_mismatch() -> CognitoError {
    CognitoError::new(
        ErrorCode::CodeMismatchException,
        "Invalid code received for user",
    )
}

impl Cognito {
    /// The MFA challenge a signed-in user must answer, if any.
    pub(crate) async fn mfa_step(
        &self,
        pool: &PoolView,
        client: &UserClient,
        user: &User,
    ) -> Result<Option<Step>, CognitoError> {
        let mode = mfa_mode(pool);
        if mode == "OFF" {
            return Ok(None);
        }
        let factors = user_factors(pool, &user.doc);
        if factors.is_empty() {
            if mode != "ON" {
                return Ok(None);
            }
            let (totp, sms, email) = pool_factors(pool);
            let can_setup: Vec<&str> = [
                (sms, "SMS_MFA"),
                (totp, "SOFTWARE_TOKEN_MFA"),
                (email, "EMAIL_OTP"),
            ]
            .into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect();
            return Ok(Some(Step {
                challenge_name: Some("MFA_SETUP".into()),
                session: Some(self.new_session(pool, client, user, "MFA_SETUP")),
                challenge_parameters: BTreeMap::from([
                    (
                        "MFAS_CAN_SETUP".into(),
                        serde_json::to_string(&can_setup).unwrap_or_default(),
                    ),
                    ("USER_ID_FOR_SRP".into(), user.record.username.clone()),
                ]),
                authentication_result: None,
            }));
        }
        let preferred = user
            .doc
            .mfa
            .preferred
            .as_deref()
            .filter(|p| factors.contains(p));
        let chosen = match (preferred, factors.as_slice()) {
            (Some(p), _) => p.to_owned(),
            (None, [only]) => (*only).to_owned(),
            (None, _) => {
                return Ok(Some(Step {
                    challenge_name: Some("SELECT_MFA_TYPE".into()),
                    session: Some(self.new_session(pool, client, user, "SELECT_MFA_TYPE")),
                    challenge_parameters: BTreeMap::from([
                        (
                            "MFAS_CAN_CHOOSE".into(),
                            serde_json::to_string(&factors).unwrap_or_default(),
                        ),
                        ("USER_ID_FOR_SRP".into(), user.record.username.clone()),
                    ]),
                    authentication_result: None,
                }));
            }
        };
        self.mfa_challenge(pool, client, user, &chosen)
            .await
            .map(Some)
    }

    /// The challenge for one factor; SMS and email codes go to the message sink.
    async fn mfa_challenge(
        &self,
        pool: &PoolView,
        client: &UserClient,
        user: &User,
        factor: &str,
    ) -> Result<Step, CognitoError> {
        let mut parameters = BTreeMap::new();
        if factor != "SOFTWARE_TOKEN_MFA" {
            let attribute = if factor == "SMS_MFA" {
                "phone_number"
            } else {
                "email"
            };
            let destination = user.doc.attribute(attribute).unwrap_or_default().to_owned();
            let mut code = String::new();
            let saved = self
                .modify_user(pool, &user.record.username, |u| {
                    code = self.issue_code(u, "mfa", "", codes::MFA_CODE_MS);
                    Ok(())
                })
                .await?;
            // The pool's templates: SmsAuthenticationMessage for SMS, EmailMfaConfiguration's
            // Message and Subject for email (SetUserPoolMfaConfig).
            let email_config = pool
                .doc
                .get(MFA_SETTINGS)
                .and_then(|s| s.get("EmailMfaConfiguration"));
            let email_text = |key: &str| {
                email_config
                    .and_then(|c| c.get(key))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            let body = if factor == "SMS_MFA" {
                pool.pool
                    .sms_authentication_message
                    .clone()
                    .unwrap_or_else(|| "Your authentication code is {####}. ".into())
            } else {
                email_text("Message")
                    .unwrap_or_else(|| "Your authentication code is {####}. ".into())
            };
            let subject = (factor == "EMAIL_OTP").then(|| {
                email_text("Subject").unwrap_or_else(|| "Your authentication code".into())
            });
            self.send_message(
                pool,
                &saved.record.username,
                Message {
                    kind: factor.into(),
                    delivery_medium: if factor == "SMS_MFA" { "SMS" } else { "EMAIL" }.into(),
                    attribute_name: attribute.into(),
                    destination: destination.clone(),
                    subject,
                    body: codes::fill(&body, &code, &saved.record.username),
                    code: code.clone(),
                },
            )
            .await?;
            parameters.insert(
                "CODE_DELIVERY_DELIVERY_MEDIUM".into(),
                if factor == "SMS_MFA" { "SMS" } else { "EMAIL" }.into(),
            );
            parameters.insert(
                "CODE_DELIVERY_DESTINATION".into(),
                codes::masked(attribute, &destination),
            );
            parameters.insert("USER_ID_FOR_SRP".into(), user.record.username.clone());
        }
        Ok(Step {
            challenge_name: Some(factor.into()),
            session: Some(self.new_session(pool, client, user, factor)),
            challenge_parameters: parameters,
            authentication_result: None,
        })
    }

    pub(crate) async fn selected_mfa(
        &self,
        pool: &PoolView,
        client: &UserClient,
        user: User,
        answer: &str,
    ) -> Result<Step, CognitoError> {
        let factors = user_factors(pool, &user.doc);
        let factor = if answer == "EMAIL_MFA" {
            "EMAIL_OTP"
        } else {
            answer
        };
        if !factors.contains(&factor) {
            return Err(CognitoError::invalid_parameter(format!(
                "Invalid MFA type {answer}"
            )));
        }
        self.mfa_challenge(pool, client, &user, factor).await
    }

    /// Checks the answer to an MFA challenge; tokens when it is right.
    ///
    /// Errors (srp-tokens-mfa.md §4.6): wrong → `CodeMismatchException` `Invalid code received
    /// for user`; a TOTP code used before → `ExpiredCodeException` `Your software token has
    /// already been used once.`; no authenticator → `SoftwareTokenMFANotFoundException`
    /// `Software Token MFA does not exist for the user.`.
    pub(crate) async fn answer_mfa(
        &self,
        pool: &PoolView,
        client: &UserClient,
        user: User,
        pending: &Pending,
        factor: &str,
        responses: &BTreeMap<String, String>,
    ) -> Result<Step, CognitoError> {
        // Wrong codes count toward the user's lockout, as wrong passwords do, so a session
        // cannot be used to guess codes (it stays usable for a retry until the lockout).
        if user.doc.failures.locked_until_ms > self.clock.now_ms() {
            return Err(CognitoError::new(
                ErrorCode::NotAuthorizedException,
                "Password attempts exceeded",
            ));
        }
        let key = match factor {
            "SOFTWARE_TOKEN_MFA" => "SOFTWARE_TOKEN_MFA_CODE",
            "SMS_MFA" => "SMS_MFA_CODE",
            _ => "EMAIL_OTP_CODE",
        };
        let code = responses
            .get(key)
            .map(String::as_str)
            .filter(|c| !c.is_empty())
            .ok_or_else(|| missing(key))?;
        if factor == "SOFTWARE_TOKEN_MFA" {
            let secrets = self.secrets_of(&user)?;
            let Some(secret) = secrets.totp else {
                return Err(CognitoError::new(
                    ErrorCode::SoftwareTokenMFANotFoundException,
                    "Software Token MFA does not exist for the user.",
                ));
            };
            if let Err(e) = self.accept_totp(pool, &user, &secret, code).await {
                if e.code == ErrorCode::CodeMismatchException {
                    self.record_attempt(pool, &user, false).await?;
                }
                return Err(e);
            }
        } else {
            let mut outcome = Ok(());
            self.modify_user(pool, &user.record.username, |u| {
                outcome = self.check_code(u, "mfa", "", code);
                Ok(())
            })
            .await?;
            if let Err(e) = outcome {
                if e.code == ErrorCode::CodeMismatchException {
                    self.record_attempt(pool, &user, false).await?;
                    return Err(code_mismatch());
                }
                return Err(e);
            }
        }
        self.consume_session(pool, pending).await?;
        let user = self.existing_user(pool, &user.record.username).await?;
        self.tokens_step(pool, client, &user).await
    }

    /// Accepts a TOTP code once: its time step must be newer than the last one accepted.
    async fn accept_totp(
        &self,
        pool: &PoolView,
        user: &User,
        secret: &[u8],
        code: &str,
    ) -> Result<u64, CognitoError> {
        let now = u64::try_from(self.clock.now_ms() / 1000).unwrap_or(0);
        let step = totp::check(secret, code, now).ok_or_else(code_mismatch)?;
        let mut outcome = Ok(step);
        self.modify_user(pool, &user.record.username, |u| {
            if step <= u.doc.mfa.totp_last_step {
                outcome = Err(CognitoError::new(
                    ErrorCode::ExpiredCodeException,
                    "Your software token has already been used once.",
                ));
                return Ok(());
            }
            u.doc.mfa.totp_last_step = step;
            Ok(())
        })
        .await?;
        outcome
    }

    /// The user an AssociateSoftwareToken or VerifySoftwareToken call names: by access token,
    /// or by an MFA_SETUP session (with its pool, client and state).
    async fn token_or_session_user(
        &self,
        access_token: Option<&str>,
        session: Option<&str>,
    ) -> Result<(PoolView, User, Option<Pending>), CognitoError> {
        if let Some(token) = access_token.filter(|t| !t.is_empty()) {
            let (pool, user) = self
                .access_token_user(token, ApiCategory::UserResourceUpdate)
                .await?;
            return Ok((pool, user, None));
        }
        let session = session
            .filter(|s| !s.is_empty())
            .ok_or_else(|| missing("AccessToken"))?;
        let sealed = URL_SAFE_NO_PAD
            .decode(session)
            .map_err(|_| invalid_session())?;
        let pending: Pending = self
            .master
            .open(SESSION_CONTEXT, &sealed)
            .ok()
            .and_then(|p| serde_json::from_slice(&p).ok())
            .ok_or_else(invalid_session)?;
        if pending.challenge != "MFA_SETUP" {
            return Err(invalid_session());
        }
        if pending.exp_ms <= self.clock.now_ms() {
            return Err(CognitoError::new(
                ErrorCode::NotAuthorizedException,
                "Invalid session for the user, session is expired.",
            ));
        }
        let pool = self.pool_view_by_id(&pending.pool).await?;
        let user = self.existing_user(&pool, &pending.username).await?;
        Ok((pool, user, Some(pending)))
    }

    pub(crate) async fn associate_software_token(
        &self,
        _ctx: &RequestContext,
        input: AssociateSoftwareTokenRequest,
    ) -> Result<AssociateSoftwareTokenResponse, CognitoError> {
        let (pool, user, pending) = self
            .token_or_session_user(input.access_token.as_deref(), input.session.as_deref())
            .await?;
        if pending.is_some() {
            // A call by access token was charged when the token was checked.
            self.charge_user_operation(&pool, ApiCategory::UserResourceUpdate)?;
        }
        if !pool_factors(&pool).0 {
            return Err(CognitoError::new(
                ErrorCode::SoftwareTokenMFANotFoundException,
                "Software Token MFA has not been enabled by the userPool.",
            ));
        }
        let (secret, text) = totp::new_secret();
        self.update_secrets(&pool, &user, |s| s.totp_pending = Some(secret.clone()))
            .await?;
        let session =
            pending.map(|p| URL_SAFE_NO_PAD.encode(self.seal_pending(SESSION_CONTEXT, &p)));
        Ok(AssociateSoftwareTokenResponse {
            secret_code: Some(text),
            session,
        })
    }

    pub(crate) async fn verify_software_token(
        &self,
        _ctx: &RequestContext,
        input: VerifySoftwareTokenRequest,
    ) -> Result<VerifySoftwareTokenResponse, CognitoError> {
        let (pool, user, pending) = self
            .token_or_session_user(input.access_token.as_deref(), input.session.as_deref())
            .await?;
        if pending.is_some() {
            // A call by access token was charged when the token was checked.
            self.charge_user_operation(&pool, ApiCategory::UserResourceUpdate)?;
        }
        let code = required(input.user_code.as_deref(), "UserCode")?;
        let secrets = self.secrets_of(&user)?;
        let mismatch = || {
            CognitoError::new(
                ErrorCode::EnableSoftwareTokenMFAException,
                "Code mismatch and fail enable Software Token MFA",
            )
        };
        let Some(secret) = secrets.totp_pending.clone() else {
            return Err(CognitoError::new(
                ErrorCode::SoftwareTokenMFANotFoundException,
                "Software Token MFA does not exist for the user.",
            ));
        };
        let now = u64::try_from(self.clock.now_ms() / 1000).unwrap_or(0);
        let step = totp::check(&secret, code, now).ok_or_else(mismatch)?;
        self.modify_user_with(&pool, &user.record.username, true, |user, secrets| {
            if let Some(secrets) = secrets {
                secrets.totp = Some(secret.clone());
                secrets.totp_pending = None;
            }
            user.doc.mfa.totp_verified = true;
            user.doc.mfa.totp_last_step = step;
            Ok(())
        })
        .await?;
        let session = pending.map(|mut p| {
            p.mfa_set_up = true;
            URL_SAFE_NO_PAD.encode(self.seal_pending(SESSION_CONTEXT, &p))
        });
        Ok(VerifySoftwareTokenResponse {
            status: Some("SUCCESS".into()),
            session,
        })
    }

    /// Changes a user's sealed secrets (read, change, save; again on a concurrent change).
    async fn update_secrets<F>(
        &self,
        pool: &PoolView,
        user: &User,
        change: F,
    ) -> Result<(), CognitoError>
    where
        F: Fn(&mut crate::users::UserSecrets),
    {
        self.modify_user_with(pool, &user.record.username, true, |_, secrets| {
            if let Some(secrets) = secrets {
                change(secrets);
            }
            Ok(())
        })
        .await?;
        Ok(())
    }

    pub(crate) async fn set_user_mfa_preference(
        &self,
        _ctx: &RequestContext,
        input: SetUserMFAPreferenceRequest,
    ) -> Result<SetUserMFAPreferenceResponse, CognitoError> {
        let (pool, user) = self
            .access_token_user(
                required(input.access_token.as_deref(), "AccessToken")?,
                ApiCategory::UserResourceUpdate,
            )
            .await?;
        let settings = [
            (
                "SMS_MFA",
                input
                    .sms_mfa_settings
                    .as_ref()
                    .map(|s| (s.enabled, s.preferred_mfa)),
            ),
            (
                "SOFTWARE_TOKEN_MFA",
                input
                    .software_token_mfa_settings
                    .as_ref()
                    .map(|s| (s.enabled, s.preferred_mfa)),
            ),
            (
                "EMAIL_OTP",
                input
                    .email_mfa_settings
                    .as_ref()
                    .map(|s| (s.enabled, s.preferred_mfa)),
            ),
        ];
        self.apply_mfa_preference(&pool, &user.record.username, &settings)
            .await?;
        Ok(SetUserMFAPreferenceResponse {})
    }

    pub(crate) async fn admin_set_user_mfa_preference(
        &self,
        ctx: &RequestContext,
        input: AdminSetUserMFAPreferenceRequest,
    ) -> Result<AdminSetUserMFAPreferenceResponse, CognitoError> {
        let pool = self
            .pool_view(ctx, required(input.user_pool_id.as_deref(), "UserPoolId")?)
            .await?;
        let user = self
            .existing_user(&pool, required(input.username.as_deref(), "Username")?)
            .await?;
        let settings = [
            (
                "SMS_MFA",
                input
                    .sms_mfa_settings
                    .as_ref()
                    .map(|s| (s.enabled, s.preferred_mfa)),
            ),
            (
                "SOFTWARE_TOKEN_MFA",
                input
                    .software_token_mfa_settings
                    .as_ref()
                    .map(|s| (s.enabled, s.preferred_mfa)),
            ),
            (
                "EMAIL_OTP",
                input
                    .email_mfa_settings
                    .as_ref()
                    .map(|s| (s.enabled, s.preferred_mfa)),
            ),
        ];
        self.apply_mfa_preference(&pool, &user.record.username, &settings)
            .await?;
        Ok(AdminSetUserMFAPreferenceResponse {})
    }

    /// Enables, disables and prefers factors. Errors: enabling a factor the user has no
    /// delivery for → `InvalidParameterException` `User does not have delivery config set to
    /// turn on <FACTOR>` (verified for SOFTWARE_TOKEN_MFA, srp-tokens-mfa.md §4.4).
    async fn apply_mfa_preference(
        &self,
        pool: &PoolView,
        username: &str,
        settings: &[(&str, Option<FactorSetting>)],
    ) -> Result<(), CognitoError> {
        self.modify_user(pool, username, |u| {
            for (factor, setting) in settings {
                let Some((enabled, preferred)) = setting else {
                    continue;
                };
                let deliverable = match *factor {
                    "SOFTWARE_TOKEN_MFA" => u.doc.mfa.totp_verified,
                    "SMS_MFA" => u.doc.attribute("phone_number").is_some(),
                    _ => u.doc.attribute("email").is_some(),
                };
                if *enabled == Some(true) && !deliverable {
                    return Err(CognitoError::invalid_parameter(format!(
                        "User does not have delivery config set to turn on {factor}"
                    )));
                }
                if let Some(enabled) = enabled {
                    match *factor {
                        "SOFTWARE_TOKEN_MFA" => u.doc.mfa.totp_enabled = *enabled,
                        "SMS_MFA" => u.doc.mfa.sms_enabled = *enabled,
                        _ => u.doc.mfa.email_enabled = *enabled,
                    }
                    if !enabled && u.doc.mfa.preferred.as_deref() == Some(*factor) {
                        u.doc.mfa.preferred = None;
                    }
                }
                if *preferred == Some(true) {
                    u.doc.mfa.preferred = Some((*factor).to_owned());
                } else if *preferred == Some(false)
                    && u.doc.mfa.preferred.as_deref() == Some(*factor)
                {
                    u.doc.mfa.preferred = None;
                }
            }
            Ok(())
        })
        .await?;
        Ok(())
    }
}
