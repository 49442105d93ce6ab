//! ListUsers `Filter`: its grammar, its errors and how a user's attribute value matches it
//! (docs/research/users-and-groups.md §6). No I/O: the caller finds each user's value for the
//! filter's attribute and asks [`UserFilter::matches`].
//!
//! Grammar (the ListUsers API reference and the developer guide's "Searching user attributes"):
//!
//! ```text
//! filter := ws* ( "" | name ws* op ws* '"' value '"' ) ws*
//! op     := "=" (exact) | "^=" (prefix)
//! value  := ( any char but '"' and '\' | '\"' | '\\' )*
//! ```
//!
//! - One condition only ("You can only search for one attribute at a time"); a second one is
//!   trailing text, a [`FilterError::Parse`].
//! - Spaces around the operator are optional: the docs always show them
//!   (`given_name ^= "Jon"`), the CLI reference's `email^=\"testuser\"` has none and is accepted.
//! - Escapes inside the value (`\"` for a quote, `\\` for a backslash; any other `\` is a parse
//!   error) are rognito's choice: whether AWS supports any escape inside the value is unverified
//!   (the docs' `\"` is shell/JSON quoting of the whole filter string).
//! - Whitespace (ASCII) before and after the whole condition is ignored, and a filter of only
//!   whitespace means no filter, as an empty one does: rognito's choice, unverified on AWS.
//! - The order of errors is §6's recommendation: the syntax first, then the attribute, so
//!   `custom:foo = x` (no quotes) is a parse error and `custom:foo = "x"` is not searchable.

use std::fmt;

/// The comparison of a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    /// `=`: the user's value equals the filter's value.
    Equals,
    /// `^=`: the user's value starts with the filter's value.
    StartsWith,
}

/// The attributes ListUsers can search (the API reference's list, §6). Names are matched as
/// written there, lower case and case-sensitively (`Email` is not `email`: rognito's choice,
/// unverified on AWS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterAttribute {
    /// `username`: the user's username (in pools with `UsernameAttributes`, the UUID username,
    /// not the email or phone number, per the API reference).
    Username,
    /// `email`.
    Email,
    /// `phone_number`.
    PhoneNumber,
    /// `name`.
    Name,
    /// `given_name`.
    GivenName,
    /// `family_name`.
    FamilyName,
    /// `preferred_username`.
    PreferredUsername,
    /// `cognito:user_status`: the user's `UserStatus` (`CONFIRMED`, `UNCONFIRMED`, ...).
    UserStatus,
    /// `status`: whether the user is enabled, as `Enabled` or `Disabled` (values from moto's
    /// tests and the console; unverified on AWS).
    Status,
    /// `sub`.
    Sub,
}

impl FilterAttribute {
    /// The attribute named `name` in a filter, if it is searchable.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "username" => Self::Username,
            "email" => Self::Email,
            "phone_number" => Self::PhoneNumber,
            "name" => Self::Name,
            "given_name" => Self::GivenName,
            "family_name" => Self::FamilyName,
            "preferred_username" => Self::PreferredUsername,
            "cognito:user_status" => Self::UserStatus,
            "status" => Self::Status,
            "sub" => Self::Sub,
            _ => return None,
        })
    }

    /// The attribute's name as a filter writes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Username => "username",
            Self::Email => "email",
            Self::PhoneNumber => "phone_number",
            Self::Name => "name",
            Self::GivenName => "given_name",
            Self::FamilyName => "family_name",
            Self::PreferredUsername => "preferred_username",
            Self::UserStatus => "cognito:user_status",
            Self::Status => "status",
            Self::Sub => "sub",
        }
    }
}

/// One parsed filter condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFilter {
    /// The attribute searched.
    pub attribute: FilterAttribute,
    /// Exact or prefix.
    pub op: FilterOp,
    /// The value between the quotes, escapes resolved (may be empty).
    pub value: String,
}

/// Why a filter is refused; each is an `InvalidParameterException` with [`FilterError::message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterError {
    /// The filter does not follow the grammar (missing quotes, an unknown operator, trailing
    /// text, two conditions, ...): `Error while parsing filter.` (AWS's text, verified in 2016
    /// and 2023 captures, §6).
    Parse,
    /// The filter is well formed but names an attribute that cannot be searched: custom
    /// attributes (`custom:foo`), standard ones that are not indexed (`address`, `locale`, ...)
    /// and names that are no attribute at all alike (rognito does not tell them apart; AWS's
    /// behaviour for an unknown name is unverified). Holds the name as written. The text,
    /// `Invalid search attribute: <name>`, is moto's; AWS's text is unverified.
    NotSearchable(String),
}

