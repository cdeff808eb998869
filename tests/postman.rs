//! Postman's proxy configuration model (issue 3): `ProxyConfig` field by field,
//! `ProxyConfigList` order, the layers around it, the JSON reader's errors,
//! the CLI's `--postman-config`, and secrets.
//!
//! Rows follow postman-collection's documented and observed behaviour
//! (postman-collection `lib/collection/proxy-config.js`,
//! `lib/collection/proxy-config-list.js`, `lib/url-pattern/url-match-pattern.js`
//! and postman-url-encoder's URL parser); the hosts and configs are our own.

#[path = "support/cli.rs"]
mod cli;

use std::process::Command;

use proxyroute::env::lookup_in;
use proxyroute::postman::{Applies, ProxyConfig, ProxyConfigList};
use proxyroute::{
    Credentials, Dialect, EnvProxies, ErrorKind, Layer, Origin, ProxyScheme, Resolver, Target,
};

fn t(url: &str) -> Target {
    url.parse().unwrap_or_else(|e| panic!("{url}: {e}"))
}

fn list(json: &str) -> ProxyConfigList {
    ProxyConfigList::from_json(json, Origin::setting("test.json"))
        .unwrap_or_else(|e| panic!("{json}: {e}"))
}

/// Where `url` goes under the configs in `json` (Postman dialect, with `env`).
fn route(json: &str, env: &[(&str, &str)], url: &str) -> String {
    let resolver = Resolver::builder()
        .dialect(Dialect::Postman)
        .env_proxies(EnvProxies::read(Dialect::Postman, lookup_in(env)))
        .postman_configs(list(json))
        .build()
        .expect("build");
    let route = resolver.resolve(&t(url));
    if route.is_refused() {
        "refused".to_owned()
    } else {
        route.to_string()
    }
}

struct Row {
    name: &'static str,
    json: &'static str,
    url: &'static str,
    want: &'static str,
}

const fn row(name: &'static str, json: &'static str, url: &'static str, want: &'static str) -> Row {
    Row {
        name,
        json,
        url,
        want,
    }
}

