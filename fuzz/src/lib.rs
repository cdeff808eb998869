//! Checks shared by the fuzz targets. Each one panics (a crash to libFuzzer)
//! when an invariant of the crate breaks; every input must otherwise end in an
//! answer or an error.

use proxyroute::{BypassHit, BypassList, Dialect, Resolver, Target};

/// A bypass hit reduced to what the engine and the oracle must agree on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hit {
    /// An entry of the list, by index.
    Rule(usize),
    /// The dialect's implicit bypass.
    Implicit(String),
    /// A reversed list does not name the host.
    NotListed,
    /// A kind added later.
    Other(String),
}

/// The hit, reduced.
pub fn hit(h: Option<BypassHit<'_>>) -> Option<Hit> {
    Some(match h? {
        BypassHit::Rule(r) => Hit::Rule(r.index()),
        BypassHit::Implicit(why) => Hit::Implicit(why.to_owned()),
        BypassHit::NotListed => Hit::NotListed,
        other => Hit::Other(format!("{other:?}")),
    })
}

/// Compiles `list` (and its reversed form) and asserts that the engine and the
/// linear oracle give the same hit for every target.
pub fn check_engine_equals_oracle(list: &BypassList, targets: &[Target]) {
    for reversed in [false, true] {
        let list = list.clone().reversed(reversed);
        let matcher = list.compile();
        for t in targets {
            let fast = hit(matcher.find(t));
            let slow = hit(list.find_linear(t));
            assert_eq!(
                fast,
                slow,
                "engine != oracle: dialect {}, reversed {reversed}, list {:?}, target {t:?}",
                list.dialect(),
                list.to_string()
            );
        }
    }
}

/// Hosts that the entries of a list name, as targets: the entry itself, a
/// subdomain of it, and with a port, so that rules and hosts meet often.
pub fn targets_from_list(text: &str, limit: usize) -> Vec<Target> {
    let mut out = Vec::new();
    for entry in text.split([',', ';', ' ', '\t', '\n']) {
        if out.len() >= limit {
            break;
        }
        let e = entry.trim().trim_start_matches(['*', '.']);
        let e = e.split('/').next().unwrap_or(e);
        let host = match e.strip_prefix('[') {
            Some(rest) => rest.split(']').next().unwrap_or(rest),
            None => match e.rsplit_once(':') {
                Some((h, p)) if !h.contains(':') && p.bytes().all(|b| b.is_ascii_digit()) => h,
                _ => e,
            },
        };
        if host.is_empty() {
            continue;
        }
        for (scheme, h, port) in [
            ("http", host.to_owned(), None),
            ("https", format!("a.{host}"), Some(8080)),
            ("ws", format!("x{host}"), None),
        ] {
            if let Ok(t) = Target::new(scheme, &h, port) {
                out.push(t);
            }
        }
    }
    out
}

/// Targets that every run also tries.
pub fn fixed_targets() -> Vec<Target> {
    [
        "http://example.com/",
        "https://a.example.com:8443/",
        "http://badexample.com/",
        "http://localhost/",
        "http://127.0.0.1/",
        "http://[::1]/",
        "http://10.1.2.3/",
        "http://[::ffff:10.1.2.3]/",
        "http://[fe80::1%25eth0]/",
        "http://169.254.1.1/",
        "ftp://intranet/",
        "foo://opaque/",
    ]
    .iter()
    .filter_map(|u| Target::parse(u).ok())
    .collect()
}

/// The zone-id exception: `[v6%zone]`, which the URL parser rejects and
/// `Target` accepts by design.
pub fn has_zone(text: &str) -> bool {
    text.find('[').is_some_and(|open| {
        text[open..]
            .split(']')
            .next()
            .is_some_and(|h| h.contains('%'))
    })
}

