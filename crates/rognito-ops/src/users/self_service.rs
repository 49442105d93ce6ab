//! The users' own operations: by app client (SignUp, confirmation, forgotten passwords; no
//! signature, the client's `SECRET_HASH` when it has a secret) and by access token (GetUser,
//! ChangePassword, attribute updates and verification, DeleteUser).

use rognito_model::*;

use super::admin::{cannot_confirm, mfa_settings, new_user_doc, no_recovery_channel};
use super::codes;
use super::passwords::{self, PolicyPrefix};
use super::{PoolView, User, Writer, check_attributes, check_required, status, user_not_found};
use crate::{Cognito, RequestContext, internal, required};

impl Cognito {
    /// SignUp (users-and-groups.md §5): an UNCONFIRMED user and, when the pool verifies the
    /// user's email or phone automatically, a confirmation code in the message sink.
    pub(crate) async fn sign_up(
        &self,
        _ctx: &RequestContext,
        input: SignUpRequest,
    ) -> Result<SignUpResponse, CognitoError> {
        let given = required(input.username.as_deref(), "Username")?;
        let (client, pool) = self
            .self_service_client(
                input.client_id.as_deref(),
                given,
                input.secret_hash.as_deref(),
                ApiCategory::UserCreation,
            )
            .await?;
        let admin_only = pool
            .pool
            .admin_create_user_config
            .as_ref()
            .and_then(|c| c.allow_admin_create_user_only)
            == Some(true);
        if admin_only {
            return Err(CognitoError::new(
                ErrorCode::NotAuthorizedException,
                "SignUp is not permitted for this user pool",
            ));
        }
        let attributes = input.user_attributes.clone().unwrap_or_default();
        check_attributes(
            &pool,
            &attributes,
            Writer::Client(client.client.write_attributes.as_deref()),
            true,
        )?;
        let (username, doc) = new_user_doc(&pool, given, &attributes)?;
        let password = required(input.password.as_deref(), "Password")?;
        passwords::check_policy(password, pool.password_policy(), PolicyPrefix::SignUp)?;
        check_required(&pool, &doc)?;
        // The confirmation code goes into the user's first version: the user and its code are
        // one write (a retry after a failure finds no half-made user).
        let mut draft = User {
            record: rognito_store::UserRecord {
                user_pool_id: pool.id.clone().into(),
                username: username.clone(),
                doc: String::new(),
                secrets: Vec::new(),
                created_ms: 0,
                modified_ms: 0,
                version: 0,
            },
            doc,
        };
        let channel = codes::verification_channel(&pool, &draft);
        let code = channel.as_ref().map(|(_, destination)| {
            self.issue_code(&mut draft, "signup", destination, codes::SIGN_UP_CODE_MS)
        });
        let user = self
            .insert_user(
                &pool,
                &username,
                draft.doc,
                password,
                false,
                "User already exists",
            )
            .await?;
        let sub = user.doc.sub().to_owned();
        let details = match (channel, code) {
            (Some((attribute, destination)), Some(code)) => {
                self.send_verification(&pool, &user, "SignUp", &attribute, &destination, &code)
                    .await?;
                Some(codes::delivery(&attribute, &destination))
            }
            _ => None,
        };
        Ok(SignUpResponse {
            user_confirmed: Some(false),
            code_delivery_details: details,
            user_sub: Some(sub),
            session: None,
        })
    }

    /// Issues a sign-up confirmation code through the pool's verification channel, if it has
    /// one for this user, and saves the user.
    async fn send_sign_up_code(
        &self,
        pool: &PoolView,
        user: &mut User,
        kind: &str,
    ) -> Result<Option<CodeDeliveryDetailsType>, CognitoError> {
        let Some((attribute, destination)) = codes::verification_channel(pool, user) else {
            return Ok(None);
        };
        let mut code = String::new();
        let saved = self
            .modify_user(pool, &user.record.username.clone(), |u| {
                self.may_send_code(u)?;
                code = self.issue_code(u, "signup", &destination, codes::SIGN_UP_CODE_MS);
                Ok(())
            })
            .await?;
        *user = saved;
        self.send_verification(pool, user, kind, &attribute, &destination, &code)
            .await?;
        Ok(Some(codes::delivery(&attribute, &destination)))
    }

