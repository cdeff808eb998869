//! The troubleshooting CLI (the `proxyroute` binary), run as a user would run
//! it: a child process with a controlled environment.

use std::process::{Command, Output};

#[path = "support/cli.rs"]
mod cli_support;
use cli_support::resolve_bin;

struct Run {
    status: i32,
    stdout: String,
    stderr: String,
}

fn run(env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = Command::new(resolve_bin());
    cmd.env_clear().args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("run the example");
    Run {
        status: status.code().expect("exit code"),
        stdout: String::from_utf8(stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(stderr).expect("utf-8 stderr"),
    }
}

const CORP: &[(&str, &str)] = &[
    ("HTTPS_PROXY", "http://alice:s3cr%40t@proxy.corp:3128"),
    ("https_proxy", "http://alice:s3cr%40t@proxy.corp:3128"),
    ("NO_PROXY", "localhost,.internal.corp,10.0.0.0/8"),
];

#[test]
fn no_configuration_means_direct() {
    let r = run(&[], &["https://example.com/"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stdout.contains("route:   DIRECT"), "{}", r.stdout);
    assert!(r.stdout.contains("source:  none"), "{}", r.stdout);
}

#[test]
fn json_has_the_contracted_members_in_order() {
    let r = run(
        CORP,
        &[
            "--json",
            "https://api.example.com/",
            "https://wiki.internal.corp/",
        ],
    );
    assert_eq!(r.status, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    assert!(
        lines[0].starts_with(
            r#"{"url": "https://api.example.com/", "route": ["http://alice:***@proxy.corp:3128"], "source": "env:https_proxy", "reason": ""#
        ),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains(r#""rule": null, "violations": []"#),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with(r#"{"url": "https://wiki.internal.corp/", "route": ["DIRECT"], "source": "env:NO_PROXY""#),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains(
            r#""rule": {"text": ".internal.corp", "index": 1, "source": "env:NO_PROXY"}"#
        ),
        "{}",
        lines[1]
    );
}

#[test]
fn passwords_are_hidden_unless_asked_for() {
    for args in [
        &["https://api.example.com/"][..],
        &["--json", "https://api.example.com/"],
        &["--curl", "https://api.example.com/"],
        &["--json", "--curl", "https://api.example.com/"],
    ] {
        let r = run(CORP, args);
        let all = format!("{}{}", r.stdout, r.stderr);
        assert!(!all.contains("s3cr"), "{args:?} leaked the password: {all}");
        assert!(all.contains("alice"), "{args:?}: {all}");
    }
    let r = run(
        CORP,
        &["--json", "--show-credentials", "https://api.example.com/"],
    );
    assert!(
        r.stdout.contains("http://alice:s3cr%40t@proxy.corp:3128"),
        "{}",
        r.stdout
    );
    let r = run(
        CORP,
        &["--curl", "--show-credentials", "https://api.example.com/"],
    );
    assert!(
        r.stdout.contains("--proxy-user 'alice:s3cr@t'"),
        "{}",
        r.stdout
    );
}

#[test]
fn curl_command_lines() {
    let r = run(
        CORP,
        &["--curl", "https://api.example.com/", "http://10.1.2.3/"],
    );
    assert!(
        r.stdout.contains(
            "curl --proxy 'http://proxy.corp:3128' --proxy-user 'alice' --noproxy '' 'https://api.example.com/'"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("curl --noproxy '*' 'http://10.1.2.3/'"),
        "{}",
        r.stdout
    );
}

#[test]
fn bad_options_exit_2_with_a_message() {
    let rows: &[(&str, &[&str], &str)] = &[
        (
            "unknown option",
            &["--frobnicate", "http://x/"],
            "unknown option --frobnicate",
        ),
        (
            "unknown dialect",
            &["--dialect", "lynx", "http://x/"],
            "unknown dialect",
        ),
        ("missing value", &["--proxy"], "--proxy needs a value"),
        ("no url", &["--json"], "no URL given"),
        (
            "bad proxy",
            &["--proxy", "ftp://x:21", "http://x/"],
            r#"--proxy "ftp://x:21": unsupported proxy scheme"#,
        ),
        (
            "bad proxy port",
            &["--https-proxy", "http://p:99999", "http://x/"],
            "--https-proxy",
        ),
        (
            "never-matching bypass under --strict",
            &[
                "--strict",
                "--proxy",
                "http://p:1",
                "--bypass",
                "a,*.b",
                "http://x/",
            ],
            // Under curl --bypass is --noproxy, read as the environment's.
            r#"--strict: environment variable no_proxy entry 1 "*.b": never matches"#,
        ),
        (
            "bad proxy rules",
            &["--proxy-rules", "http=a:1;b:2", "http://x/"],
            r#"--proxy-rules entry 1 "b:2": ignored"#,
        ),
        (
            "unknown syntax",
            &["--bypass-syntax", "lynx", "http://x/"],
            "unknown syntax",
        ),
        (
            "reverse without a list",
            &["--reverse-bypass", "http://x/"],
            "--reverse-bypass needs --bypass",
        ),
        (
            "postman file missing",
            &["--postman-config", "/nonexistent/f.json", "http://x/"],
            "--postman-config /nonexistent/f.json: ",
        ),
        #[cfg(not(any(
            feature = "system-gnome",
            feature = "system-kde",
            feature = "system-sysconfig"
        )))]
        (
            "system without a reader in this build",
            &["--system", "http://x/"],
            "--system: this build reads no system store; it needs feature `system`",
        ),
        (
            "macos file missing",
            &["--macos-scutil", "/nonexistent/x.txt", "http://x/"],
            "--macos-scutil /nonexistent/x.txt: ",
        ),
        #[cfg(not(feature = "pac"))]
        (
            "pac without the feature",
            &["--pac", "f.pac", "http://x/"],
            "this build cannot evaluate PAC scripts: it needs feature `pac`",
        ),
        #[cfg(not(feature = "pac-fetch"))]
        (
            "wpad without the feature",
            &["--wpad", "corp.example", "http://x/"],
            "--wpad corp.example: this build cannot search for PAC scripts by WPAD: it needs \
             feature `pac-fetch`",
        ),
        (
            "pac and wpad",
            &["--pac", "f.pac", "--wpad", "corp.example", "http://x/"],
            "--pac and --wpad both name a script",
        ),
    ];
    for (name, args, want) in rows {
        let r = run(&[], args);
        assert_eq!(r.status, 2, "{name}: {}", r.stderr);
        assert!(
            r.stderr.contains(want),
            "{name}: stderr {:?} lacks {want:?}",
            r.stderr
        );
        assert!(r.stdout.is_empty(), "{name}: stdout {:?}", r.stdout);
    }
    let r = run(&[], &["--proxy", "http://u:hunter2@p:0", "http://x/"]);
    assert_eq!(r.status, 2);
    assert!(!r.stderr.contains("hunter2"), "{}", r.stderr);
    assert!(r.stderr.contains("u:***@p:0"), "{}", r.stderr);
}

