//! Model-constraint validation with AWS's (Coral's) messages.
//!
//! AWS validates every member of a request and reports all violations at once:
//! `2 validation errors detected: Value 'x' at 'identifier' failed to satisfy constraint: ...; ...`.
//! Member paths are lower-camel (`scopes.1.member.scopeName`, list indices 1-based), values are
//! printed as Java's `toString` would (`'[a, b]'`, `'{k=v}'`), and sensitive members omit the value
//! (`Value at 'clientId' ...`). The tables this runs over are generated from the model.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use regex::Regex;
use serde::Serialize;

/// A model pattern: the text AWS prints in messages and its translation for Rust's regex crate
/// (ASCII `\w`/`\s`/`\d`, anchored to match the whole string, as Java's `matches()` does).
pub struct Pattern {
    source: &'static str,
    translated: &'static str,
    regex: OnceLock<Option<Regex>>,
}

impl Pattern {
    pub const fn new(source: &'static str, translated: &'static str) -> Self {
        Pattern {
            source,
            translated,
            regex: OnceLock::new(),
        }
    }

    /// The pattern as written in the model (and in AWS's messages).
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// The compiled pattern; `None` only if the translation does not compile, which a unit test
    /// rules out for every pattern in the generated tables.
    pub fn regex(&self) -> Option<&Regex> {
        self.regex
            .get_or_init(|| Regex::new(self.translated).ok())
            .as_ref()
    }

    pub fn is_match(&self, value: &str) -> bool {
        self.regex().is_none_or(|re| re.is_match(value))
    }
}

pub struct StringRules {
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub pattern: Option<&'static Pattern>,
    /// In the order AWS prints them (Java HashSet order), not model order.
    pub enum_values: Option<&'static [&'static str]>,
    pub sensitive: bool,
}

pub struct NumberRules {
    pub min: Option<i64>,
    pub max: Option<i64>,
}

/// Size limits of a list or map.
pub struct SizeRules {
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub sensitive: bool,
}