/// `Target::parse(text)` agrees with `Target::from_url(&url::Url::parse(text))`.
pub fn check_target_text(text: &str) {
    let ours = Target::parse(text);
    let slashes = text
        .find(':')
        .is_some_and(|c| text[c + 1..].starts_with("//"));
    match url::Url::parse(text) {
        Ok(url) if slashes => match (&ours, Target::from_url(&url)) {
            (Ok(a), Ok(b)) => assert_eq!(a, &b, "input {text:?}, url {}", url.as_str()),
            (Err(_), Err(_)) => {}
            (a, b) => panic!(
                "input {text:?}: Target::parse {a:?}, from_url({}) {b:?}",
                url.as_str()
            ),
        },
        Ok(_) => assert!(ours.is_err(), "input {text:?} has no :// but gave {ours:?}"),
        Err(e) => {
            if !has_zone(text) {
                assert!(
                    ours.is_err(),
                    "input {text:?}: url fails ({e}) but Target gives {ours:?}"
                );
            }
        }
    }
    if let Ok(t) = &ours {
        let _ = (t.to_string(), t.host(), t.port(), t.zone());
    }
}

/// `resolve` and `explain` agree on every target; explaining never panics.
pub fn check_resolver(resolver: &Resolver, targets: &[Target]) {
    for t in targets {
        let route = resolver.resolve(t);
        let why = resolver.explain(t);
        assert_eq!(route, why.route(), "target {t:?}, decision {why:?}");
        assert_eq!(route.is_refused(), why.error().is_some());
        if why.rule().is_some() {
            assert!(route.is_direct(), "a rule matched but the route is {route}");
        }
        let _ = (route.to_string(), why.hints(), why.reason().len());
    }
}

/// Every dialect, by a byte.
pub fn dialect(byte: u8) -> Dialect {
    Dialect::ALL[usize::from(byte) % Dialect::ALL.len()]
}

/// Percent-encodes all but RFC 3986 unreserved characters (the form `Proxy`
/// prints user names in).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A password the syntax targets plant in their input: it must never show in
/// a violation, whatever the entry around it.
pub const PLANTED_PASSWORD: &str = "fuzz-planted-pw";

/// One bypass syntax on arbitrary text: parse leniently, compile, compare the
/// engine with the oracle (both directions of the list) on fixed targets, the
/// hosts the entries name and the URLs after the first line; the text form
/// reads back to the same rules when no entry holds a separator; and a
/// password planted in a `user:password@` entry never shows in a violation.
pub fn check_syntax(data: &[u8], syntax: proxyroute::BypassSyntax) {
    use proxyroute::Origin;
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (list_text, rest) = text.split_once('\n').unwrap_or((text, ""));
    let mut targets = fixed_targets();
    targets.extend(rest.lines().filter_map(|l| Target::parse(l).ok()));
    targets.extend(targets_from_list(list_text, 24));
    let list = BypassList::parse_syntax(list_text, syntax, Dialect::Curl, Origin::Text);
    check_engine_equals_oracle(&list, &targets);

    // Round trip, where entries cannot be re-split differently.
    let plain = list.rules().iter().all(|r| {
        !r.text()
            .contains(|c: char| c == ',' || c == ';' || c == '\n' || c == '\r' || c.is_whitespace())
    });
    if plain && list.violations().is_empty() {
        let shown = list.to_string();
        let back = BypassList::parse_syntax(&shown, syntax, Dialect::Curl, Origin::Text);
        let parts = |l: &BypassList| -> Vec<String> {
            l.rules()
                .iter()
                .map(|r| {
                    format!(
                        "{:?} {:?} {:?} {}",
                        r.pattern(),
                        r.port(),
                        r.scheme(),
                        r.text()
                    )
                })
                .collect()
        };
        assert_eq!(
            parts(&back),
            parts(&list),
            "{syntax}: {list_text:?} shown as {shown:?} reads back differently"
        );
    }

    // Secrets: plant a password in an entry with user info.
    if !text.contains(PLANTED_PASSWORD) {
        let planted = format!("{list_text},http://u:{PLANTED_PASSWORD}@{list_text}");
        let list = BypassList::parse_syntax(&planted, syntax, Dialect::Curl, Origin::Text);
        for v in list.violations() {
            let shown = format!("{v} {v:?}");
            assert!(
                !shown.contains(PLANTED_PASSWORD),
                "{syntax}: password in violation {shown}"
            );
        }
    }
}
