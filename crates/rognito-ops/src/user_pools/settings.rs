//! UpdateUserPool, AddCustomAttributes, GetUserPoolMfaConfig and SetUserPoolMfaConfig: the
//! operations that rewrite a pool's settings after it was created. Each is a read-modify-write
//! of the pool's document (`modify_pool`), so concurrent changes are never lost.

use rognito_model::{
    AddCustomAttributesRequest, AddCustomAttributesResponse, CognitoError, CreateUserPoolRequest,
    GetUserPoolMfaConfigRequest, GetUserPoolMfaConfigResponse, SetUserPoolMfaConfigRequest,
    SetUserPoolMfaConfigResponse, UpdateUserPoolRequest, UpdateUserPoolResponse,
};
use serde_json::{Map, Value, json};

use super::{schema, user_pool_document};
use crate::{Cognito, RequestContext, required};

/// Where the document keeps the MFA settings UserPoolType does not show (GetUserPoolMfaConfig
/// returns them); DescribeUserPool's typed output leaves the key out.
const MFA_SETTINGS: &str = "rognito:MfaSettings";

/// What UpdateUserPool keeps when the request leaves it out (everything else goes back to its
/// default, as the API reference says):
/// - what it cannot change: the sign-in attributes (the schema is kept too; AddCustomAttributes
///   adds to it);
/// - `UserPoolTier`, the exception the API reference names;
/// - `PoolName` (a pool has no default name);
/// - `MfaConfiguration`, `Policies` and `UserAttributeUpdateSettings`, which Cognito keeps
///   when omitted (go-to-k/cdkd's live tests; terraform-provider-aws: "A nil
///   UserAttibutesUpdateSetting param will result in no modifications");
/// - `UserPoolTags`: rognito's choice (tags are not settings; TagResource manages them too).
const KEPT_BY_UPDATE: &[(&str, &str)] = &[
    ("UsernameAttributes", "UsernameAttributes"),
    ("AliasAttributes", "AliasAttributes"),
    ("UsernameConfiguration", "UsernameConfiguration"),
    ("UserPoolTier", "UserPoolTier"),
    ("PoolName", "Name"),
    ("MfaConfiguration", "MfaConfiguration"),
    ("Policies", "Policies"),
    ("UserAttributeUpdateSettings", "UserAttributeUpdateSettings"),
    ("UserPoolTags", "UserPoolTags"),
];

/// Cognito allows at most this many custom attributes in a pool ("Quotas in Amazon Cognito").
const MAX_CUSTOM_ATTRIBUTES: usize = 50;

fn internal_json(e: serde_json::Error) -> CognitoError {
    tracing::error!(error = %e, "cannot convert a pool document");
    CognitoError::internal()
}

impl Cognito {
    /// UpdateUserPool: the pool's settings become what the request says, with Cognito's
    /// defaults for every member it leaves out (the API reference: "With the exception of
    /// `UserPoolTier`, if you don't provide a value for an attribute, Amazon Cognito sets it to
    /// its default value"), checked by the same rules as CreateUserPool.
    pub(crate) async fn update_user_pool(
        &self,
        ctx: &RequestContext,
        input: UpdateUserPoolRequest,
    ) -> Result<UpdateUserPoolResponse, CognitoError> {
        let id = required(input.user_pool_id.as_deref(), "UserPoolId")?.to_owned();
        let Value::Object(mut requested) = serde_json::to_value(&input).map_err(internal_json)?
        else {
            return Err(CognitoError::internal());
        };
        requested.remove("UserPoolId");
        self.modify_pool(ctx, &id, true, |doc| {
            let mut create = requested.clone();
            for (member, stored) in KEPT_BY_UPDATE {
                if !create.contains_key(*member)
                    && let Some(value) = doc.get(*stored)
                {
                    create.insert((*member).to_owned(), value.clone());
                }
            }
            let create: CreateUserPoolRequest =
                serde_json::from_value(Value::Object(create)).map_err(internal_json)?;
            let Value::Object(mut fresh) = user_pool_document(&create)? else {
                return Err(CognitoError::internal());
            };
            for key in [
                "SchemaAttributes",
                MFA_SETTINGS,
                crate::identity_providers::IDENTITY_PROVIDERS,
            ] {
                if let Some(value) = doc.get(key) {
                    fresh.insert(key.to_owned(), value.clone());
                }
            }
            keep_mfa_consistent(&mut fresh);
            check_mfa(&fresh)?;
            *doc = fresh;
            Ok(())
        })
        .await?;
        Ok(UpdateUserPoolResponse::default())
    }

