//! Real servers for tests/probe.rs, each started by the test that needs it on
//! a free loopback port and stopped when dropped: squid (Basic auth, a
//! denying ACL, ssl_bump with its own CA), microsocks (with a user, and in a
//! mount namespace whose /etc/hosts knows a name the test's resolver does
//! not), `openssl s_server` with a test CA, a plain HTTP origin, and hostile
//! servers written here.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub(crate) const PATIENCE: Duration = Duration::from_secs(30);

pub(crate) fn under_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| v == "true")
}

pub(crate) fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/lib/squid"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Whether every program is here; under CI a missing one fails the test
/// with the command that installs it, elsewhere the test is skipped.
pub(crate) fn have(names: &[&str]) -> bool {
    let missing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| find_program(n).is_none())
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        !under_ci(),
        "CI=true and {} not installed: run `bash .ci/install-proxies.sh`",
        missing.join(", ")
    );
    eprintln!(
        "notice: skipping: {} not installed (bash .ci/install-proxies.sh)",
        missing.join(", ")
    );
    false
}

fn program(name: &str) -> PathBuf {
    find_program(name).unwrap_or_else(|| panic!("{name} is not installed"))
}

/// Whether this machine lets us make a network namespace (root, usually);
/// under CI it must.
pub(crate) fn can_unshare_net() -> bool {
    if !have(&["unshare", "ip"]) {
        return false;
    }
    let ok = Command::new("unshare")
        .args(["-n", "true"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok || !under_ci(),
        "CI=true and `unshare -n` fails (run as root)"
    );
    if !ok {
        eprintln!("notice: skipping: `unshare -n` is not permitted here");
    }
    ok
}

/// The variable that tells a child test it runs in the namespace.
pub(crate) const NETNS_MARK: &str = "PROXYROUTE_PROBE_LOOPBACK_NETNS";

/// Panics unless this process runs in the namespace that
/// [`run_in_loopback_netns`] makes.
pub(crate) fn assert_in_loopback_netns(parent: &str) {
    assert!(
        std::env::var_os(NETNS_MARK).is_some(),
        "this test is run by {parent}, in a network namespace holding only loopback"
    );
}

/// Runs the ignored test `name` of this test binary in a new network
/// namespace holding only loopback (`unshare -n`), so that the name lookups it
/// makes (names that must not resolve) send nothing off this machine; fails
/// with the child's output unless the child ran and passed.
pub(crate) fn run_in_loopback_netns(name: &str) {
    let exe = std::env::current_exe().expect("the test binary");
    let out = Command::new("unshare")
        .args(["-n", "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\""])
        .arg(&exe)
        .args([
            "--ignored",
            "--exact",
            name,
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(NETNS_MARK, "1")
        .stdin(Stdio::null())
        .output()
        .expect("run unshare");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{name} in a loopback-only namespace:\n{stdout}{stderr}"
    );
}

// ---------------------------------------------------------------------------
// Temporary directories, ports, processes

pub(crate) struct TempDir(pub PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> TempDir {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("proxyroute-probe-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        // squid started by root runs as 'proxy', which must write here.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o777)).unwrap();
        TempDir(path)
    }

    pub(crate) fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A loopback port that was free a moment ago and not handed out before.
pub(crate) fn free_port() -> u16 {
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

/// A port nothing listens on: bound, then closed.
pub(crate) fn dead_port() -> u16 {
    free_port()
}

pub(crate) struct Running {
    child: Child,
    what: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn accepts(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

fn wait_ready(run: &mut Running, mut ready: impl FnMut() -> bool) -> Result<(), String> {
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

fn run_ok(cmd: &mut Command, what: &str) {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---------------------------------------------------------------------------
// Certificates

/// A CA made with the openssl CLI: `name.pem` and `name.key` in `dir`.
pub(crate) struct Ca {
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
    pub(crate) subject: String,
}

impl Ca {
    pub(crate) fn new(dir: &TempDir, name: &str, common_name: &str) -> Ca {
        let cert = dir.join(&format!("{name}.pem"));
        let key = dir.join(&format!("{name}.key"));
        run_ok(
            Command::new("openssl")
                .args([
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                ])
                .args(["-subj", &format!("/O=proxyroute tests/CN={common_name}")])
                .args(["-addext", "basicConstraints=critical,CA:TRUE"])
                .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"])
                .arg("-keyout")
                .arg(&key)
                .arg("-out")
                .arg(&cert),
            "openssl req (CA)",
        );
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        Ca {
            cert,
            key,
            subject: format!("O=proxyroute tests, CN={common_name}"),
        }
    }

    pub(crate) fn pem(&self) -> Vec<u8> {
        std::fs::read(&self.cert).unwrap()
    }

    /// A server certificate for localhost and 127.0.0.1: (cert, key) paths.
    pub(crate) fn leaf(&self, dir: &TempDir, name: &str) -> (PathBuf, PathBuf) {
        let key = dir.join(&format!("{name}.key"));
        let csr = dir.join(&format!("{name}.csr"));
        let cert = dir.join(&format!("{name}.pem"));
        let ext = dir.join(&format!("{name}.ext"));
        run_ok(
            Command::new("openssl")
                .args(["req", "-newkey", "rsa:2048", "-nodes"])
                .args(["-subj", "/CN=localhost"])
                .arg("-keyout")
                .arg(&key)
                .arg("-out")
                .arg(&csr),
            "openssl req (leaf)",
        );
        std::fs::write(
            &ext,
            "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n\
             subjectAltName=DNS:localhost,IP:127.0.0.1\n",
        )
        .unwrap();
        run_ok(
            Command::new("openssl")
                .args(["x509", "-req", "-days", "2", "-in"])
                .arg(&csr)
                .arg("-CA")
                .arg(&self.cert)
                .arg("-CAkey")
                .arg(&self.key)
                .arg("-CAcreateserial")
                .arg("-extfile")
                .arg(&ext)
                .arg("-out")
                .arg(&cert),
            "openssl x509 (leaf)",
        );
        (cert, key)
    }
}

/// `openssl s_server -www` (a status page for any GET) on a loopback port.
pub(crate) struct TlsOrigin {
    _run: Running,
    pub(crate) port: u16,
}

impl TlsOrigin {
    pub(crate) fn start(cert: &Path, key: &Path) -> TlsOrigin {
        for _ in 0..5 {
            let port = free_port();
            let child = Command::new("openssl")
                .args(["s_server", "-www", "-quiet", "-accept"])
                .arg(format!("127.0.0.1:{port}"))
                .arg("-cert")
                .arg(cert)
                .arg("-key")
                .arg(key)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start openssl s_server");
            let mut run = Running {
                child,
                what: format!("openssl s_server on {port}"),
            };
            if wait_ready(&mut run, || accepts(port)).is_ok() {
                return TlsOrigin { _run: run, port };
            }
        }
        panic!("openssl s_server did not start");
    }
}

// ---------------------------------------------------------------------------
// squid

/// What a squid is configured to do.
#[derive(Default)]
pub(crate) struct SquidConfig<'a> {
    /// Basic auth users; none: no auth.
    pub(crate) users: &'a [(&'a str, &'a str)],
    /// A destination domain every request to is denied.
    pub(crate) deny_domain: Option<&'a str>,
    /// ssl_bump with this CA, trusting `origin_ca` for the origins.
    pub(crate) bump: Option<(&'a Ca, &'a Ca)>,
    /// Digest auth users (plain `user:password` lines for
    /// digest_file_auth); none: no Digest.
    pub(crate) digest_users: &'a [(&'a str, &'a str)],
    /// Listen for TLS (an `https://` proxy) with this certificate and key.
    pub(crate) https: Option<(&'a Path, &'a Path)>,
}

pub(crate) struct Squid {
    run: Running,
    pub(crate) port: u16,
    service: String,
    dir: TempDir,
}

impl Squid {
    pub(crate) fn start(config: &SquidConfig<'_>) -> Squid {
        let dir = TempDir::new("squid");
        let passwd = dir.join("passwd");
        for (i, (user, password)) in config.users.iter().enumerate() {
            let mut child = Command::new(program("htpasswd"))
                .args(if i == 0 { &["-c"][..] } else { &[][..] })
                .args(["-i", "-m"])
                .arg(&passwd)
                .arg(user)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("run htpasswd");
            child
                .stdin
                .take()
                .unwrap()
                .write_all(password.as_bytes())
                .unwrap();
            assert!(child.wait_with_output().unwrap().status.success());
        }
        let ssl_db = dir.join("ssl_db");
        if config.bump.is_some() {
            run_ok(
                Command::new(program("security_file_certgen"))
                    .arg("-c")
                    .arg("-s")
                    .arg(&ssl_db)
                    .args(["-M", "4MB"]),
                "security_file_certgen -c",
            );
            run_ok(
                Command::new("chmod").arg("-R").arg("a+rwX").arg(&ssl_db),
                "chmod the certificate database",
            );
        }
        for _attempt in 0..5 {
            let port = free_port();
            static COUNT: AtomicUsize = AtomicUsize::new(0);
            let service = format!(
                "prp{}n{}",
                std::process::id(),
                COUNT.fetch_add(1, Ordering::Relaxed)
            );
            let d = |name: &str| dir.join(name).display().to_string();
            let mut conf = String::new();
            match config.bump {
                None => match config.https {
                    None => conf.push_str(&format!("http_port 127.0.0.1:{port}\n")),
                    Some((cert, key)) => conf.push_str(&format!(
                        "https_port 127.0.0.1:{port} tls-cert={} tls-key={}\n",
                        cert.display(),
                        key.display()
                    )),
                },
                Some((ca, origin_ca)) => conf.push_str(&format!(
                    "http_port 127.0.0.1:{port} ssl-bump tls-cert={} tls-key={} \
                     generate-host-certificates=on dynamic_cert_mem_cache_size=4MB\n\
                     sslcrtd_program {} -s {} -M 4MB\n\
                     sslcrtd_children 2 startup=1 idle=1\n\
                     tls_outgoing_options cafile={}\n\
                     acl step1 at_step SslBump1\n\
                     ssl_bump peek step1\n\
                     ssl_bump bump all\n",
                    ca.cert.display(),
                    ca.key.display(),
                    program("security_file_certgen").display(),
                    ssl_db.display(),
                    origin_ca.cert.display(),
                )),
            }
            conf.push_str(&format!(
                "visible_hostname proxyroute-{service}\n\
                 pid_filename {pid}\n\
                 cache_log {cache_log}\n\
                 access_log stdio:{access_log}\n\
                 coredump_dir {dir}\n\
                 cache deny all\n\
                 cache_mem 0 MB\n\
                 dns_nameservers 127.0.0.1\n\
                 pinger_enable off\n\
                 shutdown_lifetime 0 seconds\n",
                pid = d("squid.pid"),
                cache_log = d("cache.log"),
                access_log = d("access.log"),
                dir = dir.0.display(),
            ));
            if let Some(domain) = config.deny_domain {
                conf.push_str(&format!(
                    "acl denied dstdomain {domain}\nhttp_access deny denied\n"
                ));
            }
            if !config.digest_users.is_empty() {
                let file = dir.join("digest");
                let lines: String = config
                    .digest_users
                    .iter()
                    .map(|(u, p)| format!("{u}:{p}\n"))
                    .collect();
                std::fs::write(&file, lines).unwrap();
                conf.push_str(&format!(
                    "auth_param digest program {} {}\n\
                     auth_param digest children 2\n\
                     auth_param digest realm proxyroute-probe\n\
                     acl authed proxy_auth REQUIRED\n\
                     http_access allow authed\n",
                    program("digest_file_auth").display(),
                    file.display()
                ));
            } else if config.users.is_empty() {
                conf.push_str("acl loopback src 127.0.0.0/8\nhttp_access allow loopback\n");
            } else {
                conf.push_str(&format!(
                    "auth_param basic program {} {}\n\
                     auth_param basic children 2\n\
                     auth_param basic realm proxyroute-probe\n\
                     acl authed proxy_auth REQUIRED\n\
                     http_access allow authed\n",
                    program("basic_ncsa_auth").display(),
                    passwd.display()
                ));
            }
            conf.push_str("http_access deny all\n");
            let conf_path = dir.join(&format!("{service}.conf"));
            std::fs::write(&conf_path, conf).unwrap();
            let out = std::fs::File::create(dir.join("squid.out")).unwrap();
            let child = Command::new(program("squid"))
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
            let cache_log = dir.join("cache.log");
            let local = format!("local=127.0.0.1:{port} ");
            let ready = || {
                std::fs::read_to_string(&cache_log)
                    .unwrap_or_default()
                    .lines()
                    .any(|l| l.contains("Accepting ") && l.contains(&local))
                    && accepts(port)
            };
            match wait_ready(&mut run, ready) {
                Ok(()) => {
                    return Squid {
                        run,
                        port,
                        service,
                        dir,
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

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(crate) fn url_with(&self, user: &str, password: &str) -> String {
        format!(
            "http://{}:{}@127.0.0.1:{}",
            pct(user),
            pct(password),
            self.port
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

fn remove_shm(service: &str) {
    let prefix = format!("{service}-");
    if let Ok(entries) = std::fs::read_dir("/dev/shm") {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// Percent-encodes all but RFC 3986 unreserved characters.
pub(crate) fn pct(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ---------------------------------------------------------------------------
// microsocks

pub(crate) struct Microsocks {
    _run: Running,
    pub(crate) port: u16,
    _dir: TempDir,
}

impl Microsocks {
    /// microsocks on a loopback port; `hosts`: /etc/hosts lines that only it
    /// sees (it runs in a mount namespace with that file bound over
    /// /etc/hosts).
    pub(crate) fn start(auth: Option<(&str, &str)>, hosts: Option<&str>) -> Microsocks {
        let dir = TempDir::new("microsocks");
        for _ in 0..5 {
            let port = free_port();
            let mut args: Vec<String> = vec![
                "-i".into(),
                "127.0.0.1".into(),
                "-p".into(),
                port.to_string(),
            ];
            if let Some((user, password)) = auth {
                args.extend(["-u".into(), user.into(), "-P".into(), password.into()]);
            }
            let microsocks = program("microsocks");
            let mut cmd = match hosts {
                None => {
                    let mut cmd = Command::new(&microsocks);
                    cmd.args(&args);
                    cmd
                }
                Some(lines) => {
                    let file = dir.join("hosts");
                    std::fs::write(&file, format!("127.0.0.1 localhost\n{lines}\n")).unwrap();
                    let mut cmd = Command::new("unshare");
                    cmd.args([
                        "-m",
                        "sh",
                        "-c",
                        "mount --bind \"$0\" /etc/hosts && exec \"$@\"",
                    ])
                    .arg(&file)
                    .arg(&microsocks)
                    .args(&args);
                    cmd
                }
            };
            let child = cmd
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start microsocks");
            let mut run = Running {
                child,
                what: format!("microsocks on port {port}"),
            };
            if wait_ready(&mut run, || accepts(port)).is_ok() {
                return Microsocks {
                    _run: run,
                    port,
                    _dir: dir,
                };
            }
        }
        panic!("microsocks did not start");
    }

    pub(crate) fn url(&self, scheme: &str, auth: Option<(&str, &str)>) -> String {
        match auth {
            Some((u, p)) => format!("{scheme}://{}:{}@127.0.0.1:{}", pct(u), pct(p), self.port),
            None => format!("{scheme}://127.0.0.1:{}", self.port),
        }
    }
}

// ---------------------------------------------------------------------------
// Servers written here: a plain HTTP origin and hostile "proxies"

/// A thread accepting on a loopback port and handing each connection to
/// `serve`, until dropped.
pub(crate) struct Fake {
    pub(crate) port: u16,
    stop: Arc<AtomicBool>,
    pub(crate) seen: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Fake {
    pub(crate) fn start(serve: impl Fn(TcpStream) + Send + Sync + 'static) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (stop2, serve) = (stop.clone(), Arc::new(serve));
        thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((sock, _)) => {
                        sock.set_nonblocking(false).unwrap();
                        let serve = serve.clone();
                        thread::spawn(move || serve(sock));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Fake { port, stop, seen }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Reads a request head (up to 16 KiB), for servers that answer after it.
pub(crate) fn read_request(sock: &mut TcpStream) -> Vec<u8> {
    let _ = sock.set_read_timeout(Some(Duration::from_secs(10)));
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while buf.len() < 16 * 1024 && !buf.ends_with(b"\r\n\r\n") {
        match sock.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => break,
        }
    }
    buf
}

/// An origin answering every request `200 OK` with a short body.
pub(crate) fn http_origin() -> Fake {
    Fake::start(|mut sock| {
        read_request(&mut sock);
        let _ = sock
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
    })
}

/// Writes `chunk` again and again until the peer goes away or `limit` bytes
/// went out (so that a probe with no bound would run for ever).
pub(crate) fn flood(sock: &mut TcpStream, first: &[u8], chunk: &[u8], limit: usize) {
    let _ = sock.set_write_timeout(Some(Duration::from_secs(20)));
    if sock.write_all(first).is_err() {
        return;
    }
    let mut sent = first.len();
    while sent < limit {
        if sock.write_all(chunk).is_err() {
            return;
        }
        sent += chunk.len();
    }
}

// ---------------------------------------------------------------------------
// Probing and checking reports

use proxyroute::probe::{ProbeReport, Prober, Problem, Step, StepKind};
use proxyroute::Resolver;

pub(crate) fn via(proxy: &str) -> Resolver {
    Resolver::builder().no_env().proxy(proxy).build().unwrap()
}

pub(crate) fn direct() -> Resolver {
    Resolver::builder().no_env().build().unwrap()
}

pub(crate) fn probe(
    resolver: &Resolver,
    url: &str,
    ca: &[&[u8]],
    timeout: Duration,
) -> ProbeReport {
    let mut prober = Prober::new(resolver).timeout(timeout);
    for pem in ca {
        prober = prober.ca_pem(pem, "test CA").unwrap();
    }
    let report = prober.probe(url).unwrap();
    // Every report is shown in the test's output, as the docs show them.
    println!("{report}{}\n", report.to_json());
    report
}

pub(crate) const T: Duration = Duration::from_secs(5);

/// The failed step of the first hop: its kind and problem.
pub(crate) fn failed(report: &ProbeReport) -> (StepKind, &Problem) {
    let step = report
        .failure()
        .unwrap_or_else(|| panic!("expected a failure:\n{report}"));
    (step.kind(), step.problem().unwrap())
}

pub(crate) fn tls_step(report: &ProbeReport) -> &Step {
    report.attempts()[0]
        .steps()
        .iter()
        .find(|s| s.kind() == StepKind::Tls)
        .unwrap_or_else(|| panic!("no TLS step:\n{report}"))
}

/// No password, and no Basic credential built from one, anywhere in the
/// report's forms.
pub(crate) fn assert_secret_free(report: &ProbeReport, user: &str, password: &str) {
    let basic = base64(format!("{user}:{password}").as_bytes());
    for (form, text) in [
        ("Display", report.to_string()),
        ("JSON", report.to_json()),
        ("Debug", format!("{report:?}")),
    ] {
        assert!(
            !text.contains(password),
            "{form} shows the password:\n{text}"
        );
        assert!(
            !text.contains(&pct(password)),
            "{form} shows the encoded password:\n{text}"
        );
        assert!(
            !text.contains(&basic),
            "{form} shows the Basic credential:\n{text}"
        );
    }
}

pub(crate) fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