    /// ConfirmSignUp: the right code makes an UNCONFIRMED user CONFIRMED and marks the
    /// channel the code went to as verified.
    pub(crate) async fn confirm_sign_up(
        &self,
        _ctx: &RequestContext,
        input: ConfirmSignUpRequest,
    ) -> Result<ConfirmSignUpResponse, CognitoError> {
        let given = required(input.username.as_deref(), "Username")?;
        let (_, pool) = self
            .self_service_client(
                input.client_id.as_deref(),
                given,
                input.secret_hash.as_deref(),
                ApiCategory::UserCreation,
            )
            .await?;
        let code = required(input.confirmation_code.as_deref(), "ConfirmationCode")?;
        let user = self.existing_user(&pool, given).await?;
        if user.doc.status != status::UNCONFIRMED {
            return Err(cannot_confirm(&user.doc.status));
        }
        let channel = codes::verification_channel(&pool, &user);
        // The alias the confirmation verifies must be free (or be moved, when forced).
        let mut candidate = user.clone();
        if let Some((attribute, _)) = &channel {
            candidate
                .doc
                .set_attribute(&format!("{attribute}_verified"), "true");
        }
        let keys = pool.keys(&user.record.username, &candidate.doc);
        let mut outcome = Ok(());
        let saved = self
            .modify_user(&pool, given, |u| {
                // The code is bound to where it was sent: the channel's value now.
                let bound = channel.as_ref().map_or("", |(_, value)| value.as_str());
                outcome = self.check_code(u, "signup", bound, code);
                if outcome.is_ok() {
                    u.doc.status = status::CONFIRMED.into();
                    if let Some((attribute, _)) = &channel {
                        u.doc
                            .set_attribute(&format!("{attribute}_verified"), "true");
                    }
                }
                Ok(())
            })
            .await;
        // The attempt is saved either way; an alias conflict surfaces from the save.
        if let Err(e) = saved {
            if e.code == ErrorCode::AliasExistsException && input.force_alias_creation == Some(true)
            {
                self.free_aliases(&pool, &user.record.username, &keys, true, false)
                    .await?;
                return Box::pin(self.confirm_sign_up(_ctx, input)).await;
            }
            return Err(e);
        }
        outcome?;
        Ok(ConfirmSignUpResponse { session: None })
    }

    pub(crate) async fn resend_confirmation_code(
        &self,
        _ctx: &RequestContext,
        input: ResendConfirmationCodeRequest,
    ) -> Result<ResendConfirmationCodeResponse, CognitoError> {
        let given = required(input.username.as_deref(), "Username")?;
        let (client, pool) = self
            .self_service_client(
                input.client_id.as_deref(),
                given,
                input.secret_hash.as_deref(),
                ApiCategory::UserUpdate,
            )
            .await?;
        let Some(mut user) = self.find_user(&pool, given).await? else {
            if client.hides_users() {
                return Ok(ResendConfirmationCodeResponse {
                    code_delivery_details: Some(codes::delivery("email", given)),
                });
            }
            return Err(combination_not_found());
        };
        if user.doc.status == status::CONFIRMED {
            return Err(CognitoError::invalid_parameter(
                "User is already confirmed.",
            ));
        }
        let details = self
            .send_sign_up_code(&pool, &mut user, "ResendConfirmationCode")
            .await?;
        Ok(ResendConfirmationCodeResponse {
            code_delivery_details: details,
        })
    }

    /// ForgotPassword: a reset code through the recovery channel (the user keeps its status
    /// and password until ConfirmForgotPassword).
    pub(crate) async fn forgot_password(
        &self,
        _ctx: &RequestContext,
        input: ForgotPasswordRequest,
    ) -> Result<ForgotPasswordResponse, CognitoError> {
        let given = required(input.username.as_deref(), "Username")?;
        let (client, pool) = self
            .self_service_client(
                input.client_id.as_deref(),
                given,
                input.secret_hash.as_deref(),
                ApiCategory::UserAccountRecovery,
            )
            .await?;
        let simulated = || ForgotPasswordResponse {
            code_delivery_details: Some(codes::delivery("email", given)),
        };
        let Some(user) = self.find_user(&pool, given).await? else {
            if client.hides_users() {
                return Ok(simulated());
            }
            return Err(combination_not_found());
        };
        if !user.doc.enabled {
            if client.hides_users() {
                return Ok(simulated());
            }
            return Err(CognitoError::new(
                ErrorCode::NotAuthorizedException,
                "User is disabled.",
            ));
        }
        if user.doc.status == status::FORCE_CHANGE_PASSWORD {
            return Err(CognitoError::new(
                ErrorCode::NotAuthorizedException,
                "User password cannot be reset in the current state.",
            ));
        }
        let Some((attribute, destination)) = codes::recovery_channel(&pool, &user) else {
            return Err(no_recovery_channel());
        };
        let mut code = String::new();
        let user = self
            .modify_user(&pool, given, |u| {
                self.may_send_code(u)?;
                code = self.issue_code(u, "forgot", "", codes::FORGOT_CODE_MS);
                Ok(())
            })
            .await?;
        self.send_forgot_password(
            &pool,
            &user,
            "ForgotPassword",
            &attribute,
            &destination,
            &code,
        )
        .await?;
        Ok(ForgotPasswordResponse {
            code_delivery_details: Some(codes::delivery(&attribute, &destination)),
        })
    }