    /// AddCustomAttributes: appends custom attributes to the pool's schema, under the same
    /// rules as CreateUserPool's custom attributes.
    pub(crate) async fn add_custom_attributes(
        &self,
        ctx: &RequestContext,
        input: AddCustomAttributesRequest,
    ) -> Result<AddCustomAttributesResponse, CognitoError> {
        let id = required(input.user_pool_id.as_deref(), "UserPoolId")?.to_owned();
        let requested = input.custom_attributes.unwrap_or_default();
        let mut added = Vec::with_capacity(requested.len());
        for entry in &requested {
            let Value::Object(entry) = serde_json::to_value(entry).map_err(internal_json)? else {
                return Err(CognitoError::internal());
            };
            let name = required(entry.get("Name").and_then(Value::as_str), "Name")?;
            added.push(schema::custom_attribute(name, &entry)?);
        }
        self.modify_pool(ctx, &id, true, |doc| {
            let mut attributes = match doc.remove("SchemaAttributes") {
                Some(Value::Array(attributes)) => attributes,
                _ => Vec::new(),
            };
            let name_of = |a: &Value| a.get("Name").and_then(Value::as_str).map(str::to_owned);
            for attribute in &added {
                let name = name_of(attribute).unwrap_or_default();
                // A developer-only attribute is stored as `dev:custom:<name>`; it clashes with
                // `custom:<name>` too, and the message names the requested `custom:` name then
                // the existing one (moto's `test_add_custom_attributes_existing_attribute`).
                let base = name.trim_start_matches("dev:");
                let existing = attributes
                    .iter()
                    .filter_map(name_of)
                    .find(|a| a.trim_start_matches("dev:") == base);
                if let Some(existing) = existing {
                    // Cognito's text (a real response quoted in
                    // jmaleonard/serverless-cognito-add-custom-attributes#3).
                    return Err(CognitoError::invalid_parameter(format!(
                        "{base}: Existing attribute already has name {existing}."
                    )));
                }
                attributes.push(attribute.clone());
            }
            let custom = attributes
                .iter()
                .filter(|a| name_of(a).is_some_and(|n| n.contains("custom:")))
                .count();
            if custom > MAX_CUSTOM_ATTRIBUTES {
                // rognito's text: Cognito's was not found.
                return Err(CognitoError::invalid_parameter(format!(
                    "A user pool can have at most {MAX_CUSTOM_ATTRIBUTES} custom attributes."
                )));
            }
            doc.insert("SchemaAttributes".into(), Value::Array(attributes));
            Ok(())
        })
        .await?;
        Ok(AddCustomAttributesResponse::default())
    }

    pub(crate) async fn get_user_pool_mfa_config(
        &self,
        ctx: &RequestContext,
        input: GetUserPoolMfaConfigRequest,
    ) -> Result<GetUserPoolMfaConfigResponse, CognitoError> {
        let id = required(input.user_pool_id.as_deref(), "UserPoolId")?;
        let record = self.owned_pool(ctx, id).await?;
        let doc: Map<String, Value> = serde_json::from_str(&record.doc).map_err(internal_json)?;
        serde_json::from_value(mfa_config(&doc)).map_err(internal_json)
    }

