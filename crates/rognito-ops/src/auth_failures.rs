//! Budgets for failed client authentications (the token endpoint and GetClientToken), always
//! on, kept apart from the account's request rates so an outsider guessing secrets can neither
//! spend a tenant's quota nor guess quickly.
//!
//! Every attempt is charged *before* its secret is checked, so guesses in flight count as much
//! as answered ones (concurrency cannot outrun the budget), and a success refunds its charge.
//! Two budgets apply, each a token bucket of failures:
//! - per source address (IPv6 by /64): [`SOURCE_BURST`] failures, refilled at one per
//!   [`SOURCE_REFILL`]; an exhausted source is refused before any lookup;
//! - per client id (of an existing client): [`CLIENT_BURST`] failures, refilled at one per
//!   [`CLIENT_REFILL`]; an exhausted client refuses every source except those that
//!   authenticated it successfully within [`KNOWN_GOOD_FOR`], so a well-behaved caller is
//!   never refused because someone else is guessing its client's secret.
//!
//! Refusals are immediate (never a delay) and say when to retry.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures a source address may have in a burst. Generous enough for a test suite that checks
/// its wrong-secret handling against a local rognito; guessing is held to the refill rate.
pub const SOURCE_BURST: f64 = 100.0;
/// One more failure is allowed per source address after this long.
pub const SOURCE_REFILL: Duration = Duration::from_secs(1);
/// Failures one client id may have in a burst, from every address together.
pub const CLIENT_BURST: f64 = 100.0;
/// One more failure is allowed per client id after this long.
pub const CLIENT_REFILL: Duration = Duration::from_secs(1);
/// How long an address that authenticated a client stays exempt from that client's budget.
pub const KNOWN_GOOD_FOR: Duration = Duration::from_secs(24 * 3600);
/// Addresses remembered per client as known good (the most recent ones).
const KNOWN_GOOD_PER_CLIENT: usize = 32;
/// Entries kept per table before idle ones are dropped; beyond, new keys share one bucket.
const MAX_ENTRIES: usize = 100_000;

/// A bucket of allowed failures.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn full(burst: f64, now: Instant) -> Self {
        Bucket {
            tokens: burst,
            last: now,
        }
    }

    fn refill(&mut self, burst: f64, every: Duration, now: Instant) {
        let gained = now.duration_since(self.last).as_secs_f64() / every.as_secs_f64();
        self.tokens = (self.tokens + gained).min(burst);
        self.last = now;
    }

    /// How long until one failure is allowed again (zero when one is allowed now).
    fn wait(&self, every: Duration) -> Duration {
        if self.tokens >= 1.0 {
            Duration::ZERO
        } else {
            every.mul_f64(1.0 - self.tokens)
        }
    }
}

#[derive(Debug)]
struct ClientFailures {
    bucket: Bucket,
    /// Addresses that authenticated this client, with when they last did.
    known_good: Vec<(IpAddr, Instant)>,
}

/// The failure budgets of every source address and client id.
#[derive(Debug, Default)]
pub struct AuthFailures {
    sources: Mutex<HashMap<IpAddr, Bucket>>,
    clients: Mutex<HashMap<String, ClientFailures>>,
}

/// An attempt refused by a budget: retry after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub retry_after: Duration,
}

impl Refused {
    /// Whole seconds to wait, at least 1 (for `Retry-After` and messages).
    pub fn retry_after_secs(&self) -> u64 {
        self.retry_after.as_secs_f64().ceil().max(1.0) as u64
    }
}

/// An attempt in progress, charged to its budgets until [`Attempt::succeeded`] refunds it.
/// Dropped without a verdict (a failure, or a cancelled request), the charge stays.
#[must_use]
pub struct Attempt<'a> {
    failures: &'a AuthFailures,
    source: Option<IpAddr>,
    client: Option<String>,
}

