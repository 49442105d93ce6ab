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

/// Where audit lines go.
pub struct AuditLog {
    lines: mpsc::Sender<String>,
}

impl AuditLog {
    /// Appends to `path` (created if missing), or writes to stdout when `path` is `-`.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let mut out: Box<dyn Write + Send> = if path.as_os_str() == "-" {
            Box::new(std::io::stdout())
        } else {
            Box::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?,
            )
        };
        let (lines, rx) = mpsc::channel::<String>();
        std::thread::Builder::new()
            .name("rognito-audit".into())
            .spawn(move || {
                let mut buffered = std::io::BufWriter::new(&mut out);
                while let Ok(line) = rx.recv() {
                    let _ = buffered.write_all(line.as_bytes());
                    // Flush whenever the queue is drained, so lines reach the file promptly.
                    while let Ok(more) = rx.try_recv() {
                        let _ = buffered.write_all(more.as_bytes());
                    }
                    let _ = buffered.flush();
                }
            })?;
        Ok(AuditLog { lines })
    }

    pub fn record(&self, record: &AuditRecord<'_>) {
        if let Ok(mut line) = serde_json::to_string(record) {
            line.push('\n');
            let _ = self.lines.send(line);
        }
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
