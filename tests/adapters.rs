//! The client adapters (`proxyroute::adapters`) end to end: each sends requests
//! along the resolver's routes through a real squid (Basic auth, plain and
//! over TLS) or microsocks (with and without auth) on loopback, to an origin in
//! the test (plain HTTP, and HTTPS through `openssl s_server` with a CA made
//! for the test).
//!
//! Every hop is told apart at the origin by its source address: directly from
//! 127.0.0.1, through squid from 127.0.0.3, through microsocks from 127.0.0.2.
//! A request that must never be sent directly goes to a [`Tripwire`], a port
//! that counts every connection it accepts and must count none.
//!
//! Routes with several hops come from PAC scripts: those tests need the `pac`
//! feature as well (`.ci/run` enables it).

#[path = "support/real.rs"]
mod real;

use std::net::Ipv4Addr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use proxyroute::adapters::hyper::{ProxyConnector, Via};
use proxyroute::adapters::reqwest::RoutedClient;
use proxyroute::adapters::ureq::RoutedAgent;
use proxyroute::adapters::ResolverSource;
use proxyroute::{Resolver, SharedResolver};

use real::*;

// ---------------------------------------------------------------------------
// Resolvers

/// A resolver whose every route is what `FindProxyForURL` returns here.
#[cfg(feature = "pac")]
fn pac_resolver(body: &str) -> Arc<Resolver> {
    let script = proxyroute::pac::PacScript::new(&format!(
        "function FindProxyForURL(url, host) {{ {body} }}"
    ))
    .expect("a PAC script");
    Arc::new(
        Resolver::builder()
            .no_env()
            .pac(script)
            .build()
            .expect("a PAC resolver"),
    )
}

// ---------------------------------------------------------------------------
// Clients

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Adapter {
    Hyper,
    Reqwest,
    Ureq,
}

const ADAPTERS: [Adapter; 3] = [Adapter::Hyper, Adapter::Reqwest, Adapter::Ureq];

#[derive(Debug)]
struct Got {
    status: u16,
    body: String,
    /// The hop that carried the request, where the adapter says.
    via: Option<String>,
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a Tokio runtime")
    })
}

/// rustls trusting the test CA (or nothing).
fn tls_config(ca: Option<&TestCa>) -> Arc<rustls::ClientConfig> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    if let Some(ca) = ca {
        for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&ca.ca_pem()) {
            roots.add(cert.expect("a PEM certificate")).unwrap();
        }
    }
    Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth(),
    )
}

fn error_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

type HyperClient =
    Client<hyper_rustls::HttpsConnector<ProxyConnector<HttpConnector>>, Empty<Bytes>>;

/// hyper-util's client over the adapter's connector (each step of a hop
/// bounded by `timeout`), TLS to the origin by hyper-rustls on top of it.
fn hyper_client(
    resolver: impl Into<ResolverSource>,
    ca: Option<&TestCa>,
    forward_http: bool,
    timeout: Duration,
) -> HyperClient {
    let tls = tls_config(ca);
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    let connector = ProxyConnector::new(resolver, http)
        .with_tls(Arc::clone(&tls))
        .forward_http(forward_http)
        .timeout(timeout);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config((*tls).clone())
        .https_or_http()
        .enable_http1()
        .wrap_connector(connector);
    Client::builder(TokioExecutor::new()).build(https)
}

/// GET `url` with a client from [`hyper_client`].
fn hyper_fetch(client: &HyperClient, url: &str) -> Result<Got, String> {
    let uri: hyper::Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
    runtime().block_on(async move {
        let response = tokio::time::timeout(Duration::from_secs(20), client.get(uri))
            .await
            .map_err(|_| format!("{url}: no answer within 20 s"))?
            .map_err(|e| error_text(&e))?;
        let status = response.status().as_u16();
        let via = response.extensions().get::<Via>().map(|v| v.to_string());
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| error_text(&e))?
            .to_bytes();
        Ok(Got {
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
            via,
        })
    })
}

/// GET `url` with hyper-util's client over the adapter's connector, TLS to
/// the origin by hyper-rustls on top of it.
fn hyper_get(
    resolver: &Arc<Resolver>,
    url: &str,
    ca: Option<&TestCa>,
    forward_http: bool,
) -> Result<Got, String> {
    let client = hyper_client(
        Arc::clone(resolver),
        ca,
        forward_http,
        Duration::from_secs(5),
    );
    hyper_fetch(&client, url)
}

/// GET `url` with reqwest's async client from the adapter.
fn reqwest_fetch(client: &RoutedClient, url: &str) -> Result<Got, String> {
    runtime().block_on(async move {
        let response = client.get(url).await.map_err(|e| error_text(&e))?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|e| error_text(&e))?;
        Ok(Got {
            status,
            body,
            via: None,
        })
    })
}

fn reqwest_get(resolver: &Arc<Resolver>, url: &str) -> Result<Got, String> {
    let client = RoutedClient::new(Arc::clone(resolver)).map_err(|e| error_text(&e))?;
    reqwest_fetch(&client, url)
}

/// GET `url` with ureq's agent from the adapter.
fn ureq_fetch(agent: &RoutedAgent, url: &str) -> Result<Got, String> {
    let response = agent.get(url).map_err(|e| error_text(&e))?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .read_to_string()
        .map_err(|e| error_text(&e))?;
    Ok(Got {
        status,
        body,
        via: None,
    })
}

fn ureq_get(resolver: &Arc<Resolver>, url: &str) -> Result<Got, String> {
    ureq_fetch(&RoutedAgent::new(Arc::clone(resolver)), url)
}

fn send(adapter: Adapter, resolver: &Arc<Resolver>, url: &str) -> Result<Got, String> {
    match adapter {
        Adapter::Hyper => hyper_get(resolver, url, None, false),
        Adapter::Reqwest => reqwest_get(resolver, url),
        Adapter::Ureq => ureq_get(resolver, url),
    }
}

/// One adapter's client, built once and kept for several requests.
enum Sender {
    Hyper(HyperClient),
    Reqwest(RoutedClient),
    Ureq(RoutedAgent),
}

