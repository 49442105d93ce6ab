//! The ids rognito keeps and passes around, as types of their own so a pool id cannot be handed
//! where a client id is wanted. Each is a `String` underneath: it serialises as the bare string,
//! derefs and borrows as `str` (a map keyed by ids is queried with `&str`), and prints as the
//! string it holds.
//!
//! `From<String>`/`From<&str>` do not check the shape: they wrap values that were validated as
//! model input (the generated constraints) or read back from the store. [`AccountId::parse`]
//! checks text from outside the API (flags, configuration).

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

/// One String-backed id type with the conversions every id shares.
macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                $name(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                $name(id.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    };
}

string_id! {
    /// A user pool's id: `<region>_<9 alphanumerics>` (`us-east-1_AbCdEfGhI`), as CreateUserPool
    /// makes it.
    UserPoolId
}

string_id! {
    /// An app client's id: Cognito's pattern `[\w+]+`, up to 128 characters (rognito makes 26
    /// lower-case alphanumerics, as Cognito does).
    ClientId
}

string_id! {
    /// An AWS account id: 12 digits (`000000000000`).
    AccountId
}

impl AccountId {
    /// `id` if it is 12 digits. Errors: the text to show after the value's origin (a flag or
    /// configuration key).
    pub fn parse(id: &str) -> Result<AccountId, String> {
        if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{id:?} must be 12 digits (like 000000000000)"));
        }
        Ok(AccountId(id.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn ids_serialise_print_and_borrow_as_their_string() {
        let id = UserPoolId::from("us-east-1_AbCdEfGhI");
        assert_eq!(
            serde_json::to_string(&id).expect("serialise"),
            r#""us-east-1_AbCdEfGhI""#
        );
        let back: UserPoolId = serde_json::from_str(r#""us-east-1_AbCdEfGhI""#).expect("parse");
        assert_eq!(back, id);
        assert_eq!(id.to_string(), "us-east-1_AbCdEfGhI");
        assert_eq!(format!("{id:?}"), r#""us-east-1_AbCdEfGhI""#);
        assert_eq!(id, "us-east-1_AbCdEfGhI");
        let map = HashMap::from([(ClientId::from("abc"), 1)]);
        assert_eq!(map.get("abc"), Some(&1));
    }

    #[test]
    fn account_ids_are_twelve_digits() {
        assert_eq!(
            AccountId::parse("123456789012").map(AccountId::into_string),
            Ok("123456789012".to_owned())
        );
        for bad in ["", "12345678901", "1234567890123", "12345678901a"] {
            let err = AccountId::parse(bad).expect_err(bad);
            assert!(err.contains("must be 12 digits"), "{err}");
        }
    }
}
