//! Verification and invitation message members of a pool: the rules and derived members the
//! service has beyond the model (sources in docs/compatibility.md, "User pool members").

use rognito_model::CognitoError;
use serde_json::{Map, Value};

/// `VerificationMessageTemplate` members and the legacy top-level members they mirror.
const MIRRORED: &[(&str, &str)] = &[
    ("EmailMessage", "EmailVerificationMessage"),
    ("EmailSubject", "EmailVerificationSubject"),
    ("SmsMessage", "SmsVerificationMessage"),
];

/// Cognito keeps the message template and the legacy members in step: a text given in one
/// place shows in both (terraform-provider-aws `TestAccCognitoIDPUserPool_withVerificationMessageTemplate`).
/// Where both are given, each keeps its own.
///
/// Errors: `EmailMessageByLink` without a `{##link text##}` placeholder →
/// `InvalidParameterException` `The message is invalid.` (aws/aws-cli#8280), which the model's
/// pattern lets through.
pub(super) fn mirror_verification_messages(
    members: &mut Map<String, Value>,
) -> Result<(), CognitoError> {
    let mut template = match members.remove("VerificationMessageTemplate") {
        Some(Value::Object(template)) => template,
        _ => Map::new(),
    };
    for (in_template, legacy) in MIRRORED {
        match (template.get(*in_template), members.get(*legacy)) {
            (Some(text), None) => {
                members.insert((*legacy).to_owned(), text.clone());
            }
            (None, Some(text)) => {
                template.insert((*in_template).to_owned(), text.clone());
            }
            _ => {}
        }
    }
    if let Some(message) = template.get("EmailMessageByLink").and_then(Value::as_str)
        && !has_link_placeholder(message)
    {
        return Err(CognitoError::invalid_parameter("The message is invalid."));
    }
    members.insert(
        "VerificationMessageTemplate".into(),
        Value::Object(template),
    );
    Ok(())
}

/// Whether the text holds `{##...##}` with some link text between the marks.
fn has_link_placeholder(message: &str) -> bool {
    let mut rest = message;
    while let Some(start) = rest.find("{##") {
        let after = &rest[start + 3..];
        if let Some(end) = after.find("##}")
            && end > 0
            && !after[..end].contains('#')
        {
            return true;
        }
        rest = after;
    }
    false
}

/// `AdminCreateUserConfig.UnusedAccountValidityDays` is the legacy form of
/// `Policies.PasswordPolicy.TemporaryPasswordValidityDays`: both at once is refused with
/// Cognito's text (aws/aws-sdk-js#3817; terraform-provider-aws retries on it).
pub(super) fn check_validity_days(members: &Map<String, Value>) -> Result<(), CognitoError> {
    let unused = members
        .get("AdminCreateUserConfig")
        .and_then(|c| c.get("UnusedAccountValidityDays"))
        .is_some();
    let temporary = members
        .get("Policies")
        .and_then(|p| p.get("PasswordPolicy"))
        .and_then(|p| p.get("TemporaryPasswordValidityDays"))
        .is_some();
    if unused && temporary {
        return Err(CognitoError::invalid_parameter(
            "Please use TemporaryPasswordValidityDays in PasswordPolicy instead of \
             UnusedAccountValidityDays",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn template_and_legacy_members_mirror_each_other() {
        let mut members = object(json!({"VerificationMessageTemplate": {
            "EmailMessage": "Code {####}", "EmailSubject": "Hi", "SmsMessage": "SMS {####}"}}));
        mirror_verification_messages(&mut members).expect("valid");
        assert_eq!(members["EmailVerificationMessage"], "Code {####}");
        assert_eq!(members["EmailVerificationSubject"], "Hi");
        assert_eq!(members["SmsVerificationMessage"], "SMS {####}");
        let mut legacy = object(json!({"EmailVerificationMessage": "Legacy {####}"}));
        mirror_verification_messages(&mut legacy).expect("valid");
        assert_eq!(
            legacy["VerificationMessageTemplate"]["EmailMessage"],
            "Legacy {####}"
        );
        let mut both = object(json!({"EmailVerificationSubject": "A",
            "VerificationMessageTemplate": {"EmailSubject": "B"}}));
        mirror_verification_messages(&mut both).expect("valid");
        assert_eq!(both["EmailVerificationSubject"], "A");
        assert_eq!(both["VerificationMessageTemplate"]["EmailSubject"], "B");
    }

    #[test]
    fn a_link_message_needs_link_text() {
        for bad in ["Click {####}", "Click {####} here", "{##}", ""] {
            let mut members =
                object(json!({"VerificationMessageTemplate": {"EmailMessageByLink": bad}}));
            assert_eq!(
                mirror_verification_messages(&mut members)
                    .expect_err(bad)
                    .message,
                "The message is invalid.",
                "{bad:?}"
            );
        }
        let mut members = object(json!({"VerificationMessageTemplate": {
            "EmailMessageByLink": "Please {##Verify Your Email##} now"}}));
        mirror_verification_messages(&mut members).expect("custom link text is fine");
    }

    #[test]
    fn both_validity_day_members_are_refused() {
        let members = object(json!({
            "AdminCreateUserConfig": {"UnusedAccountValidityDays": 3},
            "Policies": {"PasswordPolicy": {"TemporaryPasswordValidityDays": 4}}}));
        assert!(check_validity_days(&members).is_err());
        let one = object(json!({"AdminCreateUserConfig": {"UnusedAccountValidityDays": 3}}));
        assert!(check_validity_days(&one).is_ok());
    }
}
