//! Routes proved end to end: proxyroute resolves a URL, a real client (the curl
//! binary; ureq and reqwest through `proxyroute::adapters`) sends it along the
//! route, through a real squid or microsocks on a loopback port, to an origin
//! server inside the test. `tests/adapters.rs` tests the adapters themselves
//! (every proxy kind, failover, redirects, the hyper connector).
//!
//! Each test starts what it needs on free loopback ports with temporary
//! configuration and stops it when it ends. Every outgoing hop is told apart by
//! its source address at the origin: a direct request comes from 127.0.0.1, squid
//! forwards from 127.0.0.3 (`tcp_outgoing_address`), microsocks from 127.0.0.2
//! (`-b`). Nothing is sent anywhere but loopback: squid's DNS points at
//! 127.0.0.1 and every name used is in /etc/hosts.
//!
//! `.ci/install-proxies.sh` installs squid, microsocks, curl and htpasswd. Under
//! `CI=true` a missing program fails the test; elsewhere the test prints a notice
//! and does nothing.

#[path = "support/real.rs"]
mod real;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, OnceLock};

use real::*;

use proxyroute::{curl_command, Hop, Resolver, Route, ShowCredentials, Target};

// ---------------------------------------------------------------------------
// Clients: each sends a URL along the route proxyroute gives

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Client {
    Curl,
    Ureq,
    Reqwest,
}

const CLIENTS: [Client; 3] = [Client::Curl, Client::Ureq, Client::Reqwest];

#[derive(Debug)]
struct Got {
    via: String,
    status: u16,
    body: String,
}

/// Resolves `url` and sends it with `client`: curl from the route's proxy URL,
/// ureq and reqwest through the adapters. `via` is the route.
fn send(client: Client, resolver: &Arc<Resolver>, url: &str) -> Result<Got, String> {
    let target = Target::parse(url).map_err(|e| e.to_string())?;
    let via = resolver.resolve(&target).to_string();
    let (status, body) = match client {
        Client::Curl => return curl_route(resolver.resolve(&target), url, false),
        Client::Ureq => {
            let agent = proxyroute::adapters::ureq::RoutedAgent::new(Arc::clone(resolver));
            let response = agent.get(url).map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            let body = response.into_body().read_to_string();
            (
                status,
                body.map_err(|e| format!("{url}: reading the body: {e}"))?,
            )
        }
        Client::Reqwest => {
            let client =
                proxyroute::adapters::reqwest::RoutedBlockingClient::new(Arc::clone(resolver))
                    .map_err(|e| e.to_string())?;
            let response = client.get(url).map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            let body = response.text();
            (
                status,
                body.map_err(|e| format!("{url}: reading the body: {e}"))?,
            )
        }
    };
    Ok(Got { via, status, body })
}

/// The curl binary along a route: `--proxy` with the credentials in the URL, or
/// `--noproxy '*'`; `tunnel` adds `--proxytunnel` (CONNECT even for http).
fn curl_route(route: Route<'_>, url: &str, tunnel: bool) -> Result<Got, String> {
    if let Some(e) = route.error() {
        return Err(format!("no route for {url}: {e}"));
    }
    let home = TempDir::new("curl");
    let mut cmd = clean_command(program(CURL), &home.0);
    cmd.args(["-q", "-sS", "--max-time", "10", "-w", "\n%{http_code}"]);
    match route.first() {
        Some(Hop::Proxy(p)) => {
            cmd.args(["--proxy", &p.url_with_credentials(), "--noproxy", ""]);
        }
        _ => {
            cmd.args(["--noproxy", "*"]);
        }
    }
    if tunnel {
        cmd.arg("--proxytunnel");
    }
    cmd.arg(url);
    let out = run_command(cmd, "curl");
    curl_result(&out, &route.to_string())
}

