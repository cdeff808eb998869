//! The probe against servers written in the test, all on loopback: dead and
//! silent proxies, proxies answering 407 with schemes the crate cannot speak,
//! SOCKS4 and SOCKS5 replies, hostile servers (endless headers, a huge status
//! line, garbage, trickling bytes: bounded time and memory, a clear error),
//! failover along a PAC route, and the JSON form.

#![cfg(feature = "probe")]

#[path = "support/probe_servers.rs"]
mod probe_servers;

use std::io::Write;
use std::thread;
use std::time::{Duration, Instant};

use probe_servers::*;
use proxyroute::probe::{AuthScheme, Malformed, NameSide, ProbeReport, Prober, Problem, StepKind};
use proxyroute::Resolver;

#[test]
fn socks4_rejections_and_socks5_reply_codes_from_servers_written_here() {
    use std::io::Read;
    // SOCKS4: reads the request (up to the user id's NUL) and rejects it.
    let socks4 = Fake::start(|mut sock| {
        let mut head = [0u8; 8];
        if sock.read_exact(&mut head).is_err() {
            return;
        }
        let mut byte = [0u8; 1];
        while sock
            .read(&mut byte)
            .map(|n| n == 1 && byte[0] != 0)
            .unwrap_or(false)
        {}
        let _ = sock.write_all(&[0, 0x5b, 0, 0, 0, 0, 0, 0]);
    });
    let report = probe(
        &via(&format!("socks4://127.0.0.1:{}", socks4.port)),
        "http://127.0.0.1:9/",
        &[],
        T,
    );
    let (kind, problem) = failed(&report);
    assert_eq!(kind, StepKind::SocksConnect);
    assert_eq!(problem, &Problem::Socks4Rejected { code: 0x5b });

    // SOCKS5: no auth, then "connection refused" (5) for a name it resolved.
    let socks5 = Fake::start(|mut sock| {
        let mut greeting = [0u8; 3];
        if sock.read_exact(&mut greeting).is_err() {
            return;
        }
        let _ = sock.write_all(&[5, 0]);
        let mut request = [0u8; 5];
        if sock.read_exact(&mut request).is_err() {
            return;
        }
        let mut rest = vec![0u8; usize::from(request[4]) + 2];
        let _ = sock.read_exact(&mut rest);
        let _ = sock.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]);
    });
    let report = probe(
        &via(&format!("socks5h://127.0.0.1:{}", socks5.port)),
        "http://refusing.test/",
        &[],
        T,
    );
    let (kind, problem) = failed(&report);
    assert_eq!(kind, StepKind::SocksConnect);
    assert_eq!(
        problem,
        &Problem::SocksReply {
            code: 5,
            resolved_by: NameSide::Proxy
        }
    );
    assert!(
        report.to_string().contains("connection refused"),
        "{report}"
    );
}

// ---------------------------------------------------------------------------
// Unreachable proxies

#[test]
fn a_dead_port_is_refused() {
    let port = dead_port();
    let report = probe(
        &via(&format!("http://127.0.0.1:{port}")),
        "https://example.com/",
        &[],
        T,
    );
    let (kind, problem) = failed(&report);
    assert_eq!(kind, StepKind::Connect);
    assert!(
        matches!(problem, Problem::Refused { addr } if addr.port() == port),
        "{report}"
    );
    assert!(report.hints()[0].contains("nothing listens"));

    // A password in the URL itself is shown as *** and never sent.
    let report = probe(
        &via(&format!("http://127.0.0.1:{port}")),
        "https://user:url-secret@example.com/",
        &[],
        T,
    );
    assert_eq!(report.url(), "https://user:***@example.com/");
    assert_secret_free(&report, "user", "url-secret");
}

#[test]
fn a_proxy_name_that_does_not_resolve() {
    if can_unshare_net() {
        run_in_loopback_netns("a_proxy_name_in_a_loopback_namespace");
    }
}

#[test]
#[ignore = "run by a_proxy_name_that_does_not_resolve"]
fn a_proxy_name_in_a_loopback_namespace() {
    assert_in_loopback_netns("a_proxy_name_that_does_not_resolve");
    let report = probe(
        &via("http://no-such-proxy.invalid:3128"),
        "https://example.com/",
        &[],
        T,
    );
    let (kind, problem) = failed(&report);
    assert_eq!(kind, StepKind::Resolve);
    assert!(
        matches!(
            problem,
            Problem::NameNotResolved {
                proxy_name: true,
                side: NameSide::Client,
                ..
            }
        ),
        "{report}"
    );
}

