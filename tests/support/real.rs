//! Real proxies and origins on loopback for the tests that send requests:
//! squid (Basic or Digest auth, CONNECT rules, a denying ACL, ssl_bump,
//! optionally over TLS), microsocks (SOCKS5, with and without auth), Dante
//! (SOCKS4), `ssh -D`, an HTTP origin that records who asked (and can
//! redirect), HTTPS origins (`openssl s_server` with a CA made for the test),
//! a tripwire port that counts connections, and the program, process and
//! namespace helpers they need. Used by `tests/real_proxies.rs`,
//! `tests/adapters.rs`, `tests/pac_fetch.rs` and (through
//! `tests/support/probe_servers.rs`) the probe tests.
//!
//! `.ci/install-proxies.sh` installs squid, microsocks, curl, htpasswd,
//! openssl and iproute2; `.ci/install-adapters.sh` installs Dante's `danted`
//! and OpenSSH's `sshd` and `ssh` (whose `ssh -D` is the SOCKS4a proxy).
//! Under `CI=true` a missing program fails the test; elsewhere the test
//! prints a notice and does nothing.

#![allow(dead_code, unreachable_pub)]

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

#[path = "real/socks.rs"]
mod socks;
#[path = "real/squid.rs"]
mod squid;
#[path = "real/ssh.rs"]
mod ssh;
#[path = "real/stall.rs"]
mod stall;
#[path = "real/tls.rs"]
mod tls;
#[path = "real/unshare.rs"]
mod unshare;

// Not every test uses every server.
#[allow(unused_imports)]
pub use socks::{Dante, Microsocks};
#[allow(unused_imports)]
pub use squid::{Squid, SquidConfig};
#[allow(unused_imports)]
pub use ssh::{SshSocks, SSH, SSHD, SSH_KEYGEN};
#[allow(unused_imports)]
pub use stall::{Misbehaviour, Stall};
#[allow(unused_imports)]
pub use tls::{Ca, TestCa, TlsOrigin};
#[allow(unused_imports)]
pub use unshare::{can_unshare_mount, can_unshare_net, with_own_hosts, IP, UNSHARE};

// ---------------------------------------------------------------------------
// Resolvers

/// The curl dialect's reading of `vars` as the environment.
pub fn env_resolver(vars: &[(&str, &str)]) -> Arc<proxyroute::Resolver> {
    Arc::new(proxyroute::Resolver::from_env_with(
        proxyroute::Dialect::Curl,
        proxyroute::env::lookup_in(vars),
    ))
}

/// Every request through `proxy`.
pub fn explicit(proxy: &str) -> Arc<proxyroute::Resolver> {
    Arc::new(
        proxyroute::Resolver::builder()
            .proxy(proxy)
            .build()
            .expect("an explicit proxy"),
    )
}

// ---------------------------------------------------------------------------
// Programs

pub const SQUID: &str = "squid";
pub const MICROSOCKS: &str = "microsocks";
pub const CURL: &str = "curl";
pub const HTPASSWD: &str = "htpasswd";
pub const NCSA_AUTH: &str = "basic_ncsa_auth";
pub const DIGEST_AUTH: &str = "digest_file_auth";
pub const CERTGEN: &str = "security_file_certgen";
pub const DANTED: &str = "danted";

/// Where each hop reaches the origin from.
pub const DIRECT_PEER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);
pub const SOCKS_PEER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
pub const SQUID_PEER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 3);
pub const DANTE_PEER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 4);

/// How long a server may take to listen (squid with ssl_bump starts its
/// certificate helpers first), a log line to appear, a command to end.
pub const PATIENCE: Duration = Duration::from_secs(30);

pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

