use super::*;
use crate::*;

fn message_of(v: &impl Validate) -> String {
    match v.validate() {
        Ok(()) => String::from("ok"),
        Err(e) => e.message(),
    }
}

#[test]
fn every_model_pattern_compiles_after_translation() {
    for p in ALL_PATTERNS {
        assert!(
            p.regex().is_some(),
            "pattern {} does not compile",
            p.source()
        );
    }
}

#[test]
fn word_class_is_ascii_like_java() {
    // Java's \w is ASCII-only; Rust's is Unicode unless translated.
    assert!(
        STRING_USER_POOL_ID_TYPE
            .pattern
            .is_some_and(|p| p.is_match("us-east-1_abc"))
    );
    assert!(
        !STRING_USER_POOL_ID_TYPE
            .pattern
            .is_some_and(|p| p.is_match("é_abc"))
    );
    // whole-string match, as Java's matches()
    assert!(
        !STRING_USER_POOL_ID_TYPE
            .pattern
            .is_some_and(|p| p.is_match("us-east-1_abc def"))
    );
}

#[test]
fn enum_sets_print_in_java_hashset_order() {
    assert_eq!(
        STRING_USER_POOL_MFA_TYPE.enum_values,
        Some(&["OPTIONAL", "OFF", "ON"][..])
    );
    assert_eq!(
        STRING_O_AUTH_FLOW_TYPE.enum_values,
        Some(&["implicit", "client_credentials", "code"][..])
    );
}

#[test]
fn missing_required_members_are_reported_null_in_model_order() {
    let req = CreateResourceServerRequest::default();
    assert_eq!(
        message_of(&req),
        "3 validation errors detected: \
         Value null at 'userPoolId' failed to satisfy constraint: Member must not be null; \
         Value null at 'identifier' failed to satisfy constraint: Member must not be null; \
         Value null at 'name' failed to satisfy constraint: Member must not be null"
    );
}

#[test]
fn pattern_violation_quotes_value_and_model_pattern() {
    let req = CreateResourceServerRequest {
        user_pool_id: Some("us-east-1_abc".into()),
        identifier: Some("bad id".into()),
        name: Some("n".into()),
        scopes: None,
    };
    assert_eq!(
        message_of(&req),
        "1 validation error detected: Value 'bad id' at 'identifier' failed to satisfy \
         constraint: Member must satisfy regular expression pattern: [\\x21\\x23-\\x5B\\x5D-\\x7E]+"
    );
}

#[test]
fn nested_list_members_use_one_based_member_paths() {
    let scope = |name: &str, d: Option<&str>| ResourceServerScopeType {
        scope_name: Some(name.into()),
        scope_description: d.map(String::from),
    };
    let req = CreateResourceServerRequest {
        user_pool_id: Some("us-east-1_abc".into()),
        identifier: Some("api".into()),
        name: Some("n".into()),
        scopes: Some(vec![scope("read", Some("d")), scope("a/b", None)]),
    };
    assert_eq!(
        message_of(&req),
        "2 validation errors detected: \
         Value 'a/b' at 'scopes.2.member.scopeName' failed to satisfy constraint: Member must \
         satisfy regular expression pattern: [\\x21\\x23-\\x2E\\x30-\\x5B\\x5D-\\x7E]+; \
         Value null at 'scopes.2.member.scopeDescription' failed to satisfy constraint: Member \
         must not be null"
    );
}

#[test]
fn lengths_count_utf16_units_and_ranges_print_quoted_numbers() {
    let long = "a".repeat(257);
    let req = ListResourceServersRequest {
        user_pool_id: Some("us-east-1_abc".into()),
        max_results: Some(0),
        next_token: None,
    };
    assert_eq!(
        message_of(&req),
        "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: \
         Member must have value greater than or equal to 1"
    );
    let req = DescribeResourceServerRequest {
        user_pool_id: Some("us-east-1_abc".into()),
        identifier: Some(long.clone()),
    };
    assert_eq!(
        message_of(&req),
        format!(
            "1 validation error detected: Value '{long}' at 'identifier' failed to satisfy \
             constraint: Member must have length less than or equal to 256"
        )
    );
    // 128 astral characters are 256 UTF-16 units: over the 128 limit of a pool name
    let astral = "😀".repeat(65);
    assert_eq!(java_length(&astral), 130);
}

#[test]
fn sensitive_members_omit_their_value() {
    let req = DescribeUserPoolClientRequest {
        user_pool_id: Some("us-east-1_abc".into()),
        client_id: Some("not valid!".into()),
    };
    assert_eq!(
        message_of(&req),
        "1 validation error detected: Value at 'clientId' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [\\w+]+"
    );
}

#[test]
fn list_element_violations_are_reported_on_the_list() {
    let req = CreateUserPoolClientRequest {
        user_pool_id: Some("us-east-1_abc".into()),
        client_name: Some("c".into()),
        allowed_o_auth_flows: Some(vec!["code".into(), "token".into()]),
        ..Default::default()
    };
    assert_eq!(
        message_of(&req),
        "1 validation error detected: Value '[code, token]' at 'allowedOAuthFlows' failed to \
         satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: \
         [implicit, client_credentials, code]]"
    );
}

#[test]
fn empty_string_reports_pattern_then_length() {
    let req = DescribeUserPoolRequest {
        user_pool_id: Some(String::new()),
    };
    assert_eq!(
        message_of(&req),
        "2 validation errors detected: \
         Value '' at 'userPoolId' failed to satisfy constraint: Member must satisfy regular \
         expression pattern: [\\w-]+_[0-9a-zA-Z]+; \
         Value '' at 'userPoolId' failed to satisfy constraint: Member must have length greater \
         than or equal to 1"
    );
}
