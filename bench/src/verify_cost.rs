//! `rognito-bench verify-cost`: what verifying one SigV4 signature costs on this machine, with
//! the derived signing key cached as the server caches it (parse the Authorization header, check
//! date and scope, build the canonical request, hash, HMAC, compare in constant time).

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue, Method, Uri};
use rognito_protocol::RequestHead;
use rognito_protocol::sigv4;

use crate::sigv4::{Signer, amz_date};

pub fn run(iterations: u32) -> anyhow::Result<()> {
    let body = br#"{"UserPoolId":"us-east-1_aBcDeFgHi","Identifier":"rs-07"}"#;
    let target = "AWSCognitoIdentityProviderService.DescribeResourceServer";
    let host = "127.0.0.1:9229";
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64;
    let date = amz_date(now);
    let mut signer = Signer::new(
        "AKIAROGNITOBENCH0001",
        "rognito-benchmark-secret-access-key",
        "us-east-1",
    );
    let signature = signer.sign(&date, host, target, body);
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static(host));
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    headers.insert("x-amz-target", HeaderValue::from_static(target));
    headers.insert("x-amz-date", HeaderValue::from_str(&signature.amz_date)?);
    headers.insert(
        "authorization",
        HeaderValue::from_str(&signature.authorization)?,
    );
    headers.insert(
        "user-agent",
        HeaderValue::from_static("aws-sdk-rust/1.3 os/linux lang/rust"),
    );
    let method = Method::POST;
    let uri: Uri = "/".parse()?;
    let head = RequestHead {
        method: &method,
        uri: &uri,
        headers: &headers,
        body,
    };
    let auth = sigv4::parse_authorization(&signature.authorization)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let key = sigv4::signing_key(
        "rognito-benchmark-secret-access-key",
        auth.date,
        auth.region,
        auth.service,
    );

    let verify = || -> bool {
        let Some(value) = head
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
        else {
            return false;
        };
        let Ok(auth) = sigv4::parse_authorization(value) else {
            return false;
        };
        let Ok(amz) = sigv4::check_date(&head, &auth, now) else {
            return false;
        };
        if sigv4::check_scope(&auth, "us-east-1").is_err() {
            return false;
        }
        let Ok(canonical) = sigv4::canonical_request(&head, &auth) else {
            return false;
        };
        let to_sign = sigv4::string_to_sign(&amz, &auth, &canonical);
        sigv4::signature_matches(&key, &to_sign, auth.signature)
    };
    anyhow::ensure!(verify(), "the benchmark's signature does not verify");
    let mut samples = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let mut ok = 0u32;
        for _ in 0..iterations {
            ok += u32::from(std::hint::black_box(verify()));
        }
        anyhow::ensure!(ok == iterations, "a verification failed");
        samples.push(start.elapsed().as_nanos() as f64 / f64::from(iterations));
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    println!(
        "SigV4 verification with a cached signing key: median {:.2} µs per request (5 runs of {iterations}; min {:.2}, max {:.2})",
        samples[2] / 1000.0,
        samples[0] / 1000.0,
        samples[4] / 1000.0
    );
    Ok(())
}
