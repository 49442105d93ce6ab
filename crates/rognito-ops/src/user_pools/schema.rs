//! A pool's `SchemaAttributes`: Cognito's standard attributes, with the caller's `Schema`
//! entries applied under the rules the service checks beyond the model (sources in
//! docs/compatibility.md, "User pool schema"):
//! - a standard attribute keeps its data type and is never developer-only; given in `Schema`,
//!   its `Mutable` and `Required` are what the entry says (false when left out), its
//!   constraints the entry's or the default;
//! - a custom attribute needs a data type, cannot be required, and is named `custom:<name>`
//!   (`dev:custom:<name>` when developer-only);
//! - constraint values are whole numbers in range, min not above max; constraints that do not
//!   fit the data type are dropped; a custom String without constraints shows `{}`.

use rognito_model::CognitoError;
use serde_json::{Map, Value, json};

/// The longest string an attribute may hold, in characters.
const MAX_STRING_LENGTH: u64 = 2048;

/// Cognito's standard attributes, in the order DescribeUserPool lists them.
fn standard_attributes() -> Vec<Value> {
    let string = |name: &str, mutable: bool, required: bool, min: &str, max: &str| {
        json!({
            "Name": name, "AttributeDataType": "String", "DeveloperOnlyAttribute": false,
            "Mutable": mutable, "Required": required,
            "StringAttributeConstraints": {"MinLength": min, "MaxLength": max},
        })
    };
    let boolean = |name: &str| {
        json!({
            "Name": name, "AttributeDataType": "Boolean", "DeveloperOnlyAttribute": false,
            "Mutable": true, "Required": false,
        })
    };
    let mut attributes = vec![string("sub", false, true, "1", "2048")];
    for name in [
        "name",
        "given_name",
        "family_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "email",
    ] {
        attributes.push(string(name, true, false, "0", "2048"));
    }
    attributes.push(boolean("email_verified"));
    attributes.push(string("gender", true, false, "0", "2048"));
    attributes.push(string("birthdate", true, false, "10", "10"));
    attributes.push(string("zoneinfo", true, false, "0", "2048"));
    attributes.push(string("locale", true, false, "0", "2048"));
    attributes.push(string("phone_number", true, false, "0", "2048"));
    attributes.push(boolean("phone_number_verified"));
    attributes.push(string("address", true, false, "0", "2048"));
    attributes.push(json!({
        "Name": "updated_at", "AttributeDataType": "Number", "DeveloperOnlyAttribute": false,
        "Mutable": true, "Required": false, "NumberAttributeConstraints": {"MinValue": "0"},
    }));
    attributes.push(json!({
        "Name": "identities", "AttributeDataType": "String", "DeveloperOnlyAttribute": false,
        "Mutable": true, "Required": false, "StringAttributeConstraints": {},
    }));
    attributes
}