impl Sender {
    /// `adapter`'s client routing by `resolver`; `connect` bounds each
    /// connection and proxy handshake (each hop's, for hyper), requests as a
    /// whole take at most 20 s. reqwest's pool keeps no idle connection: it
    /// keys a kept-alive connection by the origin alone and would reuse it
    /// through the hop it was opened on after a swap (docs/clients.md says
    /// so; the hyper connector marks connections made on a shared resolver
    /// not reusable by itself).
    fn new(adapter: Adapter, resolver: impl Into<ResolverSource>, connect: Duration) -> Sender {
        match adapter {
            Adapter::Hyper => {
                let tls = tls_config(None);
                let mut http = HttpConnector::new();
                http.enforce_http(false);
                let connector = ProxyConnector::new(resolver, http).timeout(connect);
                let https = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_tls_config((*tls).clone())
                    .https_or_http()
                    .enable_http1()
                    .wrap_connector(connector);
                Sender::Hyper(Client::builder(TokioExecutor::new()).build(https))
            }
            Adapter::Reqwest => {
                let builder = reqwest::Client::builder()
                    .pool_max_idle_per_host(0)
                    .connect_timeout(connect)
                    .timeout(Duration::from_secs(20));
                Sender::Reqwest(RoutedClient::from_builder(builder, resolver).unwrap())
            }
            Adapter::Ureq => {
                let agent = ureq::Agent::config_builder()
                    .timeout_connect(Some(connect))
                    .timeout_global(Some(Duration::from_secs(20)))
                    .build()
                    .new_agent();
                Sender::Ureq(RoutedAgent::with_agent(agent, resolver))
            }
        }
    }

    fn get(&self, url: &str) -> Result<Got, String> {
        match self {
            Sender::Hyper(client) => hyper_fetch(client, url),
            Sender::Reqwest(client) => reqwest_fetch(client, url),
            Sender::Ureq(agent) => ureq_fetch(agent, url),
        }
    }
}

fn assert_fetched(result: Result<Got, String>, path: &str, how: &str) -> Got {
    let got = result.unwrap_or_else(|e| panic!("{how}: {e}"));
    assert_eq!(got.status, 200, "{how}: {got:?}");
    assert_eq!(got.body, body_for(path), "{how}: {got:?}");
    got
}

// ---------------------------------------------------------------------------
// Through each kind of proxy

const USER: &str = "weird";
/// `@ : % /` and a space: each must survive the proxy URL and the header.
const PASSWORD: &str = "p@ss:w%rd/ x";
const SOCKS_AUTH: (&str, &str) = ("sockuser", "s@ck:p%ss/ x");

/// HTTP proxy with Basic auth (CONNECT), SOCKS5 and SOCKS5h with a user and
/// without, through every adapter: the origin sees the proxy's address, and
/// the hop the adapter names is the proxy, password as `***`.
#[test]
fn each_adapter_reaches_the_origin_through_each_proxy_kind() {
    if !have(&[SQUID, MICROSOCKS, HTPASSWD, NCSA_AUTH]) {
        return;
    }
    let origin = Origin::start();
    let squid = Squid::start(&[(USER, PASSWORD)], &[origin.port]);
    let socks = Microsocks::start(Some(SOCKS_AUTH));
    let open_socks = Microsocks::start(None);
    let cases = [
        (
            "squid",
            squid.url_with(USER, PASSWORD),
            "127.0.0.1",
            SQUID_PEER,
            format!("http://{USER}:***@127.0.0.1:{}", squid.port),
        ),
        (
            "socks5",
            socks.url("socks5", Some(SOCKS_AUTH)),
            "localhost",
            SOCKS_PEER,
            format!("socks5://sockuser:***@127.0.0.1:{}", socks.port),
        ),
        (
            "socks5h",
            socks.url("socks5h", Some(SOCKS_AUTH)),
            "localhost",
            SOCKS_PEER,
            format!("socks5h://sockuser:***@127.0.0.1:{}", socks.port),
        ),
        (
            "socks5h-open",
            open_socks.url("socks5h", None),
            "localhost",
            SOCKS_PEER,
            format!("socks5h://127.0.0.1:{}", open_socks.port),
        ),
    ];
    for adapter in ADAPTERS {
        for (name, proxy, host, peer, via) in &cases {
            let how = format!("{adapter:?} via {name}");
            let path = format!("/kinds/{adapter:?}/{name}");
            let url = origin.url(host, &path);
            let got = assert_fetched(send(adapter, &explicit(proxy), &url), &path, &how);
            if let Some(got_via) = &got.via {
                assert_eq!(got_via, via, "{how}");
            }
            origin.assert_one(&path, *peer, &how);
        }
    }
    // The name went to microsocks for socks5h, an address for socks5.
    let log = socks.log();
    assert!(
        log.contains(&format!("connected to localhost:{}", origin.port)),
        "{log}"
    );
    assert!(
        log.contains(&format!("connected to 127.0.0.1:{}", origin.port)),
        "{log}"
    );
}

