//! Fetching PAC scripts for real (feature `pac-fetch`): `https://` from an
//! `openssl s_server` with a certificate made for the test, the retry
//! policy against a loopback server that fails on purpose, and WPAD by DNS
//! with an injected resolver, up to a `Resolver` whose system settings say
//! "detect automatically".
#![cfg(feature = "pac-fetch")]

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use proxyroute::pac::fetch::Fetcher;
use proxyroute::pac::wpad::Wpad;
use proxyroute::{system::gnome, ErrorKind, Resolver};

const SCRIPT: &str = r#"function FindProxyForURL(url, host) {
  return isPlainHostName(host) ? "DIRECT" : "PROXY found.example:3128";
}"#;

#[path = "support/real.rs"]
mod real;
use real::{free_port, TestCa, TlsOrigin};

/// `openssl s_server` serving `proxy.pac` over TLS with a certificate for
/// `localhost` and 127.0.0.1, signed by a CA made for the test (as a
/// company's PAC server's certificate is signed by the company's CA): the
/// CA, the server, and the script's URL.
fn https_pac_server() -> (TestCa, TlsOrigin, String) {
    let ca = TestCa::new();
    let server = TlsOrigin::start(&ca);
    let url = server.serve("localhost", "proxy.pac", SCRIPT);
    (ca, server, url)
}

#[test]
fn https_scripts_are_fetched_from_a_server_whose_certificate_is_trusted() {
    let (ca, server, url) = https_pac_server();
    let trusted = Fetcher::new().root_certificates_pem(&ca.ca_pem());
    assert_eq!(trusted.fetch(&url).unwrap(), SCRIPT);
    // By IP address too: the certificate names 127.0.0.1.
    let by_ip = format!("https://127.0.0.1:{}/proxy.pac", server.port);
    assert_eq!(trusted.fetch(&by_ip).unwrap(), SCRIPT);

    // The system's store does not know the test's certificate: a TLS
    // failure, at once (not retried), naming the URL.
    let started = Instant::now();
    let err = Fetcher::new().fetch(&url).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err.kind(), ErrorKind::Pac(_)));
    assert!(
        message.starts_with(&format!("PAC URL {url}: fetch failed")),
        "{message}"
    );
    assert!(!message.contains("attempts"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // Another certificate is no better.
    let unrelated = TestCa::new();
    let err = Fetcher::new()
        .root_certificates_pem(&unrelated.ca_pem())
        .fetch(&url)
        .unwrap_err();
    assert!(err.to_string().contains("fetch failed"), "{err}");
    // Text that holds no certificate is an error of its own.
    let err = Fetcher::new()
        .root_certificates_pem(b"not a certificate")
        .fetch(&url)
        .unwrap_err();
    assert!(err.to_string().contains("no certificate"), "{err}");
}

/// A loopback HTTP server answering the statuses of `script` in turn (the
/// last one for every later request), recording each request's first line
/// and `Host` header.
struct Scripted {
    port: u16,
    seen: Arc<Mutex<Vec<(String, String)>>>,
}

impl Scripted {
    fn start(statuses: &[u16], body: &'static str) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let statuses = statuses.to_vec();
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(stream) = stream else { continue };
                let mut reader = BufReader::new(stream);
                let mut first = String::new();
                let _ = reader.read_line(&mut first);
                let mut host = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':') {
                        if k.eq_ignore_ascii_case("host") {
                            host = v.trim().to_owned();
                        }
                    }
                }
                log.lock().unwrap().push((first.trim().to_owned(), host));
                let status = statuses[n.min(statuses.len() - 1)];
                let body = if status == 200 { body } else { "no" };
                let mut stream = reader.into_inner();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Scripted { port, seen }
    }

    fn requests(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

fn quick() -> Fetcher {
    Fetcher::new()
        .timeout(Duration::from_secs(5))
        .pause(Duration::from_millis(10))
}

#[test]
fn transient_failures_are_tried_again_and_others_are_not() {
    /// (name, statuses answered in turn, attempts, fetched?, requests made, message part)
    type Row = (&'static str, &'static [u16], u32, bool, usize, &'static str);
    let rows: &[Row] = &[
        ("200 at once", &[200], 3, true, 1, ""),
        ("503 twice, then 200", &[503, 503, 200], 3, true, 3, ""),
        ("429, then 200", &[429, 200], 3, true, 2, ""),
        ("408, then 200", &[408, 200], 2, true, 2, ""),
        (
            "503 for ever: the attempts run out",
            &[503],
            3,
            false,
            3,
            "503 (after 3 attempts)",
        ),
        ("one attempt only", &[503, 200], 1, false, 1, "503"),
        ("404 is not retried", &[404, 200], 3, false, 1, "404"),
        ("403 is not retried", &[403, 200], 3, false, 1, "403"),
    ];
    for (name, statuses, attempts, fetched, requests, says) in rows {
        let server = Scripted::start(statuses, SCRIPT);
        let url = format!("http://127.0.0.1:{}/proxy.pac", server.port);
        let got = quick().attempts(*attempts).fetch(&url);
        assert_eq!(got.is_ok(), *fetched, "{name}: {got:?}");
        assert_eq!(server.requests(), *requests, "{name}");
        if let Err(e) = got {
            assert!(e.to_string().contains(says), "{name}: {e}");
            assert!(
                e.to_string().starts_with(&format!("PAC URL {url}")),
                "{name}: {e}"
            );
        } else {
            assert_eq!(got.unwrap(), SCRIPT, "{name}");
        }
    }
}

#[test]
fn a_refused_connection_is_tried_again_with_a_growing_pause() {
    let port = free_port(); // nothing listens there any more
    let url = format!("http://127.0.0.1:{port}/proxy.pac");
    let started = Instant::now();
    let err = Fetcher::new()
        .attempts(3)
        .pause(Duration::from_millis(100))
        .fetch(&url)
        .unwrap_err();
    // Pauses of 100 ms and 200 ms between the three attempts.
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert!(err.to_string().contains("(after 3 attempts)"), "{err}");
}

/// A resolver from a fixed table: every other name does not resolve.
fn table(entries: &'static [(&'static str, IpAddr)]) -> impl Fn(&str) -> Vec<IpAddr> + Send + Sync {
    move |name: &str| {
        entries
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, ip)| *ip)
            .collect()
    }
}

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