/// The standard attributes with the caller's `Schema` entries applied.
///
/// Errors (`InvalidParameterException`, Cognito's texts): a custom attribute that is required
/// or has no data type; a standard attribute given another data type or made developer-only;
/// constraint values that are not whole numbers, are over 2048 characters, or have min above
/// max.
pub(super) fn schema_attributes(requested: Option<Value>) -> Result<Value, CognitoError> {
    let mut attributes = standard_attributes();
    let Some(Value::Array(requested)) = requested else {
        return Ok(Value::Array(attributes));
    };
    let mut seen: Vec<String> = Vec::new();
    for entry in requested {
        let Value::Object(entry) = entry else {
            continue;
        };
        // rognito's texts: Cognito's for these two were not found.
        let Some(name) = entry.get("Name").and_then(Value::as_str).map(str::to_owned) else {
            return Err(invalid("Every schema attribute needs a Name.".to_owned()));
        };
        if seen.contains(&name) {
            return Err(invalid(format!(
                "Schema attribute {name} is given more than once."
            )));
        }
        seen.push(name.clone());
        // `sub` is the user's immutable id: an entry for it changes nothing.
        if name == "sub" {
            continue;
        }
        let flag = |key: &str| entry.get(key).and_then(Value::as_bool);
        let standard = attributes
            .iter_mut()
            .find(|a| a.get("Name").and_then(Value::as_str) == Some(name.as_str()));
        if let Some(Value::Object(standard)) = standard {
            let data_type = standard.get("AttributeDataType").cloned();
            let given_type = entry.get("AttributeDataType");
            if given_type.is_some_and(|t| Some(t) != data_type.as_ref())
                || flag("DeveloperOnlyAttribute") == Some(true)
            {
                return Err(CognitoError::invalid_parameter(format!(
                    "You can not change AttributeDataType or set developerOnlyAttribute for \
                     standard schema attribute {name}"
                )));
            }
            // Given in Schema, a standard attribute is what the entry says (aws-cdk#8624: an
            // entry without Mutable comes back immutable).
            standard.insert("Mutable".into(), json!(flag("Mutable").unwrap_or(false)));
            standard.insert("Required".into(), json!(flag("Required").unwrap_or(false)));
            let data_type = data_type
                .as_ref()
                .and_then(Value::as_str)
                .unwrap_or_default();
            apply_constraints(standard, &entry, data_type, &name, false)?;
            continue;
        }
        attributes.push(custom_attribute(&name, &entry)?);
    }
    Ok(Value::Array(attributes))
}

/// A custom attribute as the pool stores it, from its schema entry named `name` (without the
/// prefix): `custom:<name>` (`dev:custom:<name>` when developer-only), mutable unless the entry
/// says otherwise, never required, with checked constraints.
///
/// Errors (`InvalidParameterException`, Cognito's texts): required, or no data type.
pub(super) fn custom_attribute(
    name: &str,
    entry: &Map<String, Value>,
) -> Result<Value, CognitoError> {
    let flag = |key: &str| entry.get(key).and_then(Value::as_bool);
    if flag("Required") == Some(true) {
        return Err(CognitoError::invalid_parameter(
            "Required custom attributes are not supported currently.",
        ));
    }
    let Some(data_type) = entry
        .get("AttributeDataType")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return Err(CognitoError::invalid_parameter(
            "Invalid AttributeDataType input, consider using the provided AttributeDataType \
             enum.",
        ));
    };
    let developer_only = flag("DeveloperOnlyAttribute") == Some(true);
    let prefix = if developer_only {
        "dev:custom:"
    } else {
        "custom:"
    };
    let full_name = format!("{prefix}{name}");
    let mut custom = Map::new();
    custom.insert("Name".into(), json!(full_name));
    custom.insert("AttributeDataType".into(), json!(data_type));
    custom.insert("DeveloperOnlyAttribute".into(), json!(developer_only));
    custom.insert("Mutable".into(), json!(flag("Mutable").unwrap_or(true)));
    custom.insert("Required".into(), json!(false));
    apply_constraints(&mut custom, entry, &data_type, &full_name, true)?;
    Ok(Value::Object(custom))
}