/// hyper: an HTTPS origin through squid (CONNECT, TLS to the origin inside the
/// tunnel, verified against the test CA); an HTTP origin through squid over
/// TLS (an `https://` proxy: TLS to the proxy, Basic auth inside it); a plain
/// HTTP origin forwarded in absolute form when asked.
#[test]
fn hyper_tunnels_tls_and_speaks_tls_to_https_proxies() {
    if !have(&[SQUID, HTPASSWD, NCSA_AUTH, "openssl"]) {
        return;
    }
    let ca = TestCa::new();
    let tls_origin = TlsOrigin::start(&ca);
    let origin = Origin::start();
    let squid = Squid::start(&[(USER, PASSWORD)], &[origin.port, tls_origin.port]);
    let tls_squid = Squid::start_tls(&[(USER, PASSWORD)], &[origin.port], (&ca.cert(), &ca.key()));

    // An HTTPS origin through a CONNECT tunnel.
    let body = "over TLS through squid\n";
    let url = tls_origin.serve("localhost", "secret.txt", body);
    let got = hyper_get(
        &explicit(&squid.url_with(USER, PASSWORD)),
        &url,
        Some(&ca),
        false,
    )
    .unwrap_or_else(|e| panic!("https origin via squid: {e}"));
    assert_eq!((got.status, got.body.as_str()), (200, body));
    let line = squid.logged(&format!("CONNECT localhost:{}", tls_origin.port));
    assert!(line.contains("TCP_TUNNEL/200"), "{line}");

    // An HTTPS proxy: TLS to squid, the tunnel inside.
    let proxy = format!(
        "https://{}:{}@localhost:{}",
        pct(USER),
        pct(PASSWORD),
        tls_squid.port
    );
    let path = "/https-proxy";
    let got = hyper_get(
        &explicit(&proxy),
        &origin.url("127.0.0.1", path),
        Some(&ca),
        false,
    );
    let got = assert_fetched(got, path, "https proxy");
    assert_eq!(
        got.via.as_deref(),
        Some(format!("https://{USER}:***@localhost:{}", tls_squid.port).as_str())
    );
    origin.assert_one(path, SQUID_PEER, "https proxy");

    // The HTTPS proxy without credentials: its 407 comes through the TLS.
    let bare = format!("https://localhost:{}", tls_squid.port);
    let err = hyper_get(
        &explicit(&bare),
        &origin.url("127.0.0.1", "/https-407"),
        Some(&ca),
        false,
    )
    .expect_err("no credentials");
    assert!(err.contains("407 Proxy Authentication Required"), "{err}");
    origin.assert_none("/https-407", "https proxy, no credentials");

    // The same proxy not trusted: TLS fails, and the error says so.
    let err = hyper_get(
        &explicit(&proxy),
        &origin.url("127.0.0.1", "/untrusted"),
        None,
        false,
    )
    .expect_err("an untrusted proxy certificate");
    assert!(err.contains("TLS to the proxy"), "{err}");
    assert!(
        !err.contains(PASSWORD) && !err.contains(&pct(PASSWORD)),
        "{err}"
    );
    origin.assert_none("/untrusted", "untrusted proxy");

    // Absolute form to a proxy without credentials, when asked.
    let open = Squid::start(&[], &[origin.port]);
    let path = "/forwarded";
    let url = origin.url("127.0.0.1", path);
    assert_fetched(
        hyper_get(&explicit(&open.url()), &url, None, true),
        path,
        "forwarded",
    );
    let seen = origin.assert_one(path, SQUID_PEER, "forwarded");
    assert!(
        seen.head.contains(&format!("proxyroute-{}", open.service)),
        "a forwarded request carries squid's Via: {}",
        seen.head
    );
    assert!(open.logged(&format!("GET {url}")).contains("TCP_MISS/200"));
}

/// Without credentials squid answers 407: each adapter reports it as such and
/// nothing reaches the origin; with a wrong password the same, and the
/// password is in no error.
#[test]
fn a_407_is_reported_as_such() {
    if !have(&[SQUID, HTPASSWD, NCSA_AUTH]) {
        return;
    }
    let origin = Origin::start();
    let squid = Squid::start(&[(USER, PASSWORD)], &[origin.port]);
    let wrong = "wr@ng pass";
    for adapter in ADAPTERS {
        for (case, proxy) in [
            ("missing", squid.url()),
            ("wrong", squid.url_with(USER, wrong)),
        ] {
            let how = format!("{adapter:?}, {case} credentials");
            let path = format!("/407/{adapter:?}/{case}");
            let err =
                send(adapter, &explicit(&proxy), &origin.url("127.0.0.1", &path)).expect_err(&how);
            assert!(
                err.contains("407 Proxy Authentication Required"),
                "{how}: {err}"
            );
            assert!(
                !err.contains(wrong) && !err.contains(&pct(wrong)),
                "{how}: {err}"
            );
            origin.assert_none(&path, &how);
        }
    }
}

// ---------------------------------------------------------------------------
// Fail closed, bypass

/// A broken proxy variable refuses the route: each adapter fails with
/// proxyroute's error and the tripwire (the destination itself) is never
/// connected to.
#[test]
fn a_refused_route_never_connects_directly() {
    let tripwire = Tripwire::start();
    let broken = env_resolver(&[("http_proxy", "http://[::1")]);
    for adapter in ADAPTERS {
        let how = format!("{adapter:?}, broken http_proxy");
        let err = send(adapter, &broken, &tripwire.url("/refused")).expect_err(&how);
        assert!(err.contains("no route for"), "{how}: {err}");
        assert!(
            err.contains("http_proxy"),
            "{how} names the variable: {err}"
        );
    }
    tripwire.assert_untouched("a broken http_proxy");
}

/// A PAC script that throws refuses the route the same way.
#[cfg(feature = "pac")]
#[test]
fn a_failing_pac_never_connects_directly() {
    let tripwire = Tripwire::start();
    let failing = pac_resolver("throw new Error('broken on purpose');");
    for adapter in ADAPTERS {
        let how = format!("{adapter:?}, failing PAC");
        let err = send(adapter, &failing, &tripwire.url("/pac-refused")).expect_err(&how);
        assert!(err.contains("no route for"), "{how}: {err}");
    }
    tripwire.assert_untouched("a failing PAC");
}

/// `no_proxy` sends a host directly (the origin sees 127.0.0.1) and squid logs
/// nothing for it; the host it does not cover goes through squid.
#[test]
fn bypassed_hosts_go_direct() {
    if !have(&[SQUID]) {
        return;
    }
    let origin = Origin::start();
    let squid = Squid::start(&[], &[origin.port]);
    let resolver = env_resolver(&[("http_proxy", &squid.url()), ("no_proxy", "127.0.0.1")]);
    for adapter in ADAPTERS {
        let how = format!("{adapter:?}, no_proxy");
        let direct = format!("/bypass/{adapter:?}");
        let got = assert_fetched(
            send(adapter, &resolver, &origin.url("127.0.0.1", &direct)),
            &direct,
            &how,
        );
        if let Some(via) = got.via {
            assert_eq!(via, "DIRECT", "{how}");
        }
        origin.assert_one(&direct, DIRECT_PEER, &how);
        let proxied = format!("/control/{adapter:?}");
        assert_fetched(
            send(adapter, &resolver, &origin.url("localhost", &proxied)),
            &proxied,
            &how,
        );
        origin.assert_one(&proxied, SQUID_PEER, &how);
    }
    let log = squid.access_log();
    assert!(
        !log.contains(&format!("127.0.0.1:{}", origin.port)),
        "squid saw a bypassed request:\n{log}"
    );
}

// ---------------------------------------------------------------------------
// Failover

