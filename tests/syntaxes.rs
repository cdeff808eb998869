//! Every bypass syntax (issue 3), row by row from each tool's documented
//! behaviour: Chromium's bypass rules, Windows' `ProxyOverride`, macOS's
//! exceptions, GNOME's `ignore-hosts`, KDE's `NoProxyFor` and Postman's URL
//! match patterns; then the manual proxy rules (`ProxyServer`), resolvers
//! built from them, the CLI, and generated properties.
//!
//! Every row is checked through the compiled matcher and through
//! `find_linear`, which must agree. Sources: Chromium `net/docs/proxy.md` and
//! `proxy_bypass_rules.cc`; GLib `gsimpleproxyresolver.c` (its
//! `ignore-hosts` documentation); KIO `kprotocolmanager.cpp`; CPython
//! `_proxy_bypass_macosx_sysconf`; postman-collection `UrlMatchPattern`
//! (`lib/url-pattern/url-match-pattern.js`). The hosts are our own.

use std::process::Command;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::Config;
use proxyroute::bypass::{gnome, kde, macos, postman};
use proxyroute::{
    BypassHit, BypassList, BypassSyntax, Dialect, ErrorKind, Origin, ProxyRules, ProxyScheme,
    Resolver, Target, ViolationKind,
};

// ===== rows =====

/// What a row expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// Some entry matches: direct.
    D,
    /// This entry (its index as written) matches: direct.
    E(usize),
    /// Nothing matches: the proxy.
    P,
    /// The syntax's implicit bypass: direct.
    I,
    /// A reversed list that does not name the host: direct.
    N,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Got {
    Rule(usize),
    Implicit,
    NotListed,
    Proxy,
}

fn got(hit: Option<BypassHit<'_>>) -> Got {
    match hit {
        Some(BypassHit::Rule(r)) => Got::Rule(r.index()),
        Some(BypassHit::Implicit(_)) => Got::Implicit,
        Some(BypassHit::NotListed) => Got::NotListed,
        Some(other) => panic!("unexpected hit {other:?}"),
        None => Got::Proxy,
    }
}

fn fits(want: Want, got: Got) -> bool {
    match (want, got) {
        (Want::D, Got::Rule(_)) => true,
        (Want::E(i), Got::Rule(j)) => i == j,
        (Want::P, Got::Proxy) | (Want::I, Got::Implicit) | (Want::N, Got::NotListed) => true,
        _ => false,
    }
}

