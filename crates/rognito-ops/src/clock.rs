use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, as stored.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// AWS JSON timestamps are epoch seconds with a fraction (`1547833345.777`).
pub fn epoch_seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}
