//! The administrators' user operations: by pool id and username, signed and IAM-authorized.

use rognito_model::*;
use rognito_store::{StoreError, UserRecord};

use super::codes::{self, Message};
use super::passwords::{self, PolicyPrefix};
use super::{
    PoolView, User, UserDoc, UserSecrets, Writer, check_attributes, status, user_not_found,
};
use crate::pagination::Listing;
use crate::user_filter::{self, FilterAttribute};
use crate::{Cognito, RequestContext, internal, required};

/// ListUsers' page size when `Limit` is absent or 0, and its maximum (model: 0..60).
const LIST_USERS_LIMIT: u32 = 60;

/// How many users ListUsers reads from the store at a time while filtering.
const SCAN_BATCH: u32 = 500;

impl Cognito {
    /// AdminCreateUser (users-and-groups.md §5): a FORCE_CHANGE_PASSWORD user with a temporary
    /// password (given, or made to satisfy the policy) and, unless `MessageAction=SUPPRESS`, an
    /// invitation in the message sink through `DesiredDeliveryMediums` (default SMS) when the
    /// user has that channel. `RESEND` gives an existing FORCE_CHANGE_PASSWORD user a new
    /// temporary password.
    pub(crate) async fn admin_create_user(
        &self,
        ctx: &RequestContext,
        input: AdminCreateUserRequest,
    ) -> Result<AdminCreateUserResponse, CognitoError> {
        let pool = self
            .pool_view(ctx, required(input.user_pool_id.as_deref(), "UserPoolId")?)
            .await?;
        let given = required(input.username.as_deref(), "Username")?;
        let attributes = input.user_attributes.clone().unwrap_or_default();
        check_attributes(&pool, &attributes, Writer::Admin, true)?;
        let temporary = match input.temporary_password.as_deref() {
            Some(password) => {
                passwords::check_policy(password, pool.password_policy(), PolicyPrefix::Other)?;
                password.to_owned()
            }
            None => passwords::temporary_password(pool.password_policy()),
        };
        let now = self.clock.now_ms();
        let validity_days = pool
            .password_policy()
            .and_then(|p| p.temporary_password_validity_days)
            .filter(|d| *d > 0)
            .unwrap_or(7);
        let expires = now + i64::from(validity_days) * 86_400_000;
        if input.message_action.as_deref() == Some("RESEND") {
            let user = self.existing_user(&pool, given).await?;
            let username = user.record.username.clone();
            if user.doc.status != status::FORCE_CHANGE_PASSWORD {
                return Err(resend_not_possible(&username));
            }
            let user = self
                .set_password(&pool, &username, &temporary, |doc| {
                    doc.temporary_password_expires_ms = Some(expires);
                })
                .await?;
            self.send_invitation(
                &pool,
                &user,
                &temporary,
                input.desired_delivery_mediums.as_deref(),
            )
            .await?;
            return Ok(AdminCreateUserResponse {
                user: Some(Self::user_type(&user, None)),
            });
        }
        let (username, mut doc) = new_user_doc(&pool, given, &attributes)?;
        doc.status = status::FORCE_CHANGE_PASSWORD.into();
        doc.temporary_password_expires_ms = Some(expires);
        let user = self
            .insert_user(
                &pool,
                &username,
                doc,
                &temporary,
                input.force_alias_creation == Some(true),
                "User account already exists",
            )
            .await?;
        if input.message_action.as_deref() != Some("SUPPRESS") {
            self.send_invitation(
                &pool,
                &user,
                &temporary,
                input.desired_delivery_mediums.as_deref(),
            )
            .await?;
        }
        Ok(AdminCreateUserResponse {
            user: Some(Self::user_type(&user, None)),
        })
    }