    /// SetUserPoolMfaConfig: the pool's MFA mode and factors, replaced as a whole (an omitted
    /// `MfaConfiguration` is OFF, an omitted factor is off: go-to-k/cdkd's live tests). SMS
    /// settings given with the SMS factor become the pool's `SmsAuthenticationMessage` and
    /// `SmsConfiguration` (DescribeUserPool shows them); the other factors are kept beside the
    /// document. DescribeUserPool's `MfaConfiguration` follows.
    ///
    /// Errors (`InvalidParameterException`, Cognito's texts): MFA off with a factor given;
    /// MFA on or optional with no factor enabled; email MFA while the pool sends email with
    /// Cognito's default account; the SMS factor without an SMS configuration (rognito's text).
    pub(crate) async fn set_user_pool_mfa_config(
        &self,
        ctx: &RequestContext,
        input: SetUserPoolMfaConfigRequest,
    ) -> Result<SetUserPoolMfaConfigResponse, CognitoError> {
        let id = required(input.user_pool_id.as_deref(), "UserPoolId")?.to_owned();
        let Value::Object(requested) = serde_json::to_value(&input).map_err(internal_json)? else {
            return Err(CognitoError::internal());
        };
        let mode = input
            .mfa_configuration
            .as_deref()
            .unwrap_or("OFF")
            .to_owned();
        let sms = requested
            .get("SmsMfaConfiguration")
            .and_then(Value::as_object);
        let totp = requested.get("SoftwareTokenMfaConfiguration");
        let email = requested.get("EmailMfaConfiguration");
        if mode == "OFF" && (sms.is_some() || totp.is_some() || email.is_some()) {
            // Cognito's text (go-to-k/cdkd#1923).
            return Err(CognitoError::invalid_parameter(
                "Invalid MFA configuration given, can't turn off MFA and configure an MFA \
                 together.",
            ));
        }
        let totp_enabled =
            totp.and_then(|t| t.get("Enabled")).and_then(Value::as_bool) == Some(true);
        if mode != "OFF" && sms.is_none() && !totp_enabled && email.is_none() {
            // Cognito's text (go-to-k/cdkd#1920).
            return Err(CognitoError::invalid_parameter(
                "Invalid MFA Configuration given. SMS MFA, Email MFA, or Software Token MFA must \
                 be enabled.",
            ));
        }
        let stored = self
            .modify_pool(ctx, &id, true, |doc| {
                if email.is_some()
                    && doc
                        .get("EmailConfiguration")
                        .and_then(|c| c.get("EmailSendingAccount"))
                        .and_then(Value::as_str)
                        .is_none_or(|account| account == "COGNITO_DEFAULT")
                {
                    // Cognito's text (as go-to-k/cdkd quotes it).
                    return Err(CognitoError::invalid_parameter(
                        "Cannot set EmailMfaConfiguration when user pool EmailConfiguration \
                         contains an EmailSendingAccount of COGNITO_DEFAULT",
                    ));
                }
                let mut settings = Map::new();
                if let Some(sms) = sms {
                    for key in ["SmsAuthenticationMessage", "SmsConfiguration"] {
                        if let Some(value) = sms.get(key) {
                            doc.insert(key.to_owned(), value.clone());
                        }
                    }
                    if !doc.contains_key("SmsConfiguration") {
                        // rognito's text: Cognito's was not found.
                        return Err(CognitoError::invalid_parameter(
                            "SMS MFA needs an SmsConfiguration: give one in SmsMfaConfiguration.",
                        ));
                    }
                    settings.insert("SmsMfa".into(), json!(true));
                }
                for (key, value) in [
                    ("SoftwareTokenMfaConfiguration", totp),
                    ("EmailMfaConfiguration", email),
                    (
                        "WebAuthnConfiguration",
                        requested.get("WebAuthnConfiguration"),
                    ),
                ] {
                    if let Some(value) = value {
                        settings.insert(key.to_owned(), value.clone());
                    }
                }
                doc.insert(MFA_SETTINGS.into(), Value::Object(settings));
                doc.insert("MfaConfiguration".into(), json!(mode));
                Ok(())
            })
            .await?;
        let doc: Map<String, Value> = serde_json::from_str(&stored.doc).map_err(internal_json)?;
        serde_json::from_value(mfa_config(&doc)).map_err(internal_json)
    }
}