#[test]
fn a_proxy_that_accepts_and_never_answers_times_out() {
    let silent = Fake::start(|sock| {
        thread::sleep(Duration::from_secs(10));
        drop(sock);
    });
    let timeout = Duration::from_millis(400);
    let start = Instant::now();
    let report = probe(&via(&silent.url()), "https://example.com/", &[], timeout);
    assert!(start.elapsed() < Duration::from_secs(3));
    let (kind, problem) = failed(&report);
    assert_eq!(kind, StepKind::Tunnel);
    assert_eq!(problem, &Problem::TimedOut { after: timeout });
}

// ---------------------------------------------------------------------------
// Proxies that want a scheme this crate cannot speak

#[test]
fn a_proxy_offering_only_ntlm_and_negotiate() {
    let proxy = Fake::start(|mut sock| {
        read_request(&mut sock);
        let _ = sock.write_all(
            b"HTTP/1.1 407 Proxy Authentication Required\r\n\
              Proxy-Authenticate: NTLM\r\nProxy-Authenticate: Negotiate\r\n\
              Content-Length: 0\r\n\r\n",
        );
    });
    let url = format!("http://u:secret-word@127.0.0.1:{}", proxy.port);
    let report = probe(&via(&url), "https://example.com/", &[], T);
    let (_, problem) = failed(&report);
    assert_eq!(
        problem,
        &Problem::ProxyAuth {
            offered: vec![AuthScheme::Ntlm, AuthScheme::Negotiate],
            sent: true
        }
    );
    assert!(report.hints()[0].contains("does not speak"));
    assert_secret_free(&report, "u", "secret-word");
}

// ---------------------------------------------------------------------------
// Hostile servers: bounded time and memory, a clear error

fn hostile(serve: impl Fn(std::net::TcpStream) + Send + Sync + 'static) -> (ProbeReport, Duration) {
    let server = Fake::start(serve);
    let start = Instant::now();
    let report = probe(
        &via(&server.url()),
        "https://example.com/",
        &[],
        Duration::from_secs(4),
    );
    (report, start.elapsed())
}

#[test]
fn an_endless_header_is_cut_off() {
    let (report, took) = hostile(|mut sock| {
        read_request(&mut sock);
        flood(
            &mut sock,
            b"HTTP/1.1 200 OK\r\nX-Endless: ",
            b"aaaaaaaaaaaaaaaa",
            1 << 30,
        );
    });
    assert!(took < Duration::from_secs(6));
    let (_, problem) = failed(&report);
    assert_eq!(
        problem,
        &Problem::Malformed(Malformed::HeadTooLarge { limit: 65536 })
    );
}

#[test]
fn endless_header_lines_are_cut_off() {
    let (report, _) = hostile(|mut sock| {
        read_request(&mut sock);
        flood(&mut sock, b"HTTP/1.1 200 OK\r\n", b"X-A: b\r\n", 1 << 30);
    });
    let (_, problem) = failed(&report);
    assert!(
        matches!(
            problem,
            Problem::Malformed(Malformed::TooManyHeaders { .. })
        ),
        "{report}"
    );
}

#[test]
fn a_huge_status_line_is_cut_off() {
    let (report, took) = hostile(|mut sock| {
        read_request(&mut sock);
        flood(&mut sock, b"HTTP/1.1 200 ", b"OKOKOKOKOKOKOKOK", 1 << 30);
    });
    assert!(took < Duration::from_secs(6));
    let (_, problem) = failed(&report);
    assert_eq!(
        problem,
        &Problem::Malformed(Malformed::StatusLineTooLong { limit: 8192 })
    );
}

#[test]
fn garbage_is_not_http() {
    let (report, _) = hostile(|mut sock| {
        read_request(&mut sock);
        let _ = sock.write_all(b"\x16\x03\x01\x02\x00garbage");
    });
    let (_, problem) = failed(&report);
    assert_eq!(
        problem,
        &Problem::Malformed(Malformed::NotHttp {
            start: "\\x16\\x03\\x01\\x02\\x00".to_owned()
        })
    );
}