    /// Stores a new user with its password. A taken username gives `UsernameExistsException`
    /// with `taken_text`; a taken username attribute the same exception with
    /// `An account with the given <attribute> already exists.`; a taken verified alias
    /// `AliasExistsException`, unless `force_alias` moves it from its holder.
    pub(crate) async fn insert_user(
        &self,
        pool: &PoolView,
        username: &str,
        doc: UserDoc,
        password: &str,
        force_alias: bool,
        taken_text: &str,
    ) -> Result<User, CognitoError> {
        let taken = || CognitoError::new(ErrorCode::UsernameExistsException, taken_text);
        if self
            .store
            .user_by_key(&pool.id, &format!("u:{}", pool.fold(username)))
            .await
            .map_err(internal)?
            .is_some()
        {
            return Err(taken());
        }
        let keys = pool.keys(username, &doc);
        self.free_aliases(pool, username, &keys, force_alias, true)
            .await?;
        let now = self.clock.now_ms();
        let secrets = self
            .password_secrets(pool, username, password, UserSecrets::default())
            .await?;
        let record = UserRecord {
            user_pool_id: pool.id.clone().into(),
            username: username.to_owned(),
            doc: serde_json::to_string(&doc).map_err(|_| CognitoError::internal())?,
            secrets: self.seal_secrets(&pool.id, username, &secrets)?,
            created_ms: now,
            modified_ms: now,
            version: 0,
        };
        match self.store.create_user(&record, &keys).await {
            Ok(()) => Ok(User { record, doc }),
            Err(StoreError::NotFound) => Err(crate::user_pools::pool_not_found(&pool.id)),
            // A racing create took the username or an alias since the checks above.
            Err(StoreError::AlreadyExists) => Err(taken()),
            Err(e) => Err(internal(e)),
        }
    }

    /// Checks that no other user holds one of `keys` besides the username's. A username
    /// attribute held elsewhere is `UsernameExistsException` when `creating` (SignUp and
    /// AdminCreateUser: verified at SignUp) and `AliasExistsException` for a change of an
    /// existing user (moto's aws_verified `test_use_existing_email__when_email_is_login`); a
    /// verified alias is `AliasExistsException` unless `force` moves it (the holder's
    /// `<attribute>_verified` becomes false and the alias stops naming it; ForceAliasCreation
    /// in the model). Text: `An account with the given <attribute> already exists.`
    pub(crate) async fn free_aliases(
        &self,
        pool: &PoolView,
        username: &str,
        keys: &[String],
        force: bool,
        creating: bool,
    ) -> Result<(), CognitoError> {
        for key in keys
            .iter()
            .filter(|k| !k.starts_with("u:") && !k.starts_with("sub:"))
        {
            let Some(holder) = self
                .store
                .user_by_key(&pool.id, key)
                .await
                .map_err(internal)?
            else {
                continue;
            };
            if holder.username == username {
                continue;
            }
            let attribute = key.split_once(':').map_or("email", |(a, _)| a);
            let text = format!("An account with the given {attribute} already exists.");
            if pool.username_attributes().iter().any(|a| a == attribute) {
                let code = if creating {
                    ErrorCode::UsernameExistsException
                } else {
                    ErrorCode::AliasExistsException
                };
                return Err(CognitoError::new(code, text));
            }
            if !force {
                return Err(CognitoError::new(ErrorCode::AliasExistsException, text));
            }
            let holder_name = holder.username.clone();
            self.modify_user(pool, &holder_name, |other| {
                if attribute == "preferred_username" {
                    other.doc.set_attribute("preferred_username", "");
                } else {
                    other
                        .doc
                        .set_attribute(&format!("{attribute}_verified"), "false");
                }
                Ok(())
            })
            .await?;
        }
        Ok(())
    }