#[test]
fn wpad_asks_each_name_up_the_domain_and_fetches_the_first_that_answers() {
    let server = Scripted::start(&[200], SCRIPT);
    let wpad = Wpad::devolving("a.b.example.com")
        .unwrap()
        .with_resolver(table(&[
            ("wpad.b.example.com", LOOPBACK),
            ("wpad.example.com", LOOPBACK),
        ]))
        .with_port(server.port);
    let found = wpad.discover().unwrap();
    assert_eq!(
        found.url,
        format!("http://wpad.b.example.com:{}/wpad.dat", server.port)
    );
    assert_eq!(found.script, SCRIPT);
    // Fetched from the address, by name: the Host header carries the name.
    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [(
            "GET /wpad.dat HTTP/1.1".to_owned(),
            format!("wpad.b.example.com:{}", server.port)
        )]
    );
}

#[test]
fn wpad_reports_what_each_name_gave_when_none_serves_a_script() {
    let server = Scripted::start(&[404], SCRIPT);
    let err = Wpad::devolving("a.b.example.com")
        .unwrap()
        .with_resolver(table(&[("wpad.b.example.com", LOOPBACK)]))
        .with_port(server.port)
        .discover()
        .unwrap_err();
    let message = err.to_string();
    assert!(matches!(err.kind(), ErrorKind::Pac(_)));
    for part in [
        "WPAD search: found no script",
        "wpad.a.b.example.com does not resolve",
        "wpad.b.example.com (127.0.0.1): fetch failed: http status: 404",
        "wpad.example.com does not resolve",
    ] {
        assert!(message.contains(part), "{part:?} in {message}");
    }
}

#[test]
fn a_system_set_to_detect_automatically_runs_the_search_when_loaded() {
    let server = Scripted::start(&[200], SCRIPT);
    // GNOME's "automatic" mode with no URL is WPAD.
    let settings = gnome::parse(
        "org.gnome.system.proxy mode 'auto'\norg.gnome.system.proxy autoconfig-url ''\n",
    );
    let resolver = Resolver::builder()
        .system(settings.clone())
        .wpad(
            Wpad::devolving("corp.example.com")
                .unwrap()
                .with_resolver(table(&[("wpad.corp.example.com", LOOPBACK)]))
                .with_port(server.port),
        )
        .build()
        .unwrap();
    let target = "https://example.com/".parse().unwrap();
    // Building searched nothing: the route waits for the load step.
    assert!(!resolver.is_loaded());
    let before = resolver.resolve(&target);
    assert!(before.is_refused());
    assert!(before.to_string().contains("not loaded yet"), "{before}");
    resolver.load().unwrap();
    assert!(resolver.is_loaded());
    assert_eq!(
        resolver.resolve(&target).to_string(),
        "http://found.example:3128"
    );
    let why = resolver.explain(&target);
    assert!(
        why.reason().contains(&format!(
            "http://wpad.corp.example.com:{}/wpad.dat",
            server.port
        )),
        "{}",
        why.reason()
    );
    assert!(resolver
        .resolve(&"http://intranet/".parse().unwrap())
        .is_direct());

    // Nothing found: every route of the layer is refused, saying what was tried.
    let resolver = Resolver::builder()
        .system(settings)
        .wpad(
            Wpad::devolving("corp.example.com")
                .unwrap()
                .with_resolver(table(&[])),
        )
        .build()
        .unwrap();
    assert!(resolver.load().is_err());
    let route = resolver.resolve(&target);
    assert!(route.is_refused(), "{route}");
    assert!(
        route
            .error()
            .unwrap()
            .to_string()
            .contains("wpad.corp.example.com does not resolve"),
        "{route}"
    );
}

#[path = "support/cli.rs"]
#[allow(dead_code)]
mod cli;

