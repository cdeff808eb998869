//! The probe against real proxies, all on loopback: each test starts its own
//! squid (Basic and Digest auth, a denying ACL, ssl_bump, an https_port),
//! microsocks or `openssl s_server` on free ports, probes a URL through it,
//! and asserts the typed diagnosis of the step that worked or failed (not
//! just success). tests/probe_hostile.rs has the servers written in the test.
//!
//! `.ci/install-proxies.sh` installs squid-openssl, microsocks, openssl,
//! htpasswd and iproute2; under `CI=true` a missing one fails the test.

#![cfg(feature = "probe")]

#[path = "support/probe_servers.rs"]
mod probe_servers;

use probe_servers::*;
use proxyroute::probe::{
    AuthScheme, CertProblem, Finding, Interception, NameSide, Outcome, Prober, Problem, StepKind,
    Trust,
};

#[test]
fn base64_matches_rfc_4648() {
    assert_eq!(base64(b"foob"), "Zm9vYg==");
    assert_eq!(base64(b"fooba"), "Zm9vYmE=");
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
}

// ---------------------------------------------------------------------------
// squid

#[test]
fn squid_basic_auth_without_wrong_and_right_credentials() {
    if !have(&["squid", "basic_ncsa_auth", "htpasswd", "openssl"]) {
        return;
    }
    let dir = TempDir::new("auth");
    let ca = Ca::new(&dir, "origin-ca", "probe origin CA");
    let (cert, key) = ca.leaf(&dir, "origin");
    let origin = TlsOrigin::status_page(&cert, &key);
    let plain = http_origin();
    let (user, password, wrong) = ("alice", "s3cr:et p@ss", "wr0ng-pass");
    let squid = Squid::start_with(&SquidConfig {
        users: &[(user, password)],
        ..SquidConfig::default()
    });
    let url = format!("https://localhost:{}/", origin.port);
    let pem = ca.pem();

    // No credentials: 407 offering Basic, nothing sent.
    let report = probe(&via(&squid.url()), &url, &[&pem], T);
    assert!(!report.succeeded());
    let (kind, problem) = failed(&report);
    assert_eq!(kind, StepKind::Tunnel, "{report}");
    assert_eq!(
        problem,
        &Problem::ProxyAuth {
            offered: vec![AuthScheme::Basic],
            sent: false
        }
    );
    assert!(report.hints()[0].contains("give the proxy a user and password"));

    // Wrong credentials: 407 again, and the report says they were sent.
    let report = probe(&via(&squid.url_with(user, wrong)), &url, &[&pem], T);
    let (kind, problem) = failed(&report);
    assert_eq!(kind, StepKind::Tunnel);
    assert_eq!(
        problem,
        &Problem::ProxyAuth {
            offered: vec![AuthScheme::Basic],
            sent: true
        }
    );
    assert!(report.hints()[0].contains("rejected the user or password"));
    assert_secret_free(&report, user, wrong);

    // Right credentials: the tunnel opens and the origin answers 200; its
    // certificate verifies against the test CA, and no interception is claimed.
    let report = probe(&via(&squid.url_with(user, password)), &url, &[&pem], T);
    assert_eq!(report.status(), Some(200), "{report}");
    let kinds: Vec<StepKind> = report.attempts()[0]
        .steps()
        .iter()
        .map(|s| s.kind())
        .collect();
    assert_eq!(
        kinds,
        [
            StepKind::Connect,
            StepKind::Tunnel,
            StepKind::Tls,
            StepKind::Request
        ]
    );
    let Outcome::Done(Finding::Tls(info)) = tls_step(&report).outcome() else {
        panic!("{report}");
    };
    assert_eq!(info.trust(), &Trust::ExtraRoots);
    assert_eq!(info.issuer(), ca.subject);
    assert_eq!(info.interception(), None);
    assert_secret_free(&report, user, password);

    // A plain http:// URL goes to squid as an absolute-form GET.
    let http_url = format!("{}/page", plain.url());
    let report = probe(&via(&squid.url_with(user, password)), &http_url, &[], T);
    assert_eq!(report.status(), Some(200), "{report}");
    assert_secret_free(&report, user, password);
    let report = probe(&via(&squid.url()), &http_url, &[], T);
    let (kind, problem) = failed(&report);
    assert_eq!(kind, StepKind::Request);
    assert!(
        matches!(problem, Problem::ProxyAuth { sent: false, .. }),
        "{report}"
    );
}