/// Reads curl's output (`-w '\n%{http_code}'` last) as the adapters do: 407, by
/// answer or as a failed tunnel, is an error that says what to fix.
fn curl_result(out: &Output, via: &str) -> Result<Got, String> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let (body, code) = stdout.rsplit_once('\n').unwrap_or(("", &stdout));
    let status: u16 = code.trim().parse().unwrap_or(0);
    if status == 407 || stderr.contains("response 407") {
        return Err(format!(
            "proxy {via} answered 407 Proxy Authentication Required: \
             the user name or password is missing or wrong"
        ));
    }
    if !out.status.success() {
        return Err(format!("curl via {via}: {} {}", out.status, stderr.trim()));
    }
    Ok(Got {
        via: via.to_owned(),
        status,
        body: body.to_owned(),
    })
}

/// Asserts a successful fetch of `path` with the origin's body.
fn assert_fetched(result: Result<Got, String>, path: &str, how: &str) -> Got {
    let got = result.unwrap_or_else(|e| panic!("{how}: {e}"));
    assert_eq!(got.status, 200, "{how}: {got:?}");
    assert_eq!(got.body, body_for(path), "{how}: {got:?}");
    got
}

/// What squid's access log shows for a request of `url` by `client`: ureq
/// tunnels every request with CONNECT, curl and reqwest forward plain http.
fn squid_needle(client: Client, origin: &Origin, host: &str, path: &str) -> String {
    match client {
        Client::Ureq => format!("CONNECT {host}:{}", origin.port),
        _ => format!("GET {}", origin.url(host, path)),
    }
}

// ---------------------------------------------------------------------------
// Tests

/// `http_proxy` names squid: each client reaches the origin through it, the
/// origin sees squid's address, and squid's access log has the request.
#[test]
fn http_through_squid_reaches_the_origin_and_is_logged() {
    if !have(&[SQUID, CURL]) {
        return;
    }
    let origin = Origin::start();
    let squid = Squid::start(&[], &[origin.port]);
    let resolver = env_resolver(&[("http_proxy", &squid.url())]);
    for client in CLIENTS {
        let path = format!("/plain/{client:?}");
        let url = origin.url("127.0.0.1", &path);
        let route = resolver.resolve(&Target::parse(&url).unwrap());
        assert_eq!(route.to_string(), squid.url(), "the route names squid");

        let needle = squid_needle(client, &origin, "127.0.0.1", &path);
        let got = assert_fetched(send(client, &resolver, &url), &path, &format!("{client:?}"));
        assert_eq!(got.via, squid.url());
        let seen = origin.assert_one(&path, SQUID_PEER, &format!("{client:?}"));
        if client != Client::Ureq {
            // A forwarded request carries squid's Via header; a tunnel does not.
            let via = format!("proxyroute-{}", squid.service);
            assert!(seen.head.contains(&via), "{client:?}: {}", seen.head);
        }
        let line = squid.logged(&needle);
        assert!(
            line.contains("TCP_MISS/200") || line.contains("TCP_TUNNEL/200"),
            "{client:?}: {line}"
        );
    }
}

/// Basic auth through squid with `basic_ncsa_auth`: right credentials, written
/// percent-encoded in the proxy URL and parsed by proxyroute, reach the origin,
/// including a password with `@ : % / space` and a non-ASCII one.
#[test]
fn basic_auth_with_awkward_passwords_reaches_the_origin() {
    if !have(&[SQUID, CURL, HTPASSWD, NCSA_AUTH]) {
        return;
    }
    let users = [
        ("alice", "s3cret"),
        ("weird", "p@ss:w%rd/ x"),
        ("uni", "pässwörd-日本✓"),
    ];
    let origin = Origin::start();
    let squid = Squid::start(&users, &[origin.port]);
    for (user, password) in users {
        let proxy_url = squid.url_with(user, password);
        let resolver = explicit(&proxy_url);
        let route = resolver.resolve(&Target::parse(&origin.url("127.0.0.1", "/")).unwrap());
        let proxy = route.proxy().expect("proxied");
        assert_eq!(proxy.credentials().unwrap().password(), Some(password));
        assert!(!proxy.to_string().contains(&pct(password)));
        for client in CLIENTS {
            let how = format!("{client:?} as {user}");
            let path = format!("/auth/{user}/{client:?}");
            let url = origin.url("127.0.0.1", &path);
            let needle = squid_needle(client, &origin, "127.0.0.1", &path);
            let got = assert_fetched(send(client, &resolver, &url), &path, &how);
            assert_eq!(
                got.via,
                format!("http://{user}:***@127.0.0.1:{}", squid.port)
            );
            let seen = origin.assert_one(&path, SQUID_PEER, &how);
            assert!(
                !seen
                    .head
                    .to_ascii_lowercase()
                    .contains("proxy-authorization"),
                "{how}: the credentials reached the origin: {}",
                seen.head
            );
            let line = squid.logged(&needle);
            assert!(
                line.contains(&format!(" {user} ")),
                "{how}: squid logged {line}"
            );
        }
    }
}

