//! The public API's promises: thread safety, layer precedence, builder errors.

use proxyroute::{
    env::lookup_in, Credentials, Dialect, ErrorKind, Layer, Origin, Proxy, RequestProxy, Resolver,
    Target,
};

fn t(url: &str) -> Target {
    url.parse().unwrap_or_else(|e| panic!("{url}: {e}"))
}

#[test]
fn shared_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + Clone + std::fmt::Debug>() {}
    assert_send_sync::<Resolver>();
    assert_send_sync::<proxyroute::BypassMatcher>();
    assert_send_sync::<proxyroute::Decision>();
    assert_send_sync::<proxyroute::EnvProxies>();
    assert_send_sync::<Proxy>();
    assert_send_sync::<Target>();
    assert_send_sync::<proxyroute::Error>();
    fn assert_send<T: Send>() {}
    assert_send::<proxyroute::ResolverBuilder>();
}

const ENV: &[(&str, &str)] = &[
    ("http_proxy", "http://env-proxy:3128"),
    ("https_proxy", "http://env-proxy:3128"),
    ("no_proxy", ".internal"),
];

#[test]
fn layer_precedence_rows() {
    let custom_all = Resolver::builder()
        .proxy("http://custom:1")
        .env_with(lookup_in(ENV))
        .build()
        .unwrap();
    let custom_http_only = Resolver::builder()
        .proxy("http://custom:1")
        .proxy_schemes(["http"])
        .env_with(lookup_in(ENV))
        .build()
        .unwrap();
    let custom_with_list = Resolver::builder()
        .proxy("http://custom:1")
        .bypass("example.org")
        .env_with(lookup_in(ENV))
        .build()
        .unwrap();
    let go_custom = Resolver::builder()
        .dialect(Dialect::Go)
        .proxy("http://custom:1")
        .env_with(lookup_in(ENV))
        .build()
        .unwrap();
    let env_only = Resolver::from_env_with(Dialect::Curl, lookup_in(ENV));
    let nothing = Resolver::builder().build().unwrap();
    let rows: &[(&str, &Resolver, &str, &str, Layer, &str)] = &[
        (
            "custom beats env",
            &custom_all,
            "https://a.test/",
            "http://custom:1",
            Layer::Custom,
            "custom:proxy",
        ),
        (
            "curl: env NO_PROXY applies to custom",
            &custom_all,
            "https://x.internal/",
            "DIRECT",
            Layer::Custom,
            "env:no_proxy",
        ),
        (
            "custom serves http only",
            &custom_http_only,
            "http://a.test/",
            "http://custom:1",
            Layer::Custom,
            "custom:proxy",
        ),
        (
            "other schemes fall through to env",
            &custom_http_only,
            "https://a.test/",
            "http://env-proxy:3128",
            Layer::Environment,
            "env:https_proxy",
        ),
        (
            "own list replaces NO_PROXY",
            &custom_with_list,
            "https://x.internal/",
            "http://custom:1",
            Layer::Custom,
            "custom:proxy",
        ),
        (
            "own list bypasses",
            &custom_with_list,
            "https://www.example.org/",
            "DIRECT",
            Layer::Custom,
            "custom:bypass",
        ),
        (
            "go: env list does not apply to custom",
            &go_custom,
            "https://x.internal/",
            "http://custom:1",
            Layer::Custom,
            "custom:proxy",
        ),
        (
            "env decides alone",
            &env_only,
            "https://a.test/",
            "http://env-proxy:3128",
            Layer::Environment,
            "env:https_proxy",
        ),
        (
            "env bypass",
            &env_only,
            "https://x.internal/",
            "DIRECT",
            Layer::Environment,
            "env:no_proxy",
        ),
        (
            "env has no variable for ftp",
            &env_only,
            "ftp://a.test/",
            "DIRECT",
            Layer::Environment,
            "env",
        ),
        (
            "nothing configured",
            &nothing,
            "https://a.test/",
            "DIRECT",
            Layer::None,
            "none",
        ),
    ];
    for (name, resolver, url, route, layer, source) in rows {
        let target = t(url);
        assert_eq!(resolver.resolve(&target).to_string(), *route, "{name}");
        let why = resolver.explain(&target);
        assert_eq!(
            why.route(),
            resolver.resolve(&target),
            "{name}: explain agrees"
        );
        assert_eq!(why.layer(), *layer, "{name}");
        assert_eq!(why.source(), *source, "{name}");
        assert!(!why.reason().is_empty(), "{name}");
    }
}