/// Sets the attribute's constraints from the entry: the one kind that fits `data_type` (others
/// are dropped), checked; a custom String without constraints gets `{}`.
fn apply_constraints(
    attribute: &mut Map<String, Value>,
    entry: &Map<String, Value>,
    data_type: &str,
    name: &str,
    custom: bool,
) -> Result<(), CognitoError> {
    if custom {
        attribute.remove("StringAttributeConstraints");
        attribute.remove("NumberAttributeConstraints");
    }
    match data_type {
        "String" => {
            if let Some(given) = entry.get("StringAttributeConstraints") {
                let bounds = bounds(given, ["MinLength", "MaxLength"], || {
                    invalid(format!(
                        "Invalid StringAttributeConstraints for schema attribute {name}"
                    ))
                })?;
                if bounds.iter().flatten().any(|(value, _)| *value < 0) {
                    return Err(invalid(format!(
                        "Invalid StringAttributeConstraints for schema attribute {name}"
                    )));
                }
                for (value, _) in bounds.iter().flatten() {
                    if u64::try_from(*value).is_ok_and(|v| v > MAX_STRING_LENGTH) {
                        return Err(invalid(format!(
                            "user.{name}: String attributes cannot have a length of more than \
                             {MAX_STRING_LENGTH}"
                        )));
                    }
                }
                if let [Some((min, _)), Some((max, _))] = bounds
                    && max < min
                {
                    return Err(invalid(format!(
                        "user.{name}: Max length cannot be less than min length."
                    )));
                }
                attribute.insert(
                    "StringAttributeConstraints".into(),
                    rendered(&bounds, ["MinLength", "MaxLength"]),
                );
            } else if custom {
                attribute.insert("StringAttributeConstraints".into(), json!({}));
            }
        }
        "Number" => {
            if let Some(given) = entry.get("NumberAttributeConstraints") {
                let bounds = bounds(given, ["MinValue", "MaxValue"], || {
                    invalid(format!(
                        "Invalid NumberAttributeConstraints for schema attribute {name}"
                    ))
                })?;
                if let [Some((min, _)), Some((max, _))] = bounds
                    && max < min
                {
                    return Err(invalid(format!(
                        "user.{name}: Max value cannot be less than min value."
                    )));
                }
                attribute.insert(
                    "NumberAttributeConstraints".into(),
                    rendered(&bounds, ["MinValue", "MaxValue"]),
                );
            }
        }
        _ => {}
    }
    Ok(())
}

/// The two bounds of a constraints object, each a whole number given as a string (the model
/// types them as strings: an optional `-` and digits, nothing else): (value, its canonical
/// text, which is what is stored).
fn bounds(
    given: &Value,
    keys: [&str; 2],
    invalid: impl Fn() -> CognitoError,
) -> Result<[Option<(i64, String)>; 2], CognitoError> {
    let Value::Object(given) = given else {
        return Err(invalid());
    };
    let mut out = [None, None];
    for (slot, key) in out.iter_mut().zip(keys) {
        if let Some(value) = given.get(key) {
            let text = value.as_str().ok_or_else(&invalid)?;
            let digits = text.strip_prefix('-').unwrap_or(text);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid());
            }
            let number = text.parse::<i64>().map_err(|_| invalid())?;
            *slot = Some((number, number.to_string()));
        }
    }
    Ok(out)
}

fn rendered(bounds: &[Option<(i64, String)>; 2], keys: [&str; 2]) -> Value {
    let mut out = Map::new();
    for (bound, key) in bounds.iter().zip(keys) {
        if let Some((_, text)) = bound {
            out.insert(key.to_owned(), json!(text));
        }
    }
    Value::Object(out)
}