/// IPv6 addresses are counted by their /64: one host usually holds a whole /64.
fn source_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let mut segments = v6.segments();
            for s in &mut segments[4..] {
                *s = 0;
            }
            IpAddr::V6(segments.into())
        }
    }
}

/// The shared bucket for new keys when a table is full.
const OVERFLOW_SOURCE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);

impl AuthFailures {
    /// Starts an attempt from `source` (None when unknown, e.g. in tests): refused when that
    /// address has used its budget, else charged one failure.
    pub fn begin(&self, source: Option<IpAddr>) -> Result<Attempt<'_>, Refused> {
        let source = source.map(source_key);
        if let Some(ip) = source {
            let now = Instant::now();
            let Ok(mut sources) = self.sources.lock() else {
                return Err(Refused {
                    retry_after: SOURCE_REFILL,
                });
            };
            if sources.len() >= MAX_ENTRIES && !sources.contains_key(&ip) {
                sources.retain(|_, b| {
                    let mut b = *b;
                    b.refill(SOURCE_BURST, SOURCE_REFILL, now);
                    b.tokens < SOURCE_BURST
                });
            }
            let key = if sources.len() >= MAX_ENTRIES && !sources.contains_key(&ip) {
                OVERFLOW_SOURCE
            } else {
                ip
            };
            let bucket = sources
                .entry(key)
                .or_insert_with(|| Bucket::full(SOURCE_BURST, now));
            bucket.refill(SOURCE_BURST, SOURCE_REFILL, now);
            if bucket.tokens < 1.0 {
                return Err(Refused {
                    retry_after: bucket.wait(SOURCE_REFILL),
                });
            }
            bucket.tokens -= 1.0;
        }
        Ok(Attempt {
            failures: self,
            source,
            client: None,
        })
    }

    fn refund_source(&self, ip: IpAddr) {
        if let Ok(mut sources) = self.sources.lock()
            && let Some(bucket) = sources.get_mut(&ip)
        {
            bucket.tokens = (bucket.tokens + 1.0).min(SOURCE_BURST);
        }
    }
}

impl Attempt<'_> {
    /// Charges the attempt to the (existing) client `client_id` too: refused when the client
    /// has used its budget and this source has not authenticated it recently.
    pub fn for_client(&mut self, client_id: &str) -> Result<(), Refused> {
        let now = Instant::now();
        let Ok(mut clients) = self.failures.clients.lock() else {
            return Err(Refused {
                retry_after: CLIENT_REFILL,
            });
        };
        if clients.len() >= MAX_ENTRIES && !clients.contains_key(client_id) {
            clients.retain(|_, c| {
                let mut b = c.bucket;
                b.refill(CLIENT_BURST, CLIENT_REFILL, now);
                b.tokens < CLIENT_BURST
                    || c.known_good
                        .iter()
                        .any(|(_, t)| now.duration_since(*t) < KNOWN_GOOD_FOR)
            });
        }
        let Some(entry) = client_entry(&mut clients, client_id, now) else {
            return Err(Refused {
                retry_after: CLIENT_REFILL,
            });
        };
        entry.bucket.refill(CLIENT_BURST, CLIENT_REFILL, now);
        if entry.bucket.tokens >= 1.0 {
            entry.bucket.tokens -= 1.0;
            self.client = Some(client_id.to_owned());
            return Ok(());
        }
        let known_good = self.source.is_some_and(|ip| {
            entry
                .known_good
                .iter()
                .any(|(good, t)| *good == ip && now.duration_since(*t) < KNOWN_GOOD_FOR)
        });
        if known_good {
            // Exempt from the client's budget; still charged to its own address's.
            return Ok(());
        }
        Err(Refused {
            retry_after: entry.bucket.wait(CLIENT_REFILL),
        })
    }

    /// The secret was right: refund the charges and remember the source as known good for the
    /// client.
    pub fn succeeded(self, client_id: &str) {
        if let Some(ip) = self.source {
            self.failures.refund_source(ip);
        }
        let now = Instant::now();
        if let Ok(mut clients) = self.failures.clients.lock()
            && let Some(entry) = client_entry(&mut clients, client_id, now)
        {
            if self.client.as_deref() == Some(client_id) {
                entry.bucket.tokens = (entry.bucket.tokens + 1.0).min(CLIENT_BURST);
            }
            if let Some(ip) = self.source {
                match entry.known_good.iter_mut().find(|(good, _)| *good == ip) {
                    Some(seen) => seen.1 = now,
                    None => {
                        if entry.known_good.len() >= KNOWN_GOOD_PER_CLIENT
                            && let Some(oldest) = entry
                                .known_good
                                .iter()
                                .enumerate()
                                .min_by_key(|(_, (_, t))| *t)
                                .map(|(i, _)| i)
                        {
                            entry.known_good.swap_remove(oldest);
                        }
                        entry.known_good.push((ip, now));
                    }
                }
            }
        }
    }
}

