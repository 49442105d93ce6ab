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

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::Write;
use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::Principal;

/// Longest `resource` recorded, in bytes (an ARN or client id is far shorter).
pub const MAX_RESOURCE_BYTES: usize = 256;
/// Longest `errorMessage` recorded, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 512;
/// Longest `scopes` recorded, in bytes.
pub const MAX_SCOPES_BYTES: usize = 4096;
/// Refused anonymous requests are written as one line per key per this window.
pub const NOISE_WINDOW: Duration = Duration::from_secs(60);
/// Distinct (event, error, source) keys counted per window (sources by IPv4 address or IPv6
/// /64); more share one key per (event, error) whose source is `*`.
const MAX_NOISE_KEYS: usize = 256;
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

impl AuditRecord<'_> {
    pub fn identity(principal: Option<&Principal>) -> Option<UserIdentity<'_>> {
        let principal = principal?;
        Some(UserIdentity {
            kind: "IAMUser",
            arn: principal.arn.as_deref()?,
            account_id: &principal.account_id,
            user_name: principal.user_name.as_deref()?,
        })
    }
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

/// An aggregated line: how many refused anonymous requests of one kind came from one address.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NoiseRecord<'a> {
    event_time: String,
    event_source: &'static str,
    event_name: &'a str,
    aws_region: &'a str,
    #[serde(rename = "sourceIPAddress")]
    source_ip_address: &'a str,
    outcome: &'static str,
    error_code: &'a str,
    /// One of the resources the requests named (e.g. a client id), cut short.
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
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct NoiseKey {
    event_name: &'static str,
    error_code: &'static str,
    /// None: unknown, or the overflow key.
    source: Option<IpAddr>,
    overflow: bool,
}

struct NoiseCount {
    count: u64,
    first: String,
    last: String,
    sample: Option<String>,
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
    noise: Arc<Mutex<HashMap<NoiseKey, NoiseCount>>>,
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
        let noise = Arc::new(Mutex::new(HashMap::new()));
        let writer = Writer {
            out,
            counters: counters.clone(),
            noise: noise.clone(),
            region: region.to_owned(),
            pending: VecDeque::new(),
            pending_bytes: 0,
            last_report: None,
            failures_since_report: 0,
            noise_due: Instant::now() + NOISE_WINDOW,
            outage_since: None,
        };
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
    /// the audit log cannot be written); written as one aggregated line per (event, error,
    /// source address, IPv6 by /64) per [`NOISE_WINDOW`]. `sample` (e.g. the client id it
    /// named) is kept, cut short, from the first such request.
    pub fn refused_anonymous(
        &self,
        event_name: &'static str,
        error_code: &'static str,
        source: Option<IpAddr>,
        sample: Option<&str>,
    ) {
        self.counters.aggregated.fetch_add(1, Ordering::Relaxed);
        let now = now_rfc3339();
        let Ok(mut noise) = self.noise.lock() else {
            return;
        };
        let mut key = NoiseKey {
            event_name,
            error_code,
            source: source.map(rognito_ops::auth_failures::source_key),
            overflow: false,
        };
        if noise.len() >= MAX_NOISE_KEYS && !noise.contains_key(&key) {
            key.source = None;
            key.overflow = true;
        }
        noise
            .entry(key)
            .and_modify(|n| {
                n.count += 1;
                n.last.clone_from(&now);
            })
            .or_insert_with(|| NoiseCount {
                count: 1,
                first: now.clone(),
                last: now.clone(),
                sample: sample.map(|s| bounded(s, 128).into_owned()),
            });
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

/// How long the writer thread lets lines gather before writing them. A busy server then wakes
/// it (and makes a write syscall) about 50 times a second instead of once per token: at 5,000
/// tokens/s the per-line wake-ups cost the signing threads about 9% of their throughput.
pub const GATHER_INTERVAL: Duration = Duration::from_millis(20);
/// Lines a request waits on (fail-closed tokens) gather only this long.
const CONFIRM_GATHER_INTERVAL: Duration = Duration::from_millis(1);

enum Sink {
    /// The file, and whether it may end in a partial line (a failed write that could not be
    /// cut back), which the next write then closes with a newline first.
    File(File, bool),
    Stdout(std::io::Stdout),
    /// Any writer (tests: one that fails on demand).
    #[cfg(test)]
    Test(Box<dyn Write + Send>),
}

impl Sink {
    /// Writes the batch whole or not at all: a file that took only part of it (a full disk) is
    /// cut back to where it was, so no half line is left for the next write to follow.
    fn write_batch(&mut self, batch: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::File(file, torn) => {
                let before = file.metadata()?.len();
                let result = (if *torn { file.write_all(b"\n") } else { Ok(()) })
                    .and_then(|()| file.write_all(batch))
                    .and_then(|()| file.flush());
                match &result {
                    Ok(()) => *torn = false,
                    Err(_) => *torn = file.set_len(before).is_err() || *torn,
                }
                result
            }
            Sink::Stdout(out) => {
                let mut out = out.lock();
                out.write_all(batch).and_then(|()| out.flush())
            }
            #[cfg(test)]
            Sink::Test(out) => out.write_all(batch).and_then(|()| out.flush()),
        }
    }
}

/// The writer thread's state.
struct Writer {
    out: Sink,
    counters: Arc<Counters>,
    noise: Arc<Mutex<HashMap<NoiseKey, NoiseCount>>>,
    region: String,
    /// Lines not yet written (retained after a failure), oldest first.
    pending: VecDeque<String>,
    pending_bytes: usize,
    last_report: Option<Instant>,
    failures_since_report: u64,
    noise_due: Instant,
    /// Since when the log cannot be written: the next write that succeeds starts with a line
    /// recording the outage, and until then a write is retried every second even with nothing
    /// else to write.
    outage_since: Option<String>,
}

impl Writer {
    /// Blocks until a line arrives (or a retry or the aggregation window is due), lets more
    /// gather for [`GATHER_INTERVAL`] (senders do not wake a thread that is sleeping rather
    /// than waiting on the channel), then writes the batch with one write.
    fn run(mut self, rx: &mpsc::Receiver<Message>) {
        loop {
            let wait = if self.pending.is_empty() && self.outage_since.is_none() {
                self.noise_due.saturating_duration_since(Instant::now())
            } else {
                RETRY_INTERVAL
            };
            let first = match rx.recv_timeout(wait.max(Duration::from_millis(1))) {
                Ok(message) => Some(message),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            };
            let mut acks = Vec::new();
            let mut confirms = Vec::new();
            if let Some(first) = first {
                let gather = match &first {
                    Message::Flush(_) => Duration::ZERO,
                    Message::Line(Line {
                        confirm: Some(_), ..
                    }) => CONFIRM_GATHER_INTERVAL,
                    Message::Line(_) => GATHER_INTERVAL,
                };
                if !gather.is_zero() {
                    std::thread::sleep(gather);
                }
                let mut next = Some(first);
                while let Some(message) = next.take().or_else(|| rx.try_recv().ok()) {
                    match message {
                        Message::Line(line) => match line.confirm {
                            None => self.queue(line.text),
                            Some(confirm) => confirms.push((line.text, confirm)),
                        },
                        Message::Flush(ack) => acks.push(ack),
                    }
                }
            }
            self.counters.congested.store(false, Ordering::Release);
            if !acks.is_empty() || Instant::now() >= self.noise_due {
                self.queue_noise();
            }
            self.write_pending(confirms);
            for ack in acks {
                let _ = ack.send(());
            }
        }
        self.queue_noise();
        self.write_pending(Vec::new());
    }

