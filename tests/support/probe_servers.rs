//! Servers and helpers of the probe tests (tests/probe.rs and
//! tests/probe_hostile.rs): the real programs (squid, microsocks,
//! `openssl s_server`, the test CAs) come from tests/support/real.rs; here are
//! the servers written in the test (a plain HTTP origin and hostile
//! "proxies"), the runner that repeats a test in a network namespace holding
//! only loopback, and the probing and report-checking helpers.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use proxyroute::probe::{ProbeReport, Prober, Problem, Step, StepKind};
use proxyroute::Resolver;

#[path = "real.rs"]
mod real;

// Not every probe test uses every server.
#[allow(unused_imports)]
pub(crate) use real::{
    can_unshare_net, free_port, have, pct, Ca, Microsocks, Squid, SquidConfig, TempDir, TlsOrigin,
};

// ---------------------------------------------------------------------------
// A test in a network namespace holding only loopback

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
    let out = Command::new(real::program(real::UNSHARE))
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

/// A port nothing listens on: bound, then closed.
pub(crate) fn dead_port() -> u16 {
    free_port()
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