/// Missing or wrong credentials: squid answers 407, every client's adapter
/// turns it into an error that says so, without the password, and nothing
/// reaches the origin.
#[test]
fn missing_or_wrong_credentials_are_a_clear_407() {
    if !have(&[SQUID, CURL, HTPASSWD, NCSA_AUTH]) {
        return;
    }
    let origin = Origin::start();
    let squid = Squid::start(&[("alice", "s3cret")], &[origin.port]);
    let cases = [
        ("missing", squid.url(), None),
        (
            "wrong",
            squid.url_with("alice", "not-the-pass@word"),
            Some("not-the-pass@word"),
        ),
    ];
    for (case, proxy_url, password) in cases {
        let resolver = explicit(&proxy_url);
        for client in CLIENTS {
            let how = format!("{client:?}, {case} credentials");
            let path = format!("/denied/{case}/{client:?}");
            let url = origin.url("127.0.0.1", &path);
            let needle = squid_needle(client, &origin, "127.0.0.1", &path);
            let err = send(client, &resolver, &url).expect_err(&how);
            assert!(
                err.contains("407 Proxy Authentication Required"),
                "{how}: {err}"
            );
            assert!(err.contains("user name or password"), "{how}: {err}");
            if let Some(password) = password {
                assert!(!err.contains(password), "{how} leaks the password: {err}");
                assert!(!err.contains(&pct(password)), "{how} leaks it: {err}");
            }
            let line = squid.logged(&needle);
            assert!(line.contains("TCP_DENIED/407"), "{how}: {line}");
            origin.assert_none(&path, &how);
        }
    }
}

/// CONNECT through squid (curl `--proxytunnel`), with and without Basic auth:
/// the tunnel reaches the origin and squid logs `TCP_TUNNEL`; a squid that does
/// not allow CONNECT to the origin's port refuses it.
#[test]
fn connect_tunnel_through_squid() {
    if !have(&[SQUID, CURL, HTPASSWD, NCSA_AUTH]) {
        return;
    }
    let origin = Origin::start();
    let needle = format!("CONNECT 127.0.0.1:{}", origin.port);

    let open = Squid::start(&[], &[origin.port]);
    let authed = Squid::start(&[("weird", "p@ss:w%rd/ x")], &[origin.port]);
    for (name, squid, proxy_url) in [
        ("plain", &open, open.url()),
        ("auth", &authed, authed.url_with("weird", "p@ss:w%rd/ x")),
    ] {
        let resolver = explicit(&proxy_url);
        let path = format!("/tunnel/{name}");
        let url = origin.url("127.0.0.1", &path);
        let route = resolver.resolve(&Target::parse(&url).unwrap());
        assert_fetched(curl_route(route, &url, true), &path, name);
        origin.assert_one(&path, SQUID_PEER, name);
        let line = squid.logged(&needle);
        assert!(line.contains("TCP_TUNNEL/200"), "{name}: {line}");
    }

    // The same request through a squid whose CONNECT rule does not name the port.
    let closed = Squid::start(&[], &[free_port()]);
    let resolver = explicit(&closed.url());
    let url = origin.url("127.0.0.1", "/tunnel/closed");
    let err = curl_route(resolver.resolve(&Target::parse(&url).unwrap()), &url, true)
        .expect_err("CONNECT to a port squid does not allow");
    assert!(err.contains("403"), "{err}");
    assert!(closed.logged(&needle).contains("TCP_DENIED/403"));
    origin.assert_none("/tunnel/closed", "closed squid");
}