#[test]
fn squid_with_digest_only_is_a_scheme_this_crate_cannot_speak() {
    if !have(&["squid", "digest_file_auth"]) {
        return;
    }
    let (user, password) = ("carol", "d1gest-secret");
    let squid = Squid::start_with(&SquidConfig {
        digest_users: &[(user, password)],
        ..SquidConfig::default()
    });
    let report = probe(
        &via(&squid.url_with(user, password)),
        "https://example.com/",
        &[],
        T,
    );
    let (kind, problem) = failed(&report);
    assert_eq!(kind, StepKind::Tunnel);
    assert_eq!(
        problem,
        &Problem::ProxyAuth {
            offered: vec![AuthScheme::Digest],
            sent: true
        }
    );
    assert!(report.hints()[0].contains("offers only Digest, which this crate does not speak"));
    assert_secret_free(&report, user, password);
}

#[test]
fn squid_acl_denying_a_destination_refuses_the_tunnel_with_its_error_page() {
    if !have(&["squid"]) {
        return;
    }
    let squid = Squid::start_with(&SquidConfig {
        deny_domain: Some("blocked.example"),
        ..SquidConfig::default()
    });
    let report = probe(&via(&squid.url()), "https://blocked.example/", &[], T);
    let (kind, problem) = failed(&report);
    assert_eq!(kind, StepKind::Tunnel);
    let Problem::ProxyRefused {
        tunnel: true,
        status: 403,
        reason,
        title: Some(title),
    } = problem
    else {
        panic!("{report}");
    };
    assert_eq!(reason, "Forbidden");
    assert!(title.contains("ERROR"), "{title}");
    assert!(report.hints()[0].contains("forbids this destination"));
    assert!(report.to_string().contains("FAIL tunnel"));

    // An origin the proxy cannot reach: its 5xx and error page.
    let dead = dead_port();
    let report = probe(
        &via(&squid.url()),
        &format!("https://127.0.0.1:{dead}/"),
        &[],
        T,
    );
    let (kind, problem) = failed(&report);
    assert_eq!(kind, StepKind::Tunnel);
    assert!(
        matches!(
            problem,
            Problem::ProxyRefused {
                tunnel: true,
                status: 502..=504,
                title: Some(_),
                ..
            }
        ),
        "{report}"
    );
    assert!(report.hints()[0].contains("could not reach the origin"));

    // A plain HTTP proxy written as https://: its answer is not TLS.
    let report = probe(
        &via(&format!("https://127.0.0.1:{}", squid.port)),
        "https://example.com/",
        &[],
        T,
    );
    let (kind, problem) = failed(&report);
    assert_eq!(kind, StepKind::ProxyTls);
    assert_eq!(problem, &Problem::NotTls { proxy: true }, "{report}");
    assert!(report.hints()[0].contains("write the proxy as http://"));

    // The same refusal of a forwarded http:// request.
    let report = probe(&via(&squid.url()), "http://blocked.example/x", &[], T);
    let (kind, problem) = failed(&report);
    assert_eq!(kind, StepKind::Request);
    assert!(
        matches!(
            problem,
            Problem::ProxyRefused {
                tunnel: false,
                status: 403,
                ..
            }
        ),
        "{report}"
    );
}

#[test]
fn squid_ssl_bump_is_reported_as_interception_naming_its_ca() {
    if !have(&["squid", "security_file_certgen", "openssl"]) {
        return;
    }
    let dir = TempDir::new("bump");
    let origin_ca = Ca::new(&dir, "origin-ca", "probe origin CA");
    let squid_ca = Ca::new(&dir, "squid-ca", "probe squid interception CA");
    let (cert, key) = origin_ca.leaf(&dir, "origin");
    let origin = TlsOrigin::status_page(&cert, &key);
    let squid = Squid::start_with(&SquidConfig {
        bump: Some((&squid_ca, &origin_ca)),
        ..SquidConfig::default()
    });
    let url = format!("https://localhost:{}/", origin.port);
    let pem = origin_ca.pem();

    // Direct, the origin's certificate verifies against its own CA.
    let report = probe(&direct(), &url, &[&pem], T);
    assert_eq!(report.status(), Some(200), "{report}");
    let Outcome::Done(Finding::Tls(info)) = tls_step(&report).outcome() else {
        panic!("{report}");
    };
    assert_eq!(info.issuer(), origin_ca.subject);
    assert_eq!(info.trust(), &Trust::ExtraRoots);
    assert_eq!(info.interception(), None);

    // Through squid, squid's CA signed it: interception, the issuer named.
    let report = probe(&via(&squid.url()), &url, &[&pem], T);
    let (kind, problem) = failed(&report);
    assert_eq!(kind, StepKind::Tls);
    let Problem::TlsUntrusted(info) = problem else {
        panic!("{report}");
    };
    assert_eq!(info.issuer(), squid_ca.subject);
    assert_eq!(info.trust(), &Trust::Untrusted(CertProblem::UnknownIssuer));
    assert_eq!(info.interception(), Some(Interception::UnknownIssuer));
    let text = report.to_string();
    assert!(text.contains("TLS interception"), "{text}");
    assert!(report.hints()[0].contains(&squid_ca.subject));
    assert!(report
        .to_json()
        .contains("\"interception\": \"unknown-issuer\""));
}

