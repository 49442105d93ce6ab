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
//!   [`CLIENT_REFILL`]. An exhausted client refuses only the addresses that have themselves
//!   failed to authenticate it within [`FAILED_FOR`] (and have not authenticated it since).
//!   So a caller that has not guessed wrong is never refused because someone else is guessing
//!   its client's secret, and a distributed guesser gets one guess per fresh address.
//!
//! Refusals are immediate (never a delay) and say when to retry.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rognito_model::ClientId;

/// Failures a source address may have in a burst. Generous enough for a test suite that checks
/// its wrong-secret handling against a local rognito; guessing is held to the refill rate.
pub const SOURCE_BURST: f64 = 100.0;
/// One more failure is allowed per source address after this long.
pub const SOURCE_REFILL: Duration = Duration::from_secs(1);
/// Failures one client id may have in a burst, from every address together.
pub const CLIENT_BURST: f64 = 100.0;
/// One more failure is allowed per client id after this long.
pub const CLIENT_REFILL: Duration = Duration::from_secs(1);
/// How long an address that failed to authenticate a client stays refused by that client's
/// exhausted budget.
pub const FAILED_FOR: Duration = Duration::from_secs(3600);
/// Failing addresses remembered per client (the most recent ones); an address pushed out gets
/// one more guess.
const FAILED_PER_CLIENT: usize = 4096;
/// Source addresses tracked before idle ones are dropped; beyond, new addresses share one
/// bucket.
const MAX_SOURCES: usize = 100_000;
/// A full table is pruned at most this often (pruning walks it).
const PRUNE_EVERY: Duration = Duration::from_secs(1);

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
    /// Addresses that failed to authenticate this client, with when they last did.
    failed: HashMap<IpAddr, Instant>,
}

#[derive(Debug, Default)]
struct Sources {
    buckets: HashMap<IpAddr, Bucket>,
    last_prune: Option<Instant>,
}

/// The failure budgets of every source address and client id.
#[derive(Debug, Default)]
pub struct AuthFailures {
    sources: Mutex<Sources>,
    clients: Mutex<HashMap<ClientId, ClientFailures>>,
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
/// Dropped without that (a wrong secret, or a cancelled request), the charge stays and the
/// address is remembered as having failed for the client.
#[must_use]
pub struct Attempt<'a> {
    failures: &'a AuthFailures,
    /// The address as counted (IPv6 by /64).
    source: Option<IpAddr>,
    /// The source bucket actually charged (the address's own, or the shared overflow one).
    charged_source: Option<IpAddr>,
    client: Option<ClientId>,
    /// The client's bucket was charged (not when the attempt passed it as a fresh address).
    charged_client: bool,
    succeeded: bool,
}

/// The key an address is counted under: IPv4 (also when mapped into IPv6), or an IPv6 /64,
/// since one host usually holds a whole /64.
pub fn source_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            for s in &mut segments[4..] {
                *s = 0;
            }
            IpAddr::V6(segments.into())
        }
    }
}

/// The shared bucket for new addresses when the table is full.
const OVERFLOW_SOURCE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);

/// A poisoned lock only means another request panicked mid-update of plain counters: keep
/// using them rather than refusing everyone from then on.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl AuthFailures {
    /// Starts an attempt from `source` (None when unknown, e.g. in tests): refused when that
    /// address has used its budget, else charged one failure.
    pub fn begin(&self, source: Option<IpAddr>) -> Result<Attempt<'_>, Refused> {
        let source = source.map(source_key);
        let mut charged_source = None;
        if let Some(ip) = source {
            let now = Instant::now();
            let mut sources = lock(&self.sources);
            let sources = &mut *sources;
            if sources.buckets.len() >= MAX_SOURCES
                && !sources.buckets.contains_key(&ip)
                && sources
                    .last_prune
                    .is_none_or(|t| now.duration_since(t) >= PRUNE_EVERY)
            {
                sources.last_prune = Some(now);
                sources.buckets.retain(|_, b| {
                    let mut b = *b;
                    b.refill(SOURCE_BURST, SOURCE_REFILL, now);
                    b.tokens < SOURCE_BURST
                });
            }
            let key = if sources.buckets.len() >= MAX_SOURCES && !sources.buckets.contains_key(&ip)
            {
                OVERFLOW_SOURCE
            } else {
                ip
            };
            let bucket = sources
                .buckets
                .entry(key)
                .or_insert_with(|| Bucket::full(SOURCE_BURST, now));
            bucket.refill(SOURCE_BURST, SOURCE_REFILL, now);
            if bucket.tokens < 1.0 {
                return Err(Refused {
                    retry_after: bucket.wait(SOURCE_REFILL),
                });
            }
            bucket.tokens -= 1.0;
            charged_source = Some(key);
        }
        Ok(Attempt {
            failures: self,
            source,
            charged_source,
            client: None,
            charged_client: false,
            succeeded: false,
        })
    }
}