/// SOCKS5 and SOCKS5h through microsocks with a user and an awkward password:
/// every client reaches the origin from microsocks's address; with `socks5h`
/// the proxy is handed the name (its log says `localhost`), with `socks5` the
/// client resolves it first (the log says `127.0.0.1`). A wrong password is
/// refused before anything reaches the origin.
#[test]
fn socks5_and_socks5h_through_microsocks_with_auth() {
    if !have(&[MICROSOCKS, CURL]) {
        return;
    }
    let auth = ("sockuser", "s@ck:p%ss/ wörd");
    let socks = Microsocks::start(Some(auth));
    let origin = Origin::start();
    for scheme in ["socks5", "socks5h"] {
        let resolver = env_resolver(&[("all_proxy", &socks.url(scheme, Some(auth)))]);
        for client in CLIENTS {
            let how = format!("{client:?} via {scheme}");
            let path = format!("/{scheme}/{client:?}");
            let url = origin.url("localhost", &path);
            let route = resolver.resolve(&Target::parse(&url).unwrap());
            assert_eq!(
                route.to_string(),
                format!("{scheme}://sockuser:***@127.0.0.1:{}", socks.port)
            );
            let seen_name = match scheme {
                "socks5h" => format!("connected to localhost:{}", origin.port),
                _ => format!("connected to 127.0.0.1:{}", origin.port),
            };
            let before = count(&socks.log(), &seen_name);
            assert_fetched(send(client, &resolver, &url), &path, &how);
            origin.assert_one(&path, SOCKS_PEER, &how);
            eventually(&format!("{how}: microsocks log {seen_name:?}"), || {
                (count(&socks.log(), &seen_name) > before).then_some(())
            });
        }
    }
    let wrong = env_resolver(&[(
        "all_proxy",
        &socks.url("socks5h", Some(("sockuser", "nope"))),
    )]);
    for client in CLIENTS {
        let path = format!("/socks-wrong/{client:?}");
        let err = send(client, &wrong, &origin.url("localhost", &path))
            .expect_err("a wrong SOCKS password");
        assert!(
            !err.contains("nope"),
            "{client:?} leaks the password: {err}"
        );
        origin.assert_none(&path, &format!("{client:?}, wrong SOCKS password"));
    }
}

/// microsocks without auth: `socks5h://` with no user works for every client.
#[test]
fn socks5h_through_microsocks_without_auth() {
    if !have(&[MICROSOCKS, CURL]) {
        return;
    }
    let socks = Microsocks::start(None);
    let origin = Origin::start();
    let resolver = env_resolver(&[("http_proxy", &socks.url("socks5h", None))]);
    for client in CLIENTS {
        let path = format!("/socks-open/{client:?}");
        let how = format!("{client:?}");
        assert_fetched(
            send(client, &resolver, &origin.url("localhost", &path)),
            &path,
            &how,
        );
        origin.assert_one(&path, SOCKS_PEER, &how);
    }
}