/// What each element of a list (or key/value of a map) must satisfy.
pub enum ElementRules {
    None,
    String(&'static StringRules),
    Number(&'static NumberRules),
    /// Elements are structures: they are validated member by member with their own paths.
    Structure,
}

/// All the violations found in one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationErrors(pub Vec<String>);

impl ValidationErrors {
    /// `1 validation error detected: ...` / `N validation errors detected: a; b`.
    pub fn message(&self) -> String {
        let n = self.0.len();
        let plural = if n == 1 { "error" } else { "errors" };
        format!("{n} validation {plural} detected: {}", self.0.join("; "))
    }
}

pub trait Validate {
    fn validate_members(&self, v: &mut Validator);

    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut v = Validator::default();
        self.validate_members(&mut v);
        v.finish()
    }
}

/// Collects violations while walking a request; `prefix` is the path of the structure being walked.
#[derive(Default)]
pub struct Validator {
    prefix: String,
    errors: Vec<String>,
}

const NOT_NULL: &str = "Member must not be null";

impl Validator {
    pub fn finish(self) -> Result<(), ValidationErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(self.errors))
        }
    }

    fn path(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    /// `value` is already rendered (`'x'`, `null`) or `None` when the member is sensitive.
    fn violation(&mut self, value: Option<&str>, name: &str, constraint: &str) {
        let path = self.path(name);
        let msg = match value {
            Some(value) => {
                format!("Value {value} at '{path}' failed to satisfy constraint: {constraint}")
            }
            None => format!("Value at '{path}' failed to satisfy constraint: {constraint}"),
        };
        self.errors.push(msg);
    }

    fn null(&mut self, name: &str) {
        self.violation(Some("null"), name, NOT_NULL);
    }

    pub fn present(&mut self, name: &str, present: bool, required: bool) {
        if required && !present {
            self.null(name);
        }
    }

    pub fn string(&mut self, name: &str, value: Option<&str>, required: bool, rules: &StringRules) {
        let Some(s) = value else {
            return self.present(name, false, required);
        };
        let violations = string_violations(s, rules);
        if violations.is_empty() {
            return;
        }
        let shown = (!rules.sensitive).then(|| quote(s));
        for constraint in violations {
            self.violation(shown.as_deref(), name, &constraint);
        }
    }

    pub fn number(&mut self, name: &str, value: Option<i64>, required: bool, rules: &NumberRules) {
        let Some(n) = value else {
            return self.present(name, false, required);
        };
        for constraint in number_violations(n, rules) {
            self.violation(Some(&quote(&n.to_string())), name, &constraint);
        }
    }

    pub fn structure<T: Validate>(&mut self, name: &str, value: Option<&T>, required: bool) {
        let Some(inner) = value else {
            return self.present(name, false, required);
        };
        self.nested(self.path(name), |v| inner.validate_members(v));
    }

    fn nested(&mut self, prefix: String, walk: impl FnOnce(&mut Validator)) {
        let outer = std::mem::replace(&mut self.prefix, prefix);
        walk(self);
        self.prefix = outer;
    }

    pub fn list<T: Validate + Serialize>(
        &mut self,
        name: &str,
        value: Option<&[T]>,
        required: bool,
        size: &SizeRules,
        elements: ElementRules,
    ) {
        let Some(items) = value else {
            return self.present(name, false, required);
        };
        let shown = || (!size.sensitive).then(|| quote(&java_list(items)));
        for constraint in size_violations(items.len(), size) {
            self.violation(shown().as_deref(), name, &constraint);
        }
        match elements {
            ElementRules::None => {}
            ElementRules::Structure => {
                for (i, item) in items.iter().enumerate() {
                    let prefix = format!("{}.{}.member", self.path(name), i + 1);
                    self.nested(prefix, |v| item.validate_members(v));
                }
            }
            rules => {
                let fails = items
                    .iter()
                    .any(|item| element_fails(&to_value(item), &rules));
                if fails {
                    let hidden = size.sensitive || element_sensitive(&rules);
                    let shown = (!hidden).then(|| quote(&java_list(items)));
                    let inner = element_description(&rules);
                    let constraint = format!("Member must satisfy constraint: [{inner}]");
                    self.violation(shown.as_deref(), name, &constraint);
                }
            }
        }
    }

    pub fn map<T: Validate + Serialize>(
        &mut self,
        name: &str,
        value: Option<&BTreeMap<String, T>>,
        required: bool,
        size: &SizeRules,
        keys: ElementRules,
        values: ElementRules,
    ) {
        let Some(map) = value else {
            return self.present(name, false, required);
        };
        let shown = || (!size.sensitive).then(|| quote(&java_map(map)));
        for constraint in size_violations(map.len(), size) {
            self.violation(shown().as_deref(), name, &constraint);
        }
        if map
            .keys()
            .any(|k| element_fails(&serde_json::Value::String(k.clone()), &keys))
        {
            let c = format!(
                "Map keys must satisfy constraint: [{}]",
                element_description(&keys)
            );
            let hidden = size.sensitive || element_sensitive(&keys);
            self.violation(
                (!hidden).then(|| quote(&java_map(map))).as_deref(),
                name,
                &c,
            );
        }
        match values {
            ElementRules::None => {}
            ElementRules::Structure => {
                for (key, item) in map {
                    let prefix = format!("{}.{key}", self.path(name));
                    self.nested(prefix, |v| item.validate_members(v));
                }
            }
            rules => {
                if map
                    .values()
                    .any(|item| element_fails(&to_value(item), &rules))
                {
                    let c = format!(
                        "Map value must satisfy constraint: [{}]",
                        element_description(&rules)
                    );
                    let hidden = size.sensitive || element_sensitive(&rules);
                    self.violation(
                        (!hidden).then(|| quote(&java_map(map))).as_deref(),
                        name,
                        &c,
                    );
                }
            }
        }
    }
}

/// Java's `String.length()`: UTF-16 code units, which is what AWS's length limits count.
fn java_length(s: &str) -> i64 {
    s.encode_utf16().count() as i64
}

fn quote(s: &str) -> String {
    format!("'{s}'")
}

fn enum_set(values: &[&str]) -> String {
    format!(
        "Member must satisfy enum value set: [{}]",
        values.join(", ")
    )
}

fn pattern_text(p: &Pattern) -> String {
    format!(
        "Member must satisfy regular expression pattern: {}",
        p.source()
    )
}

fn min_length(n: i64) -> String {
    format!("Member must have length greater than or equal to {n}")
}

fn max_length(n: i64) -> String {
    format!("Member must have length less than or equal to {n}")
}