const ROWS: &[Row] = &[
    // ----- host (section 2: only the host of a URL is kept) -----
    row(
        "host: a scheme is dropped",
        r#"[{"host": "http://proxy.test"}]"#,
        "http://a.test/",
        "http://proxy.test:8080",
    ),
    row(
        "host: a port in the host is dropped and 8080 stays",
        r#"[{"host": "proxy.test:9090"}]"#,
        "http://a.test/",
        "http://proxy.test:8080",
    ),
    row(
        "host: a bracketed IPv6 address keeps its brackets",
        r#"[{"host": "[::1]:3128", "port": 3128}]"#,
        "http://a.test/",
        "http://[::1]:3128",
    ),
    row(
        "host: user info and path are dropped",
        r#"[{"host": "http://u:p@proxy.test:1/x?y", "port": 1}]"#,
        "http://a.test/",
        "http://proxy.test:1",
    ),
    row(
        "host: case is Postman's, the connection's name is case-blind",
        r#"[{"host": "Proxy.TEST", "port": 1}]"#,
        "http://a.test/",
        "http://proxy.test:1",
    ),
    row(
        "host: empty by default, which is no proxy at all",
        r#"[{"port": 3128}]"#,
        "http://a.test/",
        "refused",
    ),
    row(
        "host: not a string is ignored (empty stays)",
        r#"[{"host": 7, "port": 3128}]"#,
        "http://a.test/",
        "refused",
    ),
    // ----- port (JavaScript `>> 0`, non-zero kept, no range check) -----
    row(
        "port: default 8080",
        r#"[{"host": "p.test"}]"#,
        "http://a.test/",
        "http://p.test:8080",
    ),
    row(
        "port: a numeric string",
        r#"[{"host": "p.test", "port": "9090"}]"#,
        "http://a.test/",
        "http://p.test:9090",
    ),
    row(
        "port: a fraction is truncated",
        r#"[{"host": "p.test", "port": 8081.9}]"#,
        "http://a.test/",
        "http://p.test:8081",
    ),
    row(
        "port: trailing garbage is ignored (8080 stays)",
        r#"[{"host": "p.test", "port": "3128abc"}]"#,
        "http://a.test/",
        "http://p.test:8080",
    ),
    row(
        "port: zero is ignored",
        r#"[{"host": "p.test", "port": 0}]"#,
        "http://a.test/",
        "http://p.test:8080",
    ),
    row(
        "port: null is ignored",
        r#"[{"host": "p.test", "port": null}]"#,
        "http://a.test/",
        "http://p.test:8080",
    ),
    row(
        "port: a hex string is a number",
        r#"[{"host": "p.test", "port": "0xC38"}]"#,
        "http://a.test/",
        "http://p.test:3128",
    ),
    row(
        "port: -1 is kept, and no proxy listens there",
        r#"[{"host": "p.test", "port": -1}]"#,
        "http://a.test/",
        "refused",
    ),
    row(
        "port: 70000 is kept, and is no port",
        r#"[{"host": "p.test", "port": 70000}]"#,
        "http://a.test/",
        "refused",
    ),
    // ----- protocol (exact, case-sensitive, no https) -----
    row(
        "protocol: socks5",
        r#"[{"host": "p.test", "port": 1080, "protocol": "socks5"}]"#,
        "https://a.test/",
        "socks5://p.test:1080",
    ),
    row(
        "protocol: socks5h",
        r#"[{"host": "p.test", "port": 1080, "protocol": "socks5h"}]"#,
        "https://a.test/",
        "socks5h://p.test:1080",
    ),
    row(
        "protocol: socks4a",
        r#"[{"host": "p.test", "port": 1080, "protocol": "socks4a"}]"#,
        "http://a.test/",
        "socks4a://p.test:1080",
    ),
    row(
        "protocol: https is ignored (http stays)",
        r#"[{"host": "p.test", "port": 1, "protocol": "https"}]"#,
        "https://a.test/",
        "http://p.test:1",
    ),
    row(
        "protocol: upper case is ignored",
        r#"[{"host": "p.test", "port": 1, "protocol": "SOCKS5"}]"#,
        "https://a.test/",
        "http://p.test:1",
    ),
    // ----- match -----
    row(
        "match: the default takes any port",
        r#"[{"host": "p.test", "port": 1}]"#,
        "https://a.test:8443/",
        "http://p.test:1",
    ),
    row(
        "match: the default serves http",
        r#"[{"host": "p.test", "port": 1}]"#,
        "http://a.test/",
        "http://p.test:1",
    ),
    row(
        "match: no config serves ftp, even <all_urls>",
        r#"[{"host": "p.test", "port": 1, "match": "<all_urls>"}]"#,
        "ftp://a.test/",
        "DIRECT",
    ),
    row(
        "match: no config serves ws",
        r#"[{"host": "p.test", "port": 1}]"#,
        "ws://a.test/",
        "DIRECT",
    ),
    row(
        "match: an empty string is <all_urls>",
        r#"[{"host": "p.test", "port": 1, "match": ""}]"#,
        "https://a.test:9/",
        "http://p.test:1",
    ),
    row(
        "match: https only skips http",
        r#"[{"host": "p.test", "port": 1, "match": "https://*:*/*"}]"#,
        "http://a.test/",
        "DIRECT",
    ),
    row(
        "match: the object form",
        r#"[{"host": "p.test", "port": 1, "match": {"pattern": "https://*:*/*"}}]"#,
        "https://a.test/",
        "http://p.test:1",
    ),
    row(
        "match: without a port only the default port",
        r#"[{"host": "p.test", "port": 1, "match": "http://*/*"}]"#,
        "http://a.test:3000/",
        "DIRECT",
    ),
    row(
        "match: without a port the default port matches",
        r#"[{"host": "p.test", "port": 1, "match": "http://*/*"}]"#,
        "http://a.test:80/",
        "http://p.test:1",
    ),
    row(
        "match: an explicit default port matches a port-less URL",
        r#"[{"host": "p.test", "port": 1, "match": "http://*:80/*"}]"#,
        "http://a.test/",
        "http://p.test:1",
    ),
    row(
        "match: *.x matches x itself",
        r#"[{"host": "p.test", "port": 1, "match": "*://*.corp.test:*/*"}]"#,
        "https://corp.test/",
        "http://p.test:1",
    ),
    row(
        "match: *.x matches any depth below x",
        r#"[{"host": "p.test", "port": 1, "match": "*://*.corp.test:*/*"}]"#,
        "https://a.b.corp.test/",
        "http://p.test:1",
    ),
    row(
        "match: *.x is a label boundary",
        r#"[{"host": "p.test", "port": 1, "match": "*://*.corp.test:*/*"}]"#,
        "https://xcorp.test/",
        "DIRECT",
    ),
    row(
        "match: *.0.0.1 is text and matches 127.0.0.1",
        r#"[{"host": "p.test", "port": 1, "match": "http://*.0.0.1:*/*"}]"#,
        "http://127.0.0.1/",
        "http://p.test:1",
    ),
    row(
        "match: an invalid pattern never matches",
        r#"[{"host": "p.test", "port": 1, "match": "HTTP://*:*/*"}]"#,
        "http://a.test/",
        "DIRECT",
    ),
    row(
        "match: a bare host is not a pattern",
        r#"[{"host": "p.test", "port": 1, "match": "a.test"}]"#,
        "http://a.test/",
        "DIRECT",
    ),
    row(
        "match: a number is ignored (the default stays)",
        r#"[{"host": "p.test", "port": 1, "match": 5}]"#,
        "http://a.test/",
        "http://p.test:1",
    ),
    // ----- bypass (per config; a hit moves on to the next config) -----
    row(
        "bypass: a hit skips the only config",
        r#"[{"host": "p.test", "port": 1, "bypass": ["http://localhost/*"]}]"#,
        "http://localhost/",
        "DIRECT",
    ),
    row(
        "bypass: the pattern's scheme counts",
        r#"[{"host": "p.test", "port": 1, "bypass": ["http://localhost/*"]}]"#,
        "https://localhost/",
        "http://p.test:1",
    ),
    row(
        "bypass: the pattern's default port counts",
        r#"[{"host": "p.test", "port": 1, "bypass": ["http://localhost/*"]}]"#,
        "http://localhost:3000/",
        "http://p.test:1",
    ),
    row(
        "bypass: a bare host never matches",
        r#"[{"host": "p.test", "port": 1, "bypass": ["localhost"]}]"#,
        "http://localhost/",
        "http://p.test:1",
    ),
    row(
        "bypass: the object form",
        r#"[{"host": "p.test", "port": 1, "bypass": [{"pattern": "*://*.internal:*/*"}]}]"#,
        "https://db.internal:5432/",
        "DIRECT",
    ),
    row(
        "bypass: a non-pattern item is <all_urls>",
        r#"[{"host": "p.test", "port": 1, "bypass": [7]}]"#,
        "http://a.test/",
        "DIRECT",
    ),
    row(
        "bypass: an empty string is <all_urls>",
        r#"[{"host": "p.test", "port": 1, "bypass": [""]}]"#,
        "https://a.test/",
        "DIRECT",
    ),
    row(
        "bypass: not an array is ignored",
        r#"[{"host": "p.test", "port": 1, "bypass": "http://localhost/*"}]"#,
        "http://localhost/",
        "http://p.test:1",
    ),
    row(
        "bypass: a hit falls to the next config",
        r#"[{"host": "a.proxy", "port": 1, "bypass": ["http://localhost/*"]}, {"host": "b.proxy", "port": 2}]"#,
        "http://localhost/",
        "http://b.proxy:2",
    ),
    // ----- list order and disabled -----
    row(
        "list: the first config that applies wins",
        r#"[{"host": "a.proxy", "port": 1}, {"host": "b.proxy", "port": 2}]"#,
        "http://x.test/",
        "http://a.proxy:1",
    ),
    row(
        "list: not the most specific one",
        r#"[{"host": "a.proxy", "port": 1}, {"host": "b.proxy", "port": 2, "match": "http://x.test/*"}]"#,
        "http://x.test/",
        "http://a.proxy:1",
    ),
    row(
        "list: a disabled config is skipped",
        r#"[{"host": "a.proxy", "port": 1, "disabled": true}, {"host": "b.proxy", "port": 2}]"#,
        "http://x.test/",
        "http://b.proxy:2",
    ),
    row(
        "list: disabled must be a boolean",
        r#"[{"host": "a.proxy", "port": 1, "disabled": "true"}]"#,
        "http://x.test/",
        "http://a.proxy:1",
    ),
    row(
        "list: a definition that is not an object is every default",
        r#"[5]"#,
        "http://x.test/",
        "refused",
    ),
    row("list: empty", r#"[]"#, "http://x.test/", "DIRECT"),
    // ----- credentials (getProxyUrl) -----
    row(
        "auth: user and password",
        r#"[{"host": "p.test", "port": 1, "authenticate": true, "username": "al", "password": "pw"}]"#,
        "http://x.test/",
        "http://al:***@p.test:1",
    ),
    row(
        "auth: password only",
        r#"[{"host": "p.test", "port": 1, "authenticate": true, "password": "pw"}]"#,
        "http://x.test/",
        "http://:***@p.test:1",
    ),
    row(
        "auth: user only",
        r#"[{"host": "p.test", "port": 1, "authenticate": true, "username": "al"}]"#,
        "http://x.test/",
        "http://al@p.test:1",
    ),
    row(
        "auth: an empty password is no password",
        r#"[{"host": "p.test", "port": 1, "authenticate": true, "username": "al", "password": ""}]"#,
        "http://x.test/",
        "http://al@p.test:1",
    ),
    row(
        "auth: off sends nothing",
        r#"[{"host": "p.test", "port": 1, "username": "al", "password": "pw"}]"#,
        "http://x.test/",
        "http://p.test:1",
    ),
    row(
        "auth: on without either sends nothing",
        r#"[{"host": "p.test", "port": 1, "authenticate": true}]"#,
        "http://x.test/",
        "http://p.test:1",
    ),
    row(
        "auth: authenticate must be a boolean",
        r#"[{"host": "p.test", "port": 1, "authenticate": 1, "username": "al"}]"#,
        "http://x.test/",
        "http://p.test:1",
    ),
];

#[test]
fn proxy_config_rows() {
    let mut failures = Vec::new();
    for r in ROWS {
        let got = route(r.json, &[], r.url);
        if got != r.want {
            failures.push(format!("{}: {} -> {got}, want {}", r.name, r.url, r.want));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ===== the layers around the list (section 6.2) =====

#[test]
fn a_matching_config_shuts_out_the_environment_and_no_proxy() {
    let env = [
        ("HTTP_PROXY", "http://env.proxy:3128"),
        ("NO_PROXY", "x.test"),
    ];
    let json = r#"[{"host": "p.test", "port": 1}]"#;
    assert_eq!(route(json, &env, "http://x.test/"), "http://p.test:1");
}

#[test]
fn with_no_config_applying_the_environment_decides() {
    let env = [
        ("HTTP_PROXY", "http://env.proxy:3128"),
        ("NO_PROXY", "skip.test"),
    ];
    let json = r#"[{"host": "p.test", "port": 1, "match": "https://*:*/*"}]"#;
    assert_eq!(route(json, &env, "http://x.test/"), "http://env.proxy:3128");
    assert_eq!(route(json, &env, "http://skip.test/"), "DIRECT");
    // postman-request: https falls back to HTTP_PROXY.
    let json = r#"[{"host": "p.test", "port": 1, "bypass": ["https://x.test/*"]}]"#;
    assert_eq!(
        route(json, &env, "https://x.test/"),
        "http://env.proxy:3128"
    );
}

#[test]
fn a_config_comes_before_the_other_custom_proxies() {
    let resolver = Resolver::builder()
        .proxy("http://custom.proxy:8080")
        .postman_configs(list(
            r#"[{"host": "p.test", "port": 1, "match": "https://*:*/*"}]"#,
        ))
        .build()
        .unwrap();
    assert_eq!(
        resolver.resolve(&t("https://x.test/")).to_string(),
        "http://p.test:1"
    );
    assert_eq!(
        resolver.resolve(&t("http://x.test/")).to_string(),
        "http://custom.proxy:8080"
    );
}

// ===== explanations =====

#[test]
fn explanations_name_the_config_and_what_passed_the_request_on() {
    let json = r#"[
        {"host": "a.proxy", "port": 1, "disabled": true},
        {"host": "b.proxy", "port": 2, "bypass": ["*://*.internal:*/*"]},
        {"host": "c.proxy", "port": 3, "match": "https://*.example.test:*/*"},
        {"host": "d.proxy", "port": 4, "tunnel": true}
    ]"#;
    let resolver = Resolver::builder()
        .postman_configs(list(json))
        .build()
        .unwrap();
    let why = resolver.explain(&t("https://api.example.test/"));
    assert_eq!(why.layer(), Layer::Custom);
    assert_eq!(why.source(), "custom:postman[1]");
    assert!(
        why.reason()
            .starts_with("Postman config 1 is the first enabled config"),
        "{}",
        why.reason()
    );
    assert!(why.reason().contains("CONNECT tunnel"), "{}", why.reason());

    let why = resolver.explain(&t("http://db.internal/"));
    assert_eq!(why.source(), "custom:postman[3]");
    assert!(
        why.reason().contains("in a CONNECT tunnel"),
        "tunnel: true: {}",
        why.reason()
    );

    let resolver = Resolver::builder()
        .postman_configs(list(
            &json.replace(r#", "tunnel": true"#, r#", "match": "https://*:*/*""#),
        ))
        .build()
        .unwrap();
    let why = resolver.explain(&t("http://db.internal/"));
    assert!(why.route().is_direct());
    assert_eq!(why.layer(), Layer::None);
    let reason = why.reason();
    for part in [
        "config 0 is disabled",
        "config 1 bypasses db.internal (bypass entry 0 \"*://*.internal:*/*\")",
        "config 2's match pattern \"https://*.example.test:*/*\" does not match",
        "config 3's match pattern \"https://*:*/*\" does not match",
    ] {
        assert!(reason.contains(part), "missing {part:?} in {reason}");
    }
}

#[test]
fn plain_http_through_a_config_is_forwarded_unless_tunnel_is_set() {
    let config = ProxyConfig::new("p.test", 1);
    assert!(!config.tunnels(&t("http://x.test/")));
    assert!(config.tunnels(&t("https://x.test/")));
    assert!(config
        .clone()
        .with_tunnel(true)
        .tunnels(&t("http://x.test/")));
    assert!(config
        .with_protocol(ProxyScheme::Socks5)
        .tunnels(&t("http://x.test/")));
}

#[test]
fn check_says_why_a_config_does_not_apply() {
    let config = ProxyConfig::new("p.test", 1)
        .with_match("http+https://*.corp.test:*/*")
        .with_bypass(["http://skip.corp.test/*"]);
    assert_eq!(config.check(&t("http://a.corp.test/")), Applies::Yes);
    assert_eq!(config.check(&t("ws://a.corp.test/")), Applies::NotHttp);
    assert_eq!(
        config.check(&t("http://skip.corp.test/")),
        Applies::Bypassed(0, "http://skip.corp.test/*")
    );
    assert_eq!(config.check(&t("http://other.test/")), Applies::NoMatch);
    assert_eq!(
        config.with_disabled(true).check(&t("http://a.corp.test/")),
        Applies::Disabled
    );
}

// ===== what the reader reports =====

#[test]
fn ignored_fields_are_reported_with_config_and_field() {
    let l = list(
        r#"[{"host": "p.test", "port": "abc", "protocol": "https", "tunnel": "yes", "Bypass": [], "match": "http://*/api/*"}, 7]"#,
    );
    let notes: Vec<String> = l.violations().iter().map(ToString::to_string).collect();
    let want = [
        "test.json config 0 port \"abc\": ignored:",
        "test.json config 0 protocol \"https\": ignored:",
        "test.json config 0 tunnel \"yes\": ignored:",
        "test.json config 0 \"Bypass\": ignored: not a ProxyConfig field",
        "test.json config 1 definition \"7\": ignored: a definition must be an object",
        "test.json config 1 \"http://:8080\": missing host",
    ];
    assert_eq!(notes.len(), want.len(), "{notes:#?}");
    for (note, want) in notes.iter().zip(want) {
        assert!(
            note.starts_with(want),
            "{note:?} should start with {want:?}"
        );
    }
}

#[test]
fn files_that_are_not_a_list_of_definitions_are_errors() {
    let rows = [
        ("", "test.json: invalid JSON: line 1, column 1: unexpected end of input, expected a value"),
        ("[{\"host\": \"p\",}]", "test.json: invalid JSON: line 1, column 15: expected a member name in double quotes"),
        ("{\"host\": \"p\"}", "test.json: invalid JSON: expected an array of ProxyConfig definitions, found an object"),
        ("[1]\n]", "test.json: invalid JSON: line 2, column 1: unexpected text after the JSON value"),
    ];
    for (text, want) in rows {
        let err = ProxyConfigList::from_json(text, Origin::setting("test.json")).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::InvalidJson(_)));
        assert_eq!(err.to_string(), want, "{text:?}");
    }
    let deep = "[".repeat(10_000);
    let err = ProxyConfigList::from_json(&deep, Origin::Text).unwrap_err();
    assert!(err.to_string().contains("nest too deeply"), "{err}");
}

#[test]
fn configs_built_in_code_match_configs_read_from_json() {
    let from_json = list(
        r#"[{"host": "p.test", "port": 3128, "protocol": "socks5", "match": "https://*:*/*",
             "bypass": ["https://*.internal:*/*"], "authenticate": true, "username": "al", "password": "p@ss word"}]"#,
    );
    let built = ProxyConfig::new("p.test", 3128)
        .with_protocol(ProxyScheme::Socks5)
        .with_match("https://*:*/*")
        .with_bypass(["https://*.internal:*/*"])
        .with_credentials(Credentials::new("al", Some("p@ss word")));
    let json_config = &from_json.configs()[0];
    assert_eq!(json_config.proxy(), built.proxy());
    let password = json_config
        .proxy()
        .unwrap()
        .credentials()
        .unwrap()
        .password();
    assert_eq!(password, Some("p@ss word"));
    for url in [
        "https://a.test/",
        "http://a.test/",
        "https://b.internal/",
        "ftp://a.test/",
    ] {
        assert_eq!(json_config.check(&t(url)), built.check(&t(url)), "{url}");
    }
}

