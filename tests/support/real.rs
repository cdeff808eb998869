//! Real proxies and origins on loopback for the tests that send requests:
//! squid (with Basic auth, optionally over TLS), microsocks (SOCKS5, with and
//! without auth), Dante (SOCKS4), an HTTP origin that records who asked (and
//! can redirect), an HTTPS origin (`openssl s_server` with a CA made for the
//! test), a tripwire port that counts connections, and the program and
//! process helpers they need. Used by `tests/real_proxies.rs` and
//! `tests/adapters.rs`.
//!
//! `.ci/install-proxies.sh` installs squid, microsocks, curl, htpasswd and
//! openssl; `.ci/install-adapters.sh` installs Dante's `danted`. Under
//! `CI=true` a missing program fails the test; elsewhere the test prints a
//! notice and does nothing.

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

// ---------------------------------------------------------------------------
// Programs

pub const SQUID: &str = "squid";
pub const MICROSOCKS: &str = "microsocks";
pub const CURL: &str = "curl";
pub const HTPASSWD: &str = "htpasswd";
pub const NCSA_AUTH: &str = "basic_ncsa_auth";
pub const DANTED: &str = "danted";

/// Where each hop reaches the origin from.
pub const DIRECT_PEER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);
pub const SOCKS_PEER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
pub const SQUID_PEER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 3);
pub const DANTE_PEER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 4);

/// How long a server may take to listen, a log line to appear, a command to end.
pub const PATIENCE: Duration = Duration::from_secs(20);

pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