    /// ConfirmForgotPassword: the right code sets the new password; the user becomes CONFIRMED
    /// (also from RESET_REQUIRED).
    pub(crate) async fn confirm_forgot_password(
        &self,
        _ctx: &RequestContext,
        input: ConfirmForgotPasswordRequest,
    ) -> Result<ConfirmForgotPasswordResponse, CognitoError> {
        let given = required(input.username.as_deref(), "Username")?;
        let (client, pool) = self
            .self_service_client(
                input.client_id.as_deref(),
                given,
                input.secret_hash.as_deref(),
                ApiCategory::UserAccountRecovery,
            )
            .await?;
        let code = required(input.confirmation_code.as_deref(), "ConfirmationCode")?;
        let password = required(input.password.as_deref(), "Password")?;
        let Some(_) = self.find_user(&pool, given).await? else {
            if client.hides_users() {
                return Err(CognitoError::new(
                    ErrorCode::CodeMismatchException,
                    "Invalid verification code provided, please try again.",
                ));
            }
            return Err(user_not_found());
        };
        passwords::check_policy(password, pool.password_policy(), PolicyPrefix::Other)?;
        let mut outcome = Ok(());
        self.modify_user(&pool, given, |u| {
            outcome = self.check_code(u, "forgot", "", code);
            Ok(())
        })
        .await?;
        outcome?;
        self.set_password(&pool, given, password, |doc| {
            doc.status = status::CONFIRMED.into();
            doc.temporary_password_expires_ms = None;
        })
        .await?;
        Ok(ConfirmForgotPasswordResponse {})
    }

    /// GetUser: the access token's user (with `aws.cognito.signin.user.admin`).
    pub(crate) async fn get_user(
        &self,
        _ctx: &RequestContext,
        input: GetUserRequest,
    ) -> Result<GetUserResponse, CognitoError> {
        let (_, user) = self
            .access_token_user(
                required(input.access_token.as_deref(), "AccessToken")?,
                ApiCategory::UserRead,
            )
            .await?;
        let (preferred, list) = mfa_settings(&user.doc);
        Ok(GetUserResponse {
            username: Some(user.record.username.clone()),
            user_attributes: Some(
                user.doc
                    .attributes
                    .iter()
                    .map(super::attribute_type)
                    .collect(),
            ),
            mfa_options: super::mfa_options(&user.doc),
            preferred_mfa_setting: preferred,
            user_mfa_setting_list: list,
        })
    }

    pub(crate) async fn delete_user(
        &self,
        _ctx: &RequestContext,
        input: DeleteUserRequest,
    ) -> Result<EmptyOutput, CognitoError> {
        let (pool, user) = self
            .access_token_user(
                required(input.access_token.as_deref(), "AccessToken")?,
                ApiCategory::UserUpdate,
            )
            .await?;
        if !self
            .store
            .delete_user(&pool.id, &user.record.username)
            .await
            .map_err(internal)?
        {
            return Err(user_not_found());
        }
        Ok(EmptyOutput {})
    }

    /// ChangePassword: the previous password must match (a wrong one is a failed sign-in and
    /// counts toward the lockout).
    pub(crate) async fn change_password(
        &self,
        ctx: &RequestContext,
        input: ChangePasswordRequest,
    ) -> Result<ChangePasswordResponse, CognitoError> {
        let (pool, user) = self
            .access_token_user(
                required(input.access_token.as_deref(), "AccessToken")?,
                ApiCategory::UserAccountRecovery,
            )
            .await?;
        let proposed = required(input.proposed_password.as_deref(), "ProposedPassword")?;
        let previous = input.previous_password.as_deref().unwrap_or_default();
        self.check_password(&pool, &user, previous, ctx.source_ip)
            .await?;
        passwords::check_policy(proposed, pool.password_policy(), PolicyPrefix::Other)?;
        self.set_password(&pool, &user.record.username, proposed, |_| {})
            .await?;
        Ok(ChangePasswordResponse {})
    }