/// A PAC answer `PROXY dead; PROXY squid`: the dead hop (port 1, where nothing
/// listens) is passed over and squid carries the request; an answer of dead
/// hops only fails with an error naming every hop.
#[cfg(feature = "pac")]
#[test]
fn failover_passes_a_dead_hop_and_names_every_hop_when_all_fail() {
    if !have(&[SQUID]) {
        return;
    }
    assert!(!accepts(1), "something listens on 127.0.0.1:1");
    let origin = Origin::start();
    let squid = Squid::start(&[], &[origin.port]);
    let live = pac_resolver(&format!(
        "return 'PROXY 127.0.0.1:1; PROXY 127.0.0.1:{}';",
        squid.port
    ));
    let dead_port = free_port();
    let dead = pac_resolver(&format!(
        "return 'PROXY 127.0.0.1:1; SOCKS5 127.0.0.1:{dead_port}';"
    ));
    for adapter in ADAPTERS {
        let how = format!("{adapter:?}, failover");
        let path = format!("/failover/{adapter:?}");
        if adapter == Adapter::Reqwest {
            // reqwest takes one proxy per request: the first hop, dead.
            let err = send(adapter, &live, &origin.url("127.0.0.1", &path)).expect_err(&how);
            assert!(err.contains("127.0.0.1:1"), "{how}: {err}");
            origin.assert_none(&path, &how);
            continue;
        }
        let got = assert_fetched(
            send(adapter, &live, &origin.url("127.0.0.1", &path)),
            &path,
            &how,
        );
        if let Some(via) = got.via {
            assert_eq!(via, squid.url(), "{how}");
        }
        origin.assert_one(&path, SQUID_PEER, &how);

        let path = format!("/all-dead/{adapter:?}");
        let err = send(adapter, &dead, &origin.url("127.0.0.1", &path)).expect_err(&how);
        assert!(err.contains("no hop reached"), "{how}: {err}");
        assert!(err.contains("http://127.0.0.1:1"), "{how}: {err}");
        assert!(
            err.contains(&format!("socks5://127.0.0.1:{dead_port}")),
            "{how}: {err}"
        );
        origin.assert_none(&path, &how);
    }
}

/// A redirect from a proxied URL to one whose route is refused (a PAC script
/// that routes `localhost` through squid and throws for anything else): the
/// first request goes through squid, the redirect fails with proxyroute's
/// error, and the tripwire it pointed at is never connected to. hyper-util's
/// client does not follow redirects, so reqwest and ureq only.
#[cfg(feature = "pac")]
#[test]
fn a_redirect_to_a_refused_route_never_connects_directly() {
    if !have(&[SQUID]) {
        return;
    }
    let origin = Origin::start();
    let squid = Squid::start(&[], &[origin.port]);
    let tripwire = Tripwire::start();
    let resolver = pac_resolver(&format!(
        "if (host == 'localhost') return 'PROXY 127.0.0.1:{}'; \
         throw new Error('refused on purpose');",
        squid.port
    ));
    for adapter in [Adapter::Reqwest, Adapter::Ureq] {
        let how = format!("{adapter:?}, redirect to a refused route");
        let path = format!("/redirect/{adapter:?}");
        origin.redirect(&path, &tripwire.url("/after-redirect"));
        let err = send(adapter, &resolver, &origin.url("localhost", &path)).expect_err(&how);
        assert!(err.contains("no route for"), "{how}: {err}");
        assert!(err.contains("refused on purpose"), "{how}: {err}");
        origin.assert_one(&path, SQUID_PEER, &how);
    }
    tripwire.assert_untouched("redirects to a refused route");
}

/// Every redirect asks the resolver again: a PAC script sends `localhost`
/// through squid and everything else directly; a redirect from
/// `localhost` to `127.0.0.1` is fetched directly (the origin sees 127.0.0.1,
/// and squid never logs it), not through the first request's proxy.
#[cfg(feature = "pac")]
#[test]
fn each_redirect_is_routed_again() {
    if !have(&[SQUID]) {
        return;
    }
    let origin = Origin::start();
    let squid = Squid::start(&[], &[origin.port]);
    let resolver = pac_resolver(&format!(
        "if (host == 'localhost') return 'PROXY 127.0.0.1:{}'; return 'DIRECT';",
        squid.port
    ));
    for adapter in [Adapter::Reqwest, Adapter::Ureq] {
        let how = format!("{adapter:?}, redirect to a direct route");
        let from = format!("/hop/{adapter:?}");
        let to = format!("/landed/{adapter:?}");
        origin.redirect(&from, &origin.url("127.0.0.1", &to));
        assert_fetched(
            send(adapter, &resolver, &origin.url("localhost", &from)),
            &to,
            &how,
        );
        origin.assert_one(&from, SQUID_PEER, &how);
        origin.assert_one(&to, DIRECT_PEER, &how);
    }
    let log = squid.access_log();
    assert!(
        !log.contains("/landed/"),
        "squid carried a redirect:\n{log}"
    );
}

/// The adapters' `Debug` output and errors never show a password.
#[test]
fn no_password_in_debug_output() {
    let resolver = explicit(&format!("http://{USER}:{}@127.0.0.1:1", pct(PASSWORD)));
    let connector = ProxyConnector::new(Arc::clone(&resolver), HttpConnector::new());
    let client = RoutedClient::new(Arc::clone(&resolver)).unwrap();
    let agent = RoutedAgent::new(Arc::clone(&resolver));
    for (what, text) in [
        ("hyper", format!("{connector:?}")),
        ("reqwest", format!("{client:?}")),
        ("ureq", format!("{agent:?}")),
    ] {
        assert!(!text.contains(PASSWORD), "{what}: {text}");
        assert!(!text.contains(&pct(PASSWORD)), "{what}: {text}");
    }
    // Port 1: nothing listens; each error names the hop, password as ***.
    for adapter in ADAPTERS {
        let err = send(adapter, &resolver, "http://127.0.0.1:9/").expect_err("a dead proxy");
        assert!(
            err.contains(&format!("http://{USER}:***@127.0.0.1:1")),
            "{adapter:?}: {err}"
        );
        assert!(
            !err.contains(PASSWORD) && !err.contains(&pct(PASSWORD)),
            "{adapter:?}: {err}"
        );
    }
}

