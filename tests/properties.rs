//! Generated properties (issue 5): the compiled bypass engine equals the linear
//! oracle, `Target::parse`'s fast path equals the URL parser's answer, text
//! round trips, `resolve` equals `explain`, bypass lists are monotone and
//! order-free, and nothing panics on any target.
//!
//! Inputs are drawn from a small alphabet of labels, addresses and ports so
//! that rules and hosts meet often. Case counts are modest (the whole file runs
//! in well under a minute in debug); raise them with `PROPTEST_CASES=10000`.
//! Failures are kept in `proptest-regressions/` and replayed first.

use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, FileFailurePersistence};
use proxyroute::{
    env::lookup_in, BypassHit, BypassList, Credentials, Dialect, Proxy, ProxyScheme, RequestProxy,
    Resolver, Target,
};

// ===== generators =====

/// Labels shared by entries and hosts, so that hits are common.
const LABELS: &[&str] = &[
    "a",
    "b",
    "x",
    "example",
    "com",
    "corp",
    "localhost",
    "xn--bcher-kva",
    "bücher",
    "Example",
    "A",
    "10",
    "0",
    "127",
    "ff",
    "a-b",
    "_x",
    "badexample",
];

/// Ports as written: valid, 0, out of range, junk, empty.
const PORTS: &[&str] = &[
    "80", "443", "8080", "3128", "0", "65535", "65536", "99999", "", "x", "080", "+1",
];

const OCTETS: &[u8] = &[0, 1, 2, 10, 127, 169, 192, 168, 254, 255];
const SEGMENTS: &[u16] = &[0, 1, 0xff, 0xffff, 0xfe80, 0x2001, 0xdb8, 0xa00, 0x7f00];

fn label() -> impl Strategy<Value = String> {
    select(LABELS).prop_map(String::from)
}

fn name() -> BoxedStrategy<String> {
    prop::collection::vec(label(), 1..4)
        .prop_map(|v| v.join("."))
        .boxed()
}

fn ipv4() -> BoxedStrategy<Ipv4Addr> {
    prop::array::uniform4(select(OCTETS))
        .prop_map(Ipv4Addr::from)
        .boxed()
}

fn ipv6() -> BoxedStrategy<Ipv6Addr> {
    prop_oneof![
        prop::array::uniform8(select(SEGMENTS)).prop_map(Ipv6Addr::from),
        ipv4().prop_map(|a| a.to_ipv6_mapped()),
        Just(Ipv6Addr::LOCALHOST),
        Just("fe80::1".parse().unwrap()),
    ]
    .boxed()
}

/// IPv4 spellings a URL parser reads as the same address.
fn ipv4_spelling() -> BoxedStrategy<String> {
    ipv4()
        .prop_flat_map(|a| {
            let n = u32::from(a);
            let o = a.octets();
            select(vec![
                a.to_string(),
                format!("{n}"),
                format!("0x{n:x}"),
                format!("{}.{}", o[0], n & 0xff_ffff),
                format!("0{:o}.{}.{}.{}", o[0], o[1], o[2], o[3]),
                format!("0x{:x}.{}.{}.{}", o[0], o[1], o[2], o[3]),
            ])
        })
        .boxed()
}

/// One NO_PROXY entry, without blanks inside it.
fn entry() -> BoxedStrategy<String> {
    let core = prop_oneof![
        4 => name(),
        1 => name().prop_map(|n| format!(".{n}")),
        1 => name().prop_map(|n| format!("..{n}")),
        2 => name().prop_map(|n| format!("*.{n}")),
        1 => name().prop_map(|n| format!("*{n}")),
        1 => Just("*".to_owned()),
        2 => ipv4().prop_map(|a| a.to_string()),
        2 => ipv6().prop_map(|a| a.to_string()),
        1 => ipv6().prop_map(|a| format!("[{a}]")),
        2 => (ipv4(), 0u8..=40).prop_map(|(a, n)| format!("{a}/{n}")),
        2 => (ipv6(), 0u8..=135).prop_map(|(a, n)| format!("{a}/{n}")),
        1 => (ipv4(), select(&["", "x", "-1", "08", "1/2"][..])).prop_map(|(a, m)| format!("{a}/{m}")),
        2 => (name(), select(PORTS)).prop_map(|(n, p)| format!("{n}:{p}")),
        1 => (ipv4(), select(PORTS)).prop_map(|(a, p)| format!("{a}:{p}")),
        1 => (ipv6(), select(PORTS)).prop_map(|(a, p)| format!("[{a}]:{p}")),
        1 => select(&[
            "<local>", "<-loopback>", "fe80::1%eth0", "[fe80::1%25eth0]", "eth0", "[", "]", "[::1",
            ":", ":80", ".", "..", "*.", "*.*", "a*b", "u:p@h", "http://h", "h/p", "1.2.3", "0x7f.1",
            "2130706433", "%41", "a\u{0}b", "\u{7f}",
        ][..])
        .prop_map(String::from),
    ];
    (core, 0u8..8, any::<bool>(), any::<bool>())
        .prop_map(|(mut e, shape, upper, dot)| {
            if upper {
                e = e.to_uppercase();
            }
            if dot {
                e.push('.');
            }
            match shape {
                0 => format!(" {e}"),
                1 => format!("{e}\t"),
                _ => e,
            }
        })
        .boxed()
}