#[test]
fn url_errors_are_per_url_and_exit_1() {
    let r = run(CORP, &["--json", "http://[::1", "https://api.example.com/"]);
    assert_eq!(r.status, 1);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        lines[0],
        r#"{"url": "http://[::1", "error": "input \"http://[::1\": invalid host"}"#
    );
    assert!(lines[1].contains(r#""route": ["http://alice:***@proxy.corp:3128"]"#));
}

#[test]
fn an_unusable_proxy_variable_is_an_error_not_direct() {
    let r = run(
        &[("http_proxy", "proxy.corp:99999")],
        &["--json", "http://example.com/"],
    );
    assert_eq!(r.status, 1, "{}", r.stdout);
    assert!(r.stdout.contains(r#""route": []"#), "{}", r.stdout);
    assert!(
        r.stdout.contains(
            r#""error": "environment variable http_proxy \"proxy.corp:99999\": invalid port""#
        ),
        "{}",
        r.stdout
    );
}

#[test]
fn no_env_and_explicit_layers() {
    let r = run(CORP, &["--no-env", "--json", "https://api.example.com/"]);
    assert!(
        r.stdout
            .contains(r#""route": ["DIRECT"], "source": "none""#),
        "{}",
        r.stdout
    );

    // curl applies NO_PROXY to --proxy; --bypass replaces it.
    let r = run(
        CORP,
        &[
            "--json",
            "--proxy",
            "http://p:8080",
            "https://wiki.internal.corp/",
        ],
    );
    assert!(
        r.stdout
            .contains(r#""route": ["DIRECT"], "source": "env:NO_PROXY""#),
        "{}",
        r.stdout
    );
    let r = run(
        CORP,
        &[
            "--json",
            "--proxy",
            "http://p:8080",
            "--bypass",
            "example.org",
            "https://wiki.internal.corp/",
        ],
    );
    assert!(
        r.stdout
            .contains(r#""route": ["http://p:8080"], "source": "custom:proxy""#),
        "{}",
        r.stdout
    );

    // Per-scheme explicit proxies; other schemes fall through to the environment.
    let r = run(
        CORP,
        &[
            "--json",
            "--http-proxy",
            "http://h:1",
            "http://a.test/",
            "https://a.test/",
        ],
    );
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines[0].contains(r#""route": ["http://h:1"], "source": "custom:http_proxy""#),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains(r#""source": "env:https_proxy""#),
        "{}",
        lines[1]
    );
}

#[test]
fn dialects_disagree_as_documented() {
    let env = &[
        ("https_proxy", "http://p:3128"),
        ("HTTPS_PROXY", "http://p:3128"),
        ("no_proxy", "example.com"),
        ("NO_PROXY", "example.com"),
    ];
    let rows = [
        ("curl", "DIRECT"),
        ("go", "DIRECT"),
        ("python", "DIRECT"),
        ("hyper", "DIRECT"),
        ("node", "http://p:3128"),
        ("dotnet", "http://p:3128"),
        ("chromium", "DIRECT"),
        ("postman", "DIRECT"),
    ];
    for (dialect, want) in rows {
        let r = run(
            env,
            &["--json", "--dialect", dialect, "https://sub.example.com/"],
        );
        assert!(
            r.stdout.contains(&format!(r#""route": ["{want}"]"#)),
            "{dialect}: {}",
            r.stdout
        );
        assert!(
            r.stdout.contains(&format!(r#""dialect": "{dialect}""#)),
            "{dialect}: {}",
            r.stdout
        );
    }
}

#[test]
fn hints_point_at_the_fix() {
    // Go refuses HTTP_PROXY in CGI.
    let r = run(
        &[("HTTP_PROXY", "http://p:1"), ("REQUEST_METHOD", "GET")],
        &["--dialect", "go", "http://example.com/"],
    );
    assert_eq!(r.status, 1);
    assert!(
        r.stdout
            .contains("Go refuses HTTP_PROXY when REQUEST_METHOD is set"),
        "{}",
        r.stdout
    );
    // curl never reads HTTP_PROXY.
    let r = run(&[("HTTP_PROXY", "http://p:1")], &["http://example.com/"]);
    assert!(
        r.stdout.contains("curl never reads upper-case HTTP_PROXY"),
        "{}",
        r.stdout
    );
    // An entry meant for this host that curl cannot match.
    let r = run(
        &[("https_proxy", "http://p:1"), ("no_proxy", "*.example.com")],
        &["https://api.example.com/"],
    );
    assert!(
        r.stdout
            .contains("looks meant for api.example.com but does nothing"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("write .example.com"), "{}", r.stdout);
    // 407 advice when proxied without credentials.
    let r = run(&[("https_proxy", "http://p:1")], &["https://a.test/"]);
    assert!(
        r.stdout.contains("407 Proxy Authentication Required"),
        "{}",
        r.stdout
    );
}

#[test]
fn scheme_less_urls_are_read_as_http() {
    let r = run(&[("http_proxy", "http://p:1")], &["--json", "example.com"]);
    assert!(
        r.stdout
            .contains(r#""url": "example.com", "route": ["http://p:1"]"#),
        "{}",
        r.stdout
    );
}

#[test]
fn help_and_version_exit_0() {
    let r = run(&[], &["--help"]);
    assert_eq!(r.status, 0);
    assert!(r.stdout.starts_with("usage: proxyroute [OPTIONS] URL...\n"));
    for group in [
        "\noptions:\n",
        "\nsystem proxy settings",
        "\nproxy auto-config",
        "\nprobing",
        "\nfollowing changes",
        "\nexit status:",
    ] {
        assert!(r.stdout.contains(group), "{group:?} missing:\n{}", r.stdout);
    }
    for line in r.stdout.lines() {
        assert!(
            line.chars().count() <= 80,
            "wider than 80 columns: {line:?}"
        );
    }
    // Every feature-gated option names its feature.
    for feature in [
        "feature `system`",
        "feature `pac`",
        "feature `pac-fetch`",
        "feature `probe`",
        "feature `watch`",
    ] {
        assert!(r.stdout.contains(feature), "{feature} missing");
    }
    let r = run(&[], &["--version"]);
    assert_eq!(r.status, 0);
    assert_eq!(
        r.stdout,
        format!("proxyroute {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_bad_option_is_one_line_with_the_help_hint() {
    for args in [
        &["--frobnicate", "http://x/"][..],
        &["--proxy"],
        &[],
        &["--dialect", "lynx", "http://x/"],
    ] {
        let r = run(&[], args);
        assert_eq!(r.status, 2, "{args:?}");
        assert_eq!(r.stderr.lines().count(), 1, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.starts_with("proxyroute: ")
                && r.stderr.ends_with(" (try 'proxyroute --help')\n"),
            "{args:?}: {}",
            r.stderr
        );
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
    }
}

/// `--bypass` is read as the tool reads it: entries the tool would skip are
/// notes, and the rest of the list still decides; `--strict` refuses them.
#[test]
fn bypass_violations_are_notes_unless_strict() {
    // (name, dialect, list, url, route, note)
    let rows: &[(&str, &str, &str, &str, &str, &str)] = &[
        (
            "curl: a wildcard entry is skipped, the next one matches",
            "curl",
            "*.b.test,a.test",
            "http://a.test/",
            "DIRECT",
            r#"note: --bypass entry 0 "*.b.test": never matches"#,
        ),
        (
            "curl: the skipped entry matches nothing",
            "curl",
            "*.b.test,a.test",
            "http://x.b.test/",
            "http://p:1",
            r#"note: --bypass entry 0 "*.b.test""#,
        ),
        (
            "go: an unparsable port entry is skipped",
            "go",
            "a.test:http,c.test",
            "http://c.test/",
            "DIRECT",
            r#"note: --bypass entry 0 "a.test:http""#,
        ),
    ];
    for (name, dialect, list, url, route, note) in rows {
        let args = [
            "--no-env",
            "--dialect",
            dialect,
            "--proxy",
            "http://p:1",
            "--bypass",
            list,
            url,
        ];
        let r = run(&[], &args);
        assert_eq!(r.status, 0, "{name}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stdout.contains(&format!("route:   {route}\n")),
            "{name}: {}",
            r.stdout
        );
        assert!(r.stdout.contains(note), "{name}: {}", r.stdout);
        let strict: Vec<&str> = std::iter::once("--strict").chain(args).collect();
        let r = run(&[], &strict);
        assert_eq!(r.status, 2, "{name} --strict: {}", r.stdout);
        assert!(r.stdout.is_empty(), "{name} --strict: {}", r.stdout);
        assert!(
            r.stderr.contains("--strict: --bypass entry 0"),
            "{name}: {}",
            r.stderr
        );
    }
}

/// `--strict` applies to every source given, the environment included.
#[test]
fn strict_refuses_a_violation_in_the_environment() {
    let env = &[("https_proxy", "http://p:1"), ("no_proxy", "*.corp")];
    let r = run(env, &["https://a.corp/"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let r = run(env, &["--strict", "https://a.corp/"]);
    assert_eq!(r.status, 2, "{}", r.stdout);
    assert!(
        r.stderr
            .contains(r#"--strict: environment variable no_proxy entry 0 "*.corp""#),
        "{}",
        r.stderr
    );
    let r = run(
        &[("https_proxy", "http://p:1")],
        &["--strict", "https://a.corp/"],
    );
    assert_eq!(r.status, 0, "{}", r.stderr);
}

/// Under curl, `--bypass` is `--noproxy`: it replaces NO_PROXY for the
/// environment's proxies as well; other dialects keep NO_PROXY for those.
#[test]
fn curl_bypass_replaces_no_proxy_for_environment_proxies() {
    let env = &[
        ("https_proxy", "http://p:1"),
        ("no_proxy", "listed.test"),
        ("NO_PROXY", "listed.test"),
    ];
    // (name, dialect, list, url, route)
    let rows: &[(&str, &str, &str, &str)] = &[
        (
            "curl: the list bypasses",
            "curl",
            "https://other.test/",
            "DIRECT",
        ),
        (
            "curl: NO_PROXY no longer does",
            "curl",
            "https://listed.test/",
            "http://p:1",
        ),
        (
            "go: --bypass is for explicit proxies",
            "go",
            "https://other.test/",
            "http://p:1",
        ),
        (
            "go: NO_PROXY still bypasses",
            "go",
            "https://listed.test/",
            "DIRECT",
        ),
    ];
    for (name, dialect, url, route) in rows {
        let r = run(
            env,
            &[
                "--json",
                "--dialect",
                dialect,
                "--bypass",
                "other.test",
                url,
            ],
        );
        assert!(
            r.stdout.contains(&format!(r#""route": ["{route}"]"#)),
            "{name}: {}",
            r.stdout
        );
    }
    // An empty list turns bypassing off, as `curl --noproxy ''` does.
    let r = run(env, &["--json", "--bypass", "", "https://listed.test/"]);
    assert!(
        r.stdout.contains(r#""route": ["http://p:1"]"#),
        "{}",
        r.stdout
    );
    // With explicit proxies the same list applies to them.
    let r = run(
        env,
        &[
            "--json",
            "--proxy",
            "http://x:2",
            "--bypass",
            "other.test",
            "https://other.test/",
        ],
    );
    assert!(r.stdout.contains(r#""route": ["DIRECT"]"#), "{}", r.stdout);
}

/// Text without a scheme is http as curl reads it; text that only looks like
/// a path, a scheme or a scheme-relative URL is an error for that URL.
#[test]
fn scheme_less_text_and_what_is_not_a_url() {
    let env = &[("http_proxy", "http://p:1")];
    // (name, url, JSON line start)
    let rows: &[(&str, &str, &str)] = &[
        (
            "host and port",
            "example.com:8080",
            r#"{"url": "example.com:8080", "route": ["http://p:1"]"#,
        ),
        (
            "a path",
            "/path",
            r#"{"url": "/path", "error": "input \"/path\": a path without a host"#,
        ),
        (
            "a scheme alone",
            "http:",
            r#"{"url": "http:", "error": "input \"http:\": \"http\" followed by \":\" is neither a scheme"#,
        ),
        (
            "scheme-relative",
            "//x",
            r#"{"url": "//x", "error": "input \"//x\": a scheme-relative URL"#,
        ),
    ];
    for (name, url, want) in rows {
        let r = run(env, &["--json", url]);
        assert!(r.stdout.starts_with(want), "{name}: {}", r.stdout);
        let code = if want.contains("\"error\"") { 1 } else { 0 };
        assert_eq!(r.status, code, "{name}");
    }
}

/// `--pac` is a layer of the resolver: explicit proxies sit above it, and the
/// route printed is `resolve`'s.
#[cfg(feature = "pac")]
#[test]
fn pac_is_a_layer_of_the_resolver() {
    let dir = std::env::temp_dir().join(format!("proxyroute-cli-pac-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("proxy.pac");
    std::fs::write(
        &script,
        "function FindProxyForURL(url, host) { return \"PROXY pac.test:3128\"; }\n",
    )
    .unwrap();
    let script = script.to_str().unwrap();
    // (name, extra options, url, route, source)
    let rows: &[(&str, &[&str], &str, &str, &str)] = &[
        (
            "the script decides",
            &[],
            "https://a.test/",
            "http://pac.test:3128",
            "custom:pac",
        ),
        (
            "an explicit proxy is above it",
            &["--https-proxy", "http://explicit.test:1"],
            "https://a.test/",
            "http://explicit.test:1",
            "custom:https_proxy",
        ),
        (
            "and serves only its scheme",
            &["--https-proxy", "http://explicit.test:1"],
            "http://a.test/",
            "http://pac.test:3128",
            "custom:pac",
        ),
    ];
    for (name, extra, url, route, source) in rows {
        let mut args = vec!["--json", "--no-env", "--pac", script];
        args.extend_from_slice(extra);
        args.push(url);
        let r = run(&[("https_proxy", "http://env.test:2")], &args);
        assert_eq!(r.status, 0, "{name}: {}", r.stderr);
        assert!(
            r.stdout
                .contains(&format!(r#""route": ["{route}"], "source": "{source}""#)),
            "{name}: {}",
            r.stdout
        );
        assert!(
            !r.stdout.contains("explained_route"),
            "{name}: {}",
            r.stdout
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--watch` follows a settings file: the route printed first, then, when the
/// file changes, a `change:` line and the URL's new route with why; a URL
/// whose route stays prints nothing. Polled with a deadline, never a fixed
/// sleep as the assertion.
#[cfg(feature = "watch")]
#[test]
fn watch_prints_each_route_that_a_changed_file_moves() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    let dir = std::env::temp_dir().join(format!("proxyroute-cli-watch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("proxy");
    let settings = |host: &str| {
        format!(
            "PROXY_ENABLED=\"yes\"\nHTTP_PROXY=\"http://{host}:3128\"\nNO_PROXY=\"localhost\"\n"
        )
    };
    std::fs::write(&file, settings("proxy-a.test")).unwrap();
    let mut child = Command::new(resolve_bin())
        .env_clear()
        .args(["--no-env", "--sysconfig"])
        .arg(&file)
        .args(["--watch", "http://example.com/", "http://localhost/"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start proxyroute --watch");
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let mut wait_for = |want: &dyn Fn(&str) -> bool, what: &str| {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    let hit = want(&line);
                    seen.push(line);
                    if hit {
                        return;
                    }
                }
                Err(_) => panic!("no line {what} within 20 s; output:\n{}", seen.join("\n")),
            }
        }
    };
    wait_for(&|l| l.starts_with("note: watching"), "saying it watches");
    std::fs::write(&file, settings("proxy-b.test")).unwrap();
    wait_for(
        &|l| {
            l.starts_with(
                "http://example.com/: http://proxy-a.test:3128 -> http://proxy-b.test:3128 (",
            )
        },
        "with example.com's new route",
    );
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    let text = seen.join("\n");
    assert!(text.contains("change: "), "{text}");
    assert!(
        !text.contains("http://localhost/: "),
        "localhost's route did not change:\n{text}"
    );
}
