//! The audit log: one JSON line per control-plane write and per token issued or refused, shaped
//! like CloudTrail's records (eventTime, eventSource, eventName, awsRegion, recipientAccountId,
//! userIdentity, sourceIPAddress, resources, requestID, errorCode, errorMessage). Lines are
//! written by a dedicated thread so a request never waits on the file.
//!
//! What an attacker cannot do with it:
//! - grow it by sending large input: every field that can hold caller input is cut to a few
//!   hundred bytes ([`MAX_RESOURCE_BYTES`], [`MAX_MESSAGE_BYTES`]), and secrets and
//!   credentials never enter a record (only ids, names and outcomes);
//! - grow it by sending many refused anonymous requests: those are counted per (event, error,
//!   source address) and written as one aggregated line per [`NOISE_WINDOW`]
//!   ([`AuditLog::refused_anonymous`]); every authenticated call and every issued token still
//!   gets a line of its own;
//! - make it lose lines silently: a failed write is retried, counted and logged (at most every
//!   [`FAILURE_LOG_INTERVAL`]), [`AuditLog::status`] exposes the counts, and in fail-closed
//!   mode tokens are released only once their line is written and writes are refused while
//!   the log cannot be written.

use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use serde::Serialize;

mod noise;
mod writer;

use noise::Noise;
pub use writer::GATHER_INTERVAL;
use writer::{Sink, Writer};

/// Longest `resource` recorded, in bytes (an ARN or client id is far shorter).
pub const MAX_RESOURCE_BYTES: usize = 256;
/// Longest `errorMessage` recorded, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 512;
/// Longest `scopes` recorded, in bytes.
pub const MAX_SCOPES_BYTES: usize = 4096;
/// Refused anonymous requests are written as one line per key per this window.
pub const NOISE_WINDOW: Duration = Duration::from_secs(60);
/// A failing audit log is reported in the server log at most this often.
pub const FAILURE_LOG_INTERVAL: Duration = Duration::from_secs(10);
/// Lines kept for a retry while the log cannot be written; older ones are dropped (counted).
const MAX_PENDING_BYTES: usize = 16 << 20;
/// How often a failing log is retried.
const RETRY_INTERVAL: Duration = Duration::from_secs(1);
/// Lines waiting for the writer thread at most; beyond, lines are dropped (counted) and, failing
/// closed, tokens and writes refused, so a stalled file (a pipe nobody reads, a hung network
/// disk) cannot make the queue grow without bound.
const QUEUED_LINES: usize = 65_536;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub arn: &'a str,
    pub account_id: &'a str,
    pub user_name: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord<'a> {
    pub event_time: String,
    pub event_source: &'static str,
    pub event_name: &'a str,
    pub aws_region: &'a str,
    pub recipient_account_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_identity: Option<UserIdentity<'a>>,
    /// The caller's address (after trusted proxies).
    #[serde(rename = "sourceIPAddress", skip_serializing_if = "Option::is_none")]
    pub source_ip_address: Option<IpAddr>,
    /// The pool ARN (or `*`) the call addressed; for token events, the app client id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<&'a str>,
    #[serde(rename = "requestID")]
    pub request_id: &'a str,
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<&'a str>,
    /// Token events: the scopes granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<&'a str>,
}

/// `text` cut to at most `max` bytes (on a character boundary), with a marker saying how much
/// was cut.
pub fn bounded(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if text.len() <= max {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    std::borrow::Cow::Owned(format!(
        "{}...[{} bytes cut]",
        &text[..end],
        text.len() - end
    ))
}

/// How the log is doing, for `/health` and operators.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditStatus {
    /// The last write succeeded (or none was needed yet).
    pub writable: bool,
    /// Whether tokens and writes are refused while it is not.
    pub fail_closed: bool,
    /// Lines written.
    pub written: u64,
    /// Write attempts that failed.
    pub failed_writes: u64,
    /// Lines waiting to be retried.
    pub pending: u64,
    /// Lines given up: dropped from a full retry buffer, or tokens withheld in fail-closed mode
    /// because their line could not be written.
    pub dropped: u64,
    /// Refused anonymous requests counted into aggregated lines.
    pub aggregated: u64,
}

#[derive(Default)]
struct Counters {
    writable: AtomicBool,
    /// The queue to the writer thread was full since the thread last emptied it.
    congested: AtomicBool,
    written: AtomicU64,
    failed_writes: AtomicU64,
    pending: AtomicU64,
    dropped: AtomicU64,
    aggregated: AtomicU64,
}

/// A line and, for lines a request waits on, where to say whether it was written.
struct Line {
    text: String,
    /// Fail-closed tokens: the request waits; a line that cannot be written is given up (the
    /// token is withheld), never retried as if it had been issued.
    confirm: Option<tokio::sync::oneshot::Sender<bool>>,
}

enum Message {
    Line(Line),
    /// Write everything queued so far (and the aggregated lines), then acknowledge.
    Flush(mpsc::SyncSender<()>),
}

/// Where audit lines go.
pub struct AuditLog {
    messages: mpsc::SyncSender<Message>,
    counters: Arc<Counters>,
    noise: Arc<Mutex<Noise>>,
    fail_closed: bool,
}

