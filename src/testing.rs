//! Support for the tests and benchmarks: a throwaway PostgreSQL server, started from the server
//! binaries (Debian puts them under /usr/lib/postgresql/<version>/bin) and run as the `postgres`
//! user when the caller is root (Postgres refuses to run as root). A watchdog stops it and removes
//! its files when the calling process exits. These helpers panic on failure: they are for test
//! and benchmark harnesses, never for the service.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A PostgreSQL server in a temporary directory.
pub struct PgServer {
    pub port: u16,
    pub dir: PathBuf,
    /// The process started by `runuser` (or `postgres` itself when not root).
    pid: u32,
    settings: Vec<String>,
}

fn bin_dir() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("postgres").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .expect("a PostgreSQL server version with bin/postgres")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A command run as the `postgres` user when we are root (Postgres refuses to run as root).
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.arg("-u").arg("postgres").arg("--").arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl PgServer {
    /// Starts a server with its data under a new temporary directory.
    pub fn start(extra: &[&str]) -> PgServer {
        let bin = bin_dir();
        let dir = std::env::temp_dir().join(format!(
            "casebook-pg-{}-{}",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .expect("chown");
            assert!(
                status.success(),
                "chown of the Postgres test directory failed"
            );
        }
        let data = dir.join("data");
        let out = as_postgres(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ])
            .output()
            .expect("initdb runs");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let mut server = PgServer {
            port,
            dir,
            pid: 0,
            settings: extra.iter().map(|s| s.to_string()).collect(),
        };
        server.spawn();
        // Stop the server and remove its files when this test process exits, however it exits.
        let watchdog = format!(
            "while kill -0 {me} 2>/dev/null; do sleep 1; done; \
             pid=$(head -1 '{data}/postmaster.pid' 2>/dev/null); [ -n \"$pid\" ] && kill -INT $pid; \
             for i in 1 2 3 4 5 6 7 8 9 10; do [ -f '{data}/postmaster.pid' ] || break; sleep 1; done; \
             rm -rf '{dir}'",
            me = std::process::id(),
            data = server.dir.join("data").display(),
            dir = server.dir.display()
        );
        let mut watchdog = Command::new("sh")
            .arg("-c")
            .arg(watchdog)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("watchdog");
        std::thread::spawn(move || watchdog.wait());
        server.wait_ready();
        server
    }

    /// Starts (or restarts) the server process on the existing data directory.
    fn spawn(&mut self) {
        let bin = bin_dir();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("server.log"))
            .expect("log file");
        if is_root() {
            let _ = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(self.dir.join("server.log"))
                .status();
        }
        let mut cmd = as_postgres(&bin.join("postgres"));
        cmd.arg("-D")
            .arg(self.dir.join("data"))
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-k")
            .arg(&self.dir)
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=400",
                "-c",
                "shared_buffers=64MB",
            ]);
        for setting in &self.settings {
            cmd.args(["-c", setting]);
        }
        // The server's output goes to a file: a pipe nobody reads would fill and block it.
        let mut child = cmd
            .stdout(Stdio::from(log.try_clone().expect("log")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("postgres starts");
        self.pid = child.id();
        std::thread::spawn(move || child.wait());
    }

    /// Starts the server again after a crash; it recovers from its WAL.
    pub fn restart(&mut self) {
        self.spawn();
        self.wait_ready();
    }

    fn wait_ready(&self) {
        let started = Instant::now();
        loop {
            let ok = Command::new(bin_dir().join("pg_isready"))
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &self.port.to_string(),
                    "-U",
                    "postgres",
                ])
                .stdout(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ok {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "Postgres did not start: {}",
                std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Stops the server at once, as a crash would (`pg_ctl stop -m immediate`: SIGQUIT to the
    /// postmaster, no shutdown checkpoint), and waits until it is gone.
    pub fn kill_immediate(&self) {
        let pidfile = self.dir.join("data").join("postmaster.pid");
        let postmaster = std::fs::read_to_string(&pidfile)
            .ok()
            .and_then(|s| s.lines().next().map(|l| l.trim().to_owned()))
            .expect("a running postmaster has its pid file");
        let status = Command::new("kill")
            .arg("-QUIT")
            .arg(&postmaster)
            .status()
            .expect("kill runs");
        assert!(
            status.success(),
            "the postmaster {postmaster} could not be signalled"
        );
        let started = Instant::now();
        while Command::new("kill")
            .arg("-0")
            .arg(&postmaster)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "Postgres did not stop"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