/// SOCKS4 through Dante (microsocks speaks SOCKS5 only): each adapter resolves
/// `localhost` itself and hands Dante the address; the origin sees Dante's
/// address. (SOCKS4a is not tested against a real server: Dante does not
/// speak it.)
#[test]
fn socks4_through_dante() {
    if !have(&[DANTED]) {
        return;
    }
    let dante = Dante::start();
    let origin = Origin::start();
    let resolver = explicit(&dante.url("socks4"));
    for adapter in ADAPTERS {
        let how = format!("{adapter:?} via socks4");
        for host in ["localhost", "127.0.0.1"] {
            let path = format!("/socks4/{adapter:?}/{host}");
            let got = assert_fetched(
                send(adapter, &resolver, &origin.url(host, &path)),
                &path,
                &how,
            );
            if let Some(via) = got.via {
                assert_eq!(via, dante.url("socks4"), "{how}");
            }
            origin.assert_one(&path, DANTE_PEER, &how);
        }
    }
    let needle = format!("127.0.0.1.{}", origin.port);
    let log = dante.log();
    assert!(count(&log, &needle) >= 6, "{log}");
}

/// A wrong SOCKS5 password: microsocks refuses before anything reaches the
/// origin; each adapter fails, naming the proxy but not the password.
#[test]
fn a_wrong_socks_password_is_refused_and_not_shown() {
    if !have(&[MICROSOCKS]) {
        return;
    }
    let socks = Microsocks::start(Some(SOCKS_AUTH));
    let origin = Origin::start();
    let wrong = "n0t:the p@ss";
    let resolver = explicit(&socks.url("socks5h", Some((SOCKS_AUTH.0, wrong))));
    for adapter in ADAPTERS {
        let how = format!("{adapter:?}, wrong SOCKS password");
        let path = format!("/socks-wrong/{adapter:?}");
        let err = send(adapter, &resolver, &origin.url("localhost", &path)).expect_err(&how);
        assert!(
            !err.contains(wrong) && !err.contains(&pct(wrong)),
            "{how}: {err}"
        );
        assert!(!err.contains(SOCKS_AUTH.1), "{how}: {err}");
        origin.assert_none(&path, &how);
    }
}

/// reqwest through the adapter to an HTTPS origin through squid (CONNECT,
/// the origin's certificate checked against the test CA), and to an HTTP
/// origin through squid over TLS (an `https://` proxy with Basic auth).
#[test]
fn reqwest_reaches_https_origins_and_https_proxies() {
    https_origin_and_https_proxy("reqwest", |ca, proxy, url| {
        let cert = reqwest::Certificate::from_pem(&ca.ca_pem()).unwrap();
        let builder = reqwest::Client::builder()
            .tls_certs_only([cert])
            .timeout(Duration::from_secs(20));
        let client =
            RoutedClient::from_builder(builder, explicit(&proxy)).map_err(|e| error_text(&e))?;
        runtime().block_on(async move {
            let response = client.get(&url).await.map_err(|e| error_text(&e))?;
            let status = response.status().as_u16();
            let body = response.text().await.map_err(|e| error_text(&e))?;
            Ok(Got {
                status,
                body,
                via: None,
            })
        })
    });
}

/// Through `adapter` (`get(ca, proxy, url)`): an HTTPS origin through squid
/// (CONNECT, the origin's certificate checked against the test CA), and an
/// HTTP origin through squid over TLS (an `https://` proxy with Basic auth).
fn https_origin_and_https_proxy(
    adapter: &str,
    get: impl Fn(&TestCa, String, String) -> Result<Got, String>,
) {
    if !have(&[SQUID, HTPASSWD, NCSA_AUTH, "openssl"]) {
        return;
    }
    let ca = TestCa::new();
    let tls_origin = TlsOrigin::start(&ca);
    let origin = Origin::start();
    let squid = Squid::start(&[(USER, PASSWORD)], &[tls_origin.port]);
    let tls_squid = Squid::start_tls(&[(USER, PASSWORD)], &[origin.port], (&ca.cert(), &ca.key()));

    let body = format!("{adapter} over TLS through squid\n");
    let url = tls_origin.serve("localhost", &format!("{adapter}.txt"), &body);
    let got = get(&ca, squid.url_with(USER, PASSWORD), url).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((got.status, got.body.as_str()), (200, body.as_str()));
    let line = squid.logged(&format!("CONNECT localhost:{}", tls_origin.port));
    assert!(line.contains("TCP_TUNNEL/200"), "{line}");

    let proxy = format!(
        "https://{}:{}@localhost:{}",
        pct(USER),
        pct(PASSWORD),
        tls_squid.port
    );
    let path = format!("/{adapter}-https-proxy");
    let how = format!("{adapter}, https proxy");
    assert_fetched(get(&ca, proxy, origin.url("127.0.0.1", &path)), &path, &how);
    origin.assert_one(&path, SQUID_PEER, &how);
}

/// A proxy set on the builder before is cleared (reqwest would try it
/// first): the route (DIRECT here) decides, and the old proxy, a tripwire,
/// is never connected to.
#[test]
fn reqwest_builders_lose_their_own_proxies() {
    let tripwire = Tripwire::start();
    let origin = Origin::start();
    let builder = reqwest::Client::builder()
        .proxy(reqwest::Proxy::all(tripwire.url("/")).unwrap())
        .timeout(Duration::from_secs(20));
    let direct = Arc::new(Resolver::builder().no_env().build().unwrap());
    let client = RoutedClient::from_builder(builder, direct).unwrap();
    let path = "/builder-proxy";
    let url = origin.url("127.0.0.1", path);
    let got = runtime().block_on(async {
        let response = client.get(&url).await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    });
    assert_eq!(got, (200, body_for(path)));
    origin.assert_one(path, DIRECT_PEER, "a builder's own proxy");
    tripwire.assert_untouched("a builder's own proxy");
}

/// ureq: an agent's own proxy is overridden by the route on every request
/// (DIRECT here); the agent's proxy, a tripwire, is never connected to.
#[test]
fn ureq_agents_lose_their_own_proxy() {
    let tripwire = Tripwire::start();
    let origin = Origin::start();
    let agent = ureq::Agent::config_builder()
        .proxy(Some(ureq::Proxy::new(&tripwire.url("")).unwrap()))
        .build()
        .new_agent();
    let direct = Arc::new(Resolver::builder().no_env().build().unwrap());
    let routed = RoutedAgent::with_agent(agent, direct);
    let path = "/agent-proxy";
    let response = routed.get(&origin.url("127.0.0.1", path)).unwrap();
    assert_eq!(response.status(), 200);
    origin.assert_one(path, DIRECT_PEER, "an agent's own proxy");
    tripwire.assert_untouched("an agent's own proxy");
}