// ===== secrets =====

const SECRET: &str = "hunter2-xyzzy";

#[test]
fn no_password_in_any_output() {
    let json = format!(
        r#"[{{"host": "http://al:{SECRET}@p.test", "port": 1, "authenticate": true, "username": "al", "password": "{SECRET}"}},
            {{"host": "q.test", "port": 70000, "authenticate": true, "password": "{SECRET}"}},
            {{"host": "r.test", "password": 5, "username": "bob", "authenticate": "yes"}}]"#
    );
    let l = list(&json);
    let resolver = Resolver::builder()
        .postman_configs(l.clone())
        .build()
        .unwrap();
    let mut texts = vec![format!("{l:?}"), format!("{resolver:?}")];
    texts.extend(l.violations().iter().map(|v| format!("{v} {v:?}")));
    for url in ["http://x.test/", "https://x.test/"] {
        let why = resolver.explain(&t(url));
        texts.push(format!("{why:?}"));
        texts.push(why.reason().to_owned());
        texts.push(why.route().to_string());
        texts.extend(why.hints());
    }
    for c in l.configs() {
        if let Err(e) = c.proxy() {
            texts.push(format!("{e} {e:?}"));
        }
    }
    for text in &texts {
        assert!(!text.contains("hunter2"), "password shown: {text}");
    }
    // The violations are there, only without the password.
    assert!(texts
        .iter()
        .any(|t| t.contains("config 2 password \"***\": ignored")));
    let bad = format!(r#"[{{"password": "{SECRET}", }}]"#);
    let err = ProxyConfigList::from_json(&bad, Origin::Text).unwrap_err();
    assert!(!format!("{err} {err:?}").contains("hunter2"));
}