    /// The invitation of AdminCreateUser, through each desired medium the user has.
    async fn send_invitation(
        &self,
        pool: &PoolView,
        user: &User,
        temporary: &str,
        mediums: Option<&[String]>,
    ) -> Result<(), CognitoError> {
        let template = pool
            .pool
            .admin_create_user_config
            .as_ref()
            .and_then(|c| c.invite_message_template.clone())
            .unwrap_or_default();
        let shown = user
            .doc
            .attribute("email")
            .filter(|_| !pool.username_attributes().is_empty())
            .unwrap_or(&user.record.username)
            .to_owned();
        let mediums = mediums.map_or_else(|| vec!["SMS".to_owned()], <[String]>::to_vec);
        for medium in mediums {
            let (attribute, body, subject) = if medium == "EMAIL" {
                (
                    "email",
                    template.email_message.clone().unwrap_or_else(|| {
                        "Your username is {username} and temporary password is {####}.".into()
                    }),
                    Some(
                        template
                            .email_subject
                            .clone()
                            .unwrap_or_else(|| "Your temporary password".into()),
                    ),
                )
            } else {
                (
                    "phone_number",
                    template.sms_message.clone().unwrap_or_else(|| {
                        "Your username is {username} and temporary password is {####}.".into()
                    }),
                    None,
                )
            };
            // A user without the medium's attribute gets nothing (no error; moto's tests and
            // users-and-groups.md §5 recommend it).
            let Some(destination) = user.doc.attribute(attribute) else {
                continue;
            };
            self.send_message(
                pool,
                &user.record.username,
                Message {
                    kind: "AdminCreateUser".into(),
                    delivery_medium: medium.clone(),
                    attribute_name: attribute.into(),
                    destination: destination.to_owned(),
                    subject,
                    body: codes::fill(&body, temporary, &shown),
                    code: temporary.to_owned(),
                },
            )
            .await?;
        }
        Ok(())
    }

    pub(crate) async fn admin_get_user(
        &self,
        ctx: &RequestContext,
        input: AdminGetUserRequest,
    ) -> Result<AdminGetUserResponse, CognitoError> {
        let pool = self
            .pool_view(ctx, required(input.user_pool_id.as_deref(), "UserPoolId")?)
            .await?;
        let user = self
            .existing_user(&pool, required(input.username.as_deref(), "Username")?)
            .await?;
        let (preferred, list) = mfa_settings(&user.doc);
        Ok(AdminGetUserResponse {
            username: Some(user.record.username.clone()),
            user_attributes: Some(
                user.doc
                    .attributes
                    .iter()
                    .map(super::attribute_type)
                    .collect(),
            ),
            user_create_date: Some(crate::clock::epoch_seconds(user.record.created_ms)),
            user_last_modified_date: Some(crate::clock::epoch_seconds(user.record.modified_ms)),
            enabled: Some(user.doc.enabled),
            user_status: Some(user.doc.status.clone()),
            mfa_options: super::mfa_options(&user.doc),
            preferred_mfa_setting: preferred,
            user_mfa_setting_list: list,
        })
    }