/// ureq through the adapter (ureq's TLS is on with `pac-fetch`, which turns on
/// `ureq/rustls`): to an HTTPS origin through squid (CONNECT, the origin's
/// certificate checked against the test CA), and to an HTTP origin through
/// squid over TLS (an `https://` proxy with Basic auth).
#[cfg(feature = "pac-fetch")]
#[test]
fn ureq_reaches_https_origins_and_https_proxies() {
    use ureq::tls::{parse_pem, PemItem, RootCerts, TlsConfig};
    https_origin_and_https_proxy("ureq", |ca, proxy, url| {
        let pem = ca.ca_pem();
        let roots: Vec<_> = parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(PemItem::Certificate(cert)) => Some(cert.to_owned()),
                _ => None,
            })
            .collect();
        assert!(!roots.is_empty(), "the test CA parses");
        let agent = ureq::Agent::config_builder()
            .tls_config(
                TlsConfig::builder()
                    .root_certs(RootCerts::new_with_certs(&roots))
                    .build(),
            )
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .new_agent();
        let routed = RoutedAgent::with_agent(agent, explicit(&proxy));
        let response = routed.get(&url).map_err(|e| error_text(&e))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .read_to_string()
            .map_err(|e| error_text(&e))?;
        Ok(Got {
            status,
            body,
            via: None,
        })
    });
}

// ---------------------------------------------------------------------------
// A swappable resolver

/// Each adapter is built once on a `SharedResolver` whose route is refused,
/// then the resolver is swapped under it between requests: each request
/// follows the resolver in place when it is sent (squid, then microsocks,
/// then refused again, then direct), as the origin sees by the address each
/// request comes from; while the route is refused nothing reaches the
/// tripwire, the refused request's destination.
#[test]
fn each_request_follows_the_resolver_swapped_in_last() {
    if !have(&[SQUID, MICROSOCKS]) {
        return;
    }
    let origin = Origin::start();
    let squid = Squid::start(&[], &[origin.port]);
    let socks = Microsocks::start(None);
    let tripwire = Tripwire::start();
    let refused = || env_resolver(&[("http_proxy", "http://[::1")]);
    // (row, the resolver stored before the request, the host asked for, the
    // hop the origin must see the request from: `None` for refused)
    let rows = [
        (
            "squid",
            explicit(&squid.url()),
            "127.0.0.1",
            Some(SQUID_PEER),
        ),
        (
            "socks5h",
            explicit(&socks.url("socks5h", None)),
            "localhost",
            Some(SOCKS_PEER),
        ),
        ("refused", refused(), "127.0.0.1", None),
        (
            "direct",
            Arc::new(Resolver::builder().no_env().build().unwrap()),
            "127.0.0.1",
            Some(DIRECT_PEER),
        ),
    ];
    for adapter in ADAPTERS {
        let shared = SharedResolver::from_arc(refused());
        let client = Sender::new(adapter, &shared, Duration::from_secs(5));
        let how = format!("{adapter:?}, before any swap");
        let err = client.get(&tripwire.url("/swap/first")).expect_err(&how);
        assert!(err.contains("no route for"), "{how}: {err}");
        for (row, resolver, host, peer) in &rows {
            let how = format!("{adapter:?}, swapped to {row}");
            shared.store_arc(Arc::clone(resolver));
            let path = format!("/swap/{adapter:?}/{row}");
            match peer {
                Some(peer) => {
                    assert_fetched(client.get(&origin.url(host, &path)), &path, &how);
                    origin.assert_one(&path, *peer, &how);
                }
                None => {
                    let err = client.get(&tripwire.url(&path)).expect_err(&how);
                    assert!(err.contains("no route for"), "{how}: {err}");
                    assert!(err.contains("http_proxy"), "{how}: {err}");
                }
            }
        }
    }
    tripwire.assert_untouched("a shared resolver swapped to a refused route");
    // One line per adapter (ureq and hyper tunnel, reqwest forwards).
    let log = squid.access_log();
    assert_eq!(
        count(&log, &format!(" 127.0.0.1:{}", origin.port))
            + count(&log, &format!("/127.0.0.1:{}/", origin.port)),
        3,
        "squid carried only its rows:\n{log}"
    );
}

/// hyper-util hands a connection back to its pool from the connection's own
/// task once the response is read, a moment after the caller has the body:
/// a request sent at once may find the pool still empty and connect anew.
/// The pool tests wait this long first, so that the only difference between
/// their rows is whether the connection may be reused. (The hand-back takes
/// well under a millisecond on an idle machine; the margin is for a loaded
/// CI runner. The fail-closed rows do not depend on it: a connection not yet
/// pooled is a new one, which the connector or the adapter refuses.)
fn settle_into_pool() {
    std::thread::sleep(Duration::from_secs(1));
}

/// What reqwest's pool keeps across a swap (docs/clients.md): a client from
/// a builder with reqwest's default pool sends a plain `http` request through
/// squid, which keeps the connection alive; after a swap to a direct route
/// the next request to the same origin reuses that idle connection, so it
/// still comes from squid. `RoutedClient::new` on a shared resolver keeps no
/// idle connection, so its next request goes direct. A swap to a refused
/// route fails the next request either way (the adapter checks every request
/// before reqwest has it).
#[test]
fn a_pooled_connection_keeps_its_hop_but_a_refusal_still_applies() {
    if !have(&[SQUID]) {
        return;
    }
    let origin = Origin::start();
    let squid = Squid::start(&[], &[origin.port]);
    // (row, the client, where the request after the swap to DIRECT comes from)
    type Make = fn(&SharedResolver) -> RoutedClient;
    let rows: [(&str, Make, Ipv4Addr); 2] = [
        (
            "from_builder",
            |shared| RoutedClient::from_builder(reqwest::Client::builder(), shared).unwrap(),
            SQUID_PEER,
        ),
        (
            "new",
            |shared| RoutedClient::new(shared).unwrap(),
            DIRECT_PEER,
        ),
    ];
    for (row, make, after_swap) in rows {
        let shared = SharedResolver::from_arc(explicit(&squid.url()));
        let client = make(&shared);
        let path = |n: u8| format!("/pool/{row}/{n}");
        assert_fetched(
            reqwest_fetch(&client, &origin.url("127.0.0.1", &path(1))),
            &path(1),
            row,
        );
        origin.assert_one(&path(1), SQUID_PEER, row);
        settle_into_pool();
        shared.store(Resolver::builder().no_env().build().unwrap());
        assert_fetched(
            reqwest_fetch(&client, &origin.url("127.0.0.1", &path(2))),
            &path(2),
            row,
        );
        origin.assert_one(&path(2), after_swap, row);
        shared.store_arc(env_resolver(&[("http_proxy", "http://[::1")]));
        let err = reqwest_fetch(&client, &origin.url("127.0.0.1", &path(3))).expect_err(row);
        assert!(err.contains("no route for"), "{row}: {err}");
        origin.assert_none(&path(3), row);
    }
}

