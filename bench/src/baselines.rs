//! Physical limits measured in the same run, so results are ratios rather than absolute times:
//! the RSA-2048 signing rate of `openssl speed`, and SQLite's one-row-per-transaction rate with
//! the durability rognito uses (WAL, synchronous=FULL).

use std::path::Path;
use std::process::Command;
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::Context;

/// `openssl speed -multi 2 rsa2048`: RSA-2048 signatures per second on both cores.
pub fn openssl_rsa2048_signs(seconds: u32) -> anyhow::Result<f64> {
    let output = Command::new("openssl")
        .args([
            "speed",
            "-multi",
            "2",
            "-seconds",
            &seconds.to_string(),
            "rsa2048",
        ])
        .output()
        .context("cannot run openssl")?;
    let text = String::from_utf8_lossy(&output.stdout);
    // "rsa 2048 bits 0.000522s 0.000015s   3830.0  66000.0" (sign, verify, sign/s, verify/s)
    let line = text
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with("rsa") && l.contains("2048"))
        .context("no rsa 2048 line in openssl's output")?;
    let numbers: Vec<&str> = line.split_whitespace().collect();
    let signs = numbers.iter().rev().nth(1).context("no sign/s column")?;
    f64::from_str(signs).context("sign/s is not a number")
}

/// Rows per second inserted one per transaction, each committed with an fsync.
pub fn sqlite_one_row_per_tx(dir: &Path, duration: Duration) -> anyhow::Result<f64> {
    let connection = rusqlite::Connection::open(dir.join("baseline.sqlite3"))?;
    let _: String = connection.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")?;
    let start = Instant::now();
    let mut rows = 0u64;
    while start.elapsed() < duration {
        connection.execute(
            "INSERT INTO t (v) VALUES (?1)",
            ["a row of about the size of a resource server's scopes document"],
        )?;
        rows += 1;
    }
    Ok(rows as f64 / start.elapsed().as_secs_f64())
}

/// RSA-2048 PKCS#1 v1.5 SHA-256 signatures per second with aws-lc-rs (rognito's signer) on two
/// threads: how much of `openssl speed`'s rate the library itself reaches on this machine.
pub fn aws_lc_rsa2048_signs(duration: Duration) -> anyhow::Result<f64> {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::rsa::KeySize;
    use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
    let key = std::sync::Arc::new(
        RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| anyhow::anyhow!("keygen"))?,
    );
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let key = key.clone();
            std::thread::spawn(move || {
                let rng = SystemRandom::new();
                let mut signature = vec![0u8; key.public_modulus_len()];
                let start = Instant::now();
                let mut n = 0u64;
                while start.elapsed() < duration {
                    if key
                        .sign(&RSA_PKCS1_SHA256, &rng, b"header.payload", &mut signature)
                        .is_ok()
                    {
                        n += 1;
                    }
                }
                n as f64 / start.elapsed().as_secs_f64()
            })
        })
        .collect();
    let mut total = 0.0;
    for t in threads {
        total += t
            .join()
            .map_err(|_| anyhow::anyhow!("signing thread panicked"))?;
    }
    Ok(total)
}