pub fn find_program(name: &str) -> Option<PathBuf> {
    let dirs: Vec<PathBuf> = match name {
        NCSA_AUTH => [
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
         (danted: .ci/install-adapters.sh)",
        missing.join(", ")
    );
    eprintln!(
        "notice: skipping this test: {} not installed \
         (run .ci/install-proxies.sh; for danted .ci/install-adapters.sh)",
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
// squid

/// A squid on a loopback port with its own configuration, logs and (for Basic
/// auth) password file in a temporary directory, killed when dropped.
pub struct Squid {
    pub run: Running,
    pub port: u16,
    pub service: String,
    pub dir: TempDir,
    /// How many access log lines each needle should have by now.
    pub expected: Mutex<Vec<(String, usize)>>,
}

impl Squid {
    /// `users`: Basic auth users (none: no auth). `tunnel_ports`: the ports
    /// CONNECT may reach (none: CONNECT is refused).
    pub fn start(users: &[(&str, &str)], tunnel_ports: &[u16]) -> Squid {
        Squid::start_with(users, tunnel_ports, None)
    }

    /// The same, listening with TLS (`https_port`) with this certificate and
    /// key (PEM), as an HTTPS proxy.
    pub fn start_tls(
        users: &[(&str, &str)],
        tunnel_ports: &[u16],
        cert_key: (&Path, &Path),
    ) -> Squid {
        Squid::start_with(users, tunnel_ports, Some(cert_key))
    }

    fn start_with(
        users: &[(&str, &str)],
        tunnel_ports: &[u16],
        tls: Option<(&Path, &Path)>,
    ) -> Squid {
        let dir = TempDir::new("squid");
        let passwd = dir.join("passwd");
        for (i, (user, password)) in users.iter().enumerate() {
            let mut cmd = Command::new(program(HTPASSWD));
            cmd.args(if i == 0 { &["-c"][..] } else { &[][..] })
                .args(["-i", "-m"])
                .arg(&passwd)
                .arg(user)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            let mut child = cmd.spawn().expect("run htpasswd");
            child
                .stdin
                .take()
                .unwrap()
                .write_all(password.as_bytes())
                .unwrap();
            let out = child.wait_with_output().expect("htpasswd");
            assert!(
                out.status.success(),
                "htpasswd: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        for _attempt in 0..5 {
            let port = free_port();
            let service = unique_name();
            let d = |name: &str| dir.join(name).display().to_string();
            let listen = match tls {
                None => format!("http_port 127.0.0.1:{port}"),
                Some((cert, key)) => format!(
                    "https_port 127.0.0.1:{port} tls-cert={} tls-key={}",
                    cert.display(),
                    key.display()
                ),
            };
            let mut conf = format!(
                "{listen}\n\
                 visible_hostname proxyroute-{service}\n\
                 pid_filename {pid}\n\
                 cache_log {cache_log}\n\
                 access_log stdio:{access_log}\n\
                 coredump_dir {dir}\n\
                 cache deny all\n\
                 cache_mem 0 MB\n\
                 dns_nameservers 127.0.0.1\n\
                 pinger_enable off\n\
                 shutdown_lifetime 0 seconds\n\
                 tcp_outgoing_address {SQUID_PEER}\n\
                 acl CONNECT method CONNECT\n",
                pid = d("squid.pid"),
                cache_log = d("cache.log"),
                access_log = d("access.log"),
                dir = dir.0.display(),
            );
            if tunnel_ports.is_empty() {
                conf.push_str("http_access deny CONNECT\n");
            } else {
                let ports: Vec<String> = tunnel_ports.iter().map(u16::to_string).collect();
                let _ = writeln!(conf, "acl tunnel_ports port {}", ports.join(" "));
                conf.push_str("http_access deny CONNECT !tunnel_ports\n");
            }
            if users.is_empty() {
                conf.push_str("acl loopback src 127.0.0.0/8\nhttp_access allow loopback\n");
            } else {
                let _ = write!(
                    conf,
                    "auth_param basic program {} {}\n\
                     auth_param basic children 2\n\
                     auth_param basic realm proxyroute-test\n\
                     acl authed proxy_auth REQUIRED\n\
                     http_access allow authed\n",
                    program(NCSA_AUTH).display(),
                    passwd.display()
                );
            }
            conf.push_str("http_access deny all\n");
            let conf_path = dir.join(&format!("{service}.conf"));
            std::fs::write(&conf_path, conf).expect("write squid.conf");
            let out = std::fs::File::create(dir.join("squid.out")).expect("squid.out");
            // -N: stay in the foreground, one process; -n: a service name of its
            // own, which names its shared memory segments, so that several squids
            // run side by side.
            let child = Command::new(program(SQUID))
                .args(["-N", "-n", &service, "-f"])
                .arg(&conf_path)
                .stdin(Stdio::null())
                .stdout(out.try_clone().unwrap())
                .stderr(out)
                .spawn()
                .expect("start squid");
            let mut run = Running {
                child,
                what: format!("squid on port {port}"),
            };
            let listening = if tls.is_some() {
                "Accepting HTTPS Socket connections at conn"
            } else {
                "Accepting HTTP Socket connections at conn"
            };
            let local = format!("local=127.0.0.1:{port} ");
            let cache_log = dir.join("cache.log");
            let ready = || {
                let log = std::fs::read_to_string(&cache_log).unwrap_or_default();
                log.lines()
                    .any(|l| l.contains(listening) && l.contains(&local))
                    && accepts(port)
            };
            match wait_ready(&mut run, ready) {
                Ok(()) => {
                    return Squid {
                        run,
                        port,
                        service,
                        dir,
                        expected: Mutex::new(Vec::new()),
                    }
                }
                Err(e) => {
                    drop(run);
                    remove_shm(&service);
                    eprintln!(
                        "{e}; trying another port. squid said:\n{}{}",
                        std::fs::read_to_string(dir.join("squid.out")).unwrap_or_default(),
                        std::fs::read_to_string(dir.join("cache.log")).unwrap_or_default()
                    );
                }
            }
        }
        panic!("squid did not start");
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn url_with(&self, user: &str, password: &str) -> String {
        format!(
            "http://{}:{}@127.0.0.1:{}",
            pct(user),
            pct(password),
            self.port
        )
    }

    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("access.log")).unwrap_or_default()
    }

    /// Waits for the access log line of the request just sent, the next line
    /// holding `needle` (squid writes a tunnel's line only when it closes, so a
    /// count taken before the request could still miss the line of the last
    /// one), and returns it.
    pub fn logged(&self, needle: &str) -> String {
        let nth = {
            let mut expected = self.expected.lock().unwrap();
            match expected.iter_mut().find(|(n, _)| n == needle) {
                Some((_, count)) => {
                    *count += 1;
                    *count
                }
                None => {
                    expected.push((needle.to_owned(), 1));
                    1
                }
            }
        };
        eventually(
            &format!("squid access.log line {nth} with {needle:?}"),
            || {
                self.access_log()
                    .lines()
                    .filter(|l| l.contains(needle))
                    .nth(nth - 1)
                    .map(str::to_owned)
            },
        )
    }
}

impl Drop for Squid {
    fn drop(&mut self) {
        let _ = self.run.child.kill();
        let _ = self.run.child.wait();
        remove_shm(&self.service);
    }
}

/// A killed squid leaves its shared memory segments (`/dev/shm/<service>-*`).
pub fn remove_shm(service: &str) {
    let prefix = format!("{service}-");
    if let Ok(entries) = std::fs::read_dir("/dev/shm") {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

// ---------------------------------------------------------------------------
// microsocks

/// microsocks on a loopback port, connecting out from 127.0.0.2, logging each
/// connection ("connected to HOST:PORT") to a file.
pub struct Microsocks {
    pub _run: Running,
    pub port: u16,
    pub dir: TempDir,
}

impl Microsocks {
    pub fn start(auth: Option<(&str, &str)>) -> Microsocks {
        let dir = TempDir::new("microsocks");
        for _attempt in 0..5 {
            let port = free_port();
            let log = std::fs::File::create(dir.join("log")).expect("microsocks log");
            let mut cmd = Command::new(program(MICROSOCKS));
            cmd.args(["-i", "127.0.0.1", "-p", &port.to_string()])
                .args(["-b", &SOCKS_PEER.to_string()]);
            if let Some((user, password)) = auth {
                cmd.args(["-u", user, "-P", password]);
            }
            let child = cmd
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("start microsocks");
            let mut run = Running {
                child,
                what: format!("microsocks on port {port}"),
            };
            match wait_ready(&mut run, || accepts(port)) {
                Ok(()) => {
                    return Microsocks {
                        _run: run,
                        port,
                        dir,
                    }
                }
                Err(e) => eprintln!("{e}; trying another port"),
            }
        }
        panic!("microsocks did not start");
    }

    pub fn url(&self, scheme: &str, auth: Option<(&str, &str)>) -> String {
        match auth {
            Some((user, password)) => format!(
                "{scheme}://{}:{}@127.0.0.1:{}",
                pct(user),
                pct(password),
                self.port
            ),
            None => format!("{scheme}://127.0.0.1:{}", self.port),
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }
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

// ---------------------------------------------------------------------------
// A test CA and TLS servers

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("openssl is installed by .ci/install-proxies.sh");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA made for the test and a certificate it signed for `localhost` and
/// 127.0.0.1, in a temporary directory readable by squid's user.
pub struct TestCa {
    pub dir: TempDir,
}

impl TestCa {
    pub fn new() -> TestCa {
        let dir = TempDir::new("ca");
        let d = &dir.0;
        openssl(
            d,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=proxyroute test CA",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
            ],
        );
        openssl(
            d,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=localhost",
                "-keyout",
                "key.pem",
                "-out",
                "leaf.csr",
            ],
        );
        std::fs::write(
            d.join("leaf.ext"),
            "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n\
             subjectAltName=DNS:localhost,IP:127.0.0.1\n",
        )
        .unwrap();
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "leaf.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "leaf.ext",
                "-out",
                "cert.pem",
            ],
        );
        use std::os::unix::fs::PermissionsExt;
        for name in ["cert.pem", "key.pem", "ca.pem"] {
            std::fs::set_permissions(d.join(name), std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        TestCa { dir }
    }

    /// The CA certificate, PEM.
    pub fn ca_pem(&self) -> Vec<u8> {
        std::fs::read(self.dir.join("ca.pem")).unwrap()
    }

    pub fn cert(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    pub fn key(&self) -> PathBuf {
        self.dir.join("key.pem")
    }
}

/// `openssl s_server -WWW` on 127.0.0.1 serving files written into its
/// directory over TLS with the test CA's certificate; killed when dropped.
pub struct TlsOrigin {
    pub run: Running,
    pub port: u16,
    pub dir: TempDir,
}

impl TlsOrigin {
    pub fn start(ca: &TestCa) -> TlsOrigin {
        let dir = TempDir::new("tls-origin");
        for _attempt in 0..5 {
            let port = free_port();
            let child = Command::new("openssl")
                .args(["s_server", "-WWW", "-quiet", "-accept"])
                .arg(format!("127.0.0.1:{port}"))
                .arg("-cert")
                .arg(ca.cert())
                .arg("-key")
                .arg(ca.key())
                .current_dir(&dir.0)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start openssl s_server");
            let mut run = Running {
                child,
                what: format!("openssl s_server on port {port}"),
            };
            match wait_ready(&mut run, || accepts(port)) {
                Ok(()) => return TlsOrigin { run, port, dir },
                Err(e) => eprintln!("{e}; trying another port"),
            }
        }
        panic!("openssl s_server did not start");
    }

    /// Serves `body` at `/name` from now on; the URL for `host`.
    pub fn serve(&self, host: &str, name: &str, body: &str) -> String {
        std::fs::write(self.dir.join(name), body).unwrap();
        format!("https://{host}:{}/{name}", self.port)
    }
}

// ---------------------------------------------------------------------------
// Dante

/// Dante's SOCKS server (`danted`, SOCKS4 and SOCKS5, no auth) on a loopback
/// port, connecting out from 127.0.0.4, logging each connection; stopped with
/// SIGTERM (its worker processes end with it) when dropped.
/// `.ci/install-adapters.sh` installs it.
pub struct Dante {
    pub run: Running,
    pub port: u16,
    pub dir: TempDir,
}

impl Dante {
    pub fn start() -> Dante {
        let dir = TempDir::new("dante");
        for _attempt in 0..5 {
            let port = free_port();
            let conf = format!(
                "logoutput: {log}\n\
                 internal: 127.0.0.1 port = {port}\n\
                 external: {DANTE_PEER}\n\
                 socksmethod: none\n\
                 clientmethod: none\n\
                 user.privileged: root\n\
                 user.unprivileged: nobody\n\
                 client pass {{\n  from: 127.0.0.0/8 to: 0.0.0.0/0\n}}\n\
                 socks pass {{\n  from: 127.0.0.0/8 to: 0.0.0.0/0\n  command: connect\n  log: connect error\n}}\n",
                log = dir.join("log").display()
            );
            let _ = std::fs::remove_file(dir.join("log"));
            let conf_path = dir.join("sockd.conf");
            std::fs::write(&conf_path, conf).expect("write sockd.conf");
            let out = std::fs::File::create(dir.join("out")).expect("danted output");
            let child = Command::new(program(DANTED))
                .arg("-f")
                .arg(&conf_path)
                .args(["-N", "1", "-p"])
                .arg(dir.join("pid"))
                .stdin(Stdio::null())
                .stdout(out.try_clone().unwrap())
                .stderr(out)
                .spawn()
                .expect("start danted");
            let mut run = Running {
                child,
                what: format!("danted on port {port}"),
            };
            let log = dir.join("log");
            let ready = || {
                std::fs::read_to_string(&log).is_ok_and(|l| l.contains(" running")) && accepts(port)
            };
            match wait_ready(&mut run, ready) {
                Ok(()) => return Dante { run, port, dir },
                Err(e) => eprintln!(
                    "{e}; trying another port. It said:\n{}",
                    std::fs::read_to_string(dir.join("out")).unwrap_or_default()
                ),
            }
        }
        panic!("danted did not start");
    }

    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }
}

impl Drop for Dante {
    /// SIGTERM first: `Running`'s SIGKILL would leave the workers behind.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.run.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.run.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}