#[test]
fn an_https_proxy_carries_tls_inside_tls() {
    if !have(&["squid", "openssl"]) {
        return;
    }
    let dir = TempDir::new("https-proxy");
    let ca = Ca::new(&dir, "ca", "probe test CA");
    let (cert, key) = ca.leaf(&dir, "origin");
    let origin = TlsOrigin::status_page(&cert, &key);
    let (proxy_cert, proxy_key) = ca.leaf(&dir, "proxy");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&proxy_key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let squid = Squid::start_with(&SquidConfig {
        https: Some((&proxy_cert, &proxy_key)),
        ..SquidConfig::default()
    });
    let proxy = format!("https://localhost:{}", squid.port);
    let url = format!("https://localhost:{}/", origin.port);
    let report = probe(&via(&proxy), &url, &[&ca.pem()], T);
    assert_eq!(report.status(), Some(200), "{report}");
    let steps = report.attempts()[0].steps();
    let kinds: Vec<StepKind> = steps.iter().map(|s| s.kind()).collect();
    assert_eq!(
        kinds,
        [
            StepKind::Resolve,
            StepKind::Connect,
            StepKind::ProxyTls,
            StepKind::Tunnel,
            StepKind::Tls,
            StepKind::Request
        ]
    );
    // The origin's certificate has the proxy's issuer: the evidence is
    // reported, though here both come from one test CA.
    let Outcome::Done(Finding::Tls(info)) = steps[4].outcome() else {
        panic!("{report}");
    };
    assert_eq!(info.interception(), Some(Interception::ProxyIssuer));

    // Without the CA, the proxy's own certificate does not verify.
    let report = probe(&via(&proxy), &url, &[], T);
    let (kind, problem) = failed(&report);
    assert_eq!(kind, StepKind::ProxyTls);
    assert!(
        matches!(problem, Problem::TlsUntrusted(info) if info.trust() == &Trust::Untrusted(CertProblem::UnknownIssuer) && info.interception().is_none()),
        "{report}"
    );
}

/// Probes `PROBE_CHILD_URL` through `PROBE_CHILD_PROXY` and prints the JSON;
/// run only by the test below, in a child process whose `SSL_CERT_FILE`
/// names the "system store" (rustls-native-certs reads it).
#[test]
#[ignore = "a child of a_local_ca_in_the_system_store_seen_through_a_proxy_is_interception"]
fn child_probe_with_its_own_system_store() {
    let proxy = std::env::var("PROBE_CHILD_PROXY").expect("PROBE_CHILD_PROXY");
    let url = std::env::var("PROBE_CHILD_URL").expect("PROBE_CHILD_URL");
    let resolver = via(&proxy);
    let report = Prober::new(&resolver).timeout(T).probe(&url).unwrap();
    println!("CHILD-JSON {}", report.to_json());
    print!("{report}");
}

#[test]
fn a_local_ca_in_the_system_store_seen_through_a_proxy_is_interception() {
    if !have(&["squid", "security_file_certgen", "openssl"]) {
        return;
    }
    let dir = TempDir::new("corporate");
    let origin_ca = Ca::new(&dir, "origin-ca", "probe origin CA");
    let squid_ca = Ca::new(&dir, "squid-ca", "probe corporate CA");
    let (cert, key) = origin_ca.leaf(&dir, "origin");
    let origin = TlsOrigin::status_page(&cert, &key);
    let squid = Squid::start_with(&SquidConfig {
        bump: Some((&squid_ca, &origin_ca)),
        ..SquidConfig::default()
    });
    // This machine's store, as the child sees it, holds the squid's CA, as a
    // company's machines hold the company's CA; Mozilla's list does not.
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "child_probe_with_its_own_system_store",
        ])
        .args(["--nocapture", "--test-threads", "1"])
        .env("SSL_CERT_FILE", &squid_ca.cert)
        .env_remove("SSL_CERT_DIR")
        .env("PROBE_CHILD_PROXY", squid.url())
        .env(
            "PROBE_CHILD_URL",
            format!("https://localhost:{}/", origin.port),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = stdout
        .lines()
        .find_map(|l| l.split_once("CHILD-JSON ").map(|(_, json)| json))
        .expect("the child's report");
    let json: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(json["status"], 200, "{stdout}");
    let steps = json["attempts"][0]["steps"].as_array().unwrap();
    let tls = steps.iter().find(|s| s["step"] == "tls").unwrap();
    assert_eq!(tls["ok"], true);
    assert_eq!(tls["tls"]["trust"], "system-store-only");
    assert_eq!(tls["tls"]["interception"], "local-root");
    assert_eq!(tls["tls"]["issuer"], squid_ca.subject.as_str());
    let hint = tls["hint"].as_str().unwrap();
    assert!(hint.contains("NODE_EXTRA_CA_CERTS"), "{hint}");
    assert!(hint.contains(&squid_ca.subject), "{hint}");
}

