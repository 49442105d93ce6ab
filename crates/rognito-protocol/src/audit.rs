//! The audit log: one JSON line per control-plane write and per token issued or refused, shaped
//! like CloudTrail's records (eventTime, eventSource, eventName, awsRegion, recipientAccountId,
//! userIdentity, resources, requestID, errorCode, errorMessage). Lines are written by a
//! dedicated thread so a request never waits on the file. Secrets never enter a record: only
//! ids, names and outcomes do.

use std::io::Write;
use std::path::Path;
use std::sync::mpsc;

use serde::Serialize;

use crate::Principal;

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

/// How long the writer thread lets lines gather before writing them. A busy server then wakes
/// it (and makes a write syscall) about 50 times a second instead of once per token: at 5,000
/// tokens/s the per-line wake-ups cost the signing threads about 9% of their throughput.
const GATHER_INTERVAL: std::time::Duration = std::time::Duration::from_millis(20);

enum Message {
    Line(String),
    /// Write everything queued so far, then acknowledge.
    Flush(mpsc::SyncSender<()>),
}

/// Where audit lines go.
pub struct AuditLog {
    messages: mpsc::Sender<Message>,
}

impl AuditLog {
    /// Appends to `path` (created if missing), or writes to stdout when `path` is `-`.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let out: Box<dyn Write + Send> = if path.as_os_str() == "-" {
            Box::new(std::io::stdout())
        } else {
            Box::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?,
            )
        };
        let (messages, rx) = mpsc::channel::<Message>();
        std::thread::Builder::new()
            .name("rognito-audit".into())
            .spawn(move || write_lines(&rx, out))?;
        Ok(AuditLog { messages })
    }

    pub fn record(&self, record: &AuditRecord<'_>) {
        if let Ok(mut line) = serde_json::to_string(record) {
            line.push('\n');
            let _ = self.messages.send(Message::Line(line));
        }
    }

    /// Waits (up to `timeout`) until every line recorded so far is written: called at shutdown.
    pub fn flush(&self, timeout: std::time::Duration) {
        let (ack, done) = mpsc::sync_channel(1);
        if self.messages.send(Message::Flush(ack)).is_ok() {
            let _ = done.recv_timeout(timeout);
        }
    }
}

/// The writer thread: blocks until a line arrives, lets more gather for `GATHER_INTERVAL`
/// (senders do not wake a thread that is sleeping rather than waiting on the channel), then
/// writes the batch with one flush.
fn write_lines(rx: &mpsc::Receiver<Message>, out: Box<dyn Write + Send>) {
    let mut buffered = std::io::BufWriter::with_capacity(64 * 1024, out);
    let mut acks = Vec::new();
    while let Ok(first) = rx.recv() {
        let flushing_now = matches!(first, Message::Flush(_));
        let mut next = Some(first);
        if !flushing_now {
            std::thread::sleep(GATHER_INTERVAL);
        }
        while let Some(message) = next.take().or_else(|| rx.try_recv().ok()) {
            match message {
                Message::Line(line) => {
                    let _ = buffered.write_all(line.as_bytes());
                }
                Message::Flush(ack) => acks.push(ack),
            }
        }
        let _ = buffered.flush();
        for ack in acks.drain(..) {
            let _ = ack.send(());
        }
    }
    let _ = buffered.flush();
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
            resource: None,
            request_id,
            outcome: "Success",
            error_code: None,
            error_message: None,
            scopes: None,
        }
    }

    #[test]
    fn flush_writes_every_line_recorded_before_it() {
        let path = std::env::temp_dir().join(format!("rognito-audit-{}.log", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let log = AuditLog::open(&path).expect("open");
        let ids: Vec<String> = (0..500).map(|i| format!("req-{i}")).collect();
        for id in &ids {
            log.record(&record(id));
        }
        log.flush(std::time::Duration::from_secs(10));
        let text = std::fs::read_to_string(&path).expect("read");
        let _ = std::fs::remove_file(&path);
        let written: Vec<String> = text
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
                v["requestID"].as_str().expect("requestID").to_owned()
            })
            .collect();
        assert_eq!(written, ids, "every line, in order, once");
    }
}