/// hyper-util's pool reuses an idle connection to the same origin without
/// asking the connector. On a `SharedResolver` the connector marks its
/// connections not reusable, so after a swap to a refused route the next
/// request is refused (nothing reaches the origin), with hyper-util's default
/// pool; with `reuse_across_swaps(true)` the idle connection (here one to
/// squid, which keeps forwarded requests' connections alive) is reused
/// through its old hop, as docs/clients.md says.
#[test]
fn hyper_connections_on_a_shared_resolver_are_not_reused_after_a_swap() {
    if !have(&[SQUID]) {
        return;
    }
    let origin = Origin::start();
    let squid = Squid::start(&[], &[origin.port]);
    // (row, reuse_across_swaps, whether the request after the swap to a
    // refused route is refused)
    let rows = [
        ("default", false, true),
        ("reuse_across_swaps", true, false),
    ];
    for (row, reuse, refused_at_once) in rows {
        let shared = SharedResolver::from_arc(explicit(&squid.url()));
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        let connector = ProxyConnector::new(&shared, http)
            .forward_http(true)
            .reuse_across_swaps(reuse);
        let client: Client<_, Empty<Bytes>> =
            Client::builder(TokioExecutor::new()).build(connector);
        let fetch = |path: &str| -> Result<u16, String> {
            let uri: hyper::Uri = origin.url("127.0.0.1", path).parse().unwrap();
            runtime().block_on(async {
                let response = client.get(uri).await.map_err(|e| error_text(&e))?;
                let status = response.status().as_u16();
                response
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| error_text(&e))?;
                Ok(status)
            })
        };
        let first = format!("/hyper-pool/{row}/first");
        assert_eq!(fetch(&first), Ok(200), "{row}");
        origin.assert_one(&first, SQUID_PEER, row);
        settle_into_pool();
        shared.store_arc(env_resolver(&[("http_proxy", "http://[::1")]));
        let after = format!("/hyper-pool/{row}/after");
        let got = fetch(&after);
        if refused_at_once {
            let err = got.expect_err(row);
            assert!(err.contains("no route for"), "{row}: {err}");
            origin.assert_none(&after, row);
        } else {
            assert_eq!(got, Ok(200), "{row}");
            origin.assert_one(&after, SQUID_PEER, "the idle connection to squid");
        }
    }
}

/// reqwest asks its `Proxy::custom` function for the proxy after the adapter
/// checked the route; a route refused by then (a swap in between, or a
/// request sent on the bare `reqwest::Client`, which is not checked first)
/// sends reqwest to the sink, `127.0.0.1:0`: the request fails and never
/// reaches the tripwire, its destination. The routed client's error is
/// proxyroute's refusal even so.
#[test]
fn reqwest_fails_closed_inside_reqwest_too() {
    let tripwire = Tripwire::start();
    let shared = SharedResolver::new(Resolver::builder().no_env().build().unwrap());
    let client = RoutedClient::new(&shared).unwrap();
    shared.store_arc(env_resolver(&[("http_proxy", "http://[::1")]));
    let url = tripwire.url("/bare");
    let bare = runtime().block_on(async { client.inner().get(&url).send().await });
    let err = bare.expect_err("the bare client, a refused route");
    assert!(err.is_connect(), "{}", error_text(&err));
    let configured = proxyroute::adapters::reqwest::configure(reqwest::Client::builder(), &shared)
        .build()
        .unwrap();
    let err = runtime()
        .block_on(async { configured.get(&url).send().await })
        .expect_err("a configured client, a refused route");
    assert!(err.is_connect(), "{}", error_text(&err));
    let err = reqwest_fetch(&client, &url).expect_err("the routed client");
    assert!(err.contains("no route for"), "{err}");
    tripwire.assert_untouched("reqwest's own requests on a refused route");
}

// ---------------------------------------------------------------------------
// Failover past proxies that hang or close