fn invalid(message: String) -> CognitoError {
    CognitoError::invalid_parameter(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(schema: Value) -> String {
        schema_attributes(Some(schema))
            .expect_err("refused")
            .message
    }

    fn attribute(schema: Value, name: &str) -> Value {
        let all = schema_attributes(Some(schema)).expect("accepted");
        all.as_array()
            .and_then(|a| a.iter().find(|v| v["Name"] == name).cloned())
            .expect("attribute")
    }

    #[test]
    fn custom_attributes_follow_cognitos_rules() {
        assert_eq!(
            message(json!([{"Name": "tier", "AttributeDataType": "String", "Required": true}])),
            "Required custom attributes are not supported currently."
        );
        assert_eq!(
            message(json!([{"Name": "tier"}])),
            "Invalid AttributeDataType input, consider using the provided AttributeDataType enum."
        );
        let tier = attribute(
            json!([{"Name": "tier", "AttributeDataType": "String"}]),
            "custom:tier",
        );
        assert_eq!(tier["StringAttributeConstraints"], json!({}));
        let dev = attribute(
            json!([{"Name": "k", "AttributeDataType": "Number", "DeveloperOnlyAttribute": true,
                    "StringAttributeConstraints": {"MaxLength": "5"},
                    "NumberAttributeConstraints": {"MinValue": "-3", "MaxValue": "9"}}]),
            "dev:custom:k",
        );
        assert!(
            dev.get("StringAttributeConstraints").is_none(),
            "does not fit a Number"
        );
        assert_eq!(
            dev["NumberAttributeConstraints"],
            json!({"MinValue": "-3", "MaxValue": "9"})
        );
    }

    #[test]
    fn standard_attributes_keep_their_type() {
        assert_eq!(
            message(json!([{"Name": "email", "AttributeDataType": "Number"}])),
            "You can not change AttributeDataType or set developerOnlyAttribute for standard \
             schema attribute email"
        );
        assert_eq!(
            message(json!([{"Name": "email", "AttributeDataType": "String",
                             "DeveloperOnlyAttribute": true}])),
            "You can not change AttributeDataType or set developerOnlyAttribute for standard \
             schema attribute email"
        );
        let email = attribute(json!([{"Name": "email", "Required": true}]), "email");
        assert_eq!(email["Mutable"], false, "aws-cdk#8624");
        assert_eq!(email["Required"], true);
        assert_eq!(email["AttributeDataType"], "String");
        assert_eq!(
            email["StringAttributeConstraints"],
            json!({"MinLength": "0", "MaxLength": "2048"})
        );
    }

    #[test]
    fn constraints_are_whole_numbers_in_range() {
        assert_eq!(
            message(json!([{"Name": "t", "AttributeDataType": "String",
                             "StringAttributeConstraints": {"MinLength": "abc"}}])),
            "Invalid StringAttributeConstraints for schema attribute custom:t"
        );
        assert_eq!(
            message(json!([{"Name": "t", "AttributeDataType": "String",
                             "StringAttributeConstraints": {"MaxLength": "4096"}}])),
            "user.custom:t: String attributes cannot have a length of more than 2048"
        );
        assert_eq!(
            message(json!([{"Name": "t", "AttributeDataType": "String",
                             "StringAttributeConstraints": {"MinLength": "9", "MaxLength": "3"}}])),
            "user.custom:t: Max length cannot be less than min length."
        );
        assert_eq!(
            message(json!([{"Name": "n", "AttributeDataType": "Number",
                             "NumberAttributeConstraints": {"MinValue": "9", "MaxValue": "3"}}])),
            "user.custom:n: Max value cannot be less than min value."
        );
        for bad in ["1.5", " +5", "+5", "", "-"] {
            assert_eq!(
                message(json!([{"Name": "n", "AttributeDataType": "Number",
                                 "NumberAttributeConstraints": {"MinValue": bad}}])),
                "Invalid NumberAttributeConstraints for schema attribute custom:n",
                "{bad:?}"
            );
        }
        assert_eq!(
            message(json!([{"Name": "t", "AttributeDataType": "String",
                             "StringAttributeConstraints": {"MinLength": "-1"}}])),
            "Invalid StringAttributeConstraints for schema attribute custom:t"
        );
        let n = attribute(
            json!([{"Name": "n", "AttributeDataType": "Number",
                    "NumberAttributeConstraints": {"MinValue": "-05", "MaxValue": "007"}}]),
            "custom:n",
        );
        assert_eq!(
            n["NumberAttributeConstraints"],
            json!({"MinValue": "-5", "MaxValue": "7"})
        );
    }

    #[test]
    fn names_are_required_once_each_and_sub_is_left_alone() {
        assert_eq!(
            message(json!([{"AttributeDataType": "String"}])),
            "Every schema attribute needs a Name."
        );
        assert_eq!(
            message(json!([{"Name": "t", "AttributeDataType": "String"},
                           {"Name": "t", "AttributeDataType": "Number"}])),
            "Schema attribute t is given more than once."
        );
        let sub = attribute(json!([{"Name": "sub", "Mutable": true}]), "sub");
        assert_eq!(
            (sub["Mutable"].clone(), sub["Required"].clone()),
            (json!(false), json!(true))
        );
    }
}
