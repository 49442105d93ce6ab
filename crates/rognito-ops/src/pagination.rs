//! Opaque `NextToken`s: the last key of a page, authenticated with a server key and bound to the
//! listing it came from (operation kind and parent: pool or account), so a client can neither
//! forge a position nor replay a token against another pool.

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rognito_model::CognitoError;
use rognito_store::{Store, StoreError};

const TAG_LEN: usize = 16;
const SETTING: &str = "pagination-token-key";

/// Which listing a token belongs to.
#[derive(Debug, Clone, Copy)]
pub enum Listing {
    UserPools,
    ResourceServers,
    Clients,
    Users,
    Groups,
    /// AdminListGroupsForUser (parent: pool and username).
    GroupsOfUser,
    /// ListUsersInGroup (parent: pool and group).
    UsersInGroup,
    /// ListIdentityProviders (parent: pool).
    IdentityProviders,
}

impl Listing {
    fn label(self) -> &'static [u8] {
        match self {
            Listing::UserPools => b"user-pools",
            Listing::ResourceServers => b"resource-servers",
            Listing::Clients => b"clients",
            Listing::Users => b"users",
            Listing::Groups => b"groups",
            Listing::GroupsOfUser => b"groups-of-user",
            Listing::UsersInGroup => b"users-in-group",
            Listing::IdentityProviders => b"identity-providers",
        }
    }
}

pub struct PageTokens {
    key: hmac::Key,
}

impl PageTokens {
    pub async fn load(store: &dyn Store) -> Result<Self, StoreError> {
        let secret = store
            .server_setting(SETTING, &|| crate::ids::random_bytes::<32>().to_vec())
            .await?;
        Ok(PageTokens {
            key: hmac::Key::new(hmac::HMAC_SHA256, &secret),
        })
    }

    fn tag(&self, listing: Listing, parent: &str, last_key: &str) -> hmac::Tag {
        let mut ctx = hmac::Context::with_key(&self.key);
        for part in [listing.label(), parent.as_bytes(), last_key.as_bytes()] {
            ctx.update(&(part.len() as u64).to_be_bytes());
            ctx.update(part);
        }
        ctx.sign()
    }

    pub fn encode(&self, listing: Listing, parent: &str, last_key: &str) -> String {
        let tag = self.tag(listing, parent, last_key);
        let mut raw = Vec::with_capacity(TAG_LEN + last_key.len());
        raw.extend_from_slice(tag.as_ref().get(..TAG_LEN).unwrap_or_default());
        raw.extend_from_slice(last_key.as_bytes());
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// The last key a token names, if the token was made by this server for this listing.
    pub fn decode(
        &self,
        listing: Listing,
        parent: &str,
        token: &str,
    ) -> Result<String, CognitoError> {
        let invalid = || CognitoError::invalid_parameter("Invalid pagination token.");
        let raw = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
        if raw.len() <= TAG_LEN {
            return Err(invalid());
        }
        let (tag, key) = raw.split_at(TAG_LEN);
        let key = std::str::from_utf8(key).map_err(|_| invalid())?;
        let expected = self.tag(listing, parent, key);
        // Constant-time comparison: a token must not be guessable byte by byte.
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            expected.as_ref().get(..TAG_LEN).unwrap_or_default(),
            tag,
        )) {
            return Err(invalid());
        }
        Ok(key.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> PageTokens {
        PageTokens {
            key: hmac::Key::new(hmac::HMAC_SHA256, b"test key"),
        }
    }

    #[test]
    fn round_trip_and_binding() {
        let t = tokens();
        let token = t.encode(Listing::ResourceServers, "pool_a", "https://api/x");
        assert!(token.bytes().all(|b| !b.is_ascii_whitespace()));
        assert_eq!(
            t.decode(Listing::ResourceServers, "pool_a", &token),
            Ok("https://api/x".into())
        );
        assert!(
            t.decode(Listing::ResourceServers, "pool_b", &token)
                .is_err()
        );
        assert!(t.decode(Listing::UserPools, "pool_a", &token).is_err());
        let forged = URL_SAFE_NO_PAD.encode([&[0u8; TAG_LEN][..], b"zzz"].concat());
        assert!(
            t.decode(Listing::ResourceServers, "pool_a", &forged)
                .is_err()
        );
        assert!(t.decode(Listing::ResourceServers, "pool_a", "!!").is_err());
    }
}