    pub(crate) async fn update_user_attributes(
        &self,
        _ctx: &RequestContext,
        input: UpdateUserAttributesRequest,
    ) -> Result<UpdateUserAttributesResponse, CognitoError> {
        let (pool, user, client) = self
            .access_token_user_and_client(
                required(input.access_token.as_deref(), "AccessToken")?,
                ApiCategory::UserUpdate,
            )
            .await?;
        let attributes = input.user_attributes.clone().unwrap_or_default();
        let allowed = client
            .as_ref()
            .and_then(|c| c.client.write_attributes.as_deref());
        check_attributes(&pool, &attributes, Writer::Client(allowed), false)?;
        let details = self
            .update_attributes(
                &pool,
                &user.record.username,
                &attributes,
                "UpdateUserAttributes",
            )
            .await?;
        Ok(UpdateUserAttributesResponse {
            code_delivery_details_list: (!details.is_empty()).then_some(details),
        })
    }

    pub(crate) async fn delete_user_attributes(
        &self,
        _ctx: &RequestContext,
        input: DeleteUserAttributesRequest,
    ) -> Result<DeleteUserAttributesResponse, CognitoError> {
        let (pool, user) = self
            .access_token_user(
                required(input.access_token.as_deref(), "AccessToken")?,
                ApiCategory::UserUpdate,
            )
            .await?;
        let names = input.user_attribute_names.clone().unwrap_or_default();
        self.delete_attributes(&pool, &user.record.username, &names)
            .await?;
        Ok(DeleteUserAttributesResponse {})
    }

    /// GetUserAttributeVerificationCode: a code to the user's email or phone number.
    pub(crate) async fn get_user_attribute_verification_code(
        &self,
        _ctx: &RequestContext,
        input: GetUserAttributeVerificationCodeRequest,
    ) -> Result<GetUserAttributeVerificationCodeResponse, CognitoError> {
        let (pool, user) = self
            .access_token_user(
                required(input.access_token.as_deref(), "AccessToken")?,
                ApiCategory::UserResourceRead,
            )
            .await?;
        let attribute = required(input.attribute_name.as_deref(), "AttributeName")?;
        let Some(destination) = verifiable(attribute)
            .then(|| user.doc.attribute(attribute))
            .flatten()
            .map(str::to_owned)
        else {
            return Err(CognitoError::invalid_parameter(
                "Invalid attribute name. Only phone_number and email can be verified.",
            ));
        };
        let mut code = String::new();
        let user = self
            .modify_user(&pool, &user.record.username, |u| {
                self.may_send_code(u)?;
                code = self.issue_code(
                    u,
                    &format!("verify:{attribute}"),
                    &destination,
                    codes::SIGN_UP_CODE_MS,
                );
                Ok(())
            })
            .await?;
        self.send_verification(
            &pool,
            &user,
            "GetUserAttributeVerificationCode",
            attribute,
            &destination,
            &code,
        )
        .await?;
        Ok(GetUserAttributeVerificationCodeResponse {
            code_delivery_details: Some(codes::delivery(attribute, &destination)),
        })
    }

    /// VerifyUserAttribute: the right code marks the attribute verified (an alias it makes
    /// must be free: `AliasExistsException`).
    pub(crate) async fn verify_user_attribute(
        &self,
        _ctx: &RequestContext,
        input: VerifyUserAttributeRequest,
    ) -> Result<VerifyUserAttributeResponse, CognitoError> {
        let (pool, user) = self
            .access_token_user(
                required(input.access_token.as_deref(), "AccessToken")?,
                ApiCategory::UserUpdate,
            )
            .await?;
        let attribute = required(input.attribute_name.as_deref(), "AttributeName")?;
        let code = required(input.code.as_deref(), "Code")?;
        if !verifiable(attribute) {
            return Err(CognitoError::invalid_parameter(
                "Invalid attribute name. Only phone_number and email can be verified.",
            ));
        }
        let mut outcome = Ok(());
        let mut verified = user.clone();
        verified
            .doc
            .set_attribute(&format!("{attribute}_verified"), "true");
        self.free_aliases(
            &pool,
            &user.record.username,
            &pool.keys(&user.record.username, &verified.doc),
            false,
            false,
        )
        .await?;
        self.modify_user(&pool, &user.record.username, |u| {
            let bound = u.doc.attribute(attribute).unwrap_or_default().to_owned();
            outcome = self.check_code(u, &format!("verify:{attribute}"), &bound, code);
            if outcome.is_ok() {
                u.doc
                    .set_attribute(&format!("{attribute}_verified"), "true");
            }
            Ok(())
        })
        .await?;
        outcome?;
        Ok(VerifyUserAttributeResponse {})
    }
}

fn verifiable(attribute: &str) -> bool {
    attribute == "email" || attribute == "phone_number"
}

/// `UserNotFoundException` `Username/client id combination not found.` (ForgotPassword and
/// ResendConfirmationCode with LEGACY existence errors; users-and-groups.md §2).
fn combination_not_found() -> CognitoError {
    CognitoError::new(
        ErrorCode::UserNotFoundException,
        "Username/client id combination not found.",
    )
}