pub fn find_program(name: &str) -> Option<PathBuf> {
    // squid's helpers are not on PATH.
    let dirs: Vec<PathBuf> = match name {
        NCSA_AUTH | DIGEST_AUTH | CERTGEN => [
            "/usr/lib/squid",
            "/usr/lib64/squid",
            "/usr/libexec/squid",
            "/usr/local/libexec/squid",
        ]
        .iter()
        .map(PathBuf::from)
        .collect(),
        _ => std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .chain(["/usr/sbin", "/usr/bin", "/sbin", "/bin"].map(PathBuf::from))
            .collect(),
    };
    dirs.into_iter()
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

pub fn program(name: &str) -> PathBuf {
    find_program(name).unwrap_or_else(|| panic!("{name} is not installed"))
}

/// Whether every program is installed. Under `CI=true` a missing one fails the
/// test; elsewhere it is skipped with a notice.
pub fn have(names: &[&str]) -> bool {
    let missing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|name| find_program(name).is_none())
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        !under_ci(),
        "CI=true and {} not installed: .ci/install-proxies.sh installs them \
         (danted, sshd, ssh: .ci/install-adapters.sh)",
        missing.join(", ")
    );
    eprintln!(
        "notice: skipping this test: {} not installed (run .ci/install-proxies.sh; \
         for danted, sshd and ssh .ci/install-adapters.sh)",
        missing.join(", ")
    );
    false
}

// ---------------------------------------------------------------------------
// Temporary files, ports, processes

pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("proxyroute-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        // squid started by root drops to its own user ('proxy'), which must be
        // able to write its logs here.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o777))
            .expect("open the temporary directory");
        TempDir(path)
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn unique_name() -> String {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "prt{}n{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A port that was free a moment ago, and never handed out before in this run;
/// a server that fails to bind it is started again on another.
pub fn free_port() -> u16 {
    static GIVEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("bind a loopback port")
            .port();
        let mut given = GIVEN.lock().unwrap();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// A child process that is killed when dropped.
pub struct Running {
    pub child: Child,
    pub what: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls until `ready` says the process listens (for squid: its own cache.log
/// says so, so that another server that took the port first is never taken
/// for it). `Err` when the process exited first: the port was taken, or the
/// configuration was refused.
pub fn wait_ready(run: &mut Running, mut ready: impl FnMut() -> bool) -> Result<(), String> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = run.child.try_wait().expect("poll the child") {
            return Err(format!("{} exited ({status}) before listening", run.what));
        }
        if ready() {
            return Ok(());
        }
        assert!(
            Instant::now() < deadline,
            "{} was not ready within {PATIENCE:?}",
            run.what
        );
        thread::sleep(Duration::from_millis(20));
    }
}

pub fn accepts(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

/// Polls `check` until it gives a value.
pub fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not seen within {PATIENCE:?}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// Runs a command to its end (killing it after [`PATIENCE`]), with no input.
pub fn run_command(mut cmd: Command, what: &str) -> Output {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap_or_else(|e| panic!("start {what}: {e}"));
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(PATIENCE) {
        Ok(output) => output.unwrap_or_else(|e| panic!("run {what}: {e}")),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("{what} did not finish within {PATIENCE:?}");
        }
    }
}

/// A command with an empty environment but for `PATH` and a `HOME` without a
/// `.curlrc`, so that nothing of this machine's proxy settings leaks in.
pub fn clean_command(program: impl AsRef<std::ffi::OsStr>, home: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env(
            "PATH",
            std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
        )
        .env("HOME", home)
        .env("CURL_HOME", home);
    cmd
}

/// Runs a command to its end like [`run_command`] and fails unless it
/// succeeded.
pub fn run_ok(cmd: Command, what: &str) {
    let out = run_command(cmd, what);
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Percent-encodes everything but RFC 3986 unreserved characters: how a person
/// writes an awkward password into a proxy URL.
pub fn pct(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

pub fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

// ---------------------------------------------------------------------------
// The origin server

#[derive(Debug, Clone)]
pub struct Seen {
    pub peer: IpAddr,
    pub method: String,
    pub path: String,
    pub head: String,
}

/// A tiny HTTP server on 127.0.0.1 that answers every request with 200 and a
/// body naming the path, and records who asked for what.
pub struct Origin {
    pub port: u16,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub stop: Arc<AtomicBool>,
    pub thread: Option<JoinHandle<()>>,
    /// Paths answered with `302 Found` and this `Location`.
    pub redirects: Arc<Mutex<Vec<(String, String)>>>,
}

pub const MARKER: &str = "proxyroute-origin";

pub fn body_for(path: &str) -> String {
    format!("{MARKER} {path}\n")
}

impl Origin {
    pub fn start() -> Origin {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the origin");
        let port = listener.local_addr().expect("origin address").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let redirects = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let (seen, stop) = (Arc::clone(&seen), Arc::clone(&stop));
            let redirects = Arc::clone(&redirects);
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let seen = Arc::clone(&seen);
                    let redirects = Arc::clone(&redirects);
                    thread::spawn(move || serve(stream, &seen, &redirects));
                }
            })
        };
        Origin {
            port,
            seen,
            stop,
            thread: Some(thread),
            redirects,
        }
    }

    /// From now on, `path` answers `302 Found` with `Location: location`.
    pub fn redirect(&self, path: &str, location: &str) {
        self.redirects
            .lock()
            .unwrap()
            .push((path.to_owned(), location.to_owned()));
    }

    pub fn url(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.port)
    }

    /// The requests for `path`.
    pub fn seen(&self, path: &str) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path == path)
            .cloned()
            .collect()
    }

    /// Asserts that exactly one request for `path` arrived, from `peer`.
    pub fn assert_one(&self, path: &str, peer: Ipv4Addr, how: &str) -> Seen {
        let seen = self.seen(path);
        assert_eq!(seen.len(), 1, "{how}: requests for {path}: {seen:#?}");
        assert_eq!(
            seen[0].peer,
            IpAddr::V4(peer),
            "{how}: {path} came from the wrong hop: {seen:#?}"
        );
        assert_eq!(seen[0].method, "GET", "{how}");
        seen.into_iter().next().unwrap()
    }

    pub fn assert_none(&self, path: &str, how: &str) {
        let seen = self.seen(path);
        assert!(
            seen.is_empty(),
            "{how}: {path} reached the origin: {seen:#?}"
        );
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub fn serve(
    mut stream: TcpStream,
    seen: &Mutex<Vec<Seen>>,
    redirects: &Mutex<Vec<(String, String)>>,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(peer) = stream.peer_addr() else { return };
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut words = head.lines().next().unwrap_or("").split(' ');
    let method = words.next().unwrap_or("").to_owned();
    let path = words.next().unwrap_or("").to_owned();
    let body = body_for(&path);
    let location = redirects
        .lock()
        .unwrap()
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, l)| l.clone());
    seen.lock().unwrap().push(Seen {
        peer: peer.ip(),
        method,
        path,
        head,
    });
    let response = match location {
        Some(location) => format!(
            "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
        None => format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    };
    let _ = stream.write_all(response.as_bytes());
}

// ---------------------------------------------------------------------------
// A listener that must receive nothing

/// A loopback port that counts the connections it accepts: the destination
/// of a request that must never be sent directly.
pub struct Tripwire {
    pub port: u16,
    pub hits: Arc<AtomicUsize>,
}

impl Tripwire {
    pub fn start() -> Tripwire {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the tripwire");
        let port = listener.local_addr().expect("tripwire address").port();
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&hits);
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stream.is_ok() {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        Tripwire { port, hits }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Asserts that nothing connected (after a moment for a late connection).
    pub fn assert_untouched(&self, how: &str) {
        thread::sleep(Duration::from_millis(100));
        assert_eq!(
            self.hits.load(Ordering::SeqCst),
            0,
            "{how}: something connected to the tripwire directly"
        );
    }
}
