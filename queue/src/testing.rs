//! A throwaway PostgreSQL server for tests: `initdb` into a temporary directory, `pg_ctl`
//! start on a unix socket in that directory (no TCP port to collide on), stopped and removed
//! on drop.
//!
//! The binaries come from `PATH` or the newest `/usr/lib/postgresql/*/bin`. PostgreSQL
//! refuses to run as root: when the tests run as root (CI), the server's binaries run as the
//! `postgres` user through `runuser`, and the directory is handed to that user.

use crate::error::QueueError;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A running server; stopped on drop.
pub struct TempPostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
}

fn server_err(dir: &Path, problem: impl Into<String>) -> QueueError {
    QueueError::Server {
        dir: dir.to_path_buf(),
        problem: problem.into(),
    }
}

/// The directory of `initdb` and `pg_ctl`.
fn bin_dir() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|p| p.join("initdb").is_file() && p.join("pg_ctl").is_file())
    });
    on_path.or_else(|| {
        let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| {
                let e = e.ok()?;
                let version = e.file_name().to_str()?.parse().ok()?;
                let bin = e.path().join("bin");
                bin.join("initdb").is_file().then_some((version, bin))
            })
            .collect();
        found.sort();
        found.pop().map(|(_, bin)| bin)
    })
}

/// Whether this process runs as root (the owner of `/proc/self` is the effective user).
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

impl TempPostgres {
    /// Initialises and starts a server; fails with what is missing if PostgreSQL is not
    /// installed.
    pub fn start() -> Result<Self, QueueError> {
        let dir = tempfile::Builder::new()
            .prefix("zkb-pg")
            .tempdir()
            .map_err(|e| server_err(Path::new("/tmp"), format!("creating a directory: {e}")))?;
        let path = dir.path().to_path_buf();
        let bin = bin_dir().ok_or_else(|| {
            server_err(
                &path,
                "no initdb on PATH or in /usr/lib/postgresql/*/bin (apt-get install postgresql)",
            )
        })?;
        let as_postgres = is_root();
        if as_postgres {
            let chown = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&path)
                .status()
                .map_err(|e| server_err(&path, format!("chown: {e}")))?;
            if !chown.success() {
                return Err(server_err(&path, "chown to the postgres user failed"));
            }
        }
        let server = Self {
            dir,
            bin,
            as_postgres,
        };
        let data = server.data();
        server.run(
            "initdb",
            &[
                "-D",
                data.to_str().expect("utf-8 temp path"),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        )?;
        let options = format!(
            "-k {} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100",
            server.dir.path().display()
        );
        server.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().expect("utf-8"),
                "-l",
                server.dir.path().join("log").to_str().expect("utf-8"),
                "-o",
                &options,
                "-w",
                "-t",
                "30",
                "start",
            ],
        )?;
        Ok(server)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<(), QueueError> {
        let exe = self.bin.join(program);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .map_err(|e| server_err(self.dir.path(), format!("{program}: {e}")))?;
        if !out.status.success() {
            return Err(server_err(
                self.dir.path(),
                format!(
                    "{program} failed: {}{}",
                    String::from_utf8_lossy(&out.stderr),
                    std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
                ),
            ));
        }
        Ok(())
    }

    /// The connection string of database `postgres` as user `postgres` over the socket.
    pub fn url(&self) -> String {
        self.url_of("postgres")
    }

    /// The connection string of database `db` (see [`TempPostgres::create_database`]).
    pub fn url_of(&self, db: &str) -> String {
        let host: String = self.dir.path().to_str().expect("utf-8").replace('/', "%2F");
        format!("postgresql://postgres@{host}/{db}")
    }

    /// Creates database `db`: a clean schema for one test on a shared server.
    pub fn create_database(&self, db: &str) -> Result<String, QueueError> {
        let mut client = postgres::Client::connect(&self.url(), postgres::NoTls)
            .map_err(|e| server_err(self.dir.path(), format!("connecting: {e}")))?;
        client
            .batch_execute(&format!("CREATE DATABASE \"{db}\""))
            .map_err(|e| server_err(self.dir.path(), format!("creating database {db}: {e}")))?;
        Ok(self.url_of(db))
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap_or(""),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }
}