#[test]
fn request_override_wins_over_everything() {
    let resolver = Resolver::builder()
        .proxy("http://custom:1")
        .env_with(lookup_in(ENV))
        .build()
        .unwrap();
    let target = t("https://x.internal/");
    let own = RequestProxy::Proxy("socks5h://own:1080".parse().unwrap());
    assert_eq!(
        resolver.resolve_with(&target, &own).to_string(),
        "socks5h://own:1080"
    );
    assert!(resolver
        .resolve_with(&t("https://a.test/"), &RequestProxy::Direct)
        .is_direct());
    let why = resolver.explain_with(&target, &own);
    assert_eq!((why.layer(), why.source()), (Layer::Request, "request"));
}

#[test]
fn builder_credentials_fill_in_but_do_not_replace() {
    let resolver = Resolver::builder()
        .http_proxy("http://proxy:1")
        .https_proxy("http://own:secret@proxy:2")
        .credentials(Credentials::new("shared", Some("pw")))
        .build()
        .unwrap();
    let http = resolver
        .resolve(&t("http://a.test/"))
        .proxy()
        .unwrap()
        .clone();
    assert_eq!(http.credentials().unwrap().username(), "shared");
    let https = resolver
        .resolve(&t("https://a.test/"))
        .proxy()
        .unwrap()
        .clone();
    assert_eq!(https.credentials().unwrap().username(), "own");
}

#[test]
fn builder_keeps_the_first_error_with_its_setting() {
    let err = Resolver::builder()
        .https_proxy("http://u:hunter2@proxy:99999")
        .proxy("ftp://x")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::InvalidPort);
    assert_eq!(err.origin(), &Origin::setting("https_proxy"));
    assert!(!err.to_string().contains("hunter2"), "{err}");
    assert_eq!(
        err.to_string(),
        r#"https_proxy "http://u:***@proxy:99999": invalid port"#
    );

    let err = Resolver::builder()
        .proxy("http://p:1")
        .bypass("a, 10.0.0.0/40")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::InvalidCidr);
    assert_eq!(err.index(), Some(1));
    assert_eq!(
        err.to_string(),
        r#"bypass entry 1 "10.0.0.0/40": invalid CIDR prefix length"#
    );
}

#[test]
fn refused_routes_are_never_direct() {
    // A proxy variable that is not usable.
    let resolver =
        Resolver::from_env_with(Dialect::Curl, lookup_in(&[("https_proxy", "socks9://p:1")]));
    let route = resolver.resolve(&t("https://a.test/"));
    assert!(route.is_refused() && !route.is_direct(), "{route}");
    assert_eq!(route.hops().count(), 0);
    assert!(matches!(
        route.error().unwrap().kind(),
        ErrorKind::UnsupportedScheme(_)
    ));
    // ... but a bypassed host does not need the proxy at all.
    let resolver = Resolver::from_env_with(
        Dialect::Curl,
        lookup_in(&[("https_proxy", "socks9://p:1"), ("no_proxy", "a.test")]),
    );
    assert!(resolver.resolve(&t("https://a.test/")).is_direct());
    // Chromium's auto_proxy names a PAC script this build cannot run.
    let resolver = Resolver::from_env_with(
        Dialect::Chromium,
        lookup_in(&[
            ("auto_proxy", "http://wpad/wpad.dat"),
            ("http_proxy", "http://p:1"),
        ]),
    );
    let why = resolver.explain(&t("http://a.test/"));
    assert_eq!(why.error().unwrap().kind(), &ErrorKind::PacNotEvaluated);
    assert!(why.route().is_refused());
}