/// `NO_PROXY` (and a builder's bypass list): the bypassed request goes directly
/// (the origin sees 127.0.0.1) and squid's log never names it, while a request
/// the list does not cover, sent afterwards, goes through squid and is logged.
#[test]
fn bypass_goes_direct_and_the_proxy_logs_nothing() {
    if !have(&[SQUID, CURL]) {
        return;
    }
    let origin = Origin::start();
    let squid = Squid::start(&[], &[origin.port]);
    let resolvers = [
        (
            "env no_proxy",
            env_resolver(&[("http_proxy", &squid.url()), ("no_proxy", "127.0.0.1")]),
        ),
        (
            "builder bypass",
            Arc::new(
                Resolver::builder()
                    .proxy(squid.url())
                    .bypass("127.0.0.1")
                    .build()
                    .unwrap(),
            ),
        ),
    ];
    let bypassed_authority = format!("127.0.0.1:{}", origin.port);
    for (name, resolver) in &resolvers {
        for client in CLIENTS {
            let how = format!("{client:?}, {name}");
            let direct_path = format!("/bypass/{name}/{client:?}").replace(' ', "-");
            let direct_url = origin.url("127.0.0.1", &direct_path);
            assert!(resolver
                .resolve(&Target::parse(&direct_url).unwrap())
                .is_direct());
            let got = assert_fetched(send(client, resolver, &direct_url), &direct_path, &how);
            assert_eq!(got.via, "DIRECT", "{how}");
            origin.assert_one(&direct_path, DIRECT_PEER, &how);

            // The control: not bypassed (curl has no implicit loopback rule).
            let proxied_path = format!("/control/{name}/{client:?}").replace(' ', "-");
            let proxied_url = origin.url("localhost", &proxied_path);
            let needle = squid_needle(client, &origin, "localhost", &proxied_path);
            assert_fetched(send(client, resolver, &proxied_url), &proxied_path, &how);
            origin.assert_one(&proxied_path, SQUID_PEER, &how);
            squid.logged(&needle);
        }
    }
    let log = squid.access_log();
    assert!(
        !log.contains(&bypassed_authority),
        "squid saw a bypassed request:\n{log}"
    );
}

/// A route list, first hop down and second up, tried in order: two resolvers,
/// each client through the same loop in the test (`tests/adapters.rs` has the
/// adapters' own failover along a PAC answer's hops). The dead hop alone
/// fails, so the list really fell through to squid.
#[test]
fn route_list_falls_through_a_dead_proxy_to_a_live_one() {
    if !have(&[SQUID, CURL]) {
        return;
    }
    let origin = Origin::start();
    let squid = Squid::start(&[], &[origin.port]);
    // Port 1 (tcpmux): nothing listens there, and no test server can take it.
    assert!(!accepts(1), "something listens on 127.0.0.1:1");
    let dead_url = "http://127.0.0.1:1".to_owned();
    let dead = explicit(&dead_url);
    let live = explicit(&squid.url());
    let list = [Arc::clone(&dead), Arc::clone(&live)];

    for client in CLIENTS {
        let how = format!("{client:?}");
        let path = format!("/list/{client:?}");
        let url = origin.url("127.0.0.1", &path);
        let got = assert_fetched(try_in_order(client, &list, &url), &path, &how);
        assert_eq!(got.via, squid.url(), "{how}: the second hop answered");
        origin.assert_one(&path, SQUID_PEER, &how);

        let only_dead = format!("/list-dead/{client:?}");
        let dead_only_url = origin.url("127.0.0.1", &only_dead);
        let err = try_in_order(client, std::slice::from_ref(&dead), &dead_only_url)
            .map(|g| g.via)
            .expect_err("the dead hop alone");
        assert!(err.contains(&dead_url), "{how}: {err}");
        origin.assert_none(&only_dead, &how);
    }
}

/// Tries each resolver's route in order: a failure passes to the next, but a 407
/// ends the attempt (wrong credentials are not fixed by trying elsewhere).
fn try_in_order(client: Client, list: &[Arc<Resolver>], url: &str) -> Result<Got, String> {
    let mut failures = Vec::new();
    for resolver in list {
        match send(client, resolver, url) {
            Ok(got) => return Ok(got),
            Err(e) if e.contains("407 Proxy Authentication Required") => return Err(e),
            Err(e) => failures.push(e),
        }
    }
    Err(failures.join("; "))
}

