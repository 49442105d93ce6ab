use std::io::Write;
use std::time::Instant;

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

/// The request lines of a log (not rognito's own `AuditLogOpened` line).
fn lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .expect("read")
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON line"))
        .filter(|v| v["eventSource"] != "rognito")
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
    assert_eq!(log.status().written, 501, "and the opening line");
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
        log.refused_anonymous(
            "Token_POST",
            "invalid_client",
            Some(source),
            Some("client1"),
        );
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
    // /dev/full accepts the open and fails every write with ENOSPC: known at once, from the
    // line written when the log is opened.
    let log = AuditLog::open(Path::new("/dev/full"), "us-east-1", true).expect("open");
    assert!(!log.accepting(), "failing from the start");
    log.record(&record("lost"));
    log.flush(Duration::from_secs(10));
    let status = log.status();
    assert!(
        !status.writable && status.failed_writes >= 1 && status.pending == 2,
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