/// The failed constraints of one string, in the order AWS reports them: enum, then pattern, then
/// length (AWS lists a pattern failure before a length failure of the same value).
fn string_violations(s: &str, rules: &StringRules) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(values) = rules.enum_values
        && !values.contains(&s)
    {
        out.push(enum_set(values));
    }
    if let Some(p) = rules.pattern
        && !p.is_match(s)
    {
        out.push(pattern_text(p));
    }
    let len = java_length(s);
    if let Some(min) = rules.min
        && len < min
    {
        out.push(min_length(min));
    }
    if let Some(max) = rules.max
        && len > max
    {
        out.push(max_length(max));
    }
    out
}

fn number_violations(n: i64, rules: &NumberRules) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(min) = rules.min
        && n < min
    {
        out.push(format!(
            "Member must have value greater than or equal to {min}"
        ));
    }
    if let Some(max) = rules.max
        && n > max
    {
        out.push(format!(
            "Member must have value less than or equal to {max}"
        ));
    }
    out
}

fn size_violations(len: usize, rules: &SizeRules) -> Vec<String> {
    let len = len as i64;
    let mut out = Vec::new();
    if let Some(min) = rules.min
        && len < min
    {
        out.push(min_length(min));
    }
    if let Some(max) = rules.max
        && len > max
    {
        out.push(max_length(max));
    }
    out
}

fn element_fails(value: &serde_json::Value, rules: &ElementRules) -> bool {
    match (rules, value) {
        (ElementRules::String(r), serde_json::Value::String(s)) => {
            !string_violations(s, r).is_empty()
        }
        (ElementRules::Number(r), serde_json::Value::Number(n)) => n
            .as_i64()
            .is_some_and(|n| !number_violations(n, r).is_empty()),
        _ => false,
    }
}

fn element_sensitive(rules: &ElementRules) -> bool {
    matches!(rules, ElementRules::String(r) if r.sensitive)
}

/// Every constraint of an element type, as AWS lists them inside `[...]`: the whole rule set of
/// the element (maximum length, minimum length, pattern), not only the part that failed.
fn element_description(rules: &ElementRules) -> String {
    let mut parts = Vec::new();
    match rules {
        ElementRules::String(r) => {
            if let Some(values) = r.enum_values {
                parts.push(enum_set(values));
            }
            if let Some(max) = r.max {
                parts.push(max_length(max));
            }
            if let Some(min) = r.min {
                parts.push(min_length(min));
            }
            if let Some(p) = r.pattern {
                parts.push(pattern_text(p));
            }
        }
        ElementRules::Number(r) => {
            if let Some(max) = r.max {
                parts.push(format!(
                    "Member must have value less than or equal to {max}"
                ));
            }
            if let Some(min) = r.min {
                parts.push(format!(
                    "Member must have value greater than or equal to {min}"
                ));
            }
        }
        ElementRules::None | ElementRules::Structure => {}
    }
    parts.join(", ")
}

fn to_value<T: Serialize>(item: &T) -> serde_json::Value {
    serde_json::to_value(item).unwrap_or(serde_json::Value::Null)
}

/// Renders a value as Java's `toString` would: lists as `[a, b]`, maps as `{k=v}`, structures as
/// the AWS SDK for Java prints them (`{Name: v,Other: w}`).
fn java_string(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Null => out.push_str("null"),
        serde_json::Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        serde_json::Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        serde_json::Value::String(s) => out.push_str(s),
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                java_string(item, out);
            }
            out.push(']');
        }
        serde_json::Value::Object(members) => {
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{k}: ");
                java_string(v, out);
            }
            out.push('}');
        }
    }
}

fn java_list<T: Serialize>(items: &[T]) -> String {
    let mut out = String::new();
    java_string(&to_value(&items), &mut out);
    out
}

fn java_map<T: Serialize>(map: &BTreeMap<String, T>) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{k}=");
        java_string(&to_value(v), &mut out);
    }
    out.push('}');
    out
}

/// Strings and numbers validate nothing inside themselves; this lets lists of them share the
/// generic `list`/`map` walkers with lists of structures.
macro_rules! leaf {
    ($($t:ty),*) => {$(
        impl Validate for $t {
            fn validate_members(&self, _v: &mut Validator) {}
        }
    )*};
}
leaf!(String, i32, i64, bool, f64, serde_json::Value);

#[cfg(test)]
mod tests;
