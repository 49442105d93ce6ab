//! Cross-member rules Cognito checks when an app client is created or updated, beyond the
//! model (sources in docs/compatibility.md, "App clients"): built-in scopes with
//! client_credentials, callback URLs, identity providers, explicit auth flows, and the read and
//! write attributes a client may name.

use rognito_model::{CognitoError, ErrorCode, UserPoolClientType};
use serde_json::Value;

use crate::clients::BUILT_IN_SCOPES;

/// The built-in scopes are user scopes: a client_credentials client cannot have them.
///
/// Errors: `InvalidOAuthFlowException` `<scope> is not supported with client_credentials
/// flow`, naming the first such scope as given (terraform-provider-aws#4984).
pub(crate) fn check_client_credentials_scopes(
    flows: &[String],
    scopes: &[String],
) -> Result<(), CognitoError> {
    if !flows.iter().any(|f| f == "client_credentials") {
        return Ok(());
    }
    match scopes
        .iter()
        .find(|s| BUILT_IN_SCOPES.contains(&s.as_str()))
    {
        Some(scope) => Err(CognitoError::new(
            ErrorCode::InvalidOAuthFlowException,
            format!("{scope} is not supported with client_credentials flow"),
        )),
        None => Ok(()),
    }
}

/// Whether a redirect URL is one Cognito accepts: HTTPS, or HTTP only to the local machine, or
/// an app's own scheme; never with a fragment (CreateUserPoolClient, `CallbackURLs`).
fn acceptable_redirect(url: &str) -> bool {
    if url.contains('#') {
        return false;
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return false;
    };
    if scheme.eq_ignore_ascii_case("http") {
        let host_and_port = rest.split(['/', '?']).next().unwrap_or_default();
        let host = match host_and_port.strip_prefix('[') {
            Some(v6) => v6
                .split(']')
                .next()
                .map(|h| format!("[{h}]"))
                .unwrap_or_default(),
            None => host_and_port
                .split(':')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase(),
        };
        return matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]");
    }
    !scheme.is_empty() && !rest.is_empty()
}

/// Callback URLs (and the default redirect URI) must be HTTPS, HTTP only to localhost, or an
/// app scheme, without a fragment; the default redirect URI must be one of the callback URLs.
///
/// Errors: `InvalidParameterException` with rognito's texts (Cognito's were not found).
pub(crate) fn check_redirects(client: &UserPoolClientType) -> Result<(), CognitoError> {
    let callbacks = client.callback_ur_ls.as_deref().unwrap_or_default();
    for url in callbacks.iter().chain(client.default_redirect_uri.as_ref()) {
        if !acceptable_redirect(url) {
            return Err(CognitoError::invalid_parameter(format!(
                "Invalid redirect URL {url}: it must use HTTPS (HTTP only for localhost) or an \
                 app's own scheme, and must not contain a fragment."
            )));
        }
    }
    if let Some(default) = &client.default_redirect_uri
        && !callbacks.contains(default)
    {
        return Err(CognitoError::invalid_parameter(format!(
            "DefaultRedirectURI {default} must be one of the CallbackURLs."
        )));
    }
    Ok(())
}

/// A client may name `COGNITO` (always) and the pool's configured identity providers
/// (`configured`, their names; see identity_providers.rs).
///
/// Errors: `InvalidParameterException` `The provider <name> does not exist for User Pool
/// <pool>` (Cognito's text, aws-cdk#15692).
pub(crate) fn check_identity_providers(
    client: &UserPoolClientType,
    pool_id: &str,
    configured: &std::collections::BTreeSet<String>,
) -> Result<(), CognitoError> {
    match client
        .supported_identity_providers
        .iter()
        .flatten()
        .find(|p| *p != "COGNITO" && !configured.contains(p.as_str()))
    {
        Some(provider) => Err(CognitoError::invalid_parameter(format!(
            "The provider {provider} does not exist for User Pool {pool_id}"
        ))),
        None => Ok(()),
    }
}

/// The explicit auth flows that predate the `ALLOW_` ones.
const LEGACY_FLOWS: &[&str] = &[
    "ADMIN_NO_SRP_AUTH",
    "CUSTOM_AUTH_FLOW_ONLY",
    "USER_PASSWORD_AUTH",
];

/// Legacy values and `ALLOW_` values cannot be mixed (the model's documentation); a list of
/// `ALLOW_` user flows must include `ALLOW_REFRESH_TOKEN_AUTH` (aws-cdk#7625). An empty list,
/// a legacy list and `ALLOW_CLIENT_TOKEN_AUTH` alone are accepted.
///
/// Errors: `InvalidParameterException`, Cognito's text for the refresh rule, rognito's for
/// the mixing rule (Cognito's was not found).
pub(crate) fn check_explicit_flows(flows: &[String]) -> Result<(), CognitoError> {
    let legacy = flows.iter().any(|f| LEGACY_FLOWS.contains(&f.as_str()));
    let allow: Vec<&String> = flows.iter().filter(|f| f.starts_with("ALLOW_")).collect();
    if legacy && !allow.is_empty() {
        return Err(CognitoError::invalid_parameter(
            "ExplicitAuthFlows cannot mix legacy values (ADMIN_NO_SRP_AUTH, \
             CUSTOM_AUTH_FLOW_ONLY, USER_PASSWORD_AUTH) with values that begin with ALLOW_.",
        ));
    }
    let user_flows = allow.iter().any(|f| *f != "ALLOW_CLIENT_TOKEN_AUTH");
    if user_flows && !allow.iter().any(|f| *f == "ALLOW_REFRESH_TOKEN_AUTH") {
        return Err(CognitoError::invalid_parameter(
            "REFRESH_TOKEN_AUTH should always be allowed.",
        ));
    }
    Ok(())
}

