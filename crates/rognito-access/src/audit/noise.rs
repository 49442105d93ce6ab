//! Refused requests from callers that did not authenticate, counted instead of written one by
//! one: one aggregated line per kind and address per window, with hard caps so that no number
//! of requests, addresses or client ids makes more than a few hundred lines a window.
//!
//! Keys are (event, error code, source address), the address as IPv4 or IPv6 /64. A request
//! that named an existing client (a wrong secret for it) is also keyed by that client's id, in
//! a table of its own, so a guesser cannot push the client it attacks out of the record by
//! flooding garbage first; past that table's cap, the client is still named, with the source
//! `*`. Anything beyond goes into one overflow line. Overflow lines keep a few sample
//! addresses. Only ids of existing clients are ever recorded: a string a caller sent as a
//! client id could be a secret pasted in the wrong field.

use std::collections::HashMap;
use std::net::IpAddr;

use serde::Serialize;

/// Keys without a client, per window.
const MAX_UNTARGETED: usize = 64;
/// Keys with a client and an address, per window.
const MAX_TARGETED: usize = 256;
/// Keys with a client and no address (its addresses overflowed), per window.
const MAX_TARGET_OVERFLOW: usize = 64;
/// Sample addresses an overflow line keeps.
const SAMPLE_SOURCES: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    event_name: &'static str,
    error_code: &'static str,
    source: Option<IpAddr>,
    /// The existing client the requests named.
    target: Option<String>,
    overflow: bool,
}

#[derive(Debug)]
struct Count {
    count: u64,
    first: String,
    last: String,
    sample_sources: Vec<IpAddr>,
}

/// One window's counts.
#[derive(Debug, Default)]
pub(super) struct Noise {
    keys: HashMap<Key, Count>,
    untargeted: usize,
    targeted: usize,
    target_overflow: usize,
}

/// An aggregated line: how many refused anonymous requests of one kind came from one address.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Line<'a> {
    event_time: &'a str,
    event_source: &'static str,
    event_name: &'a str,
    aws_region: &'a str,
    #[serde(rename = "sourceIPAddress")]
    source_ip_address: &'a str,
    outcome: &'static str,
    error_code: &'a str,
    /// The existing client the requests named.
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<&'a str>,
    aggregated: Aggregated<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Aggregated<'a> {
    count: u64,
    first_event_time: &'a str,
    last_event_time: &'a str,
    /// Overflow lines: some of the addresses counted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sample_sources: Vec<String>,
}

impl Noise {
    /// Counts one refused request at `now` (RFC 3339).
    pub(super) fn count(
        &mut self,
        event_name: &'static str,
        error_code: &'static str,
        source: Option<IpAddr>,
        target: Option<&str>,
        now: &str,
    ) {
        let source = source.map(rognito_ops::auth_failures::source_key);
        let mut key = Key {
            event_name,
            error_code,
            source,
            target: target.map(|t| super::bounded(t, 128).into_owned()),
            overflow: false,
        };
        if !self.keys.contains_key(&key) {
            key = self.admit(key);
        }
        let count = self.keys.entry(key.clone()).or_insert_with(|| Count {
            count: 0,
            first: now.to_owned(),
            last: now.to_owned(),
            sample_sources: Vec::new(),
        });
        count.count += 1;
        now.clone_into(&mut count.last);
        if key.overflow
            && let Some(ip) = source
            && count.sample_sources.len() < SAMPLE_SOURCES
            && !count.sample_sources.contains(&ip)
        {
            count.sample_sources.push(ip);
        }
    }

    /// The key a new kind of request is counted under: its own while its table has room, else
    /// its client's overflow key, else the one overflow key.
    fn admit(&mut self, key: Key) -> Key {
        let global = Key {
            event_name: "*",
            error_code: "*",
            source: None,
            target: None,
            overflow: true,
        };
        match &key.target {
            None if self.untargeted < MAX_UNTARGETED => {
                self.untargeted += 1;
                key
            }
            None => global,
            Some(_) if self.targeted < MAX_TARGETED => {
                self.targeted += 1;
                key
            }
            Some(_) => {
                let per_target = Key {
                    source: None,
                    overflow: true,
                    ..key
                };
                if self.keys.contains_key(&per_target) {
                    per_target
                } else if self.target_overflow < MAX_TARGET_OVERFLOW {
                    self.target_overflow += 1;
                    per_target
                } else {
                    global
                }
            }
        }
    }

    /// The window's lines, each ending in a newline.
    pub(super) fn lines(self, region: &str, now: &str) -> Vec<String> {
        let mut lines = Vec::with_capacity(self.keys.len());
        for (key, count) in self.keys {
            let source = match (key.overflow, key.source) {
                (true, _) => "*".to_owned(),
                (false, Some(ip)) => ip.to_string(),
                (false, None) => "unknown".to_owned(),
            };
            let line = Line {
                event_time: now,
                event_source: "cognito-idp.amazonaws.com",
                event_name: key.event_name,
                aws_region: region,
                source_ip_address: &source,
                outcome: "failure",
                error_code: key.error_code,
                resource: key.target.as_deref(),
                aggregated: Aggregated {
                    count: count.count,
                    first_event_time: &count.first,
                    last_event_time: &count.last,
                    sample_sources: count
                        .sample_sources
                        .iter()
                        .map(|ip| ip.to_string())
                        .collect(),
                },
            };
            if let Ok(mut text) = serde_json::to_string(&line) {
                text.push('\n');
                lines.push(text);
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addresses(n: u32) -> impl Iterator<Item = IpAddr> {
        (0..n).map(|i| IpAddr::from([10, (i >> 16) as u8, (i >> 8) as u8, i as u8]))
    }

    #[test]
    fn lines_are_capped_whatever_the_number_of_addresses_and_clients() {
        let mut noise = Noise::default();
        for ip in addresses(10_000) {
            noise.count("Token_POST", "invalid_client", Some(ip), None, "t");
            noise.count(
                "CreateUserPool",
                "IncompleteSignatureException",
                Some(ip),
                None,
                "t",
            );
        }
        for (i, ip) in addresses(5_000).enumerate() {
            let client = format!("client{}", i % 1000);
            noise.count("Token_POST", "invalid_client", Some(ip), Some(&client), "t");
        }
        let total = noise.untargeted + noise.targeted + noise.target_overflow;
        let lines = noise.lines("us-east-1", "t");
        assert!(lines.len() <= MAX_UNTARGETED + MAX_TARGETED + MAX_TARGET_OVERFLOW + 1);
        assert_eq!(lines.len(), total + 1);
        let counted: u64 = lines
            .iter()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("json");
                v["aggregated"]["count"].as_u64().expect("count")
            })
            .sum();
        assert_eq!(counted, 25_000, "every request is counted somewhere");
    }

    #[test]
    fn a_flood_cannot_push_an_attacked_client_out_of_the_record() {
        let mut noise = Noise::default();
        for ip in addresses(2_000) {
            noise.count("Token_POST", "invalid_client", Some(ip), None, "t");
        }
        let guesser = IpAddr::from([192, 0, 2, 99]);
        noise.count(
            "Token_POST",
            "invalid_client",
            Some(guesser),
            Some("victim"),
            "t",
        );
        let lines = noise.lines("us-east-1", "t");
        let victim: Vec<serde_json::Value> = lines
            .iter()
            .map(|l| serde_json::from_str(l).expect("json"))
            .filter(|v: &serde_json::Value| v["resource"] == "victim")
            .collect();
        assert_eq!(victim.len(), 1);
        assert_eq!(victim[0]["sourceIPAddress"], "192.0.2.99");
    }
}