type Row = (&'static str, &'static str, &'static str, Want);

fn check_rows(syntax: BypassSyntax, reversed: bool, rows: &[Row]) {
    let mut failures = Vec::new();
    for &(name, list, url, want) in rows {
        let l =
            BypassList::parse_syntax(list, syntax, Dialect::Curl, Origin::Text).reversed(reversed);
        assert_eq!(l.syntax(), syntax, "{name}");
        let t: Target = url
            .parse()
            .unwrap_or_else(|e| panic!("{syntax} row {name:?}: {url}: {e}"));
        let engine = got(l.compile().find(&t));
        let oracle = got(l.find_linear(&t));
        assert_eq!(
            engine, oracle,
            "{syntax} row {name:?}: engine and oracle disagree on {list:?} / {url}"
        );
        if !fits(want, engine) {
            failures.push(format!(
                "{syntax} row {name:?}: list {list:?}, {url}: want {want:?}, got {engine:?} \
                 (violations: {:?})",
                l.violations()
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

use Want::{D, E, I, N, P};

#[rustfmt::skip]
const CHROMIUM: &[Row] = &[
    ("host: any case, scheme and port", "WwW.Example.ORG", "ftp://www.example.org:2121/", D),
    ("host: not a subdomain", "www.example.org", "http://a.www.example.org/", P),
    ("host: not the parent", "www.example.org", "http://example.org/", P),
    ("host: not a longer name", "www.example.org", "http://www.example.org.evil.net/", P),
    ("leading dot: subdomains", ".Example.org", "https://a.b.example.org/", D),
    ("leading dot: not the apex", ".example.org", "http://example.org/", P),
    ("leading dot and port", ".example.org:8080", "http://a.example.org:8080/", D),
    ("leading dot and other port", ".example.org:8080", "http://a.example.org:8081/", P),
    ("*.x:443 takes https's default port", "*.example.net:443", "https://www.example.net/", D),
    ("*.x:443 and http's default port", "*.example.net:443", "http://www.example.net/", P),
    ("*.x:443 and an explicit 443", "*.example.net:443", "http://www.example.net:443/", D),
    ("* alone: every host", "*", "ftp://anything.example:99/", D),
    ("* alone: IP literals too", "*", "http://192.0.2.7/", D),
    ("*suffix: text suffix", "*example.com", "http://badexample.com/", D),
    ("*suffix: the name itself", "*example.com", "http://example.com/", D),
    ("glob inside, scheme and port", "https://x.*.y.example:99", "https://x.a.b.y.example:99/", D),
    ("glob inside: other scheme", "https://x.*.y.example:99", "http://x.a.y.example:99/", P),
    ("glob inside: default port", "https://x.*.y.example:99", "https://x.a.y.example/", P),
    ("scheme only", "http://intra.example", "http://intra.example:81/", D),
    ("scheme only: other scheme", "http://intra.example", "https://intra.example/", P),
    ("scheme and text suffix", "http://*build.example", "http://ci.build.example/", D),
    ("IPv4 literal", "192.0.2.1", "https://192.0.2.1:8443/", D),
    ("IPv4 literal: other address", "192.0.2.1", "http://192.0.2.10/", P),
    ("IPv4 literal and port", "192.0.2.1:33", "http://192.0.2.1:33/", D),
    ("IPv4 literal and port: default port", "192.0.2.1:33", "http://192.0.2.1/", P),
    ("IPv4 entry in a short spelling", "192.0.513", "http://192.0.2.1/", D),
    ("IPv4 target in hex", "10.0.0.1", "http://0xa.0.0.1/", D),
    ("IPv6 literal, canonicalised", "[2001:db8:0:0::1]", "http://[2001:db8::1]:8080/", D),
    ("IPv6 literal and port: no port", "[2001:db8::1]:33", "http://[2001:db8::1]/", P),
    ("IPv6 literal and port", "[2001:db8::1]:33", "http://[2001:db8::1]:33/", D),
    ("IPv4 literal is text: not its mapped form", "192.0.2.1", "http://[::ffff:192.0.2.1]/", P),
    ("CIDR", "192.168.1.1/16", "ftp://192.168.200.3/", D),
    ("CIDR: outside", "192.168.1.1/16", "http://192.169.0.1/", P),
    ("CIDR: mapped IPv6 target", "192.168.0.0/16", "http://[::ffff:192.168.11.11]/", D),
    ("CIDR IPv6", "2001:db8:a::/48", "http://[2001:DB8:A:9::1]/", D),
    ("CIDR: never a name", "10.0.0.0/8", "http://ten.example/", P),
    ("CIDR with a scheme: other scheme", "https://10.0.0.0/8", "http://10.1.1.1/", P),
    ("CIDR with a scheme", "https://10.0.0.0/8", "https://10.1.1.1/", D),
    ("CIDR: 10/8 is 0.0.0.10/8 as a URL host", "10/8", "http://10.1.2.3/", P),
    ("CIDR: 10/8 covers 0.x", "10/8", "http://0.1.2.3/", D),
    ("<local>: a dotless name", "<local>", "http://printer/", D),
    ("<local>: not a dotted name", "<local>", "http://printer.lan/", P),
    ("<local>: not an IPv6 literal", "<local>", "http://[2001:db8::5]/", P),
    ("<LoCaL>: any case", "<LoCaL>", "http://nas/", D),
    ("implicit: localhost", "", "http://localhost:3000/", I),
    ("implicit: *.localhost", "", "http://app.localhost/", I),
    ("implicit: 127/8", "", "http://127.9.9.9/", I),
    ("implicit: ::1", "", "http://[::1]/", I),
    ("implicit: mapped loopback", "", "http://[::ffff:127.0.0.1]/", I),
    ("implicit: 169.254/16", "", "http://169.254.10.10/", I),
    ("implicit: fe80::/10", "", "http://[fe91::1]/", I),
    ("not implicit: the name loopback", "", "http://loopback/", P),
    ("not implicit: 170.254", "", "http://170.254.0.1/", P),
    ("<-loopback>: localhost proxied", "<-loopback>", "http://localhost/", P),
    ("<-loopback>: link-local proxied", "<-loopback>", "http://169.254.1.1/", P),
    ("later entry wins: localhost after <-loopback>", "<-loopback>;localhost", "http://localhost/", E(1)),
    ("later entry wins: <-loopback> after localhost", "localhost;<-loopback>", "http://localhost/", P),
    ("<-loopback> leaves other entries", "www.example.com;<-loopback>", "http://www.example.com/", E(0)),
    ("commas and semicolons", ".a.example , .b.example;c.example", "http://x.b.example/", E(1)),
    ("the later of two matches is named", "*.example.com,www.example.com", "http://www.example.com/", E(1)),
    ("a blank inside an entry", "a.example b.example", "http://a.example/", P),
    ("a bad port drops the entry", "*.example.com:+443", "https://www.example.com/", P),
    ("IPv6 without brackets", "2001:db8::1", "http://[2001:db8::1]/", P),
    ("bracketed IPv6 range is dropped", "[2001:db8::]/32", "http://[2001:db8::1]/", P),
    ("scheme-scoped *", "https://*", "https://a.example/", D),
    ("scheme-scoped *: other scheme", "https://*", "http://a.example/", P),
    ("? in a glob", "w?w.example", "http://wxw.example/", D),
    ("non-ASCII entry never matches", "bücher.example", "http://xn--bcher-kva.example/", P),
    ("glob over IPv4 text", "10.*", "http://10.20.30.40/", D),
    ("glob over IPv4 text: not 110.", "10.*", "http://110.0.0.1/", P),
];

#[rustfmt::skip]
const WINDOWS: &[Row] = &[
    ("semicolons", "*.corp.example;intranet", "http://wiki.corp.example/", E(0)),
    ("*.x: not the apex", "*.corp.example", "http://corp.example/", P),
    ("a name is exact: no subdomains", "corp.example", "http://www.corp.example/", P),
    ("a name is exact", "corp.example", "https://corp.example/", D),
    ("10.*", "10.*", "http://10.0.0.5/", D),
    ("10.*: not 110.", "10.*", "http://110.0.0.5/", P),
    ("192.168.*", "192.168.*", "http://192.168.1.20:8080/", D),
    ("192.168.*: not 192.169", "192.168.*", "http://192.169.1.20/", P),
    ("wildcard octet inside", "192.168.*.1", "http://192.168.7.1/", D),
    ("wildcard octet inside: miss", "192.168.*.1", "http://192.168.7.2/", P),
    ("<local>: dotless", "<local>", "http://fileserver/", D),
    ("<local>: dotted", "<local>", "http://fileserver.corp/", P),
    ("<local>: a number is an IPv4 address", "<local>", "http://1234/", P),
    ("<LOCAL>", "<LOCAL>", "http://nas/", D),
    ("commas", "a.example,b.example", "http://b.example/", E(1)),
    ("blanks", "a.example b.example", "http://b.example/", E(1)),
    ("tabs and line breaks", "a.example\r\n\tb.example", "http://b.example/", D),
    ("empty entries", ";;a.example;;", "http://a.example/", E(2)),
    ("scheme prefix", "https://secure.example", "https://secure.example/", D),
    ("scheme prefix: other scheme", "https://secure.example", "http://secure.example/", P),
    ("port", "build.example:8080", "http://build.example:8080/", D),
    ("port: default port", "build.example:8080", "http://build.example/", P),
    ("bracketed IPv6", "[2001:db8::2]", "http://[2001:db8::2]/", D),
    ("bracketed IPv6 and port", "[2001:db8::2]:8443", "https://[2001:db8::2]:8443/", D),
    ("implicit: localhost", "", "http://localhost/", I),
    ("implicit: loopback", "", "http://loopback/", I),
    ("implicit: 127.0.0.1", "", "http://127.0.0.1:8080/", I),
    ("implicit: [::1]", "", "http://[::1]:8080/", I),
    ("implicit: 169.254/16", "", "http://169.254.169.254/", I),
    ("implicit: fe80::/10", "", "http://[fe80::1]/", I),
    ("not implicit: another address", "", "http://192.0.2.1/", P),
    ("<-loopback>: localhost", "<-loopback>", "http://localhost/", P),
    ("<-loopback>: loopback", "<-loopback>", "http://loopback/", P),
    ("<-loopback>: 127.0.0.1", "<-loopback>", "http://127.0.0.1/", P),
    ("<-loopback> then 127.0.0.1", "<-loopback>;127.0.0.1", "http://127.0.0.1/", E(1)),
    ("127.0.0.1 then <-loopback>", "127.0.0.1;<-loopback>", "http://127.0.0.1/", P),
    ("<-LoopBack>", "<-LoopBack>", "http://localhost/", P),
    ("upper-case entries", "*.CORP.Example", "http://X.corp.example/", D),
    ("no suffix matching", "example.com", "http://notexample.com/", P),
    ("glob at the end", "intra*", "http://intranet.example/", D),
    ("glob at both ends", "*mail*", "https://webmail.corp/", D),
    ("* alone", "*", "http://example.com/", D),
    ("a CIDR range, read as Chromium does", "10.0.0.0/8", "http://10.1.1.1/", D),
    ("IPv4 address", "192.0.2.55", "http://192.0.2.55/", D),
    ("IPv4 address, hex target", "192.0.2.55", "http://0xc0.0.2.55/", D),
];

#[rustfmt::skip]
const MACOS: &[Row] = &[
    ("*.local", "*.local", "http://printer.local/", D),
    ("*.local: not local itself", "*.local", "http://local/", P),
    ("exact name", "www.example.com", "http://www.example.com/", D),
    ("no implied suffix", "example.com", "http://www.example.com/", P),
    ("glob inside", "*.corp.*.example", "http://a.corp.eu.example/", D),
    ("10.10 is /16", "10.10", "http://10.10.3.4/", D),
    ("10.10: outside", "10.10", "http://10.11.0.1/", P),
    ("10/8", "10/8", "http://10.200.0.1/", D),
    ("172.16/12", "172.16/12", "http://172.20.0.1/", D),
    ("172.16/12: outside", "172.16/12", "http://172.32.0.1/", P),
    ("full CIDR", "192.168.1.0/24", "http://192.168.1.77/", D),
    ("CIDR with host bits", "192.168.1.9/24", "http://192.168.1.200/", D),
    ("one address", "192.0.2.3", "http://192.0.2.3/", D),
    ("one address: another", "192.0.2.3", "http://192.0.2.4/", P),
    ("ranges never match names", "10/8", "http://ten.example/", P),
    ("a prefix past 32 is ignored", "10/33", "http://10.0.0.1/", P),
    ("IPv6 range", "2001:db8::/32", "http://[2001:db8:1::1]/", D),
    ("glob over IPv4 text", "192.168.*", "http://192.168.5.5/", D),
    ("<local>", "<local>", "http://nas/", D),
    ("comma and line break", "a.example\nb.example", "http://b.example/", E(1)),
    ("? is one character", "host?.example", "http://host1.example/", D),
    ("implicit: localhost", "", "http://localhost/", I),
    ("implicit: 127/8", "", "http://127.1.2.3/", I),
    ("implicit: ::1", "", "http://[::1]/", I),
    ("implicit: 169.254/16", "", "http://169.254.3.3/", I),
    ("not implicit: *.localhost", "", "http://app.localhost/", P),
    ("implicit: fe80::/10 (issue 19: link-local of both families)", "", "http://[fe80::1]/", I),
    ("not implicit: fec0::", "", "http://[fec0::1]/", P),
];

#[rustfmt::skip]
const GNOME: &[Row] = &[
    ("a name: itself", "example.com", "http://example.com/", D),
    ("a name: its subdomains", "example.com", "http://a.b.example.com/", D),
    ("a name: on a label boundary", "example.com", "http://badexample.com/", P),
    (".name: the apex", ".example.com", "http://example.com/", D),
    ("*.name: the apex", "*.example.com", "http://example.com/", D),
    ("*.name: a subdomain", "*.example.com", "http://www.example.com/", D),
    ("IPv4 address", "192.168.1.1", "http://192.168.1.1/", D),
    ("IPv4 address: another", "192.168.1.1", "http://192.168.1.2/", P),
    ("IPv4 range", "192.168.0.0/24", "http://192.168.0.99/", D),
    ("IPv6 range", "fe80::/10", "http://[fe80::abcd]/", D),
    ("IPv6 address", "::1", "http://[::1]/", D),
    ("the default list (GVariant)", "['localhost', '127.0.0.0/8', '::1']", "http://127.0.0.53/", E(1)),
    ("no implicit bypass", "", "http://localhost/", P),
    ("name:port", "build.example:8080", "http://build.example:8080/", D),
    ("name:port: other port", "build.example:8080", "http://build.example:8081/", P),
    ("name:port: only a written port", "build.example:8080", "http://build.example/", P),
    ("IPv4:port", "10.0.0.1:8080", "http://10.0.0.1:8080/", D),
    ("[IPv6]:port", "[2001:db8::1]:8443", "https://[2001:db8::1]:8443/", D),
    ("[IPv6]:port: other port", "[2001:db8::1]:8443", "https://[2001:db8::1]/", P),
    ("name entries never see IP literals", "0.0.1", "http://127.0.0.1/", P),
    ("address entries never see names", "10.0.0.0/8", "http://ten.example/", P),
    ("case-insensitive", "EXAMPLE.com", "http://www.example.com/", D),
    ("* never matches", "*", "http://a.example/", P),
    ("no wildcards inside", "*.corp.*", "http://a.corp.x/", P),
    ("a range with host bits is rejected", "192.168.1.1/24", "http://192.168.1.1/", P),
    ("@as []", "@as []", "http://x.example/", P),
    ("GVariant: a leading blank", "[' example.com']", "http://example.com/", P),
    ("GVariant: a trailing blank", "['example.com  ']", "http://example.com/", D),
    ("GVariant: an empty entry ends the names", "['', 'example.com', '10.0.0.0/8']", "http://example.com/", P),
    ("GVariant: addresses after it still match", "['', 'example.com', '10.0.0.0/8']", "http://10.1.1.1/", E(2)),
    ("GVariant: double quotes", "[\"example.org\"]", "http://www.example.org/", D),
    ("plain list: empty entries are separators", "a.example,,example.com", "http://example.com/", E(2)),
    ("port 0: any port", "build.example:0", "http://build.example:9/", D),
    ("[IPv6] without a port", "[2001:db8::9]", "http://[2001:db8::9]/", P),
];

#[rustfmt::skip]
const KDE: &[Row] = &[
    ("suffix: a subdomain", "kde.org", "https://bugs.kde.org/", D),
    ("suffix: itself", "kde.org", "https://kde.org/", D),
    ("suffix: text, not labels", "kde.org", "https://mykde.org/", D),
    ("suffix: not a prefix", "kde.org", "https://kde.org.evil.net/", P),
    (".name: subdomains", ".corp.example.com", "http://git.corp.example.com/", D),
    (".name: not the apex", ".corp.example.com", "http://corp.example.com/", P),
    ("a URL: its host", "http://bugs.kde.org", "https://bugs.kde.org/", D),
    ("a URL: not a suffix", "http://bugs.kde.org", "https://mybugs.kde.org/", P),
    ("host:port", "kde.org:8080", "http://www.kde.org:8080/", D),
    ("host:port: no port written", "kde.org:8080", "http://www.kde.org/", P),
    ("subnet", "192.168.0.0/16", "http://192.168.3.3/", D),
    ("subnet with a netmask", "10.0.0.0/255.0.0.0", "http://10.9.9.9/", D),
    ("subnet with a netmask: outside", "10.0.0.0/255.0.0.0", "http://11.0.0.1/", P),
    ("an address", "127.0.0.1", "http://127.0.0.1/", D),
    ("IPv6 subnet", "2001:db8::/32", "http://[2001:db8::1]/", D),
    ("subnets never match names (no DNS)", "10.0.0.0/8", "http://ten.example/", P),
    ("no implicit bypass", "", "http://localhost/", P),
    ("<local>", "<local>", "http://intranet/", D),
    ("case-insensitive", "KDE.ORG", "http://www.kde.org/", D),
    ("blank-separated", "a.example b.example", "http://x.b.example/", E(1)),
    ("no wildcards", "*.kde.org", "http://www.kde.org/", P),
    ("name entries see IP text", "0.0.1", "http://10.0.0.1/", D),
    ("the sample list", "localhost,127.0.0.1,.corp.example.com,10.0.0.0/8", "http://localhost/", E(0)),
];

#[rustfmt::skip]
const POSTMAN: &[Row] = &[
    ("<all_urls>: any URL", "<all_urls>", "ftp://x.example/", D),
    ("<all_urls>: IPv6", "<all_urls>", "http://[2001:db8::1]/", D),
    ("the default match", "http+https://*:*/*", "https://x.example:8443/", D),
    ("the default match: not ws", "http+https://*:*/*", "ws://x.example/", P),
    ("no port: the default port", "http://*/*", "http://x.example:80/", D),
    ("no port: not another", "http://*/*", "http://x.example:3000/", P),
    ("no port: https's default", "https://*/*", "https://x.example/", D),
    ("no port: https, another", "https://*/*", "https://x.example:8443/", P),
    ("port 80 and no port", "http://*:80/*", "http://x.example/", D),
    ("port 8080", "http://*:8080/*", "http://x.example:8080/", D),
    ("port 8080 and no port", "http://*:8080/*", "http://x.example/", P),
    (":* any port", "http://localhost:*/*", "http://localhost:3000/", D),
    ("exact host", "http://localhost/*", "http://localhost/", D),
    ("exact host: not a subdomain", "http://example.com/*", "http://api.example.com/", P),
    ("*.x: the apex", "https://*.example.com/*", "https://example.com/", D),
    ("*.x: deep", "https://*.example.com/*", "https://a.b.example.com/", D),
    ("*.x: not xfoo", "https://*.foo.com/*", "https://xfoo.com/", P),
    ("*.0.0.1: text over IPs", "http://*.0.0.1/*", "http://127.0.0.1/", D),
    ("scheme list", "http+https://api.example/*", "https://api.example/", D),
    ("one scheme", "https://api.example/*", "http://api.example/", P),
    ("* scheme: ftp's default port", "*://files.example/*", "ftp://files.example/", D),
    ("* scheme: ftp, another port", "*://files.example/*", "ftp://files.example:2121/", P),
    ("*+http", "*+http://a.example/*", "http://a.example/", D),
    ("http+* is invalid", "http+*://a.example/*", "http://a.example/", P),
    ("upper-case scheme is invalid", "HTTP://a.example/*", "http://a.example/", P),
    ("unknown scheme in the list", "http+foo+ftp://*/*", "http://a.example/", P),
    ("missing path", "http://www.example.com", "http://www.example.com/", P),
    ("empty host", "http:///", "http://a.example/", P),
    ("* then text in the host", "http://*foo/bar", "http://xfoo/", P),
    ("* inside the host", "http://foo.*.bar/*", "http://foo.x.bar/", P),
    ("a single slash", "http:/bar", "http://bar/", P),
    ("port not a number", "http://*:123abc/*", "http://a.example/", P),
    ("empty scheme", "://*/*", "http://a.example/", P),
    ("a bare host never matches", "localhost", "http://localhost/", P),
    ("a bare *.host never matches", "*.corp.example", "http://a.corp.example/", P),
    // Paths (issue 12 item 9; postman-collection 5.3.1, run): the whole
    // path is matched, query aside.
    ("a path pattern does not match another path", "*://*/no-proxy", "http://a.example/", P),
    ("a path pattern matches its path", "*://*/no-proxy", "http://a.example/no-proxy?x", D),
    ("path / matches the root", "http://localhost/", "http://localhost/", D),
    ("path / does not match a longer path", "http://localhost/", "http://localhost/a", P),
    ("IPv4 host", "http://10.0.0.1/*", "http://10.0.0.1/", D),
    ("IPv4 host in a short spelling", "http://10.1/*", "http://10.0.0.1/", D),
    ("IPv6 hosts cannot be written", "http://[::1]/*", "http://[::1]/", P),
    ("* host: an IPv6 target", "http://*/*", "http://[2001:db8::1]/", D),
    ("user info is ignored", "http://h.example/*", "http://u:p@h.example/", D),
    ("a repeated scheme", "http+http://d.example/*", "http://d.example/", D),
    ("file only", "file://*/*", "http://a.example/", P),
    ("a port no URL has", "http://*:99999/*", "http://a.example/", P),
    ("an upper-case host (noted)", "http://API.example/*", "http://api.example/", D),
    ("two patterns, the second", "https://a.example/*,http://b.example/*", "http://b.example/", E(1)),
    ("query and fragment", "http://q.example/*", "http://q.example/?x#y", D),
];

#[test]
fn chromium_rows() {
    assert!(CHROMIUM.len() >= 40);
    check_rows(BypassSyntax::Chromium, false, CHROMIUM);
}

#[test]
fn windows_rows() {
    assert!(WINDOWS.len() >= 40);
    check_rows(BypassSyntax::Windows, false, WINDOWS);
}

#[test]
fn postman_rows() {
    assert!(POSTMAN.len() >= 40);
    check_rows(BypassSyntax::Postman, false, POSTMAN);
}

#[test]
fn macos_rows() {
    assert!(MACOS.len() >= 20);
    check_rows(BypassSyntax::Macos, false, MACOS);
}

#[test]
fn gnome_rows() {
    assert!(GNOME.len() >= 20);
    check_rows(BypassSyntax::Gnome, false, GNOME);
}

#[test]
fn kde_rows() {
    assert!(KDE.len() >= 20);
    check_rows(BypassSyntax::Kde, false, KDE);
}

/// Reversed lists (KDE's `ReversedException`, Chromium's reverse bypass)
/// name the hosts that use the proxy; implicit hosts still go direct.
#[test]
fn reversed_rows() {
    #[rustfmt::skip]
    let kde: &[Row] = &[
        ("listed: proxied", "git.example.org", "https://git.example.org/", P),
        ("listed by suffix: proxied", "example.org", "https://www.example.org/", P),
        ("not listed: direct", "git.example.org", "https://example.com/", N),
        ("empty list: all direct", "", "https://example.com/", N),
    ];
    check_rows(BypassSyntax::Kde, true, kde);
    #[rustfmt::skip]
    let chromium: &[Row] = &[
        ("listed: proxied", "*.corp.example", "https://a.corp.example/", P),
        ("not listed: direct", "*.corp.example", "https://example.com/", N),
        ("implicit and not listed: direct", "*.corp.example", "http://localhost/", I),
        ("implicit and listed: proxied", "localhost", "http://localhost/", P),
        ("<-loopback> in a reversed list: direct", "<-loopback>", "http://127.0.0.1/", N),
    ];
    check_rows(BypassSyntax::Chromium, true, chromium);
    #[rustfmt::skip]
    let windows: &[Row] = &[
        ("listed: proxied", "10.*", "http://10.0.0.1/", P),
        ("implicit: direct", "10.*", "http://loopback/", I),
    ];
    check_rows(BypassSyntax::Windows, true, windows);
    // kde::parse takes the flag itself.
    let list = kde::parse("git.example.org", true, Origin::Text);
    assert!(list.is_reversed());
    assert!(!list
        .compile()
        .matches(&"https://git.example.org/".parse().unwrap()));
}

#[test]
fn macos_exceptions_array_and_exclude_simple_hostnames() {
    let t = |u: &str| u.parse::<Target>().unwrap();
    let on = macos::parse_exceptions(&["*.local", "10.10"], true, Origin::Text);
    let off = macos::parse_exceptions(&["*.local", "10.10"], false, Origin::Text);
    for (list, want) in [(&on, true), (&off, false)] {
        let m = list.compile();
        assert_eq!(m.matches(&t("http://nas/")), want);
        assert_eq!(list.find_linear(&t("http://nas/")).is_some(), want);
        assert!(m.matches(&t("http://tv.local/")));
        assert!(!m.matches(&t("http://nas.example/")));
    }
    // The flag's rule is named after the entries.
    match on.compile().find(&t("http://nas/")) {
        Some(BypassHit::Rule(r)) => assert_eq!((r.index(), r.text()), (2, "<local>")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn gnome_and_postman_arrays() {
    let t = |u: &str| u.parse::<Target>().unwrap();
    let g = gnome::parse_ignore_hosts(&["localhost", " example.com", "10.0.0.0/8"], Origin::Text);
    assert!(g.compile().matches(&t("http://localhost/")));
    assert!(!g.compile().matches(&t("http://example.com/")));
    assert_eq!(g.violations()[0].index(), Some(1));
    let p = postman::parse_patterns(&["http://localhost/*", " http://x/*"], Origin::Text);
    assert!(p.compile().matches(&t("http://localhost/")));
    // Postman does not trim: the blank makes the scheme invalid.
    assert!(!p.compile().matches(&t("http://x/")));
    assert_eq!(p.violations()[0].index(), Some(1));
}

// ===== violations =====

/// (syntax, name, list, index, text the violation must contain)
type ViolationRow = (
    BypassSyntax,
    &'static str,
    &'static str,
    Option<usize>,
    &'static str,
);

#[rustfmt::skip]
const VIOLATIONS: &[ViolationRow] = &[
    (BypassSyntax::Chromium, "empty scheme", "a.example,://x", Some(1), "empty scheme"),
    (BypassSyntax::Chromium, "nothing after the scheme", "http://", Some(0), "no host"),
    (BypassSyntax::Chromium, "negative port", "*.foo.example:-34", Some(0), "invalid port"),
    (BypassSyntax::Chromium, "bracketed IPv6 range", "[a:b:c:d::]/48", Some(0), "IPv6 without brackets"),
    (BypassSyntax::Chromium, "non-ASCII", "bücher.example", Some(0), "punycode"),
    (BypassSyntax::Chromium, "abbreviated CIDR", "10/8", Some(0), "0.0.0.10"),
    (BypassSyntax::Chromium, "a blank inside", "a.example b.example", Some(0), "blanks"),
    (BypassSyntax::Chromium, "CIDR prefix too long", "10.0.0.0/33", Some(0), "CIDR"),
    (BypassSyntax::Chromium, "? is noted", "a?.example", Some(0), "exactly one"),
    (BypassSyntax::Windows, "CIDR is Chromium's, not WinINet's", "10.0.0.0/8", Some(0), "WinINet"),
    (BypassSyntax::Windows, "unbracketed IPv6", "fe80::1", Some(0), "write [addr]"),
    (BypassSyntax::Macos, "prefix past 32", "a.example,10/33", Some(1), "CIDR"),
    (BypassSyntax::Macos, "character class", "[ab].example", Some(0), "character classes"),
    (BypassSyntax::Macos, "a port", "host.example:80", Some(0), "no ports"),
    (BypassSyntax::Gnome, "*", "*", Some(0), "never matches"),
    (BypassSyntax::Gnome, "host bits set", "192.168.1.1/24", Some(0), "bits are set"),
    (BypassSyntax::Gnome, "empty GVariant entry", "['', 'a.example']", Some(0), "stops reading"),
    (BypassSyntax::Gnome, "name after the empty entry", "['', 'a.example']", Some(1), "earlier empty"),
    (BypassSyntax::Gnome, "non-ASCII", "bücher.example", Some(0), "punycode"),
    (BypassSyntax::Gnome, "not GVariant after all", "['a'", None, "invalid bypass entry"),
    (BypassSyntax::Kde, "subnets and DNS", "10.0.0.0/8", Some(0), "DNS"),
    (BypassSyntax::Kde, "wildcards", "*.kde.org", Some(0), "no wildcards"),
    (BypassSyntax::Kde, "a netmask with holes", "10.0.0.0/255.0.255.0", Some(0), "CIDR"),
    (BypassSyntax::Postman, "a bare host", "localhost", Some(0), "not a URL match pattern"),
    (BypassSyntax::Postman, "a path Postman throws on", "*://*/a**", Some(0), "Nothing to repeat"),
    (BypassSyntax::Postman, "upper-case scheme", "HTTP://x/*", Some(0), "case-sensitive"),
    (BypassSyntax::Postman, "file only", "file://*/*", Some(0), "file URLs"),
    (BypassSyntax::Postman, "upper-case host", "http://API.example/*", Some(0), "case-sensitively"),
    (BypassSyntax::Postman, "leading zeros in the port", "http://x:080/*", Some(0), "leading zeros"),
];

#[test]
fn violations_name_the_entry_and_the_reason() {
    let mut failures = Vec::new();
    for &(syntax, name, list, index, fragment) in VIOLATIONS {
        let l = BypassList::parse_syntax(list, syntax, Dialect::Curl, Origin::setting("--bypass"));
        let found = l
            .violations()
            .iter()
            .any(|v| v.index() == index && v.to_string().contains(fragment));
        if !found {
            failures.push(format!(
                "{syntax} {name:?}: no violation at {index:?} containing {fragment:?} in {:?}",
                l.violations()
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            ));
        }
        for v in l.violations() {
            assert!(v.to_string().starts_with("--bypass"), "{v}");
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn clean_lists_have_no_violations() {
    let rows = [
        (
            BypassSyntax::Chromium,
            "*.corp.example:443, http://build, 10.0.0.0/8, <local>, <-loopback>, [::1]:8080",
        ),
        (
            BypassSyntax::Windows,
            "<local>;*.corp.example;10.*;192.168.*;<-loopback>",
        ),
        (
            BypassSyntax::Macos,
            "*.local, 169.254/16, 10.10, 2001:db8::/32, <local>",
        ),
        (
            BypassSyntax::Gnome,
            "['localhost', '127.0.0.0/8', '::1', '*.corp.example.com', 'h:8080']",
        ),
        (
            BypassSyntax::Kde,
            "localhost,.corp.example.com,kde.org,http://bugs.kde.org,h:8080,<local>",
        ),
        (
            BypassSyntax::Postman,
            "<all_urls>, http+https://*.corp:*/*, http://localhost/*, *://10.0.0.1:8080/*",
        ),
    ];
    for (syntax, list) in rows {
        let l = BypassList::parse_syntax(list, syntax, Dialect::Curl, Origin::Text);
        assert!(l.violations().is_empty(), "{syntax}: {:?}", l.violations());
        assert!(!l.rules().is_empty());
    }
}

#[test]
fn nothing_panics_on_junk() {
    let junk = [
        "",
        ",",
        ";;",
        "[",
        "]",
        "[::1",
        "::",
        ":",
        ":80",
        "*:",
        "*.",
        ".",
        "..",
        "<local",
        "<>",
        "http://",
        "://",
        "a://b://c",
        "/",
        "/8",
        "1.2.3.4/",
        "1.2.3.4/x",
        "@as",
        "@as [",
        "['",
        "['\\u12']",
        "['\\q']",
        "[''",
        "\u{0}",
        "é",
        "*.*.*",
        "?",
        "a:b:c:d",
        "[::1]:",
        "[::1]x",
        "10.0.0.0/255.0.0",
        "http://a:99999/*",
        "http+",
        "+http://a/*",
        "<all_urls>x",
        "%",
        "10.300",
        "999/8",
    ];
    let t: Target = "http://a.example/".parse().unwrap();
    for &syntax in BypassSyntax::ALL {
        for text in junk {
            let l = BypassList::parse_syntax(text, syntax, Dialect::Curl, Origin::Text);
            let _ = l.compile().find(&t);
            let _ = l.find_linear(&t);
            let _ = l.to_string();
        }
    }
}

// ===== through a resolver =====

#[test]
fn resolvers_explain_which_entry_matched() {
    type ExplainRow = (
        BypassSyntax,
        &'static str,
        &'static str,
        Option<(usize, &'static str)>,
    );
    #[rustfmt::skip]
    let rows: &[ExplainRow] = &[
        (BypassSyntax::Chromium, "a.example;*.corp.example", "https://x.corp.example/", Some((1, "*.corp.example"))),
        (BypassSyntax::Windows, "a.example;10.*", "http://10.2.3.4/", Some((1, "10.*"))),
        (BypassSyntax::Macos, "a.example,10.10", "http://10.10.0.9/", Some((1, "10.10"))),
        (BypassSyntax::Gnome, "['a.example', '.corp.example']", "https://corp.example/", Some((1, ".corp.example"))),
        (BypassSyntax::Kde, "a.example,kde.org", "https://bugs.kde.org/", Some((1, "kde.org"))),
        (BypassSyntax::Postman, "http://a.example/*,https://*.corp/*", "https://x.corp/", Some((1, "https://*.corp/*"))),
        (BypassSyntax::Postman, "http://a.example/*", "https://a.example/", None),
    ];
    for &(syntax, list, url, want) in rows {
        let list = BypassList::parse_syntax(list, syntax, Dialect::Curl, Origin::Text);
        let resolver = Resolver::builder()
            .proxy("http://proxy.corp:3128")
            .bypass_list(list)
            .build()
            .unwrap();
        let target: Target = url.parse().unwrap();
        let route = resolver.resolve(&target);
        let why = resolver.explain(&target);
        assert_eq!(route.is_direct(), want.is_some(), "{syntax} {url}");
        assert_eq!(why.route().is_direct(), route.is_direct(), "{syntax} {url}");
        match want {
            Some((index, text)) => {
                let rule = why
                    .rule()
                    .unwrap_or_else(|| panic!("{syntax} {url}: no rule"));
                assert_eq!(
                    (rule.index(), rule.text()),
                    (Some(index), text),
                    "{syntax} {url}"
                );
                assert_eq!(why.source(), "custom:bypass");
            }
            None => assert_eq!(route.to_string(), "http://proxy.corp:3128"),
        }
    }
}

#[test]
fn a_reversed_list_in_a_resolver() {
    let list = BypassList::parse_syntax(
        "git.example.org",
        BypassSyntax::Kde,
        Dialect::Curl,
        Origin::Text,
    )
    .reversed(true);
    let resolver = Resolver::builder()
        .proxy("http://proxy:8080")
        .bypass_list(list)
        .build()
        .unwrap();
    let via = resolver.resolve(&"https://git.example.org/".parse().unwrap());
    assert_eq!(via.to_string(), "http://proxy:8080");
    let why = resolver.explain(&"https://example.com/".parse().unwrap());
    assert!(why.route().is_direct());
    assert!(why.reason().contains("reversed"), "{}", why.reason());
}

// ===== manual proxy rules =====

#[test]
fn proxy_rules_rows() {
    // (name, rules, request scheme, expected proxy or None)
    #[rustfmt::skip]
    let rows: &[(&str, &str, &str, Option<&str>)] = &[
        ("single: http", "proxy.corp:8080", "http", Some("http://proxy.corp:8080")),
        ("single: https too", "proxy.corp:8080", "https", Some("http://proxy.corp:8080")),
        ("single: every scheme", "proxy.corp:8080", "gopher", Some("http://proxy.corp:8080")),
        ("single without a port", "proxy.corp", "http", Some("http://proxy.corp:80")),
        ("single with a SOCKS5 prefix", "socks5://s.corp:1080", "ftp", Some("socks5://s.corp:1080")),
        ("single https:// is TLS to the proxy", "https://tls.corp", "http", Some("https://tls.corp:443")),
        ("per scheme: http", "http=h.corp:3128;https=s.corp:3129", "http", Some("http://h.corp:3128")),
        ("per scheme: https= is a plain HTTP proxy", "http=h.corp:3128;https=s.corp:3129", "https", Some("http://s.corp:3129")),
        ("https= without a port: 80", "https=s.corp", "https", Some("http://s.corp:80")),
        ("per scheme: no ftp entry, no socks", "http=h:1;https=s:2", "ftp", None),
        ("ftp=", "ftp=f.corp:21", "ftp", Some("http://f.corp:21")),
        ("socks= is SOCKS4", "socks=s.corp:1080", "ftp", Some("socks4://s.corp:1080")),
        ("socks= without a port: 1080", "socks=s.corp", "gopher", Some("socks4://s.corp:1080")),
        ("socks= with socks5://", "socks=socks5://s.corp", "http", Some("socks5://s.corp:1080")),
        ("socks= with socks://", "socks=socks://s.corp:9050", "http", Some("socks5://s.corp:9050")),
        ("socks= is the fallback for http", "https=s:2;socks=k:1080", "http", Some("socks4://k:1080")),
        ("but not over http=", "http=h:1;socks=k:1080", "http", Some("http://h:1")),
        ("socks= for other schemes", "http=h:1;socks=k:1080", "wss", Some("socks4://k:1080")),
        ("ws: https= without socks=", "http=h:1;https=s:2", "ws", Some("http://s:2")),
        ("ws: http= without either", "http=h:1", "wss", Some("http://h:1")),
        ("keys in any case", "HTTP=h:1;Https=s:2", "https", Some("http://s:2")),
        ("blanks around =", "http = h:1 ; https = s:2", "https", Some("http://s:2")),
        ("blank-separated entries", "http=h:1 https=s:2", "https", Some("http://s:2")),
        ("IPv6 proxy", "http=[2001:db8::1]:3128", "http", Some("http://[2001:db8::1]:3128")),
        ("a comma list: the first", "http=a:1,b:2", "http", Some("http://a:1")),
        ("mixed: entries without = are ignored", "http=a:1;b:2", "http", Some("http://a:1")),
        ("mixed: single first wins", "a:1;http=b:2", "http", Some("http://a:1")),
        ("unknown key ignored", "gopher=g:70;http=h:1", "gopher", None),
    ];
    for &(name, text, scheme, want) in rows {
        let rules = ProxyRules::parse_lenient(text, Origin::Text);
        let got = rules.proxy_for(scheme).map(ToString::to_string);
        assert_eq!(got.as_deref(), want, "{name}: {text:?} for {scheme}");
    }
}

#[test]
fn proxy_rules_https_is_never_tls_to_the_proxy() {
    // reqwest#1080, bpo-42627: https= names the traffic, not the proxy's protocol.
    let rules: ProxyRules = "https=proxy.corp:8443".parse().unwrap();
    assert_eq!(rules.get("https").unwrap().scheme(), ProxyScheme::Http);
    assert_eq!(rules.get("HTTPS").unwrap().port(), 8443);
    assert!(rules.is_per_scheme());
}

#[test]
fn bad_proxy_rules_are_reported() {
    // (name, rules, index, kind)
    #[rustfmt::skip]
    let rows: &[(&str, &str, Option<usize>, ErrorKind)] = &[
        ("empty", "", None, ErrorKind::Empty),
        ("blank", "  ;  ", None, ErrorKind::Empty),
        ("empty value", "http=", Some(0), ErrorKind::Empty),
        ("bad port", "http=h:99999", Some(0), ErrorKind::InvalidPort),
        ("unsupported proxy scheme", "ftp://h:21", Some(0), ErrorKind::UnsupportedScheme("ftp".into())),
        ("unknown key", "gopher=g:70", Some(0), ErrorKind::Violation(Box::new(ViolationKind::Ignored("only the keys http=, https=, ftp= and socks= are read")))),
    ];
    for (name, text, index, kind) in rows {
        let err = ProxyRules::parse(text).unwrap_err();
        assert_eq!((err.index(), err.kind()), (*index, kind), "{name}: {err}");
        let lenient = ProxyRules::parse_lenient(text, Origin::setting("--proxy-rules"));
        assert_eq!(lenient.violations()[0].index(), *index, "{name}");
        assert!(lenient.violations()[0]
            .to_string()
            .starts_with("--proxy-rules"));
    }
    // Ignored entries: strict parsing refuses them, lenient reading keeps the rest.
    for (text, index, fragment) in [
        ("http=a:1;b:2", 1, "without key="),
        ("a:1;b:2", 1, "single-proxy form"),
        ("http=a:1,b:2", 0, "a list of proxies"),
        ("http=a:1;http=b:2", 1, "repeated key"),
    ] {
        assert!(ProxyRules::parse(text).is_err(), "{text}");
        let lenient = ProxyRules::parse_lenient(text, Origin::Text);
        let v = &lenient.violations()[0];
        assert_eq!(v.index(), Some(index), "{text}");
        assert!(matches!(v.kind(), ViolationKind::Ignored(_)), "{text}");
        assert!(v.to_string().contains(fragment), "{text}: {v}");
        assert!(!lenient.is_empty());
    }
    // Passwords never show.
    let err = ProxyRules::parse("http=u:hunter2@h:99999").unwrap_err();
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

#[test]
fn proxy_rules_display_is_canonical() {
    let rows = [
        ("Proxy.Corp:8080", "proxy.corp:8080"),
        ("socks5://s:1080", "socks5://s:1080"),
        (
            "SOCKS=s;https = h:3128 ;HTTP=h",
            "http=h:80;https=h:3128;socks=s:1080",
        ),
        ("socks=socks5://s", "socks=socks5://s:1080"),
        ("https=https://tls:443", "https=https://tls:443"),
    ];
    for (text, shown) in rows {
        let rules: ProxyRules = text.parse().unwrap();
        assert_eq!(rules.to_string(), shown, "{text}");
        assert_eq!(shown.parse::<ProxyRules>().unwrap(), rules, "{text}");
    }
}

#[test]
fn proxy_rules_in_a_resolver() {
    let resolver = Resolver::builder()
        .proxy_rules("http=h.corp:3128;https=s.corp:3129;socks=k.corp:1080")
        .bypass_list(BypassList::parse_syntax(
            "<local>;*.corp",
            BypassSyntax::Windows,
            Dialect::Curl,
            Origin::Text,
        ))
        .build()
        .unwrap();
    let rows = [
        (
            "http://example.com/",
            "http://h.corp:3128",
            "custom:proxy-rules http=",
        ),
        (
            "https://example.com/",
            "http://s.corp:3129",
            "custom:proxy-rules https=",
        ),
        (
            "ftp://example.com/",
            "socks4://k.corp:1080",
            "custom:proxy-rules socks=",
        ),
        (
            "ws://example.com/",
            "socks4://k.corp:1080",
            "custom:proxy-rules socks=",
        ),
        ("https://git.corp/", "DIRECT", "custom:bypass"),
        ("http://intranet/", "DIRECT", "custom:bypass"),
        // The list is in Windows syntax, so Windows' implicit rules speak.
        ("http://127.0.0.1/", "DIRECT", "implicit:windows"),
    ];
    for (url, route, source) in rows {
        let t: Target = url.parse().unwrap();
        assert_eq!(resolver.resolve(&t).to_string(), route, "{url}");
        assert_eq!(resolver.explain(&t).source(), source, "{url}");
    }
    let why = resolver.explain(&"http://127.0.0.1/".parse().unwrap());
    assert!(
        why.reason()
            .starts_with("Windows never proxies localhost, loopback or link-local hosts")
            && why.reason().contains("custom:bypass (windows syntax)"),
        "{}",
        why.reason()
    );
    let why = resolver.explain(&"https://git.corp/".parse().unwrap());
    assert!(
        why.reason().contains(
            "entry 1 \"*.corp\" of custom:bypass (windows syntax), so Windows connects directly"
        ),
        "{}",
        why.reason()
    );
    // Without socks=, other schemes fall through to the next layer (DIRECT here).
    let resolver = Resolver::builder().proxy_rules("http=h:1").build().unwrap();
    assert!(resolver
        .resolve(&"gopher://example.com/".parse().unwrap())
        .is_direct());
    assert_eq!(
        resolver
            .resolve(&"ws://example.com/".parse().unwrap())
            .to_string(),
        "http://h:1"
    );
    // A later explicit proxy overrides the rules for its scheme; the rest stay.
    let resolver = Resolver::builder()
        .proxy_rules("http=h:1;https=s:2")
        .https_proxy("http://other:3")
        .build()
        .unwrap();
    let https = resolver.explain(&"https://example.com/".parse().unwrap());
    assert_eq!(
        (https.route().to_string(), https.source()),
        ("http://other:3".to_owned(), "custom:https_proxy")
    );
    // Strict text: the error names the setting; lenient rules keep their violations.
    let err = Resolver::builder()
        .proxy_rules("http=h:1;b:2")
        .build()
        .unwrap_err();
    assert!(err.to_string().starts_with("proxy_rules entry 1"), "{err}");
    let lenient = ProxyRules::parse_lenient("http=h:1;b:2", Origin::setting("--proxy-rules"));
    let resolver = Resolver::builder().proxy_rules(lenient).build().unwrap();
    assert_eq!(resolver.violations().len(), 1);
}

// ===== the CLI =====

#[path = "support/cli.rs"]
mod cli_support;
use cli_support::resolve_bin;

fn cli(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(resolve_bin())
        .env_clear()
        .args(args)
        .output()
        .expect("run the example");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn cli_reads_every_syntax() {
    #[rustfmt::skip]
    let rows: &[(&str, &str, &str, &str)] = &[
        ("chromium", "*.corp.example:443;<-loopback>", "https://a.corp.example/", "DIRECT"),
        ("chromium", "*.corp.example:443;<-loopback>", "http://localhost/", "http://p:1"),
        ("windows", "<local>;10.*", "http://nas/", "DIRECT"),
        ("windows", "<local>;10.*", "http://127.0.0.1/", "DIRECT"),
        ("macos", "*.local,10.10", "http://10.10.9.9/", "DIRECT"),
        ("gnome", "['localhost', '.corp.example']", "https://corp.example/", "DIRECT"),
        ("kde", "kde.org", "https://mykde.org/", "DIRECT"),
        ("postman", "http+https://*.corp:*/*", "https://git.corp:8443/", "DIRECT"),
        ("postman", "http+https://*.corp:*/*", "ws://git.corp/", "http://p:1"),
        ("no-proxy", ".corp.example", "https://corp.example/", "DIRECT"),
    ];
    for &(syntax, list, url, route) in rows {
        let (status, out, err) = cli(&[
            "--json",
            "--no-env",
            "--proxy",
            "http://p:1",
            "--bypass-syntax",
            syntax,
            "--bypass",
            list,
            url,
        ]);
        assert_eq!(status, 0, "{syntax} {list}: {err}");
        assert!(
            out.contains(&format!(r#""route": ["{route}"]"#)),
            "{syntax} {list} {url}: {out}"
        );
        assert!(out.starts_with(r#"{"url": "#), "{out}");
    }
}

#[test]
fn cli_proxy_rules_and_reverse_bypass() {
    let (status, out, err) = cli(&[
        "--json",
        "--no-env",
        "--proxy-rules",
        "http=h:3128;https=s:3129;socks=k:1080",
        "https://example.com/",
        "ftp://example.com/",
    ]);
    assert_eq!(status, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].contains(r#""route": ["http://s:3129"], "source": "custom:proxy-rules https=""#),
        "{out}"
    );
    assert!(
        lines[1].contains(r#""route": ["socks4://k:1080"]"#),
        "{out}"
    );

    let (status, out, err) = cli(&[
        "--json",
        "--no-env",
        "--proxy",
        "http://p:1",
        "--bypass-syntax",
        "kde",
        "--reverse-bypass",
        "--bypass",
        "git.example.org",
        "https://git.example.org/",
        "https://example.com/",
    ]);
    assert_eq!(status, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].contains(r#""route": ["http://p:1"]"#), "{out}");
    assert!(lines[1].contains(r#""route": ["DIRECT"]"#), "{out}");
    assert!(lines[1].contains(r#""text": "(not listed)""#), "{out}");

    // Bad entries exit 2 under --strict, naming the entry; notes are kept and shown.
    let (status, _, err) = cli(&[
        "--strict",
        "--no-env",
        "--proxy",
        "http://p:1",
        "--bypass-syntax",
        "postman",
        "--bypass",
        "http://a/*,localhost",
        "http://a/",
    ]);
    assert_eq!(status, 2);
    assert!(err.contains(r#"--bypass entry 1 "localhost""#), "{err}");
    let (status, out, err) = cli(&[
        "--no-env",
        "--proxy",
        "http://p:1",
        "--bypass-syntax",
        "kde",
        "--bypass",
        "10.0.0.0/8",
        "http://10.1.1.1/",
    ]);
    assert_eq!(status, 0, "{err}");
    assert!(out.contains("note: --bypass entry 0"), "{out}");
}

// ===== generated properties =====

fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Few labels, so that entries and hosts meet often.
const LABELS: &[&str] = &[
    "a",
    "corp",
    "example",
    "example",
    "com",
    "localhost",
    "10",
    "0",
    "b-c",
];
const PORTS: &[&str] = &["80", "443", "8080", "1", "0", "65536", "x", ""];

fn name() -> BoxedStrategy<String> {
    prop::collection::vec(select(LABELS), 1..3)
        .prop_map(|v| v.join("."))
        .boxed()
}

fn ipv4() -> BoxedStrategy<String> {
    prop::array::uniform4(select(&[0u8, 1, 10, 127, 169, 192, 168, 254][..]))
        .prop_map(|o| format!("{}.{}.{}.{}", o[0], o[1], o[2], o[3]))
        .boxed()
}

fn ipv6() -> BoxedStrategy<String> {
    select(
        &[
            "::1",
            "2001:db8::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "2001:db8::",
        ][..],
    )
    .prop_map(String::from)
    .boxed()
}

/// Host parts every syntax may meet: names, globs, addresses, ranges.
fn host_part() -> BoxedStrategy<String> {
    prop_oneof![
        4 => name(),
        1 => name().prop_map(|n| format!(".{n}")),
        2 => name().prop_map(|n| format!("*.{n}")),
        1 => name().prop_map(|n| format!("*{n}")),
        1 => name().prop_map(|n| format!("{n}*")),
        1 => Just("*".to_owned()),
        2 => ipv4(),
        1 => ipv4().prop_map(|a| a.rsplit_once('.').unwrap().0.to_owned() + ".*"),
        1 => (ipv4(), 0u8..=34).prop_map(|(a, n)| format!("{a}/{n}")),
        1 => ipv6(),
        1 => ipv6().prop_map(|a| format!("[{a}]")),
        1 => (ipv6(), 0u8..=130).prop_map(|(a, n)| format!("{a}/{n}")),
        1 => select(&["<local>", "<-loopback>", "10.10", "10/8", "172.16/12", "w?w.a", ""][..]).prop_map(String::from),
    ]
    .boxed()
}

fn with_port(host: BoxedStrategy<String>) -> BoxedStrategy<String> {
    (host, prop::option::weighted(0.3, select(PORTS)))
        .prop_map(|(h, p)| match p {
            Some(p) => format!("{h}:{p}"),
            None => h,
        })
        .boxed()
}

/// One entry in `syntax`'s own shape.
fn entry(syntax: BypassSyntax) -> BoxedStrategy<String> {
    match syntax {
        BypassSyntax::Chromium | BypassSyntax::Windows => {
            let scheme = prop::option::weighted(0.2, select(&["http", "https", "ws", "HTTP", ""][..]));
            (scheme, with_port(host_part()))
                .prop_map(|(s, h)| match s {
                    Some(s) => format!("{s}://{h}"),
                    None => h,
                })
                .boxed()
        }
        BypassSyntax::Kde => prop_oneof![
            4 => with_port(host_part()),
            1 => name().prop_map(|n| format!("http://{n}")),
            1 => (ipv4(), select(&["255.0.0.0", "255.255.0.0", "255.0.255.0"][..])).prop_map(|(a, m)| format!("{a}/{m}")),
        ]
        .boxed(),
        BypassSyntax::Postman => {
            let schemes = select(&["http", "https", "http+https", "*", "ftp", "file", "*+http", "HTTP", "http+*"][..]);
            let host = prop_oneof![
                3 => name(),
                2 => name().prop_map(|n| format!("*.{n}")),
                1 => Just("*".to_owned()),
                1 => ipv4(),
                1 => Just("A.Example".to_owned()),
            ];
            let port = prop::option::weighted(0.4, select(&["*", "80", "443", "8080", "080", "99999"][..]));
            let path = select(&["/*", "/*", "/", "/x*", ""][..]);
            prop_oneof![
                10 => (schemes, host, port, path).prop_map(|(s, h, p, path)| match p {
                    Some(p) => format!("{s}://{h}:{p}{path}"),
                    None => format!("{s}://{h}{path}"),
                }),
                1 => Just("<all_urls>".to_owned()),
                1 => name(),
            ]
            .boxed()
        }
        _ => with_port(host_part()),
    }
}

fn list_text(syntax: BypassSyntax) -> BoxedStrategy<String> {
    let sep = match syntax {
        BypassSyntax::Windows => ";",
        BypassSyntax::Chromium => ";",
        _ => ",",
    };
    prop::collection::vec(entry(syntax), 0..8)
        .prop_map(move |v| v.join(sep))
        .boxed()
}

fn target() -> BoxedStrategy<Target> {
    let host = prop_oneof![
        4 => name(),
        2 => ipv4(),
        1 => ipv6().prop_map(|a| format!("[{a}]")),
        1 => select(&["localhost", "loopback", "app.localhost", "nas", "[fe80::1%25eth0]"][..]).prop_map(String::from),
    ];
    let scheme = select(&["http", "https", "ws", "ftp", "gopher"][..]);
    let port = prop::option::weighted(0.4, select(&[80u16, 443, 8080, 1, 21][..]));
    (scheme, host, port)
        .prop_filter_map("not a target", |(s, h, p)| {
            let url = match p {
                Some(p) => format!("{s}://{h}:{p}/"),
                None => format!("{s}://{h}/"),
            };
            url.parse::<Target>().ok()
        })
        .boxed()
}

fn parts(l: &BypassList) -> Vec<(proxyroute::Pattern, Option<u16>, Option<String>, String)> {
    l.rules()
        .iter()
        .map(|r| {
            (
                r.pattern().clone(),
                r.port(),
                r.scheme().map(str::to_owned),
                r.text().to_owned(),
            )
        })
        .collect()
}

fn syntax_properties(syntax: BypassSyntax) -> impl Strategy<Value = (String, Vec<Target>, bool)> {
    (
        list_text(syntax),
        prop::collection::vec(target(), 1..8),
        any::<bool>(),
    )
}

fn check_syntax(
    syntax: BypassSyntax,
    text: &str,
    targets: &[Target],
    reversed: bool,
) -> Result<(), TestCaseError> {
    let list =
        BypassList::parse_syntax(text, syntax, Dialect::Curl, Origin::Text).reversed(reversed);
    let matcher = list.compile();
    for t in targets {
        prop_assert_eq!(
            got(matcher.find(t)),
            got(list.find_linear(t)),
            "{} list {:?} target {}",
            syntax,
            text,
            t
        );
    }
    // Round trip: the list's text form reads back to the same rules.
    let shown = list.to_string();
    let back = BypassList::parse_syntax(&shown, syntax, Dialect::Curl, Origin::Text);
    prop_assert_eq!(
        parts(&back),
        parts(&list),
        "{} {:?} shown as {:?}",
        syntax,
        text,
        shown
    );
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn chromium_engine_equals_oracle((text, targets, reversed) in syntax_properties(BypassSyntax::Chromium)) {
        check_syntax(BypassSyntax::Chromium, &text, &targets, reversed)?;
    }

    #[test]
    fn windows_engine_equals_oracle((text, targets, reversed) in syntax_properties(BypassSyntax::Windows)) {
        check_syntax(BypassSyntax::Windows, &text, &targets, reversed)?;
    }

    #[test]
    fn macos_engine_equals_oracle((text, targets, reversed) in syntax_properties(BypassSyntax::Macos)) {
        check_syntax(BypassSyntax::Macos, &text, &targets, reversed)?;
    }

    #[test]
    fn gnome_engine_equals_oracle((text, targets, reversed) in syntax_properties(BypassSyntax::Gnome)) {
        check_syntax(BypassSyntax::Gnome, &text, &targets, reversed)?;
    }

    #[test]
    fn kde_engine_equals_oracle((text, targets, reversed) in syntax_properties(BypassSyntax::Kde)) {
        check_syntax(BypassSyntax::Kde, &text, &targets, reversed)?;
    }

    #[test]
    fn postman_engine_equals_oracle((text, targets, reversed) in syntax_properties(BypassSyntax::Postman)) {
        check_syntax(BypassSyntax::Postman, &text, &targets, reversed)?;
    }

    /// Chromium's order rule: a later entry overrides an earlier one, so a
    /// list ending in `<-loopback>` proxies every implicit host it lists
    /// earlier, and one ending in a host's own entry bypasses it.
    #[test]
    fn chromium_later_entries_win(entries in prop::collection::vec(entry(BypassSyntax::Chromium), 0..6)) {
        let t: Target = "http://localhost/".parse().unwrap();
        let mut last_subtract = entries.clone();
        last_subtract.push("<-loopback>".into());
        let l = BypassList::parse_syntax(&last_subtract.join(";"), BypassSyntax::Chromium, Dialect::Curl, Origin::Text);
        prop_assert!(!l.compile().matches(&t), "{:?}", last_subtract);
        let mut last_host = entries;
        last_host.push("<-loopback>".into());
        last_host.push("localhost".into());
        let l = BypassList::parse_syntax(&last_host.join(";"), BypassSyntax::Chromium, Dialect::Curl, Origin::Text);
        prop_assert!(l.compile().matches(&t), "{:?}", last_host);
    }

    /// Proxy rules in canonical form read back to the same rules.
    #[test]
    fn proxy_rules_round_trip(
        keys in prop::sample::subsequence(vec!["http", "https", "ftp", "socks"], 0..=4),
        hosts in prop::collection::vec(prop_oneof![name(), ipv4(), ipv6().prop_map(|a| format!("[{a}]"))], 4),
        ports in prop::collection::vec(prop::option::of(1u16..=65535), 4),
        schemes in prop::collection::vec(prop::option::weighted(0.3, select(&["http", "https", "socks4", "socks5", "socks4a", "socks5h"][..])), 4),
        single in any::<bool>(),
    ) {
        let value = |i: usize| {
            let mut v = String::new();
            if let Some(s) = schemes[i] {
                v.push_str(s);
                v.push_str("://");
            }
            v.push_str(&hosts[i]);
            if let Some(p) = ports[i] {
                v.push_str(&format!(":{p}"));
            }
            v
        };
        let text = if single || keys.is_empty() {
            value(0)
        } else {
            keys.iter().enumerate().map(|(i, k)| format!("{k}={}", value(i))).collect::<Vec<_>>().join(";")
        };
        let rules = match ProxyRules::parse(&text) {
            Ok(rules) => rules,
            Err(_) => return Ok(()), // a host the URL parser refuses
        };
        let shown = rules.to_string();
        prop_assert_eq!(shown.parse::<ProxyRules>().unwrap(), rules.clone(), "{:?} shown as {:?}", text, shown);
        if !single && !keys.is_empty() {
            for (i, k) in keys.iter().enumerate() {
                let p = rules.get(k).unwrap();
                let want = match (schemes[i], *k) {
                    (Some(s), _) => s.parse::<ProxyScheme>().unwrap(),
                    (None, "socks") => ProxyScheme::Socks4,
                    (None, _) => ProxyScheme::Http,
                };
                prop_assert_eq!(p.scheme(), want, "{:?}", text);
            }
        }
    }
}

#[test]
fn gnome_at_as_is_an_array_only_before_brackets() {
    // Found by the bypass_gnome fuzz target: a text list whose one entry was
    // `@as` printed as `@as`, which then read back as a malformed array.
    for (text, rules) in [
        ("@as []", 0),
        ("@as", 1),
        ("@as, a.test", 2),
        ("@as ['a.test']", 1),
        // A text entry that starts like an array prints with a leading comma.
        (",@as['el", 1),
    ] {
        let list = gnome::parse(text, Origin::Text);
        assert_eq!(list.rules().len(), rules, "{text}: {:?}", list.violations());
        let back = gnome::parse(&list.to_string(), Origin::Text);
        assert_eq!(
            back.rules().len(),
            list.rules().len(),
            "{text} shown as {list}"
        );
    }
}

// ===== .NET's reading of WinINet settings (issue 12, item 8) =====
//
// .NET cannot run here; each row follows dotnet/runtime's source:
// `SocketsHttpHandler/MultiProxy.cs` (`TryParseProxyConfigPart`) for the
// `ProxyServer` string and `SocketsHttpHandler/HttpWindowsProxy.cs` (its
// constructor and `GetMultiProxy`) for `ProxyOverride`.

#[test]
fn dotnet_proxy_server_rows() {
    use proxyroute::{Origin, ProxyRules};
    // (name, ProxyServer, request scheme, proxy or "none")
    let rows: &[(&str, &str, &str, &str)] = &[
        ("one value serves http", "p:3128", "http", "http://p:3128"),
        ("one value serves https", "p:3128", "https", "http://p:3128"),
        ("one value serves ws", "p:3128", "ws", "http://p:3128"),
        (
            "ws uses the http= proxy",
            "http=a:1;https=b:2",
            "ws",
            "http://a:1",
        ),
        (
            "wss uses the https= proxy",
            "http=a:1;https=b:2",
            "wss",
            "http://b:2",
        ),
        (
            "ftp uses the http= proxy",
            "http=a:1;https=b:2",
            "ftp",
            "http://a:1",
        ),
        (
            "https= alone leaves http direct",
            "https=b:2",
            "http",
            "none",
        ),
        (
            "an https:// value serves https only",
            "https://s:443",
            "http",
            "none",
        ),
        (
            "an https:// value is an HTTP proxy",
            "https://s:443",
            "https",
            "http://s:443",
        ),
        (
            "an http:// value serves http only",
            "http://h",
            "https",
            "none",
        ),
        (
            "the value's prefix overrides the key",
            "http=https://s:1",
            "https",
            "http://s:1",
        ),
        (
            "blanks separate entries",
            "http=a:1 https=b:2",
            "https",
            "http://b:2",
        ),
        (
            "the first entry of a kind wins",
            "http=a:1;http=c:3",
            "http",
            "http://a:1",
        ),
        ("socks= makes no proxy", "socks=s:1080", "http", "none"),
        ("keys are case-sensitive", "HTTP=a:1", "http", "none"),
        ("port 80 by default", "http=a", "http", "http://a:80"),
    ];
    for (name, text, scheme, want) in rows {
        let rules = ProxyRules::parse_dotnet(text, Origin::Text);
        let got = rules
            .proxy_for(scheme)
            .map_or("none".to_owned(), |p| p.to_string());
        assert_eq!(
            &got, want,
            "dotnet ProxyServer: {name}: {text:?} for {scheme}"
        );
    }
}

#[test]
fn dotnet_proxy_override_rows() {
    use proxyroute::{bypass::windows, Origin, Target};
    // (name, ProxyOverride, URL, bypassed)
    let rows: &[(&str, &str, &str, bool)] = &[
        (
            "a star anywhere",
            "*.corp.example",
            "https://a.corp.example/",
            true,
        ),
        (
            "no implied domain match",
            "*.corp.example",
            "https://corp.example/",
            false,
        ),
        (
            "a star in the middle",
            "web*.example",
            "http://web42.example/",
            true,
        ),
        ("a star at the end", "10.*", "http://10.9.8.7/", true),
        (
            "a star inside IPv6 brackets",
            "[fe80::*]",
            "http://[fe80::1]/",
            true,
        ),
        (
            "IPv6 brackets and port dropped",
            "[::1]:8080",
            "http://[::1]/",
            true,
        ),
        (
            "a plain name is exact",
            "intranet.example",
            "http://a.intranet.example/",
            false,
        ),
        (
            "case does not matter",
            "Intranet.EXAMPLE",
            "http://intranet.example/",
            true,
        ),
        (
            "a scheme prefix is dropped",
            "https://h.example",
            "http://h.example/",
            true,
        ),
        (
            "a port stays text",
            "h.example:8080",
            "http://h.example:8080/",
            false,
        ),
        (
            "? is no wildcard",
            "h?.example",
            "http://h1.example/",
            false,
        ),
        (
            "<local>: names without a dot",
            "<local>",
            "http://intranet/",
            true,
        ),
        ("<local>: loopback", "<local>", "http://127.0.0.1/", true),
        (
            "<local>: not a dotted name",
            "<local>",
            "http://a.example/",
            false,
        ),
        ("no implicit localhost", "other", "http://localhost/", false),
        (
            "blank ends an entry",
            "a.example b.example",
            "http://b.example/",
            false,
        ),
        (
            "blank ends an entry, the first kept",
            "a.example b.example",
            "http://a.example/",
            true,
        ),
    ];
    for (name, text, url, want) in rows {
        let list = windows::parse_dotnet(text, Origin::Text);
        let t: Target = url.parse().unwrap();
        let compiled = list.compile().matches(&t);
        let linear = list.find_linear(&t).is_some();
        assert_eq!(
            (compiled, linear),
            (*want, *want),
            "dotnet ProxyOverride: {name}: {text:?} for {url}"
        );
    }
}

// ===== Postman match patterns with paths (issue 12, item 9) =====

/// Each row was run through postman-collection 5.3.1's
/// `new UrlMatchPattern(pattern).test(url)` (npm, Node 20) and the answer is
/// copied here; `a**` made it throw ("Nothing to repeat").
#[test]
fn postman_path_rows() {
    use proxyroute::{bypass::postman, Origin, Target};
    let rows: &[(&str, &str, bool)] = &[
        ("http://*/x*y*z", "http://h/xz", true),
        ("http://*/x*y*z", "http://h/xABCyyz", true),
        ("http://*/x*y*z", "http://h/xAzB", false),
        ("http://*/*/*", "http://h/abc", true),
        ("http://*/a?c", "http://h/abc", true),
        ("http://*/a.c", "http://h/abc", false),
        ("http://*/a**", "http://h/abc", false),
        ("http://*/foo*", "http://h/foo?x=1", true),
        ("http://*/foo*", "http://h/FOO", false),
        ("http://*/", "http://h", true),
        ("http://*/", "http://h/", true),
        ("http://*/foo", "http://h/foo#x", true),
        (
            "https://*.example.com/a*b",
            "https://x.example.com/a/zzz/b",
            true,
        ),
        ("https://*.example.com/a*b", "https://example.com/ab", true),
        ("http://*/a+b", "http://h/a+b", true),
        ("http://*/a+b", "http://h/aab", false),
        ("http://*/a%20b", "http://h/a b", false),
        ("http://*/a b", "http://h/a b", true),
        ("http://*/*", "http://h/a\\b", true),
        ("http://*/x/*", "http://h\\x\\y", true),
        ("http://*/a?*", "http://h/a", false),
        ("http://*/(a)", "http://h/(a)", true),
        ("http://*/[a]", "http://h/[a]", true),
        ("http://*/a*", "http://h/a?q", true),
        ("http://*/?", "http://h/", false),
        ("http://*/?*", "http://h/", false),
    ];
    for (pattern, url, want) in rows {
        let list = postman::parse_patterns(&[pattern], Origin::Text);
        let t = Target::parse(url).unwrap();
        let compiled = list.compile().matches(&t);
        let linear = list.find_linear(&t).is_some();
        assert_eq!(
            (compiled, linear),
            (*want, *want),
            "postman path: {pattern:?} on {url:?} (path {:?})",
            t.path()
        );
    }
    let throws = postman::parse_patterns(&["http://*/a**"], Origin::Text);
    assert_eq!(
        throws.violations().len(),
        1,
        "a pattern Postman throws on is reported"
    );
}

/// A long path pattern on a long path is matched in time linear in the path
/// (postman-collection has a ReDoS test of its own).
#[test]
fn postman_path_patterns_do_not_backtrack() {
    use proxyroute::{bypass::postman, Origin, Target};
    let pattern = format!("http://*/{}c", "a*".repeat(200));
    let list = postman::parse_patterns(&[pattern.as_str()], Origin::Text).compile();
    let url = format!("http://h/{}b", "a".repeat(20_000));
    let started = std::time::Instant::now();
    assert!(!list.matches(&Target::parse(&url).unwrap()));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}