/// Read attributes must be attributes of the pool; write attributes too, but never `sub` or a
/// `_verified` flag, and they must include every required attribute (immutable ones are
/// written once, at sign-up: aws/aws-cdk#7407).
///
/// Errors: `InvalidParameterException` `Invalid read|write attributes specified while
/// creating|updating a client` (Cognito's text for write attributes; read by analogy).
pub(crate) fn check_attributes(
    client: &UserPoolClientType,
    schema: &[Value],
    creating: bool,
) -> Result<(), CognitoError> {
    let doing = if creating { "creating" } else { "updating" };
    let attribute = |name: &str| schema.iter().find(|a| a["Name"] == name);
    if let Some(read) = &client.read_attributes
        && read.iter().any(|name| attribute(name).is_none())
    {
        return Err(CognitoError::invalid_parameter(format!(
            "Invalid read attributes specified while {doing} a client"
        )));
    }
    if let Some(write) = &client.write_attributes {
        let writable = |name: &String| {
            attribute(name).is_some() && !name.ends_with("_verified") && name != "sub"
        };
        let required_missing = schema.iter().any(|a| {
            a["Required"] == true
                && a["Name"]
                    .as_str()
                    .is_some_and(|n| n != "sub" && !write.iter().any(|w| w == n))
        });
        if !write.iter().all(writable) || required_missing {
            return Err(CognitoError::invalid_parameter(format!(
                "Invalid write attributes specified while {doing} a client"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn built_in_scopes_are_not_for_client_credentials() {
        let err = check_client_credentials_scopes(
            &strings(&["client_credentials"]),
            &strings(&["api/read", "openid", "email"]),
        )
        .expect_err("refused");
        assert_eq!(err.code, ErrorCode::InvalidOAuthFlowException);
        assert_eq!(
            err.message,
            "openid is not supported with client_credentials flow"
        );
        assert!(
            check_client_credentials_scopes(&strings(&["code"]), &strings(&["openid"])).is_ok()
        );
    }

    #[test]
    fn redirects_are_https_or_local_without_fragments() {
        for good in [
            "https://app.example.com/cb",
            "http://localhost:3000/cb",
            "http://127.0.0.1/cb",
            "http://[::1]:8080",
            "myapp://callback",
        ] {
            assert!(acceptable_redirect(good), "{good}");
        }
        for bad in [
            "http://app.example.com/cb",
            "https://app.example.com/#x",
            "nothing",
            "http://localhost.evil.com",
        ] {
            assert!(!acceptable_redirect(bad), "{bad}");
        }
        let client = UserPoolClientType {
            callback_ur_ls: Some(strings(&["https://a.example/cb"])),
            default_redirect_uri: Some("https://b.example/cb".into()),
            ..Default::default()
        };
        assert!(check_redirects(&client).is_err());
    }

    #[test]
    fn explicit_flows_rules() {
        assert!(check_explicit_flows(&strings(&["ALLOW_USER_SRP_AUTH"])).is_err());
        assert!(
            check_explicit_flows(&strings(&[
                "ALLOW_USER_SRP_AUTH",
                "ALLOW_REFRESH_TOKEN_AUTH"
            ]))
            .is_ok()
        );
        assert!(check_explicit_flows(&strings(&["ALLOW_CLIENT_TOKEN_AUTH"])).is_ok());
        assert!(check_explicit_flows(&strings(&["ADMIN_NO_SRP_AUTH"])).is_ok());
        assert!(check_explicit_flows(&[]).is_ok());
        assert!(
            check_explicit_flows(&strings(&["ADMIN_NO_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]))
                .is_err()
        );
    }

    #[test]
    fn attributes_must_exist_and_be_writable() {
        let schema = vec![
            json!({"Name": "sub", "Mutable": false, "Required": true}),
            json!({"Name": "email", "Mutable": false, "Required": true}),
            json!({"Name": "email_verified", "Mutable": true, "Required": false}),
            json!({"Name": "custom:tier", "Mutable": true, "Required": false}),
        ];
        let client = |read: &[&str], write: &[&str]| UserPoolClientType {
            read_attributes: Some(strings(read)),
            write_attributes: Some(strings(write)),
            ..Default::default()
        };
        assert!(
            check_attributes(
                &client(&["email", "email_verified"], &["email", "custom:tier"]),
                &schema,
                true
            )
            .is_ok()
        );
        let err = check_attributes(&client(&[], &["email", "email_verified"]), &schema, true)
            .expect_err("verified flag");
        assert_eq!(
            err.message,
            "Invalid write attributes specified while creating a client"
        );
        assert!(
            check_attributes(&client(&[], &["custom:tier"]), &schema, false).is_err(),
            "required email missing"
        );
        assert!(check_attributes(&client(&["nope"], &["email"]), &schema, true).is_err());
    }
}