/// A whole list: entries joined by assorted separators, empty entries included.
fn list_text() -> BoxedStrategy<String> {
    let sep = select(&[",", ",", ",", ", ", " , ", ";", " ", ",,", "\n"][..]);
    prop::collection::vec((entry(), sep), 0..10)
        .prop_map(|parts| {
            let mut text = String::new();
            for (i, (e, s)) in parts.iter().enumerate() {
                if i > 0 {
                    text.push_str(s);
                }
                text.push_str(e);
            }
            text
        })
        .boxed()
}

/// A request target: a name from the same labels, an IPv4 address in any
/// spelling, IPv6 (IPv4-mapped included), or a zone id; an explicit port or not.
fn target() -> BoxedStrategy<Target> {
    let host = prop_oneof![
        5 => name(),
        1 => name().prop_map(|n| format!("{n}.")),
        // How the host was written matters to some dialects (issue 12).
        1 => name().prop_map(|n| n.to_ascii_uppercase()),
        1 => select(&["bücher.example", "www.bücher.example", "BÜCHER.example.", "例子.com"][..])
            .prop_map(String::from),
        3 => ipv4_spelling(),
        2 => ipv6().prop_map(|a| a.to_string()),
        1 => ipv6().prop_map(|a| format!("[{a}]")),
        1 => select(&["[fe80::1%eth0]", "[fe80::1%25eth0]", "[::1%lo]"][..]).prop_map(String::from),
    ];
    let scheme = select(&["http", "https", "ws", "wss", "ftp", "foo", "HTTP"][..]);
    let port = prop_oneof![
        3 => Just(None),
        1 => select(&[0u16, 80, 443, 8080, 3128, 65535][..]).prop_map(Some),
    ];
    (scheme, host, port)
        .prop_filter_map("host is not a valid host", |(s, h, p)| {
            Target::new(s, &h, p).ok()
        })
        .boxed()
}

/// A hit, reduced to what the engine and the oracle must agree on.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Hit {
    Rule(usize),
    Implicit(String),
    NotListed,
    Other(String),
}

fn hit(h: Option<BypassHit<'_>>) -> Option<Hit> {
    Some(match h? {
        BypassHit::Rule(r) => Hit::Rule(r.index()),
        BypassHit::Implicit(why) => Hit::Implicit(why.to_owned()),
        BypassHit::NotListed => Hit::NotListed,
        other => Hit::Other(format!("{other:?}")),
    })
}

fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        max_shrink_iters: 4096,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/properties.txt",
        ))),
        ..Config::default()
    }
}

// ===== (a) engine == oracle =====

