//! `Resolver::resolve` allocates nothing: counted with a global allocator, for
//! environment and custom configurations, bypass hits and misses, names and IPs.

use proxyroute::{Dialect, RequestProxy, Resolver, Target};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::allocations_during;

const URLS: &[&str] = &[
    "http://example.com/",
    "https://api.example.com/v1",
    "https://deep.a.b.c.internal.corp/",
    "http://badcorp.com/",
    "http://10.1.2.3/",
    "http://192.168.7.7:8080/",
    "https://[2001:db8::1]/",
    "https://[::ffff:10.0.0.1]/",
    "http://localhost:3000/",
    "http://127.0.0.1/",
    "ws://chat.example.com/",
    "ftp://files.example.com/",
    "gopher://old.example.com/",
    "foo://unknown.example/",
];

fn assert_no_allocations(name: &str, resolver: &Resolver) {
    let targets: Vec<Target> = URLS.iter().map(|u| u.parse().unwrap()).collect();
    let request = RequestProxy::Proxy("http://override:1".parse().unwrap());
    // Warm up anything lazily initialised outside the measured region.
    for t in &targets {
        let _ = resolver.resolve(t);
    }
    for t in &targets {
        let mut proxied = false;
        let n = allocations_during(|| {
            let route = resolver.resolve(t);
            proxied = route.proxy().is_some();
            std::hint::black_box(route);
            std::hint::black_box(resolver.resolve_with(t, &request));
        });
        assert_eq!(
            n, 0,
            "{name}: resolve({t}) allocated {n} times (proxied: {proxied})"
        );
    }
}

fn lookup(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
}

const ENV: &[(&str, &str)] = &[
    ("http_proxy", "http://alice:secret@proxy.corp:3128"),
    ("HTTP_PROXY", "http://alice:secret@proxy.corp:3128"),
    ("https_proxy", "http://proxy.corp:3128"),
    ("HTTPS_PROXY", "http://proxy.corp:3128"),
    ("all_proxy", "socks5h://127.0.0.1:1080"),
    ("ALL_PROXY", "socks5h://127.0.0.1:1080"),
    (
        "no_proxy",
        "localhost,.internal.corp,example.com,10.0.0.0/8,::1,*.wild.example,*suffix,host.test:8080",
    ),
    (
        "NO_PROXY",
        "localhost,.internal.corp,example.com,10.0.0.0/8,::1,*.wild.example,*suffix,host.test:8080",
    ),
];

#[test]
fn environment_configurations_do_not_allocate() {
    for &dialect in Dialect::ALL {
        let resolver = Resolver::from_env_with(dialect, lookup(ENV));
        assert_no_allocations(dialect.as_str(), &resolver);
    }
}

#[test]
fn custom_configurations_do_not_allocate() {
    let resolver = Resolver::builder()
        .proxy("http://u:p@proxy:3128")
        .https_proxy("socks5h://127.0.0.1:1080")
        .scheme_proxy("foo", "http://foo-proxy:1")
        .bypass("localhost,.internal.corp,10.0.0.0/8")
        .build()
        .unwrap();
    assert_no_allocations("custom", &resolver);

    let limited = Resolver::builder()
        .proxy("http://proxy:3128")
        .proxy_schemes(["http"])
        .env_with(lookup(ENV))
        .build()
        .unwrap();
    assert_no_allocations("custom limited to http over env", &limited);
}

#[test]
fn postman_config_lists_do_not_allocate() {
    let configs = proxyroute::postman::ProxyConfigList::from_json(
        r#"[{"host": "a.proxy", "port": 1, "disabled": true},
            {"host": "b.proxy", "port": 2, "bypass": ["*://*.internal.corp:*/*", "http://localhost:*/*"]},
            {"host": "c.proxy", "port": 3, "match": "https://*.example.com:*/*", "protocol": "socks5"},
            {"host": "", "match": "http://10.1.2.3/*"},
            {"host": "d.proxy", "port": 4, "authenticate": true, "username": "u", "password": "p"}]"#,
        proxyroute::Origin::Text,
    )
    .unwrap();
    let resolver = Resolver::builder()
        .dialect(Dialect::Postman)
        .env_with(lookup(ENV))
        .postman_configs(configs)
        .build()
        .unwrap();
    assert_no_allocations("postman", &resolver);
}

#[test]
fn system_settings_do_not_allocate() {
    let gsettings = "\
org.gnome.system.proxy mode 'manual'
org.gnome.system.proxy ignore-hosts ['localhost', '*.internal.corp', '10.0.0.0/8', 'a.example:8080']
org.gnome.system.proxy.http host 'proxy.corp'
org.gnome.system.proxy.http port 3128
org.gnome.system.proxy.socks host 'socks.corp'
org.gnome.system.proxy.socks port 1080
";
    for first in [false, true] {
        let resolver = Resolver::builder()
            .env_with(lookup(ENV))
            .system(proxyroute::system::gnome::parse(gsettings))
            .system_first(first)
            .build()
            .unwrap();
        assert_no_allocations("gnome", &resolver);
    }
    let kde = "[Proxy Settings]\nProxyType=1\nhttpProxy=http://p 8080\nNoProxyFor=git.corp\nReversedException=true\n";
    let resolver = Resolver::builder()
        .system(proxyroute::system::kde::parse(
            &[("kioslaverc", kde)],
            |_| None,
        ))
        .build()
        .unwrap();
    assert_no_allocations("kde", &resolver);
}

#[test]
fn the_counter_counts() {
    // Guards the guard: an allocation in the measured region is seen.
    let n = allocations_during(|| {
        std::hint::black_box(String::from("x"));
    });
    assert!(n >= 1);
}