#[test]
fn targets_from_all_three_types_agree() {
    for url in [
        "http://EXAMPLE.com./x",
        "https://[::ffff:127.0.0.1]:8443/",
        "http://0x7f.1/",
        "https://xn--bcher-kva.example/",
        "ws://h:81/",
    ] {
        let from_str = t(url);
        let from_url = Target::from_url(&url::Url::parse(url).unwrap()).unwrap();
        let from_uri = Target::from_uri(&url.parse::<http::Uri>().unwrap()).unwrap();
        assert_eq!(from_str, from_url, "{url}");
        assert_eq!(from_str, from_uri, "{url}");
    }
}

#[test]
fn unserved_schemes_say_which_variables_are_read() {
    let vars = [("HTTP_PROXY", "http://p:1")];
    let go = Resolver::from_env_with(Dialect::Go, lookup_in(&vars));
    let why = go.explain(&t("ws://x.test/"));
    assert!(why.route().is_direct());
    assert_eq!(
        why.reason(),
        "Go net/http reads no proxy variable for ws URLs, so the request goes directly"
    );
    let curl = Resolver::from_env_with(Dialect::Curl, lookup_in(&[("http_proxy", "http://p:1")]));
    let why = curl.explain(&t("https://x.test/"));
    assert!(why.route().is_direct());
    assert!(
        why.reason()
            .starts_with("no proxy variable serves https under curl (it reads https_proxy"),
        "{}",
        why.reason()
    );
}

#[test]
fn proxy_hosts_are_names_dns_can_look_up() {
    // Found by the proxy_rules fuzz target: `%2c` decoded to a comma inside the
    // host, which the rules' text form then split into two proxies.
    for text in [
        "http://p%2c.x:1",
        "http://p,q:1",
        "http://a;b:1",
        "http://a=b:1",
        "http://a$b:1",
        "http://a%20b:1",
    ] {
        let err = text.parse::<Proxy>().unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::InvalidHost, "{text}");
    }
    for text in [
        "http://a-b_c.d:1",
        "http://xn--bcher-kva.example:1",
        "http://bücher.example:1",
    ] {
        assert!(text.parse::<Proxy>().is_ok(), "{text}");
    }
    let rules = proxyroute::ProxyRules::parse_lenient("https=p%2c.}t$4#", Origin::Text);
    assert!(rules.proxy_for("https").is_none());
    assert_eq!(rules.violations().len(), 1);
}

#[test]
fn hints_fit_the_kind_of_proxy() {
    let hints = |proxy: &str, url: &str| {
        Resolver::builder()
            .proxy(proxy)
            .build()
            .unwrap()
            .explain(&t(url))
            .hints()
            .join("\n")
    };
    let h = hints("socks5://p:1080", "https://internal.example/");
    assert!(
        h.contains("use socks5h:// so that the proxy resolves it"),
        "{h}"
    );
    assert!(!h.contains("407"), "SOCKS has no 407: {h}");
    assert!(!h.contains("CONNECT"), "{h}");
    let h = hints("socks5h://u:pw@p:1080", "https://internal.example/");
    assert!(h.contains("the user name or password is wrong"), "{h}");
    assert!(!h.contains("socks5h://"), "already remote DNS: {h}");
    let h = hints("socks5://p:1080", "https://10.1.2.3/");
    assert!(
        !h.contains("resolves"),
        "an address needs no name resolution: {h}"
    );
    let h = hints("http://p:3128", "https://example.com/");
    assert!(h.contains("407 Proxy Authentication Required"), "{h}");
    assert!(h.contains("CONNECT tunnel"), "{h}");
    let h = hints("http://u:pw@p:3128", "http://example.com/");
    assert!(h.contains("still answers 407"), "{h}");
    assert!(!h.contains("CONNECT"), "{h}");
}

#[test]
fn a_cidr_entry_the_dialect_cannot_read_is_a_hint_for_its_addresses() {
    let vars = [("https_proxy", "http://p:3128"), ("no_proxy", "10.0.0.0/8")];
    let python = Resolver::from_env_with(Dialect::Python, lookup_in(&vars));
    let hints = python.explain(&t("https://10.1.2.3/")).hints().join("\n");
    assert!(
        hints.contains("This bypass entry looks meant for 10.1.2.3 but does nothing"),
        "{hints}"
    );
    let hints = python
        .explain(&t("https://192.168.1.1/"))
        .hints()
        .join("\n");
    assert!(!hints.contains("looks meant for"), "{hints}");
}