proptest! {
    #![proptest_config(config(384))]

    /// The compiled matcher returns the same rule (lowest index) or implicit
    /// bypass as the linear scan, for every dialect, reversed or not.
    #[test]
    fn engine_equals_oracle(
        text in list_text(),
        targets in prop::collection::vec(target(), 1..10),
        reversed in any::<bool>(),
    ) {
        for &dialect in Dialect::ALL {
            let list = BypassList::parse(&text, dialect).reversed(reversed);
            let matcher = list.compile();
            for t in &targets {
                prop_assert_eq!(
                    hit(matcher.find(t)),
                    hit(list.find_linear(t)),
                    "dialect {} list {:?} target {}", dialect, text, t
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(config(48))]

    /// Long lists: many rules sharing suffixes, lengths and prefix lengths.
    #[test]
    fn engine_equals_oracle_on_long_lists(
        entries in prop::collection::vec(entry(), 50..300),
        targets in prop::collection::vec(target(), 1..16),
    ) {
        let text = entries.join(",");
        for &dialect in Dialect::ALL {
            let list = BypassList::parse(&text, dialect);
            let matcher = list.compile();
            for t in &targets {
                prop_assert_eq!(
                    hit(matcher.find(t)),
                    hit(list.find_linear(t)),
                    "dialect {} list {:?} target {}", dialect, text, t
                );
            }
        }
    }
}

// ===== (b) Target::parse == Target::from_url =====

/// URL-ish text: schemes, separators, user info, hosts in many spellings, ports
/// and tails, with some raw noise.
fn url_text() -> BoxedStrategy<String> {
    let scheme = select(
        &[
            "http", "https", "HTTP", "Https", "ws", "wss", "ftp", "gopher", "foo", "file",
            "mailto", "h-t", "socks5", "imap",
        ][..],
    );
    let sep = prop_oneof![
        8 => Just("://"),
        1 => select(&[":", ":/", ":///", ":\\\\", "://\\", ":/\\"][..]),
    ];
    let userinfo = select(
        &[
            "",
            "",
            "",
            "u@",
            "u:p@",
            "u:S3cr3t@",
            "@",
            "a@b@",
            "u:p%40@",
            ":@",
        ][..],
    );
    let host = prop_oneof![
        4 => name(),
        1 => name().prop_map(|n| format!("{n}.")),
        1 => name().prop_map(|n| format!("{n}..")),
        1 => name().prop_map(|n| format!(".{n}")),
        2 => ipv4_spelling(),
        1 => ipv6().prop_map(|a| format!("[{a}]")),
        1 => select(&[
            "", "[::1", "[::1]x", "[1:2:3:4:5:6:7:8:9]", "[fe80::1%25eth0]", "[fe80::1%eth0]",
            "[v1.x]", "256.1.1.1", "1.2.3.4.5", "1.2.3.", "127.0.0.1.", "10.1.2.3.", "09.1", "0x", "0x100000000",
            "4294967296", "1.256", "ex%61mple.com", "%2e", "a%2eb", "xn--", "xn--zz",
            "xn--a.com", "a_b.com", "a b", "a\tb", "a<b", "a^b", "a~b", "a!b", "a$b",
            "a%00b", "\u{0}", "ß.de", "EXAMPLE.COM", "ａ.com", "a..b", "..", ".",
            "xn--bcher-kva.Example", "XN--BCHER-KVA.example", "\u{200b}a.com", "a.com%",
        ][..])
        .prop_map(String::from),
    ];
    let port = select(
        &[
            "", "", "", ":", ":80", ":443", ":0", ":65535", ":65536", ":abc", ":+1", ":00080",
            ":8080", ": 1",
        ][..],
    );
    let tail = select(
        &[
            "", "", "/", "/p?q#f", "?q", "#f", "\\x", "/a@b", " ", "\t/", "/\u{0}",
        ][..],
    );
    prop_oneof![
        10 => (scheme, sep, userinfo, host, port, tail)
            .prop_map(|(s, sep, u, h, p, t)| format!("{s}{sep}{u}{h}{p}{t}")),
        1 => "(http|https|foo)://[ -~]{0,24}",
        1 => "http://\\PC{0,16}",
    ]
    .boxed()
}

/// The zone-id exception: `[v6%zone]`, which the URL parser rejects and
/// `Target` accepts by design.
fn has_zone(text: &str) -> bool {
    text.find('[').is_some_and(|open| {
        text[open..]
            .split(']')
            .next()
            .is_some_and(|h| h.contains('%'))
    })
}

/// Whether the scheme (up to the first `:`) is followed by `//`.
fn scheme_then_slashes(text: &str) -> bool {
    text.find(':')
        .is_some_and(|c| text[c + 1..].starts_with("//"))
}

fn check_target_paths(text: &str) -> Result<(), TestCaseError> {
    let ours = Target::parse(text);
    match url::Url::parse(text) {
        Ok(url) if scheme_then_slashes(text) => {
            let theirs = Target::from_url(&url);
            match (&ours, &theirs) {
                (Ok(a), Ok(b)) => prop_assert_eq!(a, b, "input {:?} (url {})", text, url),
                (Err(_), Err(_)) => {}
                _ => prop_assert!(
                    false,
                    "input {:?}: Target::parse {:?} but from_url(url {:?}) {:?}",
                    text,
                    ours,
                    url.as_str(),
                    theirs
                ),
            }
        }
        Ok(_) => prop_assert!(
            ours.is_err(),
            "input {:?} has no :// but parsed: {:?}",
            text,
            ours
        ),
        Err(e) => {
            if !has_zone(text) {
                prop_assert!(
                    ours.is_err(),
                    "input {:?}: url fails ({}) but Target::parse gives {:?}",
                    text,
                    e,
                    ours
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn target_fast_path_equals_url_path(text in url_text()) {
        check_target_paths(&text)?;
    }
}

// ===== (c) Display / FromStr round trips =====

fn scheme() -> impl Strategy<Value = ProxyScheme> {
    select(ProxyScheme::ALL)
}

/// Text for user names and passwords: the characters URLs care about, and non-ASCII.
fn secretish() -> BoxedStrategy<String> {
    prop::collection::vec(
        prop_oneof![
            3 => "[a-zA-Z0-9]",
            3 => select(&["@", ":", "%", "/", " ", "#", "?", "[", "]", "%41", "%zz", "+", "&", "=", "\\", "\"", "'", "~", "*"][..]).prop_map(String::from),
            1 => select(&["ä", "ß", "日本", "😀", "\u{0}", "\u{7f}", "\t"][..]).prop_map(String::from),
        ],
        0..8,
    )
    .prop_map(|v| v.concat())
    .boxed()
}

fn proxy_host() -> BoxedStrategy<String> {
    prop_oneof![
        3 => name(),
        1 => ipv4_spelling(),
        1 => ipv6().prop_map(|a| a.to_string()),
        1 => ipv6().prop_map(|a| format!("[{a}]")),
    ]
    .boxed()
}

const MARK: &str = "Pw0rdMark";

proptest! {
    #![proptest_config(config(512))]

    /// `url_with_credentials()` parses back to the same proxy, whatever the
    /// user name and password hold; `Display` and `Debug` never show the password.
    #[test]
    fn proxy_round_trips_with_credentials(
        scheme in scheme(),
        host in proxy_host(),
        port in 1u16..,
        user in secretish(),
        pre in secretish(),
        post in secretish(),
        with_password in any::<bool>(),
    ) {
        let Ok(proxy) = Proxy::new(scheme, &host, port) else {
            return Ok(());
        };
        let password = format!("{pre}{MARK}{post}");
        let creds = Credentials::new(user.clone(), with_password.then_some(password.as_str()));
        let proxy = if user.is_empty() && !with_password {
            proxy
        } else {
            proxy.with_credentials(creds)
        };
        let url = proxy.url_with_credentials();
        let back: Proxy = url.parse().map_err(|e| TestCaseError::fail(format!("{url:?}: {e}")))?;
        prop_assert_eq!(&back, &proxy, "via {:?}", url);
        for shown in [proxy.to_string(), format!("{proxy:?}"), format!("{:?}", proxy.credentials())] {
            prop_assert!(!shown.contains(MARK), "password shown in {:?}", shown);
        }
        prop_assert!(!proxy.url_without_credentials().contains(MARK));
        // Display is the URL with `***` for the password.
        if with_password {
            prop_assert!(proxy.to_string().contains(":***@"), "{}", proxy);
        }
    }

    /// Any text that parses as a proxy reaches a fixed point: its URL parses
    /// back to the same proxy.
    #[test]
    fn parsed_proxies_reparse_equal(text in prop_oneof![
        (select(&["", "http://", "HTTPS://", "socks5h://", "socks://", "socks4a://"][..]), secretish(), proxy_host(), select(PORTS))
            .prop_map(|(s, u, h, p)| if u.is_empty() { format!("{s}{h}:{p}") } else { format!("{s}{u}@{h}:{p}") }),
        "[ -~]{0,30}",
    ]) {
        if let Ok(proxy) = text.parse::<Proxy>() {
            let url = proxy.url_with_credentials();
            let back: Proxy = url.parse().map_err(|e| TestCaseError::fail(format!("{text:?} -> {url:?}: {e}")))?;
            prop_assert_eq!(&back, &proxy, "{:?} -> {:?}", text, url);
            prop_assert_eq!(back.to_string(), proxy.to_string());
        }
    }

    /// A list's `Display` parses back to the same patterns, ports and schemes.
    #[test]
    fn bypass_list_round_trips(text in list_text()) {
        for &dialect in Dialect::ALL {
            let list = BypassList::parse(&text, dialect);
            let shown = list.to_string();
            let back = BypassList::parse(&shown, dialect);
            let parts = |l: &BypassList| {
                l.rules().iter().map(|r| (r.pattern().clone(), r.port(), r.scheme().map(str::to_owned), r.text().to_owned())).collect::<Vec<_>>()
            };
            prop_assert_eq!(parts(&back), parts(&list), "dialect {} {:?} shown as {:?}", dialect, text, shown);
        }
    }

    /// Scheme and dialect names parse back, in any case.
    #[test]
    fn names_round_trip(scheme in scheme(), dialect in select(Dialect::ALL), upper in any::<bool>()) {
        let case = |s: String| if upper { s.to_uppercase() } else { s };
        prop_assert_eq!(case(scheme.to_string()).parse::<ProxyScheme>().unwrap(), scheme);
        prop_assert_eq!(case(dialect.to_string()).parse::<Dialect>().unwrap(), dialect);
        prop_assert_eq!(scheme.as_str(), scheme.to_string());
        prop_assert_eq!(dialect.as_str(), dialect.to_string());
    }
}

// ===== (d) resolve == explain, over generated environments =====

const VARS: &[&str] = &[
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "ws_proxy",
    "ftp_proxy",
    "foo_proxy",
    "SOCKS_SERVER",
];

const PROXY_VALUES: &[&str] = &[
    "",
    "http://p:3128",
    "proxy:8080",
    "socks5h://u:Pw0rdMark@s:1080",
    "http://alice:Pw0rdMark@p",
    "socks://s",
    "socks4://s:1",
    "socks4a://s",
    "socks5://[::1]:1080",
    "https://p",
    "ftp://x",
    "not a url",
    "http://u:Pw0rdMark%zz@h",
    "http://h:0",
    "http://h:99999",
    "http://",
    " http://p:1 ",
    "http://p:1/path",
];

/// A set of environment variables; later duplicates are shadowed.
fn env_vars() -> BoxedStrategy<Vec<(String, String)>> {
    let proxy_var =
        (select(VARS), select(PROXY_VALUES)).prop_map(|(k, v)| (k.to_owned(), v.to_owned()));
    let no_proxy = (
        select(&["no_proxy", "NO_PROXY"][..]),
        prop_oneof![list_text(), Just(String::new()), Just("*".to_owned())],
    )
        .prop_map(|(k, v)| (k.to_owned(), v));
    let other = (
        select(
            &[
                "REQUEST_METHOD",
                "GATEWAY_INTERFACE",
                "auto_proxy",
                "SOCKS_VERSION",
            ][..],
        ),
        select(&["", "GET", "4", "5", "http://pac/x.pac"][..]),
    )
        .prop_map(|(k, v)| (k.to_owned(), v.to_owned()));
    prop::collection::vec(prop_oneof![5 => proxy_var, 3 => no_proxy, 1 => other], 0..8).boxed()
}

/// A resolver from an environment, sometimes with custom proxies on top.
fn resolver(dialect: Dialect, vars: &[(String, String)], custom: u8) -> Option<Resolver> {
    let owned = vars.to_vec();
    let builder = Resolver::builder()
        .dialect(dialect)
        .env_with(move |name: &str| lookup_in(&owned)(name));
    let builder = match custom {
        0 => builder,
        1 => builder.proxy("http://custom:1"),
        2 => builder
            .https_proxy("http://u:Pw0rdMark@custom:2")
            .bypass("localhost"),
        _ => builder.proxy("socks5h://custom:3").proxy_schemes(["http"]),
    };
    builder.build().ok()
}

fn check_resolve_explain(resolver: &Resolver, t: &Target) -> Result<(), TestCaseError> {
    let route = resolver.resolve(t);
    let why = resolver.explain(t);
    prop_assert_eq!(&route, &why.route(), "target {} decision {:?}", t, why);
    prop_assert_eq!(route.to_string(), why.route().to_string());
    if why.rule().is_some() {
        prop_assert!(
            route.is_direct(),
            "a bypass rule matched but the route is {}",
            route
        );
    }
    prop_assert_eq!(why.error().is_some(), route.is_refused());
    let direct = RequestProxy::Direct;
    prop_assert!(resolver.resolve_with(t, &direct).is_direct());
    prop_assert!(resolver.explain_with(t, &direct).route().is_direct());
    // Nothing a person reads shows a password.
    let texts = [
        format!("{why:?}"),
        why.reason().to_owned(),
        why.source().to_owned(),
        why.hints().join("\n"),
        route.to_string(),
        format!("{route:?}"),
        format!("{resolver:?}"),
    ];
    for text in texts {
        prop_assert!(!text.contains(MARK), "password shown: {}", text);
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn resolve_agrees_with_explain(
        vars in env_vars(),
        custom in 0u8..4,
        targets in prop::collection::vec(target(), 1..8),
    ) {
        for &dialect in Dialect::ALL {
            let Some(resolver) = resolver(dialect, &vars, custom) else { continue };
            for t in &targets {
                check_resolve_explain(&resolver, t)?;
            }
        }
    }
}

// ===== (e) adding an entry never un-bypasses; (f) order does not matter =====

/// Whether `entry` is a rule that removes hosts from the dialect's bypass:
/// Chromium reads `<-loopback>` as "proxy loopback and link-local too".
fn subtracts(dialect: Dialect, entry: &str) -> bool {
    dialect == Dialect::Chromium && entry.to_ascii_lowercase().contains("<-loopback>")
}

proptest! {
    #![proptest_config(config(384))]

    /// A host that a list sends direct is still sent direct when one more entry
    /// is appended. A value that is exactly `*` is left out: curl, Python and
    /// postman-request read `*` as "every host" only as the whole value, so
    /// `*,x` bypasses less than `*` there, by design. Chromium's `<-loopback>`
    /// is left out too: it exists to subtract the implicit loopback bypass.
    #[test]
    fn adding_an_entry_never_proxies_a_direct_host(
        text in list_text(),
        extra in entry(),
        targets in prop::collection::vec(target(), 1..8),
    ) {
        prop_assume!(text.trim() != "*");
        let longer = format!("{text},{extra}");
        for &dialect in Dialect::ALL {
            if subtracts(dialect, &extra) {
                continue;
            }
            let before = BypassList::parse(&text, dialect).compile();
            let after = BypassList::parse(&longer, dialect).compile();
            for t in &targets {
                if before.matches(t) {
                    prop_assert!(after.matches(t), "dialect {} {:?} bypasses {} but {:?} does not", dialect, text, t, longer);
                }
            }
        }
    }

    /// The same through the resolver: appending to NO_PROXY never turns a
    /// DIRECT route into a proxied one.
    #[test]
    fn adding_a_no_proxy_entry_never_proxies_a_direct_route(
        vars in env_vars(),
        extra in entry(),
        targets in prop::collection::vec(target(), 1..6),
    ) {
        for &dialect in Dialect::ALL {
            if subtracts(dialect, &extra) {
                continue;
            }
            // Append to the variable the dialect reads, or set both spellings.
            let read = proxyroute::EnvProxies::read(dialect, lookup_in(&vars));
            let mut longer = vars.clone();
            match read.no_proxy_variable() {
                Some(var) => {
                    let (_, value) = longer.iter_mut().find(|(k, _)| k == var).expect("the variable read");
                    if value.trim() == "*" {
                        continue;
                    }
                    *value = format!("{value},{extra}");
                }
                None => {
                    longer.push(("NO_PROXY".into(), extra.clone()));
                    longer.push(("no_proxy".into(), extra.clone()));
                }
            }
            let before = Resolver::from_env_with(dialect, lookup_in(&vars));
            let after = Resolver::from_env_with(dialect, lookup_in(&longer));
            for t in &targets {
                if before.resolve(t).is_direct() {
                    prop_assert!(after.resolve(t).is_direct(), "dialect {} {}: direct with {:?}, {} with {:?}", dialect, t, vars, after.resolve(t), longer);
                }
            }
        }
    }

    /// Reordering the entries never changes whether a host bypasses. Entries
    /// have no blanks inside (curl 8 stops reading at one, so there the order
    /// of such an entry would matter). Chromium reads its list from the last
    /// entry back, so a `<-loopback>` there is order-sensitive by design
    /// (the dialect table has rows for it); its order is still checked
    /// against the linear oracle.
    #[test]
    fn order_does_not_change_membership(
        (entries, shuffled) in prop::collection::vec(entry(), 0..10)
            .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        targets in prop::collection::vec(target(), 1..8),
    ) {
        let (a, b) = (entries.join(","), shuffled.join(","));
        for &dialect in Dialect::ALL {
            let (la, lb) = (BypassList::parse(&a, dialect), BypassList::parse(&b, dialect));
            let (ma, mb) = (la.compile(), lb.compile());
            let ordered = entries.iter().any(|e| subtracts(dialect, e));
            for t in &targets {
                if !ordered {
                    prop_assert_eq!(ma.matches(t), mb.matches(t), "dialect {} {:?} vs {:?} on {}", dialect, a, b, t);
                }
                prop_assert_eq!(la.find_linear(t).is_some(), ma.matches(t));
                prop_assert_eq!(lb.find_linear(t).is_some(), mb.matches(t));
            }
        }
    }
}

// ===== (g) resolve never panics on any target =====

/// Targets from arbitrary text and from parts with arbitrary hosts (`None`
/// where the text is not a target: no rejection, so no case is thrown away).
fn any_target() -> BoxedStrategy<Option<Target>> {
    prop_oneof![
        url_text().prop_map(|s| Target::parse(&s).ok()),
        (
            "[a-z][a-z0-9+.-]{0,8}",
            prop_oneof!["\\PC{0,24}", "[a-z0-9.:%\\[\\]-]{1,24}"],
            any::<Option<u16>>()
        )
            .prop_map(|(s, h, p)| Target::new(&s, &h, p).ok()),
        "(http|https|ws|foo)://[ -~]{0,30}".prop_map(|s| Target::parse(&s).ok()),
        target().prop_map(Some),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn resolve_never_panics(
        vars in env_vars(),
        custom in 0u8..4,
        targets in prop::collection::vec(any_target(), 1..8),
    ) {
        for &dialect in Dialect::ALL {
            let Some(resolver) = resolver(dialect, &vars, custom) else { continue };
            for t in targets.iter().flatten() {
                let _ = resolver.resolve(t).to_string();
                let _ = resolver.explain(t).hints();
                let _ = (t.to_string(), t.host(), t.port(), t.ip(), t.zone(), t.host_in_url());
            }
        }
    }
}

// ===== known bugs: minimal cases, failing until fixed in src/ =====

/// Regression (was a bug): the fast path of `Target::parse` reads blanks after `[v6]` as a port,
/// where the URL parser strips them first (`url::Url::parse("http://[::1]: ")`
/// is `http://[::1]/`).
#[test]
fn regression_fast_path_rejects_whitespace_after_bracketed_host() {
    for text in [
        "http://[::1]: ",
        "http://[::1]:80 ",
        "http://[::1]:80\n",
        "http://[::1]:\t",
    ] {
        let via_url = Target::from_url(&url::Url::parse(text).unwrap()).unwrap();
        let fast = Target::parse(text);
        assert_eq!(fast.as_ref().ok(), Some(&via_url), "{text:?}: {fast:?}");
    }
}

/// Regression (was a bug): the fast path ends the authority at `\\` for every known scheme, but
/// only special schemes (http, https, ws, wss, ftp) do; for `imap` the URL
/// parser reads `[::1]\\x` as the host and rejects it, while the fast path
/// accepts `[::1]`.
#[test]
fn regression_fast_path_backslash_after_bracketed_host_in_non_special_scheme() {
    for text in ["imap://[::1]\\x", "gopher://[::1]\\"] {
        assert!(url::Url::parse(text).is_err(), "{text:?}");
        let fast = Target::parse(text);
        assert!(
            fast.is_err(),
            "{text:?}: url fails but Target::parse gives {fast:?}"
        );
    }
}

/// Regression (was a bug): the fast path accepts a host holding colons when the authority has
/// two or more of them outside brackets (`http://a:b:1/` gives the host `a:b`,
/// port 1); the URL parser rejects it (invalid port number).
#[test]
fn regression_fast_path_accepts_colons_in_host() {
    for text in ["http://a:b:1/", "https://u@e:ccc:0/", "ftp://h::1/"] {
        assert!(url::Url::parse(text).is_err(), "{text:?}");
        let fast = Target::parse(text);
        assert!(
            fast.is_err(),
            "{text:?}: url fails but Target::parse gives {fast:?}"
        );
    }
}

/// Regression (was a bug): the fast path caps ports at five digits, but the URL parser reads any
/// number of leading zeros (`http://h:000080/` is port 80).
#[test]
fn regression_fast_path_rejects_zero_padded_ports() {
    for text in [
        "http://h:000080/",
        "https://[::1]:0000000443/",
        "http://1.2.3.4:000000/",
    ] {
        let via_url = Target::from_url(&url::Url::parse(text).unwrap()).unwrap();
        let fast = Target::parse(text);
        assert_eq!(fast.as_ref().ok(), Some(&via_url), "{text:?}: {fast:?}");
    }
}

/// Regression (was a bug): `BypassList`'s `Display` is documented to parse back to the same rules;
/// under hyper a `*` item (every *name*) shows as `*`, which reads back as the
/// whole-value `*` (every host, IP literals included).
#[test]
fn regression_hyper_star_item_does_not_round_trip() {
    let list = BypassList::parse("*,::.", Dialect::Hyper);
    let back = BypassList::parse(&list.to_string(), Dialect::Hyper);
    let patterns = |l: &BypassList| {
        l.rules()
            .iter()
            .map(|r| r.pattern().clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        patterns(&back),
        patterns(&list),
        "shown as {:?}",
        list.to_string()
    );
}

// ===== Postman path patterns against a backtracking oracle (issue 12) =====

/// postman-collection's reading of a path glob, as a backtracking matcher
/// over the regular expression it builds: `?` one character, the first `*`
/// any run, a later `*` repeats the element before it. `None`: the
/// expression does not compile ("Nothing to repeat").
fn path_oracle(pattern: &str, path: &str) -> Option<bool> {
    #[derive(Clone, Copy, PartialEq)]
    enum El {
        Lit(char),
        Dot,
        DotStar,
        Star(char),
        DotRep,
    }
    let mut els: Vec<El> = Vec::new();
    let mut first = true;
    for c in pattern.chars() {
        match c {
            '*' if first => {
                first = false;
                els.push(El::DotStar);
            }
            '*' => match els.pop() {
                Some(El::Lit(l)) => els.push(El::Star(l)),
                Some(El::Dot) => els.push(El::DotRep),
                _ => return None,
            },
            '?' => els.push(El::Dot),
            c => els.push(El::Lit(c)),
        }
    }
    fn go(els: &[El], path: &[char]) -> bool {
        match els.split_first() {
            None => path.is_empty(),
            Some((El::Lit(l), rest)) => path.first() == Some(l) && go(rest, &path[1..]),
            Some((El::Dot, rest)) => !path.is_empty() && go(rest, &path[1..]),
            Some((El::DotStar | El::DotRep, rest)) => {
                (0..=path.len()).any(|k| go(rest, &path[k..]))
            }
            Some((El::Star(l), rest)) => {
                let mut k = 0;
                loop {
                    if go(rest, &path[k..]) {
                        return true;
                    }
                    if k < path.len() && path[k] == *l {
                        k += 1;
                    } else {
                        return false;
                    }
                }
            }
        }
    }
    let path: Vec<char> = path.chars().collect();
    Some(go(&els, &path))
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn postman_paths_match_the_oracle(
        pattern in "/[ab/*?.]{0,7}",
        path in "/[ab/.]{0,8}",
    ) {
        use proxyroute::bypass::postman;
        let text = format!("http://*{pattern}");
        let list = postman::parse_patterns(&[text.as_str()], proxyroute::Origin::Text);
        let t = Target::parse(&format!("http://h{path}")).unwrap();
        let got = list.compile().matches(&t);
        prop_assert_eq!(got, list.find_linear(&t).is_some());
        // A `/*` pattern is any path (read without a path rule).
        match path_oracle(&pattern, t.path()) {
            Some(want) => prop_assert_eq!(got, want, "{} on {}", pattern, t.path()),
            None => prop_assert!(!got && !list.violations().is_empty(), "{}", pattern),
        }
    }
}
