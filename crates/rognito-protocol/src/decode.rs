//! Body → typed input, with AWS's (Coral's) SerializationException texts for the common type
//! mismatches. (Model validation is the gateway's, after IAM.)

#[cfg(test)]
use rognito_model::{CognitoError, Validate};
use serde::de::DeserializeOwned;

use crate::WireError;

/// Decodes one operation's input (SerializationException on the wrong JSON).
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, WireError> {
    // Most bodies are fine: decode them without tracking the path, and only when that fails
    // decode again with it, for the message.
    if let Ok(value) = serde_json::from_slice(body) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        serialization_error(e.inner(), &path)
    })?;
    de.end().map_err(|e| serialization_error(&e, "."))?;
    Ok(value)
}

/// Checks the model's constraints as the gateway does: InvalidParameterException.
#[cfg(test)]
pub(crate) fn validate<T: Validate>(input: &T) -> Result<(), WireError> {
    input
        .validate()
        .map_err(|v| CognitoError::invalid_parameter(v.message()).into())
}

#[cfg(test)]
fn input<T: DeserializeOwned + Validate>(body: &[u8]) -> Result<T, WireError> {
    let value = parse(body)?;
    validate(&value)?;
    Ok(value)
}

/// Maps serde's description of a type mismatch to the text AWS's Java front end sends.
fn serialization_error(e: &serde_json::Error, path: &str) -> WireError {
    if e.is_syntax() || e.is_eof() {
        // AWS answers unparseable JSON with a bare SerializationException; we add why.
        return WireError::serialization(format!("The request body is not valid JSON: {e}"));
    }
    let text = e.to_string();
    let coral = text.strip_prefix("invalid type: ").and_then(|rest| {
        let (found, expected) = rest.split_once(", expected ")?;
        let expected = expected.split(" at line ").next().unwrap_or(expected);
        coral_mismatch(found, expected)
    });
    WireError::serialization(coral.unwrap_or_else(|| {
        let text = text.split(" at line ").next().unwrap_or(&text);
        format!("{text} (at '{path}')")
    }))
}

fn coral_mismatch(found: &str, expected: &str) -> Option<String> {
    // A container where a different type was expected is reported by what was found...
    if found == "map" {
        return Some("Start of structure or map found where not expected.".into());
    }
    if found == "sequence" {
        return Some("Start of list found where not expected".into());
    }
    // ...a scalar where a container was expected, by what was expected...
    let target = match expected {
        "a sequence" => return Some("Expected list or null".into()),
        e if e == "a map" || e.starts_with("struct ") => {
            return Some("Expected map or null".into());
        }
        "a string" => "String",
        "i32" => "Integer",
        "i64" => "Long",
        "a boolean" => "Boolean",
        "f64" => "Date",
        _ => return None,
    };
    // ...and a scalar of the wrong type by both Java classes.
    let source = if found.starts_with("integer") || found.starts_with("floating point") {
        "com.amazon.coral.value.json.numbers.TruncatingBigNumber"
    } else if found.starts_with("string") {
        "java.lang.String"
    } else if found.starts_with("boolean") {
        "java.lang.Boolean"
    } else {
        return None;
    };
    // "an String" is AWS's grammar, kept so clients matching on it keep working.
    Some(format!(
        "class {source} can not be converted to an {target}"
    ))
}

#[cfg(test)]
mod tests {
    use rognito_model::CreateResourceServerRequest;

    use super::*;

    fn err(body: &str) -> WireError {
        match input::<CreateResourceServerRequest>(body.as_bytes()) {
            Ok(_) => panic!("{body} decoded"),
            Err(e) => e,
        }
    }

    #[test]
    fn type_mismatches_get_corals_texts() {
        let e = err(r#"{"UserPoolId": 5}"#);
        assert_eq!(e.type_name, "SerializationException");
        assert_eq!(
            e.message.as_deref(),
            Some(
                "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be \
                 converted to an String"
            )
        );
        assert_eq!(
            err(r#"{"UserPoolId": {"a": 1}}"#).message.as_deref(),
            Some("Start of structure or map found where not expected.")
        );
        assert_eq!(
            err(r#"{"Scopes": "x"}"#).message.as_deref(),
            Some("Expected list or null")
        );
        assert_eq!(
            err(r#"{"Scopes": [5]}"#).message.as_deref(),
            Some("Expected map or null")
        );
        assert_eq!(
            err(r#"{"Scopes": [["read", "d"]]}"#).message.as_deref(),
            Some("Start of list found where not expected")
        );
        assert_eq!(
            err("[1]").message.as_deref(),
            Some("Start of list found where not expected")
        );
        assert_eq!(
            err(r#"{"Identifier": ["a"]}"#).message.as_deref(),
            Some("Start of list found where not expected")
        );
    }

    #[test]
    fn bad_json_and_trailing_garbage_are_serialization_errors() {
        assert_eq!(err("{").type_name, "SerializationException");
        assert_eq!(err("").type_name, "SerializationException");
        assert_eq!(err("{} x").type_name, "SerializationException");
    }

    #[test]
    fn unknown_members_are_ignored_and_nulls_are_absent() {
        let e = err(r#"{"UserPoolId": null, "Identifier": "a", "Name": "n", "Future": 1}"#);
        assert_eq!(e.type_name, "InvalidParameterException");
        assert_eq!(
            e.message.as_deref(),
            Some(
                "1 validation error detected: Value null at 'userPoolId' failed to satisfy \
                 constraint: Member must not be null"
            )
        );
    }
}