// ===== the CLI =====

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(cli::resolve_bin())
        .args(args)
        .env_clear()
        .output()
        .expect("run the resolve example");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write_temp(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("proxyroute-postman-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn cli_reads_a_postman_config_file() {
    let path = write_temp(
        "ok.json",
        &format!(
            r#"[{{"host": "p.test", "port": 3128, "bypass": ["http://localhost/*"], "authenticate": true, "username": "al", "password": "{SECRET}"}}]"#
        ),
    );
    let file = path.to_str().unwrap();
    let (code, out, err) = run(&[
        "--postman-config",
        file,
        "--json",
        "http://a.test/",
        "http://localhost/",
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0]
            .contains(r#""route": ["http://al:***@p.test:3128"], "source": "custom:postman[0]""#),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains(r#""dialect": "postman""#),
        "the dialect defaults to postman: {}",
        lines[0]
    );
    assert!(lines[1].contains(r#""route": ["DIRECT"]"#), "{}", lines[1]);
    assert!(
        lines[1].contains("config 0 bypasses localhost"),
        "{}",
        lines[1]
    );
    assert!(!out.contains("hunter2"));

    let (code, out, _) = run(&[
        "--postman-config",
        file,
        "--curl",
        "--show-credentials",
        "http://a.test/",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.contains(&format!("al:{SECRET}@p.test:3128")),
        "--show-credentials shows it: {out}"
    );

    let (code, out, _) = run(&[
        "--postman-config",
        file,
        "--dialect",
        "curl",
        "--json",
        "http://a.test/",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains(r#""dialect": "curl""#), "{out}");
}

#[test]
fn cli_reports_bad_postman_files() {
    let path = write_temp("bad.json", "[{\"host\": \"p.test\"\n  \"port\": 1}]");
    let file = path.to_str().unwrap();
    let (code, _, err) = run(&["--postman-config", file, "http://a.test/"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!(
            "--postman-config {file}: invalid JSON: line 2, column 3: expected ',' or '}}'"
        )),
        "{err}"
    );
    let (code, _, err) = run(&["--postman-config", "/nonexistent/p.json", "http://a.test/"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--postman-config /nonexistent/p.json: "),
        "{err}"
    );

    // A config whose proxy is unusable refuses the request: exit 1, never DIRECT.
    let path = write_temp("port.json", r#"[{"host": "p.test", "port": 70000}]"#);
    let (code, out, _) = run(&["--postman-config", path.to_str().unwrap(), "http://a.test/"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("invalid port"), "{out}");
    assert!(
        out.contains("note: --postman-config"),
        "the violation is shown up front: {out}"
    );
}

/// Match and bypass patterns with paths decide per URL path, as
/// postman-collection 5.3.1's `ProxyConfig.test` does (run with Node 20:
/// `match: "https://*.example.com/a*b"` applies to `https://x.example.com/a/zzz/b`
/// and not to `https://x.example.com/c`; `bypass: ["*://*/no-proxy*"]` passes
/// `http://h.example/no-proxy/x` on). Issue 12, item 9.
#[test]
fn patterns_with_paths_decide_by_the_urls_path() {
    let l = list(
        r#"[{"host": "api.test", "port": 3128, "match": "https://*.example.com/a*b"},
            {"host": "all.test", "port": 8080, "bypass": ["*://*/no-proxy*"]}]"#,
    );
    let resolver = proxyroute::Resolver::builder()
        .postman_configs(l)
        .build()
        .unwrap();
    let route = |url: &str| resolver.resolve(&url.parse().unwrap()).to_string();
    assert_eq!(
        route("https://x.example.com/a/zzz/b"),
        "http://api.test:3128"
    );
    assert_eq!(
        route("https://x.example.com/a/zzz/b?q=1"),
        "http://api.test:3128"
    );
    assert_eq!(route("https://x.example.com/c"), "http://all.test:8080");
    assert_eq!(route("http://h.example/no-proxy/x"), "DIRECT");
    assert_eq!(route("http://h.example/proxy"), "http://all.test:8080");
}

/// A Rust caller gets a port a connection can use, or none; Postman's own
/// coercion stays readable beside it.
#[test]
fn ports_a_connection_can_use_and_postmans_own_reading() {
    let list = ProxyConfigList::from_json(
        r#"[{"host": "a.test", "port": " 3128 "}, {"host": "b.test", "port": 70000}, {"host": "c.test"}]"#,
        Origin::setting("ports.json"),
    )
    .unwrap();
    let got: Vec<(Option<u16>, i32)> = list
        .configs()
        .iter()
        .map(|c| (c.port(), c.postman_port()))
        .collect();
    assert_eq!(
        got,
        [
            (Some(3128), 3128),
            (None, 70000),
            (Some(proxyroute::postman::DEFAULT_PORT), 8080)
        ]
    );
}

/// Deliberate difference (docs/dialects.md): Postman reads an empty URL as
/// `http://`, which its default pattern matches; here an empty URL is not a
/// target at all, so no route, proxied or direct, is ever given for it.
#[test]
fn postman_an_empty_url_is_not_a_target() {
    for text in ["", " ", "http://"] {
        assert!(Target::parse(text).is_err(), "{text:?} became a target");
    }
}