/// The hyper connector and the ureq agent with a 1 s bound per step: a route
/// whose first hop accepts the connection and then never answers (an HTTP
/// proxy that never answers the `CONNECT`; a SOCKS5 proxy that answers the
/// greeting and never the request), or closes it at once, reaches the origin
/// through squid, the second hop, within a few seconds; the stalling hop was
/// tried (it accepted, and read the request). A route of stalling hops only
/// fails, naming each hop and that it timed out.
#[cfg(feature = "pac")]
#[test]
fn failover_passes_hops_that_hang_or_close() {
    if !have(&[SQUID]) {
        return;
    }
    let origin = Origin::start();
    let squid = Squid::start(&[], &[origin.port]);
    let hang = Stall::start(Misbehaviour::Hang);
    let close = Stall::start(Misbehaviour::Close);
    let socks_hang = Stall::start(Misbehaviour::SocksHangAfterGreeting);
    let step = Duration::from_secs(1);
    // Each stalling hop costs one step; scheduling on a busy machine the rest.
    let within = Duration::from_secs(6);
    let rows: [(&str, &str, &Stall); 3] = [
        ("hang", "PROXY", &hang),
        ("close", "PROXY", &close),
        ("socks5-hang", "SOCKS5", &socks_hang),
    ];
    for adapter in [Adapter::Hyper, Adapter::Ureq] {
        for (row, kind, stall) in rows {
            let how = format!("{adapter:?}, {row} then squid");
            let resolver = pac_resolver(&format!(
                "return '{kind} {}; PROXY 127.0.0.1:{}';",
                stall.addr(),
                squid.port
            ));
            let client = Sender::new(adapter, resolver, step);
            let tried_before = stall.accepted();
            let path = format!("/stall/{adapter:?}/{row}");
            let started = Instant::now();
            let got = assert_fetched(client.get(&origin.url("127.0.0.1", &path)), &path, &how);
            let took = started.elapsed();
            assert!(took < within, "{how}: took {took:?}");
            if let Some(via) = got.via {
                assert_eq!(via, squid.url(), "{how}");
            }
            origin.assert_one(&path, SQUID_PEER, &how);
            assert!(
                stall.accepted() > tried_before,
                "{how}: the first hop was not tried"
            );
        }
        // Both kinds of hang were handed the request before they stalled.
        let asked = hang.read_text();
        assert!(
            asked.contains(&format!("CONNECT 127.0.0.1:{}", origin.port)),
            "{adapter:?}: {asked:?}"
        );

        let how = format!("{adapter:?}, every hop hangs");
        let resolver = pac_resolver(&format!(
            "return 'PROXY {}; SOCKS5 {}';",
            hang.addr(),
            socks_hang.addr()
        ));
        let client = Sender::new(adapter, resolver, step);
        let path = format!("/all-hang/{adapter:?}");
        let started = Instant::now();
        let err = client.get(&origin.url("127.0.0.1", &path)).expect_err(&how);
        let took = started.elapsed();
        assert!(took < within + step, "{how}: took {took:?}");
        assert!(err.contains("no hop reached"), "{how}: {err}");
        let hops = [
            format!("http://{}: ", hang.addr()),
            format!("socks5://{}: ", socks_hang.addr()),
        ];
        for hop in &hops {
            let at = err
                .find(hop.as_str())
                .unwrap_or_else(|| panic!("{how}: {hop} not named: {err}"));
            let reason = err[at + hop.len()..].split("; ").next().unwrap_or("");
            assert!(
                reason.contains("timed out") || reason.contains("timeout"),
                "{how}: {hop}: {reason:?} in {err}"
            );
        }
        origin.assert_none(&path, &how);
    }
    let log = squid.access_log();
    assert!(!log.contains("/all-hang/"), "{log}");
}

/// reqwest takes one proxy per request, so it cannot pass a hop that hangs
/// or closes: with `PROXY stall; PROXY squid` reqwest sends the request to
/// the first hop (plain `http` is forwarded in absolute form: the hanging
/// proxy reads `GET http://...`), and the request fails (a hang when the
/// request's own timeout ends, 3 s here; a close at once); neither squid nor
/// the origin (directly) ever sees it.
#[cfg(feature = "pac")]
#[test]
fn reqwest_does_not_fail_over_past_a_stalling_first_hop() {
    if !have(&[SQUID]) {
        return;
    }
    let origin = Origin::start();
    let squid = Squid::start(&[], &[origin.port]);
    let hang = Stall::start(Misbehaviour::Hang);
    let close = Stall::start(Misbehaviour::Close);
    // (row, the first hop, what the error says)
    let rows = [
        ("hang", &hang, "timed out"),
        ("close", &close, "error sending request"),
    ];
    for (row, stall, says) in rows {
        let how = format!("reqwest, {row} then squid");
        let resolver = pac_resolver(&format!(
            "return 'PROXY {}; PROXY 127.0.0.1:{}';",
            stall.addr(),
            squid.port
        ));
        let builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(1))
            .timeout(Duration::from_secs(3));
        let client = RoutedClient::from_builder(builder, resolver).unwrap();
        let path = format!("/reqwest-stall/{row}");
        let url = origin.url("127.0.0.1", &path);
        let started = Instant::now();
        let err = reqwest_fetch(&client, &url).expect_err(&how);
        assert!(started.elapsed() < Duration::from_secs(10), "{how}");
        assert!(err.contains(says), "{how}: {err}");
        assert!(stall.accepted() >= 1, "{how}: the first hop was not tried");
        origin.assert_none(&path, &how);
    }
    assert!(
        hang.read_text().contains("GET http://127.0.0.1:"),
        "{:?}",
        hang.read_text()
    );
    let log = squid.access_log();
    assert!(!log.contains("/reqwest-stall/"), "{log}");
}

// ---------------------------------------------------------------------------
// SOCKS4a (and SOCKS4, SOCKS5h) through OpenSSH's dynamic forwarding

/// `ssh -D` in front of a private sshd speaks SOCKS4, SOCKS4a and SOCKS5.
/// sshd runs with an `/etc/hosts` of its own that maps a name this process
/// cannot resolve: through `socks4a://` and `socks5h://` each adapter hands
/// that name to the proxy (sshd's log shows the name as the target) and
/// reaches the origin; through `socks4://` and `socks5://` it resolves
/// `localhost` itself and hands sshd the address.
#[test]
fn socks4a_through_ssh_dynamic_forwarding() {
    if !have(&[SSHD, SSH, SSH_KEYGEN, UNSHARE]) || !can_unshare_mount() {
        return;
    }
    let name = "only-sshd-knows.test";
    let ssh = SshSocks::start(Some(&format!("127.0.0.1 {name}")));
    let origin = Origin::start();
    // (scheme, host in the URL, the target sshd must log)
    let rows = [
        ("socks4a", name, name),
        ("socks5h", name, name),
        ("socks4", "localhost", "127.0.0.1"),
        ("socks5", "localhost", "127.0.0.1"),
    ];
    for adapter in ADAPTERS {
        for (scheme, host, logged) in rows {
            let how = format!("{adapter:?} via ssh -D, {scheme}");
            let path = format!("/ssh/{adapter:?}/{scheme}");
            let logged_before = ssh.targets().len();
            let got = assert_fetched(
                send(
                    adapter,
                    &explicit(&ssh.url(scheme)),
                    &origin.url(host, &path),
                ),
                &path,
                &how,
            );
            if let Some(via) = got.via {
                assert_eq!(via, ssh.url(scheme), "{how}");
            }
            // sshd connects from 127.0.0.1, as a direct request would: its log
            // tells them apart.
            let seen = origin.assert_one(&path, DIRECT_PEER, &how);
            assert!(
                seen.head
                    .to_ascii_lowercase()
                    .contains(&format!("host: {host}:")),
                "{how}: {}",
                seen.head
            );
            let targets = eventually(&format!("{how}: sshd's log"), || {
                let t = ssh.targets();
                (t.len() > logged_before).then_some(t)
            });
            assert_eq!(
                targets[logged_before..],
                [format!("{logged}:{}", origin.port)],
                "{how}: sshd was asked for"
            );
        }
    }
}