impl Attempt<'_> {
    /// Charges the attempt to the (existing) client `client_id` too. With the client's budget
    /// used up, the attempt is refused only if this address itself failed for the client
    /// within [`FAILED_FOR`]; an address that has not goes through uncharged.
    pub fn for_client(&mut self, client_id: &str) -> Result<(), Refused> {
        let now = Instant::now();
        let mut clients = lock(&self.failures.clients);
        let Some(entry) = client_entry(&mut clients, client_id, now) else {
            return Err(Refused {
                retry_after: CLIENT_REFILL,
            });
        };
        entry.bucket.refill(CLIENT_BURST, CLIENT_REFILL, now);
        self.client = Some(client_id.into());
        if entry.bucket.tokens >= 1.0 {
            entry.bucket.tokens -= 1.0;
            self.charged_client = true;
            return Ok(());
        }
        let failed_here = self.source.is_some_and(|ip| {
            entry
                .failed
                .get(&ip)
                .is_some_and(|t| now.duration_since(*t) < FAILED_FOR)
        });
        if failed_here || self.source.is_none() {
            return Err(Refused {
                retry_after: entry.bucket.wait(CLIENT_REFILL),
            });
        }
        Ok(())
    }

    /// The secret was right: refund the charges, and forget this address's failures for the
    /// client.
    pub fn succeeded(mut self, client_id: &str) {
        self.succeeded = true;
        if let Some(key) = self.charged_source {
            let mut sources = lock(&self.failures.sources);
            if let Some(bucket) = sources.buckets.get_mut(&key) {
                bucket.tokens = (bucket.tokens + 1.0).min(SOURCE_BURST);
            }
        }
        let mut clients = lock(&self.failures.clients);
        if let Some(entry) = clients.get_mut(client_id) {
            if self.charged_client && self.client.as_deref() == Some(client_id) {
                entry.bucket.tokens = (entry.bucket.tokens + 1.0).min(CLIENT_BURST);
            }
            if let Some(ip) = self.source {
                entry.failed.remove(&ip);
            }
        }
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if self.succeeded {
            return;
        }
        let (Some(client), Some(ip)) = (self.client.as_deref(), self.source) else {
            return;
        };
        let now = Instant::now();
        let mut clients = lock(&self.failures.clients);
        let Some(entry) = client_entry(&mut clients, client, now) else {
            return;
        };
        if entry.failed.len() >= FAILED_PER_CLIENT && !entry.failed.contains_key(&ip) {
            entry
                .failed
                .retain(|_, t| now.duration_since(*t) < FAILED_FOR);
            if entry.failed.len() >= FAILED_PER_CLIENT
                && let Some(oldest) = entry
                    .failed
                    .iter()
                    .min_by_key(|(_, t)| **t)
                    .map(|(k, _)| *k)
            {
                entry.failed.remove(&oldest);
            }
        }
        entry.failed.insert(ip, now);
    }
}

/// The client's entry, made (full) on first use; no allocation when it exists. The map holds
/// only existing clients (callers look the client up first), so it is bounded by them. (None
/// only if the map lost an entry it was just given, which cannot happen.)
fn client_entry<'m>(
    clients: &'m mut HashMap<ClientId, ClientFailures>,
    client_id: &str,
    now: Instant,
) -> Option<&'m mut ClientFailures> {
    if !clients.contains_key(client_id) {
        clients.insert(
            client_id.into(),
            ClientFailures {
                bucket: Bucket::full(CLIENT_BURST, now),
                failed: HashMap::new(),
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
    fn an_exhausted_client_refuses_only_addresses_that_failed_for_it() {
        let failures = AuthFailures::default();
        // Guessers from many addresses exhaust the client's budget, one guess each.
        let source = |i: u16| Some(IpAddr::from([198, 51, (i >> 8) as u8, i as u8]));
        for i in 0..CLIENT_BURST as u16 {
            let mut attempt = failures.begin(source(i)).expect("address budget");
            attempt.for_client("c").expect("client budget");
        }
        // A guesser that failed before is refused now; a fresh address is not.
        let mut again = failures.begin(source(3)).expect("address budget");
        assert!(again.for_client("c").is_err(), "failed before: refused");
        let mut fresh = failures.begin(source(500)).expect("address budget");
        fresh.for_client("c").expect("a fresh address is checked");
        drop(fresh); // ... and guessed wrong: refused from now on
        let mut third = failures.begin(source(500)).expect("address budget");
        assert!(third.for_client("c").is_err());
        // The owner, who never guessed wrong, always gets through.
        for _ in 0..50 {
            let mut owner = failures.begin(ip(9)).expect("owner's address budget");
            owner.for_client("c").expect("the owner is never refused");
            owner.succeeded("c");
        }
    }

    #[test]
    fn a_success_refunds_what_it_was_charged() {
        let failures = AuthFailures::default();
        for _ in 0..1000 {
            let mut attempt = failures.begin(ip(4)).expect("never exhausted by successes");
            attempt.for_client("c").expect("client");
            attempt.succeeded("c");
        }
    }

    #[test]
    fn ipv6_hosts_are_counted_by_their_slash_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().expect("ip");
        let failures = AuthFailures::default();
        for _ in 0..SOURCE_BURST as usize {
            let _ = failures.begin(Some(a)).expect("budget");
        }
        assert!(failures.begin(Some(b)).is_err(), "same /64");
        let other: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert!(failures.begin(Some(other)).is_ok());
        let mapped: IpAddr = "::ffff:192.0.2.8".parse().expect("ip");
        assert_eq!(source_key(mapped), IpAddr::from([192, 0, 2, 8]));
    }
}