#[test]
fn a_trickling_server_hits_the_step_deadline() {
    let (report, took) = hostile(|mut sock| {
        read_request(&mut sock);
        let _ = sock.write_all(b"HTTP/1.1 200 OK\r\n");
        for _ in 0..400 {
            if sock.write_all(b"X").is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
    });
    assert!(took < Duration::from_secs(6), "{took:?}");
    let (_, problem) = failed(&report);
    assert!(matches!(problem, Problem::TimedOut { .. }), "{report}");
}

#[test]
fn an_origin_that_does_not_speak_tls_or_never_answers() {
    let plain = Fake::start(|mut sock| {
        let _ = sock.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
    });
    let report = probe(
        &direct(),
        &format!("https://127.0.0.1:{}/", plain.port),
        &[],
        T,
    );
    let (kind, problem) = failed(&report);
    assert_eq!(kind, StepKind::Tls);
    assert_eq!(problem, &Problem::NotTls { proxy: false }, "{report}");
    assert!(report.hints()[0].contains("plain HTTP"));

    let silent = Fake::start(|sock| {
        thread::sleep(Duration::from_secs(10));
        drop(sock);
    });
    let timeout = Duration::from_millis(300);
    let report = probe(
        &direct(),
        &format!("https://127.0.0.1:{}/", silent.port),
        &[],
        timeout,
    );
    let (kind, problem) = failed(&report);
    assert_eq!(kind, StepKind::Tls);
    assert_eq!(problem, &Problem::TimedOut { after: timeout });
}

// ---------------------------------------------------------------------------
// Failover and JSON

#[cfg(feature = "pac")]
#[test]
fn the_next_hop_is_probed_when_the_first_fails() {
    let origin = http_origin();
    let dead = dead_port();
    let script = format!(
        "function FindProxyForURL(url, host) {{ return \"PROXY 127.0.0.1:{dead}; DIRECT\"; }}"
    );
    let resolver = Resolver::builder()
        .no_env()
        .pac(proxyroute::pac::PacScript::new(&script).unwrap())
        .build()
        .unwrap();
    let report = probe(&resolver, &format!("{}/", origin.url()), &[], T);
    assert_eq!(report.attempts().len(), 2, "{report}");
    assert!(matches!(failed(&report).1, Problem::Refused { .. }));
    assert_eq!(report.attempts()[1].hop(), "DIRECT");
    assert_eq!(report.status(), Some(200));
    assert!(
        report.to_string().contains("(after 1 failed hop)"),
        "{report}"
    );
}

#[test]
fn json_holds_the_steps_with_typed_fields() {
    let proxy = Fake::start(|mut sock| {
        read_request(&mut sock);
        let _ = sock.write_all(
            b"HTTP/1.1 407 Proxy Authentication Required\r\n\
              Proxy-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\n\r\n",
        );
    });
    let report = probe(&via(&proxy.url()), "https://example.com/", &[], T);
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["url"], "https://example.com/");
    assert_eq!(json["ok"], false);
    assert_eq!(json["status"], serde_json::Value::Null);
    let steps = json["attempts"][0]["steps"].as_array().unwrap();
    let last = steps.last().unwrap();
    assert_eq!(last["step"], "tunnel");
    assert_eq!(last["ok"], false);
    assert_eq!(last["problem"], "proxy-auth-required");
    assert_eq!(last["status"], 407);
    assert_eq!(last["schemes"], serde_json::json!(["Basic"]));
    assert_eq!(last["credentials_sent"], false);
    assert!(last["ms"].is_number());
    assert_eq!(json["hints"].as_array().unwrap().len(), 1);
}

#[test]
fn a_refused_route_is_not_probed() {
    let resolver = Resolver::builder()
        .env_vars([("HTTPS_PROXY", "http://proxy:99999")])
        .build()
        .unwrap();
    let report = probe(&resolver, "https://example.com/", &[], T);
    assert!(report.refused().is_some(), "{report}");
    assert!(report.attempts().is_empty());
    assert!(!report.succeeded());
    assert!(
        report.to_string().contains("result:  not probed: no route"),
        "{report}"
    );
}

#[test]
fn a_bad_ca_file_is_an_error_naming_it() {
    let resolver = direct();
    let err = Prober::new(&resolver)
        .ca_file("/nonexistent/ca.pem")
        .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    let err = Prober::new(&resolver)
        .ca_pem(b"not a certificate", "--ca-file x.pem")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "--ca-file x.pem: cannot use these certificates: \
         no PEM certificate (-----BEGIN CERTIFICATE-----) in it"
    );
}