/// After UpdateUserPool, the factors agree with the mode: MFA turned off leaves no factor on
/// (as SetUserPoolMfaConfig refuses OFF with a factor), and SMS MFA ends with the pool's SMS
/// configuration. WebAuthn settings are not an MFA factor and stay.
fn keep_mfa_consistent(doc: &mut Map<String, Value>) {
    let off = doc.get("MfaConfiguration").and_then(Value::as_str) == Some("OFF");
    let sms = doc.contains_key("SmsConfiguration");
    if let Some(Value::Object(settings)) = doc.get_mut(MFA_SETTINGS) {
        if off {
            for key in [
                "SmsMfa",
                "SoftwareTokenMfaConfiguration",
                "EmailMfaConfiguration",
            ] {
                settings.remove(key);
            }
        }
        if !sms {
            settings.remove("SmsMfa");
        }
    }
}

/// What GetUserPoolMfaConfig (and SetUserPoolMfaConfig) answer for a pool document: the mode,
/// and each factor that is on (a new pool shows only `MfaConfiguration: OFF`, as Terraform's
/// acceptance tests against AWS expect).
fn mfa_config(doc: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    out.insert(
        "MfaConfiguration".into(),
        doc.get("MfaConfiguration").cloned().unwrap_or(json!("OFF")),
    );
    let settings = doc.get(MFA_SETTINGS).and_then(Value::as_object);
    if settings.and_then(|s| s.get("SmsMfa")) == Some(&json!(true)) {
        let mut config = Map::new();
        for key in ["SmsAuthenticationMessage", "SmsConfiguration"] {
            if let Some(value) = doc.get(key) {
                config.insert(key.to_owned(), value.clone());
            }
        }
        out.insert("SmsMfaConfiguration".into(), Value::Object(config));
    }
    for key in [
        "SoftwareTokenMfaConfiguration",
        "EmailMfaConfiguration",
        "WebAuthnConfiguration",
    ] {
        if let Some(value) = settings.and_then(|s| s.get(key)) {
            out.insert(key.to_owned(), value.clone());
        }
    }
    Value::Object(out)
}

/// MFA on or optional needs a factor to use: an authenticator app or email (set with
/// SetUserPoolMfaConfig), or SMS, which needs an SMS configuration and `phone_number` verified
/// automatically.
///
/// Errors: `InvalidParameterException` with Cognito's text (aws/aws-cdk#12075).
pub(super) fn check_mfa(doc: &Map<String, Value>) -> Result<(), CognitoError> {
    let mode = doc
        .get("MfaConfiguration")
        .and_then(Value::as_str)
        .unwrap_or("OFF");
    if mode == "OFF" {
        return Ok(());
    }
    let settings = doc.get(MFA_SETTINGS).and_then(Value::as_object);
    let totp = settings
        .and_then(|s| s.get("SoftwareTokenMfaConfiguration"))
        .and_then(|t| t.get("Enabled"))
        .and_then(Value::as_bool)
        == Some(true);
    let email = settings.is_some_and(|s| s.contains_key("EmailMfaConfiguration"));
    let phone_verified = doc
        .get("AutoVerifiedAttributes")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|v| v == "phone_number"));
    let sms = doc.contains_key("SmsConfiguration") && phone_verified;
    if totp || email || sms {
        Ok(())
    } else {
        Err(CognitoError::invalid_parameter(
            "SMS configuration and Auto verification for phone_number are required when MFA is \
             required/optional",
        ))
    }
}