// ---------------------------------------------------------------------------
// SOCKS

#[test]
fn microsocks_with_a_user_right_wrong_and_no_credentials() {
    if !have(&["microsocks"]) {
        return;
    }
    let origin = http_origin();
    let (user, password) = ("bob", "s0cks:pa ss");
    let socks = Microsocks::start_with(Some((user, password)), None, None);
    let url = format!("{}/", origin.url());

    let report = probe(
        &via(&socks.url("socks5", Some((user, password)))),
        &url,
        &[],
        T,
    );
    assert_eq!(report.status(), Some(200), "{report}");
    let outcomes: Vec<&Outcome> = report.attempts()[0]
        .steps()
        .iter()
        .map(|s| s.outcome())
        .collect();
    assert!(outcomes.contains(&&Outcome::Done(Finding::SocksMethod(
        proxyroute::probe::SocksMethod::UserPassword
    ))));
    assert!(outcomes.contains(&&Outcome::Done(Finding::SocksAuthenticated)));
    assert_secret_free(&report, user, password);

    let report = probe(
        &via(&socks.url("socks5", Some((user, "nope-pass")))),
        &url,
        &[],
        T,
    );
    let (kind, problem) = failed(&report);
    assert_eq!(kind, StepKind::SocksAuth);
    assert!(
        matches!(problem, Problem::SocksAuthFailed { .. }),
        "{report}"
    );
    assert_secret_free(&report, user, "nope-pass");

    let report = probe(&via(&socks.url("socks5", None)), &url, &[], T);
    let (kind, problem) = failed(&report);
    assert_eq!(kind, StepKind::SocksGreeting);
    assert_eq!(
        problem,
        &Problem::SocksNoMethod {
            offered_password: false
        }
    );
    assert!(report.hints()[0].contains("socks5://user:password@"));
}

#[test]
fn socks5h_lets_the_proxy_resolve_a_name_that_socks5_cannot() {
    if have(&["microsocks", "unshare"]) && can_unshare_net() {
        run_in_loopback_netns("socks5h_in_a_loopback_namespace");
    }
}

/// The body of the test above, in its loopback-only network namespace: the
/// names that must not resolve are looked up there, by this process and by
/// microsocks, and no query leaves the machine.
#[test]
#[ignore = "run by socks5h_lets_the_proxy_resolve_a_name_that_socks5_cannot"]
fn socks5h_in_a_loopback_namespace() {
    assert_in_loopback_netns("socks5h_lets_the_proxy_resolve_a_name_that_socks5_cannot");
    // Only microsocks's /etc/hosts (in its own mount namespace) knows this name.
    let name = "only-the-proxy-knows.test";
    let origin = http_origin();
    let socks = Microsocks::start_with(None, None, Some(&format!("127.0.0.1 {name}")));
    let url = format!("http://{name}:{}/", origin.port);

    let report = probe(&via(&socks.url("socks5h", None)), &url, &[], T);
    assert_eq!(report.status(), Some(200), "{report}");
    let connect = report.attempts()[0]
        .steps()
        .iter()
        .find(|s| s.kind() == StepKind::SocksConnect)
        .unwrap();
    assert_eq!(
        connect.outcome(),
        &Outcome::Done(Finding::SocksConnected {
            resolved_by: NameSide::Proxy
        })
    );

    let report = probe(&via(&socks.url("socks5", None)), &url, &[], T);
    let (kind, problem) = failed(&report);
    assert_eq!(kind, StepKind::Resolve);
    assert!(
        matches!(problem, Problem::NameNotResolved { side: NameSide::Client, proxy_name: false, host, .. } if host == name),
        "{report}"
    );
    assert!(report.hints()[0].contains("socks5h://"));

    // A name the proxy cannot resolve either: its reply code, and who tried.
    let report = probe(
        &via(&socks.url("socks5h", None)),
        "http://nowhere-at-all.test/",
        &[],
        T,
    );
    let (kind, problem) = failed(&report);
    assert_eq!(kind, StepKind::SocksConnect);
    assert!(
        matches!(problem, Problem::SocksReply { resolved_by: NameSide::Proxy, code } if *code != 0),
        "{report}"
    );
}
