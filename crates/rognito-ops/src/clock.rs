//! Time formats. The time itself comes from a `rognito_model::Clock` (`Cognito::with_clock`).

/// AWS JSON timestamps are epoch seconds with a fraction (`1547833345.777`).
pub fn epoch_seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

/// UTC calendar fields (year, month, day, hour, minute, second) of seconds since the epoch
/// (Howard Hinnant's civil-from-days algorithm).
pub fn utc_fields(secs: i64) -> (i64, i64, i64, i64, i64, i64) {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, rem / 3600, (rem % 3600) / 60, rem % 60)
}
