//! IAM identity policies, evaluated as AWS does: an explicit Deny in any matching statement wins,
//! else any matching Allow grants, else the request is implicitly denied. Actions match
//! case-insensitively with `*` and `?` wildcards; resources match case-sensitively, and a
//! wildcard may span `:` and `/`. A policy using anything rognito cannot evaluate (a Condition,
//! a Principal) is refused when attached rather than silently widened.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Statement {
    allow: bool,
    actions: Patterns,
    resources: Patterns,
}

/// `Action` / `Resource` (matches any listed) or `NotAction` / `NotResource` (matches none).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Patterns {
    negated: bool,
    values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
}

fn string_or_list(value: &Value, key: &str) -> Result<Vec<String>, String> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(String::from)
                    .ok_or_else(|| format!("{key} entries must be strings"))
            })
            .collect(),
        _ => Err(format!(
            "{key} must be a string or a non-empty list of strings"
        )),
    }
}

fn patterns(statement: &serde_json::Map<String, Value>, key: &str) -> Result<Patterns, String> {
    let not_key = format!("Not{key}");
    match (statement.get(key), statement.get(&not_key)) {
        (Some(v), None) => Ok(Patterns {
            negated: false,
            values: string_or_list(v, key)?,
        }),
        (None, Some(v)) => Ok(Patterns {
            negated: true,
            values: string_or_list(v, &not_key)?,
        }),
        (Some(_), Some(_)) => Err(format!("a statement cannot have both {key} and {not_key}")),
        (None, None) => Err(format!("every statement needs {key} or {not_key}")),
    }
}

impl Policy {
    /// The `cognito-idp:` actions (without wildcards) that name no Cognito operation: IAM
    /// accepts them, and they match nothing, so a typo silently grants or denies nothing.
    pub fn unknown_actions(&self) -> Vec<String> {
        let mut unknown = Vec::new();
        for statement in &self.statements {
            for action in &statement.actions.values {
                let Some((service, name)) = action.split_once(':') else {
                    continue;
                };
                let known = name.contains(['*', '?'])
                    || rognito_model::Operation::ALL
                        .iter()
                        .any(|op| op.name().eq_ignore_ascii_case(name));
                if service.eq_ignore_ascii_case("cognito-idp")
                    && !known
                    && !unknown.contains(action)
                {
                    unknown.push(action.clone());
                }
            }
        }
        unknown
    }

    /// Parses a policy document; refuses what rognito cannot evaluate.
    pub fn parse(document: &str) -> Result<Policy, String> {
        let value: Value =
            serde_json::from_str(document).map_err(|e| format!("the policy is not JSON: {e}"))?;
        let Value::Object(top) = value else {
            return Err("the policy must be a JSON object".into());
        };
        for key in top.keys() {
            if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
                return Err(format!("unsupported policy element {key}"));
            }
        }
        match top.get("Version").and_then(Value::as_str) {
            None | Some("2012-10-17") | Some("2008-10-17") => {}
            Some(other) => return Err(format!("unsupported policy Version {other}")),
        }
        let statements = match top.get("Statement") {
            Some(Value::Array(items)) => items.clone(),
            Some(single @ Value::Object(_)) => vec![single.clone()],
            _ => return Err("Statement must be an object or a list of objects".into()),
        };
        let statements = statements
            .iter()
            .map(|s| {
                let Value::Object(s) = s else {
                    return Err("each Statement must be an object".to_owned());
                };
                for key in s.keys() {
                    match key.as_str() {
                        "Sid" | "Effect" | "Action" | "NotAction" | "Resource" | "NotResource" => {}
                        "Condition" => {
                            return Err("Condition is not supported by rognito: a policy with a \
                                        condition it cannot evaluate is refused, never ignored"
                                .into());
                        }
                        other => return Err(format!("unsupported statement element {other}")),
                    }
                }
                let allow = match s.get("Effect").and_then(Value::as_str) {
                    Some("Allow") => true,
                    Some("Deny") => false,
                    _ => return Err("Effect must be Allow or Deny".into()),
                };
                let actions = patterns(s, "Action")?;
                // As IAM: an action is `*` or `<service>:<action>` (wildcards allowed).
                if let Some(bad) = actions.values.iter().find(|a| {
                    *a != "*" && a.split_once(':').is_none_or(|(svc, op)| svc.is_empty() || op.is_empty())
                }) {
                    return Err(format!(
                        "action {bad:?} must be \"*\" or \"<service>:<action>\", e.g. \"cognito-idp:DescribeResourceServer\""
                    ));
                }
                Ok(Statement {
                    allow,
                    actions,
                    resources: patterns(s, "Resource")?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Policy { statements })
    }
}

/// `*` matches any run of characters, `?` any one character.
pub fn glob_matches(pattern: &str, value: &str, case_insensitive: bool) -> bool {
    // Actions and ARNs are ASCII: match their bytes without allocating (this runs for every
    // statement of every signed request).
    if pattern.is_ascii() && value.is_ascii() {
        return wildcard_match(pattern.as_bytes(), value.as_bytes(), b'*', b'?', |a, b| {
            if case_insensitive {
                a.eq_ignore_ascii_case(&b)
            } else {
                a == b
            }
        });
    }
    let chars = |s: &str| -> Vec<char> {
        if case_insensitive {
            s.to_lowercase().chars().collect()
        } else {
            s.chars().collect()
        }
    };
    wildcard_match(&chars(pattern), &chars(value), '*', '?', |a, b| a == b)
}

/// Iterative wildcard matching with backtracking to the last `*`.
fn wildcard_match<T: Copy + PartialEq>(
    p: &[T],
    v: &[T],
    star: T,
    any_one: T,
    same: impl Fn(T, T) -> bool,
) -> bool {
    let (mut pi, mut vi) = (0, 0);
    let (mut last_star, mut mark) = (None, 0);
    while let Some(&value) = v.get(vi) {
        let pattern = p.get(pi).copied();
        if let Some(pc) = pattern
            && pc != star
            && (pc == any_one || same(pc, value))
        {
            pi += 1;
            vi += 1;
        } else if pattern == Some(star) {
            last_star = Some(pi);
            mark = vi;
            pi += 1;
        } else if let Some(s) = last_star {
            pi = s + 1;
            mark += 1;
            vi = mark;
        } else {
            return false;
        }
    }
    while p.get(pi) == Some(&star) {
        pi += 1;
    }
    pi == p.len()
}

impl Patterns {
    fn matches(&self, value: &str, case_insensitive: bool) -> bool {
        let any = self
            .values
            .iter()
            .any(|p| glob_matches(p, value, case_insensitive));
        any != self.negated
    }
}

/// The decision of a set of identity policies for `action` (`cognito-idp:Op`) on `resource`.
pub fn evaluate(policies: &[Policy], action: &str, resource: &str) -> Decision {
    let mut allowed = false;
    for statement in policies.iter().flat_map(|p| &p.statements) {
        if statement.actions.matches(action, true) && statement.resources.matches(resource, false) {
            if !statement.allow {
                return Decision::ExplicitDeny;
            }
            allowed = true;
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn unknown_cognito_actions_are_reported() {
        let policy = super::Policy::parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[
                "cognito-idp:DescribeUserPol","cognito-idp:describeuserpool",
                "cognito-idp:List*","s3:GetObject"],"Resource":"*"}]}"#,
        )
        .expect("policy");
        assert_eq!(
            policy.unknown_actions(),
            vec!["cognito-idp:DescribeUserPol".to_string()]
        );
    }