    /// ListUsers with Cognito's `Filter` (one condition, `=` or `^=`; users-and-groups.md §6),
    /// `AttributesToGet` and pagination, in username order.
    pub(crate) async fn list_users(
        &self,
        ctx: &RequestContext,
        input: ListUsersRequest,
    ) -> Result<ListUsersResponse, CognitoError> {
        let pool = self
            .pool_view(ctx, required(input.user_pool_id.as_deref(), "UserPoolId")?)
            .await?;
        let filter = user_filter::parse(input.filter.as_deref().unwrap_or_default())
            .map_err(|e| CognitoError::invalid_parameter(e.message()))?;
        let limit = match input.limit {
            Some(n) if n > 0 => u32::try_from(n)
                .unwrap_or(LIST_USERS_LIMIT)
                .min(LIST_USERS_LIMIT),
            _ => LIST_USERS_LIMIT,
        };
        let mut after = match input.pagination_token.as_deref() {
            Some(token) => Some(self.pages.decode(Listing::Users, &pool.id, token)?),
            None => None,
        };
        let case_sensitive = pool.case_sensitive();
        let mut users = Vec::new();
        let mut next = None;
        'scan: loop {
            let batch = if filter.is_some() { SCAN_BATCH } else { limit };
            let page = self
                .store
                .list_users(&pool.id, after.as_deref(), batch)
                .await
                .map_err(internal)?;
            let count = page.items.len();
            for (i, record) in page.items.into_iter().enumerate() {
                after = Some(record.username.clone());
                let user = self.user_from(record)?;
                let keep = filter.as_ref().is_none_or(|f| {
                    f.matches(filter_value(&user, f.attribute).as_deref(), case_sensitive)
                });
                if keep {
                    users.push(Self::user_type(&user, input.attributes_to_get.as_deref()));
                    if users.len() as u32 == limit {
                        if i + 1 < count || page.more {
                            next = after.clone();
                        }
                        break 'scan;
                    }
                }
            }
            if !page.more {
                break;
            }
        }
        Ok(ListUsersResponse {
            users: Some(users),
            pagination_token: next.map(|last| self.pages.encode(Listing::Users, &pool.id, &last)),
        })
    }

    pub(crate) async fn admin_delete_user(
        &self,
        ctx: &RequestContext,
        input: AdminDeleteUserRequest,
    ) -> Result<EmptyOutput, CognitoError> {
        let pool = self
            .pool_view(ctx, required(input.user_pool_id.as_deref(), "UserPoolId")?)
            .await?;
        let user = self
            .existing_user(&pool, required(input.username.as_deref(), "Username")?)
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

    /// AdminSetUserPassword: `Permanent` makes the user CONFIRMED, otherwise
    /// FORCE_CHANGE_PASSWORD with a new temporary-password expiry. Failed sign-ins are
    /// forgotten. An UNCONFIRMED user given a permanent password is confirmed (rognito's choice;
    /// unverified on AWS, users-and-groups.md §10.7).
    pub(crate) async fn admin_set_user_password(
        &self,
        ctx: &RequestContext,
        input: AdminSetUserPasswordRequest,
    ) -> Result<AdminSetUserPasswordResponse, CognitoError> {
        let pool = self
            .pool_view(ctx, required(input.user_pool_id.as_deref(), "UserPoolId")?)
            .await?;
        let given = required(input.username.as_deref(), "Username")?;
        let password = required(input.password.as_deref(), "Password")?;
        passwords::check_policy(password, pool.password_policy(), PolicyPrefix::Other)?;
        let permanent = input.permanent == Some(true);
        let now = self.clock.now_ms();
        let validity_days = pool
            .password_policy()
            .and_then(|p| p.temporary_password_validity_days)
            .filter(|d| *d > 0)
            .unwrap_or(7);
        self.set_password(&pool, given, password, |doc| {
            if permanent {
                doc.status = status::CONFIRMED.into();
                doc.temporary_password_expires_ms = None;
            } else {
                doc.status = status::FORCE_CHANGE_PASSWORD.into();
                doc.temporary_password_expires_ms =
                    Some(now + i64::from(validity_days) * 86_400_000);
            }
        })
        .await?;
        Ok(AdminSetUserPasswordResponse {})
    }

    /// Sets a user's password (hash and SRP verifier) and applies `change` to its document, in
    /// one write; failed sign-ins are forgotten.
    pub(crate) async fn set_password<F>(
        &self,
        pool: &PoolView,
        given: &str,
        password: &str,
        change: F,
    ) -> Result<User, CognitoError>
    where
        F: Fn(&mut UserDoc),
    {
        // Hashed once, outside the retries: the hash depends only on the username, which
        // never changes.
        let username = self.existing_user(pool, given).await?.record.username;
        let hashed = self
            .password_secrets(pool, &username, password, UserSecrets::default())
            .await?;
        self.modify_user_with(pool, &username, true, |user, secrets| {
            if let Some(secrets) = secrets {
                secrets.password.clone_from(&hashed.password);
                secrets.srp_salt.clone_from(&hashed.srp_salt);
                secrets.srp_verifier.clone_from(&hashed.srp_verifier);
            }
            change(&mut user.doc);
            user.doc.failures = Default::default();
            Ok(())
        })
        .await
    }

    pub(crate) async fn admin_confirm_sign_up(
        &self,
        ctx: &RequestContext,
        input: AdminConfirmSignUpRequest,
    ) -> Result<AdminConfirmSignUpResponse, CognitoError> {
        let pool = self
            .pool_view(ctx, required(input.user_pool_id.as_deref(), "UserPoolId")?)
            .await?;
        self.modify_user(
            &pool,
            required(input.username.as_deref(), "Username")?,
            |user| {
                if user.doc.status != status::UNCONFIRMED {
                    return Err(cannot_confirm(&user.doc.status));
                }
                user.doc.status = status::CONFIRMED.into();
                user.doc.codes.retain(|c| c.purpose != "signup");
                Ok(())
            },
        )
        .await?;
        Ok(AdminConfirmSignUpResponse {})
    }

    pub(crate) async fn admin_update_user_attributes(
        &self,
        ctx: &RequestContext,
        input: AdminUpdateUserAttributesRequest,
    ) -> Result<AdminUpdateUserAttributesResponse, CognitoError> {
        let pool = self
            .pool_view(ctx, required(input.user_pool_id.as_deref(), "UserPoolId")?)
            .await?;
        let attributes = input.user_attributes.clone().unwrap_or_default();
        check_attributes(&pool, &attributes, Writer::Admin, false)?;
        self.update_attributes(
            &pool,
            required(input.username.as_deref(), "Username")?,
            &attributes,
            "AdminUpdateUserAttributes",
        )
        .await?;
        Ok(AdminUpdateUserAttributesResponse {})
    }

    /// Writes attributes (a blank value deletes one). A new email or phone number becomes
    /// unverified unless the same request verifies it, and, when the pool verifies it
    /// automatically, a code goes to it. Returns where codes went.
    pub(crate) async fn update_attributes(
        &self,
        pool: &PoolView,
        given: &str,
        attributes: &[AttributeType],
        kind: &str,
    ) -> Result<Vec<CodeDeliveryDetailsType>, CognitoError> {
        let mut sent: Vec<(String, String, String)> = Vec::new();
        let user = self.existing_user(pool, given).await?;
        let mut candidate = user.clone();
        apply_attributes(&mut candidate.doc, attributes);
        let keys = pool.keys(&user.record.username, &candidate.doc);
        self.free_aliases(pool, &user.record.username, &keys, false, false)
            .await?;
        let user = self
            .modify_user(pool, given, |user| {
                sent.clear();
                let before = user.doc.clone();
                apply_attributes(&mut user.doc, attributes);
                for attribute in ["email", "phone_number"] {
                    let changed = before.attribute(attribute) != user.doc.attribute(attribute);
                    let verified_now = attributes
                        .iter()
                        .any(|a| a.name.as_deref() == Some(&format!("{attribute}_verified")));
                    if changed
                        && !verified_now
                        && let Some(value) = user.doc.attribute(attribute).map(str::to_owned)
                    {
                        user.doc
                            .set_attribute(&format!("{attribute}_verified"), "false");
                        if pool.auto_verified().iter().any(|a| a == attribute) {
                            let code = self.issue_code(
                                user,
                                &format!("verify:{attribute}"),
                                &value,
                                codes::SIGN_UP_CODE_MS,
                            );
                            sent.push((attribute.to_owned(), value, code));
                        }
                    }
                }
                Ok(())
            })
            .await?;
        let mut details = Vec::new();
        for (attribute, destination, code) in sent {
            self.send_verification(pool, &user, kind, &attribute, &destination, &code)
                .await?;
            details.push(codes::delivery(&attribute, &destination));
        }
        Ok(details)
    }

    /// A verification message with the pool's template (VerificationMessageTemplate).
    pub(crate) async fn send_verification(
        &self,
        pool: &PoolView,
        user: &User,
        kind: &str,
        attribute: &str,
        destination: &str,
        code: &str,
    ) -> Result<(), CognitoError> {
        let template = pool
            .pool
            .verification_message_template
            .clone()
            .unwrap_or_default();
        let (medium, body, subject) = if attribute == "email" {
            (
                "EMAIL",
                template
                    .email_message
                    .or_else(|| pool.pool.email_verification_message.clone())
                    .unwrap_or_else(|| "Your verification code is {####}. ".into()),
                Some(
                    template
                        .email_subject
                        .or_else(|| pool.pool.email_verification_subject.clone())
                        .unwrap_or_else(|| "Your verification code".into()),
                ),
            )
        } else {
            (
                "SMS",
                template
                    .sms_message
                    .or_else(|| pool.pool.sms_verification_message.clone())
                    .unwrap_or_else(|| "Your verification code is {####}. ".into()),
                None,
            )
        };
        self.send_message(
            pool,
            &user.record.username,
            Message {
                kind: kind.into(),
                delivery_medium: medium.into(),
                attribute_name: attribute.into(),
                destination: destination.into(),
                subject,
                body: codes::fill(&body, code, &user.record.username),
                code: code.into(),
            },
        )
        .await
    }

    pub(crate) async fn admin_delete_user_attributes(
        &self,
        ctx: &RequestContext,
        input: AdminDeleteUserAttributesRequest,
    ) -> Result<AdminDeleteUserAttributesResponse, CognitoError> {
        let pool = self
            .pool_view(ctx, required(input.user_pool_id.as_deref(), "UserPoolId")?)
            .await?;
        let names = input.user_attribute_names.clone().unwrap_or_default();
        self.delete_attributes(
            &pool,
            required(input.username.as_deref(), "Username")?,
            &names,
        )
        .await?;
        Ok(AdminDeleteUserAttributesResponse {})
    }

    /// Deletes attributes by name. Errors: a name not in the schema → `InvalidParameterException`
    /// `Invalid user attributes: user.<name>: Attribute does not exist in the schema.\n` per
    /// name (moto's format; AWS's is unverified); `sub` or a required attribute →
    /// `InvalidParameterException` `Invalid user attributes: user.<name>: Required attribute
    /// cannot be deleted.\n` (rognito's text).
    pub(crate) async fn delete_attributes(
        &self,
        pool: &PoolView,
        given: &str,
        names: &[String],
    ) -> Result<(), CognitoError> {
        // An unknown user is reported before unknown attribute names (moto's
        // `test_admin_delete_user_attributes_non_existing_user`).
        self.existing_user(pool, given).await?;
        let mut problems = String::new();
        for name in names {
            let known =
                super::STANDARD.contains(&name.as_str()) || pool.schema_attribute(name).is_some();
            if !known {
                problems.push_str(&format!(
                    "user.{name}: Attribute does not exist in the schema.\n"
                ));
            } else if name == "sub"
                || pool
                    .schema_attribute(name)
                    .is_some_and(|s| s.required == Some(true))
            {
                problems.push_str(&format!(
                    "user.{name}: Required attribute cannot be deleted.\n"
                ));
            }
        }
        if !problems.is_empty() {
            return Err(CognitoError::invalid_parameter(format!(
                "Invalid user attributes: {problems}"
            )));
        }
        self.modify_user(pool, given, |user| {
            for name in names {
                user.doc.set_attribute(name, "");
                if name == "email" || name == "phone_number" {
                    user.doc.set_attribute(&format!("{name}_verified"), "");
                }
            }
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// AdminDisableUser: the user can no longer sign in, and every token it holds is refused
    /// from now on (its sessions are deleted).
    pub(crate) async fn admin_disable_user(
        &self,
        ctx: &RequestContext,
        input: AdminDisableUserRequest,
    ) -> Result<AdminDisableUserResponse, CognitoError> {
        let pool = self
            .pool_view(ctx, required(input.user_pool_id.as_deref(), "UserPoolId")?)
            .await?;
        let now = self.clock.now_ms();
        let user = self
            .modify_user(
                &pool,
                required(input.username.as_deref(), "Username")?,
                |user| {
                    user.doc.enabled = false;
                    user.doc.signed_out_ms = now;
                    Ok(())
                },
            )
            .await?;
        self.store
            .delete_sessions_of(&pool.id, &user.record.username)
            .await
            .map_err(internal)?;
        Ok(AdminDisableUserResponse {})
    }

    pub(crate) async fn admin_enable_user(
        &self,
        ctx: &RequestContext,
        input: AdminEnableUserRequest,
    ) -> Result<AdminEnableUserResponse, CognitoError> {
        let pool = self
            .pool_view(ctx, required(input.user_pool_id.as_deref(), "UserPoolId")?)
            .await?;
        self.modify_user(
            &pool,
            required(input.username.as_deref(), "Username")?,
            |user| {
                user.doc.enabled = true;
                Ok(())
            },
        )
        .await?;
        Ok(AdminEnableUserResponse {})
    }

    /// AdminResetUserPassword (users-and-groups.md §3): RESET_REQUIRED and a code through the
    /// recovery channel.
    pub(crate) async fn admin_reset_user_password(
        &self,
        ctx: &RequestContext,
        input: AdminResetUserPasswordRequest,
    ) -> Result<AdminResetUserPasswordResponse, CognitoError> {
        let pool = self
            .pool_view(ctx, required(input.user_pool_id.as_deref(), "UserPoolId")?)
            .await?;
        let mut sent = None;
        let user = self
            .modify_user(
                &pool,
                required(input.username.as_deref(), "Username")?,
                |user| {
                    if !user.doc.enabled {
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
                    let Some(channel) = codes::recovery_channel(&pool, user) else {
                        return Err(no_recovery_channel());
                    };
                    user.doc.status = status::RESET_REQUIRED.into();
                    let code = self.issue_code(user, "forgot", "", codes::FORGOT_CODE_MS);
                    sent = Some((channel, code));
                    Ok(())
                },
            )
            .await?;
        if let Some(((attribute, destination), code)) = sent {
            self.send_forgot_password(
                &pool,
                &user,
                "AdminResetUserPassword",
                &attribute,
                &destination,
                &code,
            )
            .await?;
        }
        Ok(AdminResetUserPasswordResponse {})
    }

    /// A password-reset code message (the pool's verification template, as Cognito uses it).
    pub(crate) async fn send_forgot_password(
        &self,
        pool: &PoolView,
        user: &User,
        kind: &str,
        attribute: &str,
        destination: &str,
        code: &str,
    ) -> Result<(), CognitoError> {
        self.send_verification(pool, user, kind, attribute, destination, code)
            .await
    }
}

/// `UnsupportedUserStateException` for RESEND to a user who already set a password (text
/// chosen: Cognito's was not found).
fn resend_not_possible(username: &str) -> CognitoError {
    CognitoError::new(
        ErrorCode::UnsupportedUserStateException,
        format!("Resend not possible. {username} status is not FORCE_CHANGE_PASSWORD"),
    )
}

/// `InvalidParameterException` for a reset without a verified channel (users-and-groups.md §3).
pub(crate) fn no_recovery_channel() -> CognitoError {
    CognitoError::invalid_parameter(
        "Cannot reset password for the user as there is no registered/verified email or phone_number",
    )
}

/// `NotAuthorizedException` `User cannot be confirmed. Current status is <STATUS>` (verified
/// for CONFIRMED; users-and-groups.md §3).
pub(crate) fn cannot_confirm(status: &str) -> CognitoError {
    CognitoError::new(
        ErrorCode::NotAuthorizedException,
        format!("User cannot be confirmed. Current status is {status}"),
    )
}

/// Writes attributes into a document; a blank value deletes the attribute.
pub(crate) fn apply_attributes(doc: &mut UserDoc, attributes: &[AttributeType]) {
    for a in attributes {
        let name = a.name.as_deref().unwrap_or_default();
        let mut value = a.value.clone().unwrap_or_default();
        if name.ends_with("_verified") && !value.is_empty() {
            // "True" is accepted (users-and-groups.md §2) and stored as Cognito shows it.
            value = value.to_lowercase();
        }
        doc.set_attribute(name, &value);
    }
}

/// The username and first document of a new user (AdminCreateUser, SignUp). In a pool with
/// `UsernameAttributes` the given name must be an email or phone number (allowed by the pool);
/// it becomes that attribute, and the username is a new UUID equal to `sub`. In a pool with
/// email or phone aliases the username must not look like one.
///
/// Errors (users-and-groups.md §2): `Username should be an email.`, `Username should be a
/// phone number.` (rognito's text by analogy), `Username should be either an email or a phone
/// number.`, `Username cannot be of email format, since user pool is configured for email
/// alias.` (and the phone analogue, unverified), all `InvalidParameterException`.
pub(crate) fn new_user_doc(
    pool: &PoolView,
    given: &str,
    attributes: &[AttributeType],
) -> Result<(String, UserDoc), CognitoError> {
    let sub = uuid::Uuid::new_v4().to_string();
    let mut doc = UserDoc {
        attributes: vec![super::Attr {
            name: "sub".into(),
            value: sub.clone(),
        }],
        status: status::UNCONFIRMED.into(),
        enabled: true,
        ..Default::default()
    };
    apply_attributes(&mut doc, attributes);
    let by_email = pool.username_attributes().iter().any(|a| a == "email");
    let by_phone = pool
        .username_attributes()
        .iter()
        .any(|a| a == "phone_number");
    let username = if by_email || by_phone {
        if by_email && super::is_email(given) {
            doc.set_attribute("email", given);
        } else if by_phone && super::is_phone(given) {
            doc.set_attribute("phone_number", given);
        } else {
            return Err(CognitoError::invalid_parameter(
                match (by_email, by_phone) {
                    (true, true) => "Username should be either an email or a phone number.",
                    (true, false) => "Username should be an email.",
                    _ => "Username should be a phone number.",
                },
            ));
        }
        sub
    } else {
        if pool.alias_attributes().iter().any(|a| a == "email") && super::is_email(given) {
            return Err(CognitoError::invalid_parameter(
                "Username cannot be of email format, since user pool is configured for email alias.",
            ));
        }
        if pool.alias_attributes().iter().any(|a| a == "phone_number") && super::is_phone(given) {
            return Err(CognitoError::invalid_parameter(
                "Username cannot be of phone format, since user pool is configured for phone alias.",
            ));
        }
        given.to_owned()
    };
    Ok((username, doc))
}

/// AdminGetUser's and GetUser's `PreferredMfaSetting` and `UserMFASettingList` (absent for a
/// user with no MFA factor; users-and-groups.md §1).
pub(crate) fn mfa_settings(doc: &UserDoc) -> (Option<String>, Option<Vec<String>>) {
    let mut list = Vec::new();
    if doc.mfa.sms_enabled {
        list.push("SMS_MFA".to_owned());
    }
    if doc.mfa.totp_enabled {
        list.push("SOFTWARE_TOKEN_MFA".to_owned());
    }
    if doc.mfa.email_enabled {
        list.push("EMAIL_OTP".to_owned());
    }
    (
        doc.mfa.preferred.clone(),
        (!list.is_empty()).then_some(list),
    )
}

/// The value ListUsers' filter compares for a user.
fn filter_value(user: &User, attribute: FilterAttribute) -> Option<String> {
    match attribute {
        FilterAttribute::Username => Some(user.record.username.clone()),
        FilterAttribute::Status => Some(
            if user.doc.enabled {
                "Enabled"
            } else {
                "Disabled"
            }
            .into(),
        ),
        FilterAttribute::UserStatus => Some(user.doc.status.clone()),
        other => user.doc.attribute(other.name()).map(str::to_owned),
    }
}
