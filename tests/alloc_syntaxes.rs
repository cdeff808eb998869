//! `Resolver::resolve` allocates nothing for bypass lists of every syntax and
//! for manual proxy rules: counted with a global allocator (the pattern of
//! tests/alloc.rs), for hits and misses, names and IPs, scoped and reversed
//! lists.

use proxyroute::{BypassList, BypassSyntax, Dialect, Origin, RequestProxy, Resolver, Target};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::allocations_during;

const URLS: &[&str] = &[
    "http://example.com/",
    "https://api.example.com:8443/v1",
    "https://deep.a.b.c.corp.example/",
    "http://intranet/",
    "http://badcorp.example/",
    "http://10.1.2.3/",
    "http://192.168.7.7:8080/",
    "https://[2001:db8::1]/",
    "https://[::ffff:10.0.0.1]/",
    "http://localhost:3000/",
    "http://loopback/",
    "http://127.0.0.1/",
    "http://169.254.1.1/",
    "http://[fe80::1%25eth0]/",
    "ws://chat.example.com/",
    "ftp://files.example.com/",
    "gopher://old.example.com/",
    "foo://unknown.example/",
];

/// A list in each syntax using its globs, ports, schemes, ranges and specials.
const LISTS: &[(BypassSyntax, &str)] = &[
    (
        BypassSyntax::Chromium,
        "*.corp.example:443;http://build;10.0.0.0/8;<local>;[2001:db8::1]:8443;https://*;\
         a*b.example;*example.com;192.0.513;w?w.x;<-loopback>;localhost",
    ),
    (
        BypassSyntax::Windows,
        "<local>;*.corp.example;10.*;192.168.*.1;https://secure.example;build:8080;\
         [2001:db8::2];*mail*;<-loopback>",
    ),
    (
        BypassSyntax::Macos,
        "*.local,10.10,172.16/12,192.168.1.0/24,2001:db8::/32,*.corp.*.example,<local>,host?.x",
    ),
    (
        BypassSyntax::Gnome,
        "['localhost', '127.0.0.0/8', '::1', '*.corp.example', 'build.example:8080', \
         '[2001:db8::1]:8443', 'fe80::/10']",
    ),
    (
        BypassSyntax::Kde,
        "localhost,.corp.example,kde.org,http://bugs.kde.org,h.example:8080,10.0.0.0/255.0.0.0,\
         2001:db8::/32,<local>",
    ),
    (
        BypassSyntax::Postman,
        "http+https://*.corp.example:*/*,http://localhost/*,*://10.0.0.1:8080/*,\
         https://*/*,http://*:8080/*",
    ),
];

fn assert_no_allocations(name: &str, resolver: &Resolver) {
    let targets: Vec<Target> = URLS.iter().map(|u| u.parse().unwrap()).collect();
    let request = RequestProxy::Proxy("http://override:1".parse().unwrap());
    for t in &targets {
        let _ = resolver.resolve(t);
    }
    for t in &targets {
        let mut direct = false;
        let n = allocations_during(|| {
            let route = resolver.resolve(t);
            direct = route.is_direct();
            std::hint::black_box(route);
            std::hint::black_box(resolver.resolve_with(t, &request));
        });
        assert_eq!(
            n, 0,
            "{name}: resolve({t}) allocated {n} times (direct: {direct})"
        );
    }
}

#[test]
fn every_syntax_resolves_without_allocating() {
    for &(syntax, text) in LISTS {
        for reversed in [false, true] {
            let list = BypassList::parse_syntax(text, syntax, Dialect::Curl, Origin::Text)
                .reversed(reversed);
            assert!(!list.rules().is_empty(), "{syntax}");
            let resolver = Resolver::builder()
                .proxy("http://u:p@proxy:3128")
                .bypass_list(list)
                .build()
                .unwrap();
            assert_no_allocations(&format!("{syntax} reversed={reversed}"), &resolver);
        }
    }
}

#[test]
fn the_lists_are_exercised() {
    // Guards the guard: each list sends some of the URLs direct and some not.
    for &(syntax, text) in LISTS {
        let list = BypassList::parse_syntax(text, syntax, Dialect::Curl, Origin::Text);
        let m = list.compile();
        let hits = URLS
            .iter()
            .filter(|u| m.matches(&u.parse().unwrap()))
            .count();
        assert!(hits > 0 && hits < URLS.len(), "{syntax}: {hits} hits");
    }
}

#[test]
fn proxy_rules_resolve_without_allocating() {
    for rules in [
        "proxy.corp:8080",
        "http=h:3128;https=s:3129;ftp=f:21;socks=k:1080",
        "http=h:3128;https=s:3129",
        "socks=socks5://k:1080",
    ] {
        let resolver = Resolver::builder()
            .proxy_rules(rules)
            .bypass_list(BypassList::parse_syntax(
                "<local>;*.corp.example;10.*",
                BypassSyntax::Windows,
                Dialect::Curl,
                Origin::Text,
            ))
            .build()
            .unwrap();
        assert_no_allocations(rules, &resolver);
    }
}

#[test]
fn the_counter_counts() {
    let n = allocations_during(|| {
        std::hint::black_box(String::from("x"));
    });
    assert!(n >= 1);
}