    use super::*;

    const POOL: &str = "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_abc";

    fn policy(doc: &str) -> Policy {
        Policy::parse(doc).expect("valid policy")
    }

    #[test]
    fn globs() {
        assert!(glob_matches(
            "cognito-idp:*ResourceServer",
            "cognito-idp:CreateResourceServer",
            true
        ));
        assert!(glob_matches(
            "COGNITO-IDP:describe*",
            "cognito-idp:DescribeUserPool",
            true
        ));
        assert!(!glob_matches(
            "cognito-idp:Describe*",
            "cognito-idp:ListUserPools",
            true
        ));
        assert!(glob_matches(
            "arn:aws:cognito-idp:*:*:userpool/us-east-1_?bc",
            POOL,
            false
        ));
        assert!(!glob_matches(
            "arn:aws:cognito-idp:*:*:userpool/US-EAST-1_ABC",
            POOL,
            false
        ));
        assert!(glob_matches("*", "", false));
        assert!(glob_matches("a*b*c", "aXXbYYc", false));
        assert!(!glob_matches("a*b*c", "aXXbYY", false));
        // Outside ASCII, `?` is one character (not one byte) and case folds by Unicode.
        assert!(glob_matches("caf?", "café", false));
        assert!(glob_matches("CAFÉ*", "café au lait", true));
        assert!(!glob_matches("CAFÉ*", "café au lait", false));
    }

    #[test]
    fn deny_beats_allow_beats_implicit_deny() {
        let allow_all = policy(r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#);
        let deny_update = policy(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"cognito-idp:UpdateResourceServer","Resource":"arn:aws:cognito-idp:*:*:userpool/us-east-1_abc"}]}"#,
        );
        let both = [allow_all.clone(), deny_update];
        assert_eq!(
            evaluate(&both, "cognito-idp:UpdateResourceServer", POOL),
            Decision::ExplicitDeny
        );
        assert_eq!(
            evaluate(
                &both,
                "cognito-idp:UpdateResourceServer",
                "arn:aws:cognito-idp:us-east-1:000000000000:userpool/other_1"
            ),
            Decision::Allow
        );
        assert_eq!(
            evaluate(&both, "cognito-idp:DescribeResourceServer", POOL),
            Decision::Allow
        );
        assert_eq!(
            evaluate(&[], "cognito-idp:DescribeResourceServer", POOL),
            Decision::ImplicitDeny
        );
        let not_action = policy(
            r#"{"Statement":[{"Effect":"Allow","NotAction":"cognito-idp:Delete*","NotResource":"arn:aws:cognito-idp:*:*:userpool/secret_*"}]}"#,
        );
        assert_eq!(
            evaluate(
                std::slice::from_ref(&not_action),
                "cognito-idp:DeleteUserPool",
                POOL
            ),
            Decision::ImplicitDeny
        );
        assert_eq!(
            evaluate(
                std::slice::from_ref(&not_action),
                "cognito-idp:CreateUserPool",
                POOL
            ),
            Decision::Allow
        );
        assert_eq!(
            evaluate(
                &[not_action],
                "cognito-idp:CreateUserPool",
                "arn:aws:cognito-idp:us-east-1:0:userpool/secret_1"
            ),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn refuses_what_it_cannot_evaluate() {
        for bad in [
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"*"}}"#,
            r#"{"Statement":{"Effect":"Maybe","Action":"*","Resource":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"*","NotAction":"x","Resource":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}"#,
            r#"{"Version":"2020-01-01","Statement":[]}"#,
            "not json",
            r#"{"Statement":{"Effect":"Allow","Action":"cognitoidp","Resource":"*"}}"#,
        ] {
            assert!(Policy::parse(bad).is_err(), "{bad}");
        }
    }
}