fn run_cli(args: &[&str]) -> (i32, String, String) {
    let bin = cli::resolve_bin();
    let out = Command::new(bin).args(args).env_clear().output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_cli_fetches_https_scripts_and_searches_wpad() {
    let (_ca, _server, url) = https_pac_server();
    // The test CA is not in the system's store: the CLI says so, naming the URL.
    let (code, _, err) = run_cli(&["--pac", &url, "https://example.com/"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("PAC URL {url}: fetch failed")),
        "{err}"
    );
    assert!(err.contains("certificate"), "{err}");
    // `.invalid` never resolves: the search reports each name it asked.
    let (code, out, err) = run_cli(&["--wpad", "corp.invalid", "https://example.com/"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains(
            "--wpad corp.invalid: WPAD search: found no script: wpad.corp.invalid does not resolve"
        ),
        "{err}"
    );
    let (code, _, err) = run_cli(&["--wpad", "co.uk", "https://example.com/"]);
    assert_eq!(code, 2);
    assert!(err.contains("public suffix"), "{err}");
}

#[test]
fn a_password_in_a_pac_url_is_never_shown() {
    let server = Scripted::start(&[404], SCRIPT);
    let url = format!("http://alice:s3cret@127.0.0.1:{}/proxy.pac", server.port);
    let err = quick().fetch(&url).unwrap_err();
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("alice:***@127.0.0.1"), "{shown}");
    }
    // Through a system setting and the resolver: source, reason and error.
    let settings = gnome::parse(&format!(
        "org.gnome.system.proxy mode 'auto'\norg.gnome.system.proxy autoconfig-url '{url}'\n"
    ));
    let resolver = Resolver::builder().system(settings).build().unwrap();
    let load = resolver.load().unwrap_err();
    let target = "https://example.com/".parse().unwrap();
    let why = resolver.explain(&target);
    assert!(why.route().is_refused());
    assert!(why.reason().contains("404"), "{}", why.reason());
    assert!(!format!("{load} {load:?}").contains("s3cret"), "{load:?}");
    for shown in [
        why.reason().to_owned(),
        why.source().to_owned(),
        why.error().unwrap().to_string(),
        why.hints().join(" "),
        resolver.resolve(&target).to_string(),
    ] {
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}

#[test]
fn a_password_in_a_system_pac_url_stays_out_of_debug_output() {
    let url = "http://alice:s3cret@wpad.invalid/proxy.pac";
    let settings = gnome::parse(&format!(
        "org.gnome.system.proxy mode 'auto'\norg.gnome.system.proxy autoconfig-url '{url}'\n"
    ));
    let shown = format!("{settings:?} {:?}", settings.mode());
    assert!(!shown.contains("s3cret"), "{shown}");
    let resolver = Resolver::builder()
        .system(settings)
        .wpad(Wpad::new().with_resolver(table(&[])))
        .build()
        .unwrap();
    let shown = format!("{resolver:?}");
    assert!(!shown.contains("s3cret"), "{shown}");
}

/// A loopback server that accepts connections and never answers.
struct Hanging {
    port: u16,
}

impl Hanging {
    fn start() -> Hanging {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming().flatten() {
                // Read nothing, answer nothing; keep the connection open.
                held.push(stream);
            }
        });
        Hanging { port }
    }
}

/// Polls `future` on this thread until it is ready, parking between polls:
/// a minimal executor, so that the test needs no runtime.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Arc::new(Unpark(std::thread::current())).into();
    let mut cx = std::task::Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let std::task::Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
        std::thread::park();
    }
}

#[test]
fn building_touches_no_network_and_the_load_step_times_out_as_documented() {
    let server = Hanging::start();
    let url = format!("http://127.0.0.1:{}/proxy.pac", server.port);
    let settings = gnome::parse(&format!(
        "org.gnome.system.proxy mode 'auto'\norg.gnome.system.proxy autoconfig-url '{url}'\n"
    ));
    // Two attempts of 300 ms, a 100 ms pause between them.
    let fetcher = Fetcher::new()
        .timeout(Duration::from_millis(300))
        .attempts(2)
        .pause(Duration::from_millis(100));
    let started = Instant::now();
    let resolver = Resolver::builder()
        .system(settings)
        .pac_fetcher(fetcher)
        .build()
        .unwrap();
    let built = started.elapsed();
    assert!(built < Duration::from_millis(200), "build took {built:?}");
    assert!(!resolver.is_loaded());
    let target = "https://example.com/".parse().unwrap();
    let route = resolver.resolve(&target);
    assert!(route.to_string().contains("not loaded yet"), "{route}");

    // The async form: the future completes from the loading thread.
    let started = Instant::now();
    let err = block_on(resolver.load_async()).unwrap_err();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(650) && took < Duration::from_secs(5),
        "load took {took:?}: {err}"
    );
    assert!(err.to_string().contains(&url), "{err}");
    assert!(resolver.is_loaded());
    // The outcome is kept: the blocking form answers at once with it, and
    // the routes are refused with it, never DIRECT.
    let started = Instant::now();
    assert_eq!(resolver.load().unwrap_err(), err);
    assert!(started.elapsed() < Duration::from_millis(100));
    let route = resolver.resolve(&target);
    assert!(route.is_refused(), "{route}");
    assert_eq!(route.error(), Some(&err));
}
