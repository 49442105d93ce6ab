//! Starting the servers under test and watching them.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

pub struct ServerProcess {
    pub child: Child,
    pub addr: SocketAddr,
    /// From spawn to the first 200 of GET /health (rognito) or of a listing (moto).
    pub startup: Duration,
}

impl ServerProcess {
    /// Resident memory of the process, in kilobytes (Linux).
    pub fn rss_kb(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }
}

impl Drop for ServerProcess {
    /// SIGTERM first (a server under a profiler writes its profile then), SIGKILL after 30 s.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `rognito serve` on a free loopback port; ready once it answers GET /health.
pub fn start_rognito(bin: &Path, data_dir: &Path, extra: &[&str]) -> anyhow::Result<ServerProcess> {
    let started = Instant::now();
    let mut child = Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .env("NO_COLOR", "1")
        .env("ROGNITO_LOG", "warn,rognito::server=info")
        .env("ROGNITO_ACCESS_KEY_ID", crate::scenarios::ACCESS_KEY_ID)
        .env(
            "ROGNITO_SECRET_ACCESS_KEY",
            crate::scenarios::SECRET_ACCESS_KEY,
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    let stderr = child.stderr.take().context("stderr")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(url) = line.split("listening on http://").nth(1) {
                let _ = tx.send(url.split_whitespace().next().unwrap_or_default().to_owned());
            }
        }
    });
    let addr: SocketAddr = rx
        .recv_timeout(Duration::from_secs(60))
        .context("rognito did not report its address")?
        .parse()?;
    wait_http_ok(
        addr,
        "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )?;
    Ok(ServerProcess {
        child,
        addr,
        startup: started.elapsed(),
    })
}

/// `moto_server` from the benchmark's virtualenv on a free loopback port.
pub fn start_moto(bin: &Path) -> anyhow::Result<ServerProcess> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let started = Instant::now();
    let child = Command::new(bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut process = ServerProcess {
        child,
        addr,
        startup: Duration::ZERO,
    };
    wait_http_ok(
        addr,
        "GET /moto-api/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )?;
    process.startup = started.elapsed();
    Ok(process)
}

/// Polls until `request` gets a 200 (at most 60 s).
fn wait_http_ok(addr: SocketAddr, request: &str) -> anyhow::Result<()> {
    use std::io::{Read, Write};
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(mut stream) = std::net::TcpStream::connect(addr) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            if stream.write_all(request.as_bytes()).is_ok() {
                let mut buf = [0u8; 12];
                if stream.read_exact(&mut buf).is_ok() && buf.ends_with(b"200") {
                    return Ok(());
                }
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    bail!("{addr} did not become ready")
}

/// Bytes under a directory (the data dir's on-disk size).
pub fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}