impl FilterError {
    /// The error's message, as the `InvalidParameterException` carries it.
    pub fn message(&self) -> String {
        match self {
            FilterError::Parse => "Error while parsing filter.".to_owned(),
            FilterError::NotSearchable(name) => format!("Invalid search attribute: {name}"),
        }
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for FilterError {}

/// Parses a ListUsers `Filter` (see the module's grammar). `Ok(None)` for an empty filter (or
/// one of only whitespace): every user matches. The 256-character limit is the model's
/// validation, not checked here.
///
/// Errors: [`FilterError::Parse`] for text outside the grammar; then
/// [`FilterError::NotSearchable`] for a name that is not a searchable attribute.
pub fn parse(filter: &str) -> Result<Option<UserFilter>, FilterError> {
    let rest = filter.trim_matches(|c: char| c.is_ascii_whitespace());
    if rest.is_empty() {
        return Ok(None);
    }
    let name_end = rest
        .find(|c: char| c.is_ascii_whitespace() || matches!(c, '=' | '^' | '"'))
        .unwrap_or(rest.len());
    let (name, rest) = rest.split_at(name_end);
    if name.is_empty() {
        return Err(FilterError::Parse);
    }
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let (op, rest) = if let Some(rest) = rest.strip_prefix("^=") {
        (FilterOp::StartsWith, rest)
    } else if let Some(rest) = rest.strip_prefix('=') {
        (FilterOp::Equals, rest)
    } else {
        return Err(FilterError::Parse);
    };
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let rest = rest.strip_prefix('"').ok_or(FilterError::Parse)?;
    let mut value = String::new();
    let mut chars = rest.chars();
    loop {
        match chars.next().ok_or(FilterError::Parse)? {
            '"' => break,
            '\\' => match chars.next() {
                Some(c @ ('"' | '\\')) => value.push(c),
                _ => return Err(FilterError::Parse),
            },
            c => value.push(c),
        }
    }
    // Whatever follows the closing quote was trimmed of whitespace above, so it must be nothing.
    if !chars.as_str().is_empty() {
        return Err(FilterError::Parse);
    }
    let attribute =
        FilterAttribute::from_name(name).ok_or_else(|| FilterError::NotSearchable(name.into()))?;
    Ok(Some(UserFilter {
        attribute,
        op,
        value,
    }))
}

impl UserFilter {
    /// Whether a user matches. `value` is the candidate's value for the filter's attribute
    /// (`None` when the user lacks it: such a user never matches, moto's behaviour, unverified on
    /// AWS); for `status` the caller passes `Enabled` or `Disabled`, for `cognito:user_status` the
    /// `UserStatus` name. `case_sensitive_username` is the pool's
    /// `UsernameConfiguration.CaseSensitive`.
    ///
    /// Case rules (§6):
    /// - `cognito:user_status`: case-insensitive (API reference).
    /// - `status`: case-sensitive (API reference), so `enabled` matches nobody.
    /// - `username`: case-sensitive (API reference), unless the pool's usernames are
    ///   case-insensitive, then both sides are compared in Unicode lower case (inferred: such a
    ///   pool treats `Alice` and `alice` as one user).
    /// - every other attribute: exact, case-sensitive. The API reference's current text and the
    ///   2023 developer guide conflict ("All searches are case-insensitive" in the guide); rognito
    ///   follows the API reference, the service's current contract, whose only case-insensitive
    ///   rule is for `cognito:user_status`, and which moto (exact comparison) agrees with.
    ///
    /// With `=`, the values are equal (`family_name = ""` matches no user who has a non-empty
    /// family name); with `^=`, the user's value starts with the filter's (`^= ""` matches every
    /// user who has the attribute, a choice, unverified on AWS).
    pub fn matches(&self, value: Option<&str>, case_sensitive_username: bool) -> bool {
        let Some(value) = value else {
            return false;
        };
        let fold = match self.attribute {
            FilterAttribute::UserStatus => true,
            FilterAttribute::Username => !case_sensitive_username,
            _ => false,
        };
        if fold {
            compare(&value.to_lowercase(), &self.value.to_lowercase(), self.op)
        } else {
            compare(value, &self.value, self.op)
        }
    }
}

fn compare(value: &str, wanted: &str, op: FilterOp) -> bool {
    match op {
        FilterOp::Equals => value == wanted,
        FilterOp::StartsWith => value.starts_with(wanted),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(filter: &str) -> UserFilter {
        parse(filter).unwrap().unwrap()
    }

    fn f(attribute: FilterAttribute, op: FilterOp, value: &str) -> UserFilter {
        UserFilter {
            attribute,
            op,
            value: value.into(),
        }
    }

    #[test]
    fn empty_is_every_user() {
        assert_eq!(parse(""), Ok(None));
        assert_eq!(parse("   "), Ok(None));
        assert_eq!(parse("\t\n"), Ok(None));
    }

    #[test]
    fn spaces_optional_around_op() {
        let want = f(FilterAttribute::Email, FilterOp::StartsWith, "testuser");
        for text in [
            "email^=\"testuser\"",
            "email ^= \"testuser\"",
            "email  ^=\"testuser\"",
            "email^=   \"testuser\"",
            "  email ^= \"testuser\"  ",
        ] {
            assert_eq!(ok(text), want, "{text}");
        }
        assert_eq!(
            ok("family_name = \"Reddy\""),
            f(FilterAttribute::FamilyName, FilterOp::Equals, "Reddy")
        );
        assert_eq!(
            ok("given_name=\"Jon\""),
            f(FilterAttribute::GivenName, FilterOp::Equals, "Jon")
        );
    }

    #[test]
    fn every_searchable_attribute() {
        for (name, attribute) in [
            ("username", FilterAttribute::Username),
            ("email", FilterAttribute::Email),
            ("phone_number", FilterAttribute::PhoneNumber),
            ("name", FilterAttribute::Name),
            ("given_name", FilterAttribute::GivenName),
            ("family_name", FilterAttribute::FamilyName),
            ("preferred_username", FilterAttribute::PreferredUsername),
            ("cognito:user_status", FilterAttribute::UserStatus),
            ("status", FilterAttribute::Status),
            ("sub", FilterAttribute::Sub),
        ] {
            assert_eq!(ok(&format!("{name} = \"x\"")).attribute, attribute);
            assert_eq!(attribute.name(), name);
            assert_eq!(FilterAttribute::from_name(name), Some(attribute));
        }
    }

    #[test]
    fn values_and_escapes() {
        assert_eq!(ok("name = \"\"").value, "");
        assert_eq!(ok("name = \"Jon Doe\"").value, "Jon Doe");
        assert_eq!(ok("name = \"  padded \"").value, "  padded ");
        assert_eq!(ok("name = \"a=b ^= c\"").value, "a=b ^= c");
        assert_eq!(ok("name = \"Zoë 山田\"").value, "Zoë 山田");
        assert_eq!(ok(r#"name = "say \"hi\"""#).value, "say \"hi\"");
        assert_eq!(ok(r#"name = "back\\slash""#).value, "back\\slash");
        assert_eq!(ok(r#"name = "\\""#).value, "\\");
    }

    #[test]
    fn parse_errors() {
        for text in [
            "email",                          // no operator or value
            "email =",                        // no value
            "email = testuser",               // no quotes
            "email = 'testuser'",             // single quotes
            "email = \"testuser",             // unterminated
            "email = \"testuser\" x",         // trailing text
            "email = \"a\" and name = \"b\"", // two conditions
            "email = \"a\"name = \"b\"",      // two conditions, no space
            "email == \"a\"",                 // unknown operator
            "email != \"a\"",                 // unknown operator
            "email ~= \"a\"",                 // unknown operator
            "email ^ \"a\"",                  // half an operator
            "email : \"a\"",                  // unknown operator
            "= \"a\"",                        // no name
            "^= \"a\"",                       // no name
            "\"email\" = \"a\"",              // quoted name
            "email = \"a\\b\"",               // unknown escape
            "email = \"a\\\"",                // escaped closing quote
            "email = \"a\\",                  // backslash at the end
            "email\"a\"",                     // no operator
            "em ail = \"a\"",                 // space inside the name
            "custom:foo = foo",               // syntax before attribute
        ] {
            assert_eq!(parse(text), Err(FilterError::Parse), "{text}");
        }
    }

    #[test]
    fn not_searchable() {
        for name in [
            "custom:foo",
            "address",
            "locale",
            "birthdate",
            "email_verified",
            "Email",
            "USERNAME",
            "nonsense",
            "cognito:mfa_enabled",
        ] {
            let err = parse(&format!("{name} = \"x\"")).unwrap_err();
            assert_eq!(err, FilterError::NotSearchable(name.into()));
            assert_eq!(err.message(), format!("Invalid search attribute: {name}"));
        }
        assert_eq!(
            parse("custom:foo^=\"\""),
            Err(FilterError::NotSearchable("custom:foo".into()))
        );
    }

    #[test]
    fn messages() {
        assert_eq!(FilterError::Parse.message(), "Error while parsing filter.");
        assert_eq!(
            FilterError::Parse.to_string(),
            "Error while parsing filter."
        );
        assert_eq!(
            FilterError::NotSearchable("custom:foo".into()).to_string(),
            "Invalid search attribute: custom:foo"
        );
    }

    #[test]
    fn absent_attribute_never_matches() {
        for op in [FilterOp::Equals, FilterOp::StartsWith] {
            for attribute in [
                FilterAttribute::Email,
                FilterAttribute::Username,
                FilterAttribute::UserStatus,
            ] {
                assert!(!f(attribute, op, "").matches(None, true));
                assert!(!f(attribute, op, "").matches(None, false));
                assert!(!f(attribute, op, "x").matches(None, false));
            }
        }
    }

    #[test]
    fn exact_and_prefix() {
        let eq = ok("email = \"a@example.com\"");
        assert!(eq.matches(Some("a@example.com"), true));
        assert!(!eq.matches(Some("a@example.co"), true));
        assert!(!eq.matches(Some("a@example.com.au"), true));
        let prefix = ok("email ^= \"a@\"");
        assert!(prefix.matches(Some("a@example.com"), true));
        assert!(prefix.matches(Some("a@"), true));
        assert!(!prefix.matches(Some("ba@example.com"), true));
        assert!(!prefix.matches(Some("a"), true));
    }

    #[test]
    fn empty_values() {
        let eq = ok("family_name = \"\"");
        assert!(!eq.matches(Some("Reddy"), true));
        assert!(!eq.matches(None, true));
        // Only a stored empty value equals "" (if the store keeps one).
        assert!(eq.matches(Some(""), true));
        let prefix = ok("family_name ^= \"\"");
        assert!(prefix.matches(Some("Reddy"), true));
        assert!(prefix.matches(Some(""), true));
        assert!(!prefix.matches(None, true));
    }

    #[test]
    fn other_attributes_are_case_sensitive() {
        let eq = ok("given_name = \"Jon\"");
        assert!(eq.matches(Some("Jon"), false));
        assert!(!eq.matches(Some("jon"), false));
        assert!(!eq.matches(Some("JON"), true));
        let prefix = ok("email ^= \"Test\"");
        assert!(!prefix.matches(Some("testuser@example.com"), false));
        assert!(prefix.matches(Some("Testuser@example.com"), false));
    }

    #[test]
    fn user_status_is_case_insensitive() {
        let eq = ok("cognito:user_status = \"confirmed\"");
        assert!(eq.matches(Some("CONFIRMED"), true));
        assert!(eq.matches(Some("Confirmed"), true));
        assert!(!eq.matches(Some("UNCONFIRMED"), true));
        let prefix = ok("cognito:user_status ^= \"force_\"");
        assert!(prefix.matches(Some("FORCE_CHANGE_PASSWORD"), true));
        assert!(!prefix.matches(Some("CONFIRMED"), false));
    }

    #[test]
    fn status_is_case_sensitive() {
        let disabled = ok("status = \"Disabled\"");
        assert!(disabled.matches(Some("Disabled"), false));
        assert!(!disabled.matches(Some("Enabled"), false));
        let lower = ok("status = \"disabled\"");
        assert!(!lower.matches(Some("Disabled"), false));
        assert!(!lower.matches(Some("Disabled"), true));
        assert!(ok("status ^= \"En\"").matches(Some("Enabled"), false));
        assert!(!ok("status ^= \"en\"").matches(Some("Enabled"), false));
    }

    #[test]
    fn username_follows_the_pool() {
        let eq = ok("username = \"Alice\"");
        assert!(eq.matches(Some("Alice"), true));
        assert!(!eq.matches(Some("alice"), true));
        assert!(eq.matches(Some("alice"), false));
        assert!(eq.matches(Some("ALICE"), false));
        assert!(!eq.matches(Some("alicia"), false));
        let prefix = ok("username ^= \"AL\"");
        assert!(!prefix.matches(Some("alice"), true));
        assert!(prefix.matches(Some("alice"), false));
        assert!(ok("username = \"ÉMILE\"").matches(Some("émile"), false));
    }

    #[test]
    fn sub_and_phone_exact() {
        let sub = ok("sub = \"3f1c7a4e-0000-4000-8000-000000000000\"");
        assert!(sub.matches(Some("3f1c7a4e-0000-4000-8000-000000000000"), false));
        assert!(!sub.matches(Some("3F1C7A4E-0000-4000-8000-000000000000"), false));
        let phone = ok("phone_number ^= \"+1\"");
        assert!(phone.matches(Some("+15555550100"), true));
        assert!(!phone.matches(Some("+445555550100"), true));
    }
}