    fn queue(&mut self, text: String) {
        self.pending_bytes += text.len();
        self.pending.push_back(text);
        while self.pending_bytes > MAX_PENDING_BYTES {
            let Some(dropped) = self.pending.pop_front() else {
                break;
            };
            self.pending_bytes -= dropped.len();
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
        self.counters
            .pending
            .store(self.pending.len() as u64, Ordering::Relaxed);
    }

    /// Moves the aggregated counts of the window into lines.
    fn queue_noise(&mut self) {
        self.noise_due = Instant::now() + NOISE_WINDOW;
        let window = match self.noise.lock() {
            Ok(mut noise) => std::mem::take(&mut *noise),
            Err(_) => return,
        };
        let now = now_rfc3339();
        for (key, count) in window {
            let source = match (key.overflow, key.source) {
                (true, _) => "*".to_owned(),
                (false, Some(ip)) => ip.to_string(),
                (false, None) => "unknown".to_owned(),
            };
            let record = NoiseRecord {
                event_time: now.clone(),
                event_source: "cognito-idp.amazonaws.com",
                event_name: key.event_name,
                aws_region: &self.region,
                source_ip_address: &source,
                outcome: "failure",
                error_code: key.error_code,
                resource: count.sample.as_deref(),
                aggregated: Aggregated {
                    count: count.count,
                    first_event_time: &count.first,
                    last_event_time: &count.last,
                },
            };
            if let Ok(mut line) = serde_json::to_string(&record) {
                line.push('\n');
                self.queue(line);
            }
        }
    }

    /// Writes what is pending and the confirmed lines in one batch. On failure, pending lines
    /// stay for the next retry and confirmed lines are given up (their requests are told).
    fn write_pending(&mut self, confirms: Vec<(String, tokio::sync::oneshot::Sender<bool>)>) {
        if self.pending.is_empty() && confirms.is_empty() && self.outage_since.is_none() {
            return;
        }
        let mut batch = Vec::with_capacity(
            self.pending_bytes + confirms.iter().map(|(t, _)| t.len()).sum::<usize>(),
        );
        if let Some(since) = &self.outage_since {
            batch.extend_from_slice(self.outage_line(since).as_bytes());
        }
        for line in &self.pending {
            batch.extend_from_slice(line.as_bytes());
        }
        for (line, _) in &confirms {
            batch.extend_from_slice(line.as_bytes());
        }
        let lines = (self.pending.len() + confirms.len()) as u64;
        match self.out.write_batch(&batch) {
            Ok(()) => {
                self.counters.written.fetch_add(lines, Ordering::Relaxed);
                self.outage_since = None;
                self.pending.clear();
                self.pending_bytes = 0;
                self.counters.pending.store(0, Ordering::Relaxed);
                if !self.counters.writable.swap(true, Ordering::AcqRel) {
                    tracing::warn!(
                        failed_writes = self.counters.failed_writes.load(Ordering::Relaxed),
                        dropped = self.counters.dropped.load(Ordering::Relaxed),
                        "the audit log is writable again; the lines kept meanwhile are written"
                    );
                    self.last_report = None;
                }
                for (_, confirm) in confirms {
                    let _ = confirm.send(true);
                }
            }
            Err(e) => {
                self.counters.failed_writes.fetch_add(1, Ordering::Relaxed);
                self.counters.writable.store(false, Ordering::Release);
                if self.outage_since.is_none() {
                    self.outage_since = Some(now_rfc3339());
                }
                for (_, confirm) in confirms {
                    self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                    let _ = confirm.send(false);
                }
                self.failures_since_report += 1;
                if self
                    .last_report
                    .is_none_or(|t| t.elapsed() >= FAILURE_LOG_INTERVAL)
                {
                    tracing::error!(
                        error = %e,
                        failed_writes = self.failures_since_report,
                        pending_lines = self.pending.len(),
                        dropped = self.counters.dropped.load(Ordering::Relaxed),
                        "cannot write the audit log; retrying every second"
                    );
                    self.last_report = Some(Instant::now());
                    self.failures_since_report = 0;
                }
            }
        }
    }
}

impl Writer {
    /// The line that records an outage once the log is writable again: since when, and what
    /// was lost (lines dropped) meanwhile.
    fn outage_line(&self, since: &str) -> String {
        let record = serde_json::json!({
            "eventTime": now_rfc3339(),
            "eventSource": "rognito",
            "eventName": "AuditLogUnavailable",
            "awsRegion": self.region,
            "outcome": "failure",
            "unavailableSince": since,
            "failedWrites": self.counters.failed_writes.load(Ordering::Relaxed),
            "dropped": self.counters.dropped.load(Ordering::Relaxed),
        });
        let mut line = record.to_string();
        line.push('\n');
        line
    }
}

/// `2026-11-22T03:10:00Z` for now, as CloudTrail writes eventTime.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let stamp = crate::sigv4::format_amz_date(secs);
    format!(
        "{}-{}-{}T{}:{}:{}Z",
        &stamp[0..4],
        &stamp[4..6],
        &stamp[6..8],
        &stamp[9..11],
        &stamp[11..13],
        &stamp[13..15]
    )
}

/// Operations the audit log records: writes, and token issuing.
pub fn audited(operation: rognito_model::Operation) -> bool {
    let name = operation.name();
    !(name.starts_with("Describe") || name.starts_with("List") || name.starts_with("Get"))
        || operation == rognito_model::Operation::GetClientToken
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(request_id: &str) -> AuditRecord<'_> {
        AuditRecord {
            event_time: now_rfc3339(),
            event_source: "cognito-idp.amazonaws.com",
            event_name: "CreateResourceServer",
            aws_region: "us-east-1",
            recipient_account_id: "000000000000",
            user_identity: None,
            source_ip_address: None,
            resource: None,
            request_id,
            outcome: "Success",
            error_code: None,
            error_message: None,
            scopes: None,
        }
    }