/// The curl line that `curl_command` prints (as `resolve --curl
/// --show-credentials` does) run for real with `sh -c`: through squid with an
/// awkward password, through microsocks with `socks5h`, and direct.
#[test]
fn curl_command_lines_run_for_real() {
    if !have(&[SQUID, MICROSOCKS, CURL, HTPASSWD, NCSA_AUTH]) {
        return;
    }
    let origin = Origin::start();
    let (user, password) = ("weird", "it's p@ss:w%rd/ ü");
    let squid = Squid::start(&[(user, password)], &[origin.port]);
    let socks = Microsocks::start(Some(("sockuser", "s@ck p%ss")));
    let cases = [
        (
            "squid",
            squid.url_with(user, password),
            "127.0.0.1",
            SQUID_PEER,
        ),
        (
            "socks5h",
            socks.url("socks5h", Some(("sockuser", "s@ck p%ss"))),
            "localhost",
            SOCKS_PEER,
        ),
    ];
    let home = TempDir::new("curl-home");
    for (name, proxy_url, host, peer) in cases {
        let resolver = explicit(&proxy_url);
        let path = format!("/curl-line/{name}");
        let url = origin.url(host, &path);
        let line = curl_command(
            resolver.resolve(&Target::parse(&url).unwrap()),
            &url,
            ShowCredentials::Full,
        );
        assert!(line.starts_with("curl --proxy "), "{line}");
        let mut cmd = clean_command("sh", &home.0);
        cmd.arg("-c").arg(&line);
        let out = run_command(cmd, &line);
        assert!(out.status.success(), "{line}: {out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            body_for(&path),
            "{line}"
        );
        origin.assert_one(&path, peer, &line);
    }

    // Direct: the bypass list wins, and the line says so with --noproxy '*'.
    let resolver = Arc::new(
        Resolver::builder()
            .proxy(squid.url())
            .bypass("127.0.0.1")
            .build()
            .unwrap(),
    );
    let url = origin.url("127.0.0.1", "/curl-line/direct");
    let line = curl_command(
        resolver.resolve(&Target::parse(&url).unwrap()),
        &url,
        ShowCredentials::Full,
    );
    let mut cmd = clean_command("sh", &home.0);
    cmd.arg("-c").arg(&line).env("http_proxy", squid.url());
    let out = run_command(cmd, &line);
    assert!(out.status.success(), "{line}: {out:?}");
    origin.assert_one("/curl-line/direct", DIRECT_PEER, &line);
}

// ---------------------------------------------------------------------------
// The examples as programs

/// The example's program, built first (once per run) so that it is never stale:
/// `cargo test --test real_proxies` alone does not build the examples.
fn example_bin(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    let exe = std::env::current_exe().expect("test executable path");
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps");
    BUILT.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--quiet"])
            .args(["--example", "ureq", "--example", "reqwest"])
            .args(["--features", "ureq,reqwest-blocking"])
            .arg("--target-dir")
            .arg(profile.parent().expect("target directory"))
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if profile.ends_with("release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo build --example");
        assert!(status.success(), "building the examples failed");
    });
    profile
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// `resolve --curl --show-credentials` prints the line a person copies; run it.
#[test]
fn resolve_cli_curl_line_runs_for_real() {
    if !have(&[SQUID, CURL, HTPASSWD, NCSA_AUTH]) {
        return;
    }
    let origin = Origin::start();
    let (user, password) = ("weird", "p@ss:w%rd/ x");
    let squid = Squid::start(&[(user, password)], &[origin.port]);
    let url = origin.url("127.0.0.1", "/cli-curl");
    let home = TempDir::new("cli-home");
    let mut cmd = clean_command(env!("CARGO_BIN_EXE_proxyroute"), &home.0);
    cmd.env("http_proxy", squid.url_with(user, password)).args([
        "--curl",
        "--show-credentials",
        &url,
    ]);
    let out = run_command(cmd, "resolve --curl");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    let line = stdout
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("curl:"))
        .unwrap_or_else(|| panic!("no curl line in:\n{stdout}"))
        .trim();
    let mut cmd = clean_command("sh", &home.0);
    cmd.arg("-c").arg(line);
    let out = run_command(cmd, line);
    assert!(out.status.success(), "{line}: {out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), body_for("/cli-curl"));
    origin.assert_one("/cli-curl", SQUID_PEER, line);
}