impl AuditLog {
    /// Appends to `path` (created 0600 if missing), or writes to stdout when `path` is `-`.
    /// With `fail_closed`, [`AuditLog::accepting`] turns false while lines cannot be written.
    pub fn open(path: &Path, region: &str, fail_closed: bool) -> std::io::Result<Self> {
        let out = if path.as_os_str() == "-" {
            Sink::Stdout(std::io::stdout())
        } else {
            let mut options = std::fs::OpenOptions::new();
            options.create(true).append(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            Sink::File(options.open(path)?, false)
        };
        Self::start(out, region, fail_closed)
    }

    fn start(out: Sink, region: &str, fail_closed: bool) -> std::io::Result<Self> {
        let (messages, rx) = mpsc::sync_channel::<Message>(QUEUED_LINES);
        let counters = Arc::new(Counters::default());
        counters.writable.store(true, Ordering::Release);
        let noise = Arc::new(Mutex::new(Noise::default()));
        let mut writer = Writer::new(out, counters.clone(), noise.clone(), region);
        // A first line, written now: a log that cannot be written is known to be failing
        // before the first token or write (and, failing closed, refuses them).
        writer.opened();
        std::thread::Builder::new()
            .name("rognito-audit".into())
            .spawn(move || writer.run(&rx))?;
        Ok(AuditLog {
            messages,
            counters,
            noise,
            fail_closed,
        })
    }

    /// Records a line; it reaches the file within about [`GATHER_INTERVAL`], or is retried.
    pub fn record(&self, record: &AuditRecord<'_>) {
        if let Some(text) = render(record) {
            self.enqueue(Line {
                text,
                confirm: None,
            });
        }
    }

    /// Queues a line without waiting; a full queue drops it (counted). False when dropped.
    fn enqueue(&self, line: Line) -> bool {
        match self.messages.try_send(Message::Line(line)) {
            Ok(()) => true,
            Err(_) => {
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                self.counters.congested.store(true, Ordering::Release);
                false
            }
        }
    }

    /// Records a line and waits until it is written: true when written, false when it cannot
    /// be (the line is then given up, so the caller must withhold what it describes).
    pub async fn record_confirmed(&self, record: &AuditRecord<'_>) -> bool {
        let Some(text) = render(record) else {
            return false;
        };
        let (confirm, written) = tokio::sync::oneshot::channel();
        if !self.enqueue(Line {
            text,
            confirm: Some(confirm),
        }) {
            return false;
        }
        written.await.unwrap_or(false)
    }

    /// Whether tokens may be issued and writes accepted: false only in fail-closed mode while
    /// the log cannot be written.
    pub fn accepting(&self) -> bool {
        !self.fail_closed
            || (self.counters.writable.load(Ordering::Acquire)
                && !self.counters.congested.load(Ordering::Acquire))
    }

    /// Whether a token's line must be written before the token is released.
    pub fn fail_closed(&self) -> bool {
        self.fail_closed
    }

    /// Counts a refused request from a caller that did not authenticate (or one refused because
    /// the audit log cannot be written), for one aggregated line per kind and address per
    /// [`NOISE_WINDOW`] (see `noise.rs` for the caps). `client` is the id of an *existing*
    /// client the request named, if any (never a string the caller sent as an id of no client:
    /// it could be a secret in the wrong field).
    pub fn refused_anonymous(
        &self,
        event_name: &'static str,
        error_code: &'static str,
        source: Option<IpAddr>,
        client: Option<&str>,
    ) {
        self.counters.aggregated.fetch_add(1, Ordering::Relaxed);
        let now = now_rfc3339();
        self.noise
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .count(event_name, error_code, source, client, &now);
    }

    pub fn status(&self) -> AuditStatus {
        let c = &self.counters;
        AuditStatus {
            writable: c.writable.load(Ordering::Acquire) && !c.congested.load(Ordering::Acquire),
            fail_closed: self.fail_closed,
            written: c.written.load(Ordering::Relaxed),
            failed_writes: c.failed_writes.load(Ordering::Relaxed),
            pending: c.pending.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
            aggregated: c.aggregated.load(Ordering::Relaxed),
        }
    }

    /// Waits (up to `timeout`) until every line recorded so far, and the aggregated counts, are
    /// written: called at shutdown.
    pub fn flush(&self, timeout: Duration) {
        let (ack, done) = mpsc::sync_channel(1);
        if self.messages.send(Message::Flush(ack)).is_ok() {
            let _ = done.recv_timeout(timeout);
        }
    }
}

/// The record as a JSON line, with every caller-controlled field cut to its bound.
fn render(record: &AuditRecord<'_>) -> Option<String> {
    let resource = record.resource.map(|r| bounded(r, MAX_RESOURCE_BYTES));
    let message = record.error_message.map(|m| bounded(m, MAX_MESSAGE_BYTES));
    let scopes = record.scopes.map(|s| bounded(s, MAX_SCOPES_BYTES));
    let bounded_record = AuditRecord {
        event_time: record.event_time.clone(),
        event_source: record.event_source,
        event_name: record.event_name,
        aws_region: record.aws_region,
        recipient_account_id: record.recipient_account_id,
        user_identity: record.user_identity.as_ref().map(|u| UserIdentity {
            kind: u.kind,
            arn: u.arn,
            account_id: u.account_id,
            user_name: u.user_name,
        }),
        source_ip_address: record.source_ip_address,
        resource: resource.as_deref(),
        request_id: record.request_id,
        outcome: record.outcome,
        error_code: record.error_code,
        error_message: message.as_deref(),
        scopes: scopes.as_deref(),
    };
    let mut line = serde_json::to_string(&bounded_record).ok()?;
    line.push('\n');
    Some(line)
}

/// `2026-11-22T03:10:00Z` for now, as CloudTrail writes eventTime.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (year, month, day, hour, minute, second) = rognito_ops::clock::utc_fields(secs);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
}

#[cfg(test)]
mod tests;