    fn lines(path: &Path) -> Vec<serde_json::Value> {
        std::fs::read_to_string(path)
            .expect("read")
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }

    #[test]
    fn flush_writes_every_line_recorded_before_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.log");
        let log = AuditLog::open(&path, "us-east-1", false).expect("open");
        let ids: Vec<String> = (0..500).map(|i| format!("req-{i}")).collect();
        for id in &ids {
            log.record(&record(id));
        }
        log.flush(Duration::from_secs(10));
        let written: Vec<String> = lines(&path)
            .iter()
            .map(|v| v["requestID"].as_str().expect("requestID").to_owned())
            .collect();
        assert_eq!(written, ids, "every line, in order, once");
        assert_eq!(log.status().written, 500);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "owner only");
        }
    }

    /// Issue 9, A.2: caller input is cut to its bound, and refused anonymous requests become
    /// one counted line per kind and address.
    #[test]
    fn fields_are_bounded_and_anonymous_noise_is_aggregated() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.log");
        let log = AuditLog::open(&path, "us-east-1", false).expect("open");
        let huge = "x".repeat(1 << 20);
        let mut big = record("big");
        big.resource = Some(&huge);
        big.error_message = Some(&huge);
        big.scopes = Some(&huge);
        log.record(&big);
        let source: IpAddr = "192.0.2.1".parse().expect("ip");
        for _ in 0..1000 {
            log.refused_anonymous("Token_POST", "invalid_client", Some(source), Some(&huge));
        }
        log.refused_anonymous("Token_POST", "invalid_request", Some(source), None);
        log.flush(Duration::from_secs(10));
        let size = std::fs::metadata(&path).expect("meta").len();
        assert!(size < 8 * 1024, "1 MiB inputs made {size} bytes");
        let written = lines(&path);
        assert_eq!(written.len(), 3);
        assert!(
            written[0]["resource"]
                .as_str()
                .expect("resource")
                .ends_with("bytes cut]")
        );
        let noise: Vec<&serde_json::Value> = written
            .iter()
            .filter(|l| l.get("aggregated").is_some())
            .collect();
        let counts: u64 = noise
            .iter()
            .map(|l| l["aggregated"]["count"].as_u64().expect("count"))
            .sum();
        assert_eq!(counts, 1001);
        assert!(noise.iter().all(|l| l["sourceIPAddress"] == "192.0.2.1"));
        assert_eq!(log.status().aggregated, 1001);
    }

    /// A writer that fails its first `failures` writes, then keeps what it is given.
    struct Flaky {
        failures: std::sync::Arc<std::sync::atomic::AtomicU32>,
        written: std::sync::Arc<Mutex<Vec<u8>>>,
    }

    impl Write for Flaky {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self
                .failures
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                .is_ok()
            {
                return Err(std::io::Error::other("disk full"));
            }
            self.written
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?
                .extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A log that failed recovers by itself (retried every second, even with nothing queued),
    /// writes a line recording the outage, and then accepts again when failing closed.
    #[test]
    fn a_failed_log_recovers_and_records_the_outage() {
        let failures = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(2));
        let written = std::sync::Arc::new(Mutex::new(Vec::new()));
        let sink = Sink::Test(Box::new(Flaky {
            failures: failures.clone(),
            written: written.clone(),
        }));
        let log = AuditLog::start(sink, "us-east-1", true).expect("start");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        assert!(!runtime.block_on(log.record_confirmed(&record("withheld"))));
        assert!(!log.accepting(), "refusing while the log fails");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !log.accepting() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(
            log.accepting(),
            "recovered without any new line: {:?}",
            log.status()
        );
        assert!(runtime.block_on(log.record_confirmed(&record("issued"))));
        let text = String::from_utf8(written.lock().expect("lock").clone()).expect("utf-8");
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        assert_eq!(lines[0]["eventName"], "AuditLogUnavailable");
        assert_eq!(lines[0]["dropped"], 1, "the withheld token's line");
        assert_eq!(lines.last().expect("line")["requestID"], "issued");
        assert!(!text.contains("withheld"));
    }

    #[test]
    fn bounded_cuts_on_a_character_boundary() {
        assert_eq!(bounded("short", 10), "short");
        let cut = bounded("ééééé", 3);
        assert!(
            cut.starts_with('é') && cut.ends_with("[8 bytes cut]"),
            "{cut}"
        );
    }

    /// Issue 9, A.3: a log that cannot be written is counted, retried, and (fail closed) stops
    /// accepting; confirmed lines report the failure.
    #[cfg(target_os = "linux")]
    #[test]
    fn write_failures_are_counted_and_fail_closed_stops_accepting() {
        // /dev/full accepts the open and fails every write with ENOSPC.
        let log = AuditLog::open(Path::new("/dev/full"), "us-east-1", true).expect("open");
        assert!(log.accepting());
        log.record(&record("lost"));
        log.flush(Duration::from_secs(10));
        let status = log.status();
        assert!(
            !status.writable && status.failed_writes >= 1 && status.pending == 1,
            "{status:?}"
        );
        assert!(!log.accepting(), "fail closed refuses while unwritable");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        assert!(!runtime.block_on(log.record_confirmed(&record("token"))));
        assert_eq!(
            log.status().dropped,
            1,
            "the withheld token's line is given up"
        );
        let open = AuditLog::open(Path::new("/dev/full"), "us-east-1", false).expect("open");
        open.record(&record("lost"));
        open.flush(Duration::from_secs(10));
        assert!(open.accepting(), "fail open keeps accepting");
    }
}