/// The client's entry, made (full) on first use; no allocation when it exists. (None only if
/// the map lost an entry it was just given, which cannot happen.)
fn client_entry<'m>(
    clients: &'m mut HashMap<String, ClientFailures>,
    client_id: &str,
    now: Instant,
) -> Option<&'m mut ClientFailures> {
    if !clients.contains_key(client_id) {
        clients.insert(
            client_id.to_owned(),
            ClientFailures {
                bucket: Bucket::full(CLIENT_BURST, now),
                known_good: Vec::new(),
            },
        );
    }
    clients.get_mut(client_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> Option<IpAddr> {
        Some(IpAddr::from([192, 0, 2, last]))
    }

    #[test]
    fn a_source_is_refused_past_its_budget_even_with_attempts_in_flight() {
        let failures = AuthFailures::default();
        // Attempts still in flight count: none has had a verdict yet.
        let in_flight: Vec<Attempt<'_>> = (0..SOURCE_BURST as usize)
            .map(|_| failures.begin(ip(1)).expect("within budget"))
            .collect();
        let refused = failures
            .begin(ip(1))
            .err()
            .expect("refused past the budget");
        assert!(refused.retry_after <= SOURCE_REFILL && refused.retry_after_secs() >= 1);
        assert!(
            failures.begin(ip(2)).is_ok(),
            "another address is not affected"
        );
        drop(in_flight);
        assert!(
            failures.begin(ip(1)).is_err(),
            "dropped attempts stay charged"
        );
    }

    #[test]
    fn successes_refund_and_known_good_sources_pass_an_exhausted_client() {
        let failures = AuthFailures::default();
        // The owner authenticates once from its address.
        let mut owner = failures.begin(ip(9)).expect("owner");
        owner.for_client("c").expect("client budget");
        owner.succeeded("c");
        // Guessers from many addresses exhaust the client's budget.
        let mut guesses = 0;
        for i in 0..200u16 {
            let source = Some(IpAddr::from([198, 51, (i >> 8) as u8, i as u8]));
            let Ok(mut attempt) = failures.begin(source) else {
                continue;
            };
            if attempt.for_client("c").is_ok() {
                guesses += 1;
            }
        }
        assert_eq!(
            guesses, CLIENT_BURST as usize,
            "the client's budget caps all guessers"
        );
        let mut stranger = failures.begin(ip(200)).expect("fresh address");
        assert!(
            stranger.for_client("c").is_err(),
            "an unknown address is refused"
        );
        for _ in 0..200 {
            let mut again = failures.begin(ip(9)).expect("owner's address budget");
            again.for_client("c").expect("the owner is never refused");
            again.succeeded("c");
        }
    }

    #[test]
    fn ipv6_hosts_are_counted_by_their_slash_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().expect("ip");
        let failures = AuthFailures::default();
        for _ in 0..SOURCE_BURST as usize {
            let _ = failures.begin(Some(a)).expect("budget");
        }
        assert!(failures.begin(Some(b)).is_err(), "same /64");
        let other: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert!(failures.begin(Some(other)).is_ok());
    }
}