/// `examples/ureq.rs` and `examples/reqwest.rs` run as programs with the proxy
/// in their environment: through squid with Basic auth, through microsocks,
/// directly under `no_proxy`; a 407 and a broken proxy variable exit 1 with a
/// message and never reach the origin. No output shows a password.
#[test]
fn client_examples_run_as_programs() {
    if !have(&[SQUID, MICROSOCKS, HTPASSWD, NCSA_AUTH]) {
        return;
    }
    let origin = Origin::start();
    let (user, password) = ("weird", "p@ss:w%rd/ x");
    let squid = Squid::start(&[(user, password)], &[origin.port]);
    let socks_auth = ("sockuser", "s@ck p%ss");
    let socks = Microsocks::start(Some(socks_auth));
    let home = TempDir::new("example-home");
    let secrets = [password, socks_auth.1];

    for example in ["ureq", "reqwest"] {
        let bin = example_bin(example);
        let run = |env: &[(&str, String)], url: &str| {
            let mut cmd = clean_command(&bin, &home.0);
            for (k, v) in env {
                cmd.env(k, v);
            }
            cmd.arg(url);
            let out = run_command(cmd, example);
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            for secret in secrets {
                assert!(
                    !text.contains(secret),
                    "{example} printed a password:\n{text}"
                );
                assert!(
                    !text.contains(&pct(secret)),
                    "{example} printed it:\n{text}"
                );
            }
            (out.status.code(), text)
        };

        let cases = [
            (
                "squid",
                vec![("http_proxy", squid.url_with(user, password))],
                "127.0.0.1",
                SQUID_PEER,
                format!("http://{user}:***@127.0.0.1:{}", squid.port),
            ),
            (
                "socks",
                vec![("all_proxy", socks.url("socks5h", Some(socks_auth)))],
                "localhost",
                SOCKS_PEER,
                format!("socks5h://sockuser:***@127.0.0.1:{}", socks.port),
            ),
            (
                "no_proxy",
                vec![
                    ("http_proxy", squid.url_with(user, password)),
                    ("no_proxy", "127.0.0.1".to_owned()),
                ],
                "127.0.0.1",
                DIRECT_PEER,
                "DIRECT".to_owned(),
            ),
        ];
        for (name, env, host, peer, route) in cases {
            let how = format!("examples/{example}.rs, {name}");
            let path = format!("/example/{example}/{name}");
            let (code, text) = run(&env, &origin.url(host, &path));
            assert_eq!(code, Some(0), "{how}:\n{text}");
            assert!(
                text.contains(&format!("route:  {route}\n")),
                "{how}:\n{text}"
            );
            assert!(text.contains("status: 200\n"), "{how}:\n{text}");
            assert!(text.contains(&body_for(&path)), "{how}:\n{text}");
            origin.assert_one(&path, peer, &how);
        }

        let path = format!("/example/{example}/407");
        let (code, text) = run(
            &[("http_proxy", squid.url())],
            &origin.url("127.0.0.1", &path),
        );
        assert_eq!(code, Some(1), "{example}, no credentials:\n{text}");
        assert!(
            text.contains("407 Proxy Authentication Required"),
            "{example}:\n{text}"
        );
        origin.assert_none(&path, example);

        let path = format!("/example/{example}/broken");
        let (code, text) = run(
            &[("http_proxy", "http://[::1".to_owned())],
            &origin.url("127.0.0.1", &path),
        );
        assert_eq!(code, Some(1), "{example}, broken http_proxy:\n{text}");
        assert!(text.contains("no route"), "{example}:\n{text}");
        origin.assert_none(
            &path,
            &format!("{example}: a broken variable is not DIRECT"),
        );
    }
}
