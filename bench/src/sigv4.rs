//! AWS Signature Version 4 for AWS JSON 1.1 requests, signed the way botocore signs them
//! (`content-type;host;x-amz-date;x-amz-target`). The derived signing key is cached per day, so a
//! signature costs two SHA-256s and one HMAC — cheap enough to sign every request like an SDK.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::{digest, hmac};

pub const SERVICE: &str = "cognito-idp";

pub struct Signer {
    access_key_id: String,
    secret_access_key: String,
    region: String,
    cached: Option<(String, hmac::Key)>,
}

/// The headers a signed request carries.
pub struct Signature {
    pub amz_date: String,
    pub authorization: String,
}

use rognito_protocol::sigv4::{format_amz_date as amz_date_of, hex};

/// `YYYYMMDDThhmmssZ` for a time in seconds since the epoch (UTC).
pub fn amz_date(secs: i64) -> String {
    amz_date_of(secs)
}

impl Signer {
    pub fn new(access_key_id: &str, secret_access_key: &str, region: &str) -> Self {
        Signer {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            region: region.into(),
            cached: None,
        }
    }

    fn signing_key(&mut self, date: &str) -> hmac::Key {
        if let Some((day, key)) = &self.cached
            && day == date
        {
            return key.clone();
        }
        let step = |key: &[u8], data: &str| {
            hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data.as_bytes())
        };
        let k_date = step(format!("AWS4{}", self.secret_access_key).as_bytes(), date);
        let k_region = step(k_date.as_ref(), &self.region);
        let k_service = step(k_region.as_ref(), SERVICE);
        let k_signing = step(k_service.as_ref(), "aws4_request");
        let key = hmac::Key::new(hmac::HMAC_SHA256, k_signing.as_ref());
        self.cached = Some((date.to_owned(), key.clone()));
        key
    }

    pub fn sign_now(&mut self, host: &str, target: &str, body: &[u8]) -> Signature {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        self.sign(&amz_date(secs), host, target, body)
    }

    pub fn sign(&mut self, amz_date: &str, host: &str, target: &str, body: &[u8]) -> Signature {
        let date = &amz_date[..8];
        let body_hash = hex(digest::digest(&digest::SHA256, body).as_ref());
        let canonical = format!(
            "POST\n/\n\ncontent-type:application/x-amz-json-1.1\nhost:{host}\nx-amz-date:{amz_date}\n\
             x-amz-target:{target}\n\ncontent-type;host;x-amz-date;x-amz-target\n{body_hash}"
        );
        let scope = format!("{date}/{}/{SERVICE}/aws4_request", self.region);
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref())
        );
        let key = self.signing_key(date);
        let signature = hex(hmac::sign(&key, to_sign.as_bytes()).as_ref());
        Signature {
            amz_date: amz_date.to_owned(),
            authorization: format!(
                "AWS4-HMAC-SHA256 Credential={}/{scope}, \
                 SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={signature}",
                self.access_key_id
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use aws_credential_types::Credentials;
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;

    use super::*;

    #[test]
    fn matches_aws_sigv4() {
        let body = br#"{"UserPoolId":"us-east-1_abc","Identifier":"api"}"#;
        let target = "AWSCognitoIdentityProviderService.DescribeResourceServer";
        let secs = 1_795_317_000;
        let mut ours = Signer::new("AKIDEXAMPLE", "secret/key+example", "us-east-1");
        let mine = ours.sign(&amz_date(secs), "127.0.0.1:9229", target, body);

        let identity =
            Credentials::new("AKIDEXAMPLE", "secret/key+example", None, None, "t").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name(SERVICE)
            .time(UNIX_EPOCH + Duration::from_secs(secs as u64))
            .settings(SigningSettings::default())
            .build()
            .expect("params")
            .into();
        let headers = [
            ("content-type", "application/x-amz-json-1.1"),
            ("host", "127.0.0.1:9229"),
            ("x-amz-target", target),
        ];
        let signable = SignableRequest::new(
            "POST",
            "http://127.0.0.1:9229/",
            headers.into_iter(),
            SignableBody::Bytes(body),
        )
        .expect("signable");
        let (_, theirs) = sign(signable, &params).expect("sign").into_parts();
        assert!(
            mine.authorization.ends_with(&format!("Signature={theirs}")),
            "{} vs {theirs}",
            mine.authorization
        );
        assert_eq!(amz_date(secs), "20261122T031000Z");
    }
}
