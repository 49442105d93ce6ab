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

/// The CPU cost of the work a user operation cannot avoid, each the median of `samples` runs on
/// this thread: argon2id with the server's default parameters (OWASP), one 3072-bit modular
/// exponentiation as the server's SRP makes it, and the SRP arithmetic of one sign-in on each
/// side.
#[derive(Debug, Clone, Copy)]
pub struct UserCosts {
    pub samples: usize,
    /// `PasswordHashing::Owasp.hash`: what AdminCreateUser and AdminSetUserPassword pay.
    pub argon2_hash: Duration,
    /// `PasswordHashing::verify` of a correct password: what USER_PASSWORD_AUTH pays.
    pub argon2_verify: Duration,
    /// `srp::make_verifier`: `g^x mod N` with a 256-bit `x`, plus hashing.
    pub modexp: Duration,
    /// The server's SRP per sign-in: `server_ephemeral` (InitiateAuth: `g^b`) and
    /// `check_signature` (RespondToAuthChallenge: `g^b` again, `v^u`, `(A·v^u)^b`), 256-bit
    /// exponents.
    pub srp_server: Duration,
    /// The client's SRP per sign-in (rognito_ops::srp::client, the JS client's arithmetic):
    /// `client_ephemeral` (`g^a`) and `client_signature` (`g^a` again, `g^x`,
    /// `(B − k·g^x)^(a + u·x)`), 1024-bit exponents but for `g^x`.
    pub srp_client: Duration,
}

/// Measures [`UserCosts`].
pub fn user_costs(samples: usize) -> anyhow::Result<UserCosts> {
    use rognito_ops::PasswordHashing;
    use rognito_ops::srp;
    let password = crate::scenarios::PASSWORD;
    let (pool, user) = ("AbCdEfGhI", "bench-user-00");
    let mut times: [Vec<Duration>; 5] = Default::default();
    for _ in 0..samples.max(1) {
        let start = Instant::now();
        let phc = PasswordHashing::Owasp
            .hash(password)
            .context("argon2id cannot hash")?;
        times[0].push(start.elapsed());
        let start = Instant::now();
        anyhow::ensure!(PasswordHashing::verify(password, &phc), "argon2id mismatch");
        times[1].push(start.elapsed());
        let start = Instant::now();
        let verifier = srp::make_verifier(pool, user, password);
        times[2].push(start.elapsed());

        let start = Instant::now();
        let (a, srp_a) = srp::client::client_ephemeral();
        let mut client = start.elapsed();
        let start = Instant::now();
        let server = srp::server_ephemeral(&verifier);
        let mut server_time = start.elapsed();
        let block = b"a secret block of the size of a sealed pending sign-in";
        let block_b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, block);
        let timestamp = srp::format_timestamp(time::OffsetDateTime::now_utc());
        let start = Instant::now();
        let signature = srp::client::client_signature(
            pool,
            user,
            password,
            &srp::salt_hex(&verifier),
            &server.srp_b,
            &a,
            &block_b64,
            &timestamp,
        )
        .context("the client cannot sign")?;
        client += start.elapsed();
        let start = Instant::now();
        srp::check_signature(
            &verifier, &server.b, &srp_a, pool, user, block, &timestamp, &signature,
        )
        .map_err(|e| anyhow::anyhow!("SRP proof refused: {e}"))?;
        server_time += start.elapsed();
        times[3].push(server_time);
        times[4].push(client);
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let [hash, verify, modexp, server, client] = &mut times;
    Ok(UserCosts {
        samples: samples.max(1),
        argon2_hash: median(hash),
        argon2_verify: median(verify),
        modexp: median(modexp),
        srp_server: median(server),
        srp_client: median(client),
    })
}
