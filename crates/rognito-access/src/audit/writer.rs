//! The writer thread: gathers lines, writes them in batches (whole or not at all), retries a
//! failing file, and turns each window's aggregated counts into lines.

use std::collections::VecDeque;
use std::fs::File;
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use super::noise::Noise;
use super::{
    Counters, FAILURE_LOG_INTERVAL, Line, MAX_PENDING_BYTES, Message, NOISE_WINDOW, RETRY_INTERVAL,
    now_rfc3339,
};

/// How long the writer thread lets lines gather before writing them. A busy server then wakes
/// it (and makes a write syscall) about 50 times a second instead of once per token: at 5,000
/// tokens/s the per-line wake-ups cost the signing threads about 9% of their throughput.
pub const GATHER_INTERVAL: Duration = Duration::from_millis(20);
/// Lines a request waits on (fail-closed tokens) gather only this long.
const CONFIRM_GATHER_INTERVAL: Duration = Duration::from_millis(1);

pub(super) enum Sink {
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
pub(super) struct Writer {
    out: Sink,
    counters: Arc<Counters>,
    noise: Arc<Mutex<Noise>>,
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
    pub(super) fn new(
        out: Sink,
        counters: Arc<Counters>,
        noise: Arc<Mutex<Noise>>,
        region: &str,
    ) -> Self {
        Writer {
            out,
            counters,
            noise,
            region: region.to_owned(),
            pending: VecDeque::new(),
            pending_bytes: 0,
            last_report: None,
            failures_since_report: 0,
            noise_due: Instant::now() + NOISE_WINDOW,
            outage_since: None,
        }
    }

    /// Writes the line that says the log was opened (and by which process), before any
    /// request: a log that cannot be written is marked so (and retried) from the start.
    pub(super) fn opened(&mut self) {
        let record = serde_json::json!({
            "eventTime": now_rfc3339(),
            "eventSource": "rognito",
            "eventName": "AuditLogOpened",
            "awsRegion": self.region,
            "pid": std::process::id(),
        });
        let mut line = record.to_string();
        line.push('\n');
        self.queue(line);
        self.write_pending(Vec::new());
    }

    /// Blocks until a line arrives (or a retry or the aggregation window is due), lets more
    /// gather for [`GATHER_INTERVAL`] (senders do not wake a thread that is sleeping rather
    /// than waiting on the channel), then writes the batch with one write.
    pub(super) fn run(mut self, rx: &mpsc::Receiver<Message>) {
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
        let window = std::mem::take(
            &mut *self
                .noise
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for line in window.lines(&self.region, &now_rfc3339()) {
            self.queue(line);
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
