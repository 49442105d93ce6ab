//! The data directory: created private (0700) when missing, locked by the one server that uses
//! it, and cleaned of whatever a failed start created there.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// The lock file a server holds (exclusively) for as long as it runs.
pub const LOCK_FILE: &str = "rognito.lock";

/// What a start created on disk, removed again (newest first) unless the start succeeds.
/// Directories are removed only when empty: nothing this start did not create is ever deleted.
#[derive(Default)]
pub struct Created {
    paths: Vec<(PathBuf, bool)>,
    committed: bool,
}

impl Created {
    pub fn file(&mut self, path: PathBuf) {
        self.paths.push((path, false));
    }

    fn dir(&mut self, path: PathBuf) {
        self.paths.push((path, true));
    }

    /// The start succeeded: keep everything.
    pub fn commit(&mut self) {
        self.committed = true;
    }
}

impl Drop for Created {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        for (path, is_dir) in self.paths.iter().rev() {
            let _ = if *is_dir {
                std::fs::remove_dir(path)
            } else {
                std::fs::remove_file(path)
            };
        }
    }
}

/// A data dir in use by this server: holds the exclusive lock until dropped.
pub struct DataDir {
    _lock: File,
}

/// A start in progress: what it created, and the data dir's lock. The files are removed (if
/// the start fails) before the lock is released, so no other server can have taken the data
/// dir in between.
#[derive(Default)]
pub struct Startup {
    pub created: Created,
    pub data_dir: Option<DataDir>,
}

impl DataDir {
    /// Creates `dir` (0700) if missing, proves it writable, and takes its lock.
    ///
    /// Errors: `dir` exists but is not a directory; it cannot be created or written; another
    /// server holds its lock (the message names that server's process id).
    pub fn open(dir: &Path, created: &mut Created) -> anyhow::Result<DataDir> {
        let unusable = || format!("data dir {} is unusable", dir.display());
        // The directories this start makes (the data dir and any missing parents), outermost
        // first.
        let mut made_dirs = Vec::new();
        match std::fs::metadata(dir) {
            Ok(meta) if !meta.is_dir() => bail!(
                "data dir {} exists but is not a directory: choose another --data-dir",
                dir.display()
            ),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                made_dirs = dir
                    .ancestors()
                    .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
                    .map(Path::to_path_buf)
                    .collect();
                made_dirs.reverse();
                let mut builder = std::fs::DirBuilder::new();
                builder.recursive(true);
                #[cfg(unix)]
                std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
                builder.create(dir).with_context(unusable)?;
            }
            Err(e) => return Err(e).with_context(unusable),
        }
        let lock_path = dir.join(LOCK_FILE);
        let made_lock = !lock_path.exists();
        let lock = match take_lock(&lock_path).with_context(unusable)? {
            Ok(lock) => lock,
            Err(who) => bail!(
                "data dir {} is in use by {who}. One data dir serves one server: stop that \
                 server, or give this one its own --data-dir. Several nodes cannot share \
                 an embedded SQLite data dir (see \"One server per data dir\" in \
                 docs/operations.md)",
                dir.display()
            ),
        };
        // Only now, holding the lock, is what this start made its own to remove on failure
        // (another server could have made the directory, or taken it, in between).
        for made in made_dirs {
            created.dir(made);
        }
        if made_lock {
            created.file(lock_path.clone());
        }
        // Prove we can write there now rather than on the first request.
        let probe = dir.join(".rognito-write-check");
        std::fs::write(&probe, b"ok").with_context(unusable)?;
        std::fs::remove_file(&probe).with_context(unusable)?;
        Ok(DataDir { _lock: lock })
    }

    /// Takes the lock of the existing data dir `dir`, for a command that must not run while a
    /// server uses it (`migrate`). Creates the lock file if missing (and leaves it).
    ///
    /// Errors: a server holds the lock (the message names its process id); the lock file
    /// cannot be opened or locked.
    pub fn lock_existing(dir: &Path) -> anyhow::Result<DataDir> {
        let lock_path = dir.join(LOCK_FILE);
        match take_lock(&lock_path)? {
            Ok(lock) => Ok(DataDir { _lock: lock }),
            Err(who) => bail!(
                "data dir {} is in use by {who}: stop it first (what it wrote meanwhile would \
                 be left behind)",
                dir.display()
            ),
        }
    }
}

/// Opens (creating, 0600) and locks `lock_path`, then writes this process's id into it for
/// the message another server prints. `Ok(Err(who))` when another process holds it.
fn take_lock(lock_path: &Path) -> anyhow::Result<Result<File, String>> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut lock = options
        .open(lock_path)
        .with_context(|| format!("cannot open {}", lock_path.display()))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(lock_path).unwrap_or_default();
            let holder = holder.trim();
            return Ok(Err(if holder.is_empty() {
                "another rognito server".to_owned()
            } else {
                format!("another rognito server (pid {holder})")
            }));
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock {}", lock_path.display()));
        }
    }
    let _ = lock.set_len(0);
    let _ = write!(lock, "{}", std::process::id());
    Ok(Ok(lock))
}
