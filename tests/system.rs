//! System proxy settings (issue 6): GNOME's `org.gnome.system.proxy`, KDE's
//! `kioslaverc` and SUSE's `/etc/sysconfig/proxy`, row by row from each
//! store's documented behaviour (the sources are named in docs/system.md), then
//! the layer's place beside the environment, the CLI's fixture options, and
//! the real stores: `gsettings` with a private keyfile backend and real files
//! in a temporary XDG tree.

#[path = "support/cli.rs"]
mod cli;

use std::process::Command;

use proxyroute::env::lookup_in;
use proxyroute::system::{
    gnome, kde, macos, sysconfig, windows, AutoFallback, SystemMode, SystemProxies,
};
use proxyroute::{Dialect, EnvProxies, Layer, Resolver, Target};

fn t(url: &str) -> Target {
    url.parse().unwrap_or_else(|e| panic!("{url}: {e}"))
}

/// The route `url` takes with only the system layer: a proxy URL, `DIRECT`
/// or `refused`.
fn route(system: &SystemProxies, url: &str) -> String {
    let resolver = Resolver::builder().system(system.clone()).build().unwrap();
    // Loading fetches the script: only from loopback here (a row naming
    // another host stays unloaded, so its route is refused as not loaded).
    #[cfg(feature = "pac")]
    if matches!(system.mode(), proxyroute::system::SystemMode::AutoConfig(u) if u.starts_with("http://127.0.0.1"))
    {
        let _ = resolver.load();
    }
    let route = resolver.resolve(&t(url));
    if route.is_refused() {
        "refused".to_owned()
    } else {
        route.to_string()
    }
}

struct Row {
    name: &'static str,
    settings: &'static str,
    url: &'static str,
    want: &'static str,
}

const fn row(
    name: &'static str,
    settings: &'static str,
    url: &'static str,
    want: &'static str,
) -> Row {
    Row {
        name,
        settings,
        url,
        want,
    }
}

fn check_rows(rows: &[Row], read: impl Fn(&str) -> SystemProxies) {
    let mut failures = Vec::new();
    for r in rows {
        let got = route(&read(r.settings), r.url);
        if got != r.want {
            failures.push(format!("{}: {} -> {got}, want {}", r.name, r.url, r.want));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

// ===== GNOME =====

/// `gsettings list-recursively` for a manual setup (os-formats.md 3.3).
const GNOME_MANUAL: &str = "\
org.gnome.system.proxy mode 'manual'
org.gnome.system.proxy autoconfig-url ''
org.gnome.system.proxy ignore-hosts ['localhost', '127.0.0.0/8', '::1', '*.corp.example.com', '10.0.0.0/8']
org.gnome.system.proxy use-same-proxy true
org.gnome.system.proxy.http host 'proxy.corp.example.com'
org.gnome.system.proxy.http port 3128
org.gnome.system.proxy.http enabled false
org.gnome.system.proxy.http use-authentication false
org.gnome.system.proxy.http authentication-user ''
org.gnome.system.proxy.http authentication-password ''
org.gnome.system.proxy.https host 'secure.corp.example.com'
org.gnome.system.proxy.https port 3129
org.gnome.system.proxy.ftp host ''
org.gnome.system.proxy.ftp port 0
org.gnome.system.proxy.socks host ''
org.gnome.system.proxy.socks port 0
";

const G_SOCKS: &str = "\
org.gnome.system.proxy mode 'manual'
org.gnome.system.proxy.http host ''
org.gnome.system.proxy.socks host '127.0.0.1'
org.gnome.system.proxy.socks port 1080
";

const G_HTTP_ONLY: &str = "\
org.gnome.system.proxy mode 'manual'
org.gnome.system.proxy.http host 'p.test'
org.gnome.system.proxy.http port 8080
";

const G_NOT_SAME: &str = "\
org.gnome.system.proxy mode 'manual'
org.gnome.system.proxy use-same-proxy false
org.gnome.system.proxy.http host 'p.test'
org.gnome.system.proxy.http port 8080
org.gnome.system.proxy.socks host 's.test'
org.gnome.system.proxy.socks port 1080
";

const G_NOT_SAME_NO_SOCKS: &str = "\
org.gnome.system.proxy mode 'manual'
org.gnome.system.proxy use-same-proxy false
org.gnome.system.proxy.http host 'p.test'
org.gnome.system.proxy.http port 8080
org.gnome.system.proxy.https host ''
org.gnome.system.proxy.https port 0
";

const G_SAME_SOCKS: &str = "\
org.gnome.system.proxy mode 'manual'
org.gnome.system.proxy use-same-proxy true
org.gnome.system.proxy.http host 'p.test'
org.gnome.system.proxy.http port 3128
org.gnome.system.proxy.socks host 's.test'
org.gnome.system.proxy.socks port 1080
";

const G_SAME_SOCKS_FTP: &str = "\
org.gnome.system.proxy mode 'manual'
org.gnome.system.proxy.http host 'p.test'
org.gnome.system.proxy.http port 3128
org.gnome.system.proxy.ftp host 'f.test'
org.gnome.system.proxy.ftp port 2121
org.gnome.system.proxy.socks host 's.test'
org.gnome.system.proxy.socks port 1080
";

const G_PORT_ZERO: &str = "\
org.gnome.system.proxy mode 'manual'
org.gnome.system.proxy.http host 'p.test'
org.gnome.system.proxy.http port 3128
org.gnome.system.proxy.https host 's.test'
org.gnome.system.proxy.https port 0
";

const G_HTTP_DEFAULT_PORT: &str = "\
org.gnome.system.proxy mode 'manual'
org.gnome.system.proxy.http host 'p.test'
";

const G_HTTPS_NO_PORT: &str = "\
org.gnome.system.proxy mode 'manual'
org.gnome.system.proxy use-same-proxy false
org.gnome.system.proxy.https host 's.test'
org.gnome.system.proxy.https port 0
";

const G_AUTH: &str = "\
org.gnome.system.proxy mode 'manual'
org.gnome.system.proxy.http host 'p.test'
org.gnome.system.proxy.http port 3128
org.gnome.system.proxy.http use-authentication true
org.gnome.system.proxy.http authentication-user 'alice'
org.gnome.system.proxy.http authentication-password 'it\\'s s3cret'
";

const G_AUTH_OFF: &str = "\
org.gnome.system.proxy mode 'manual'
org.gnome.system.proxy.http host 'p.test'
org.gnome.system.proxy.http port 3128
org.gnome.system.proxy.http use-authentication false
org.gnome.system.proxy.http authentication-user 'alice'
org.gnome.system.proxy.http authentication-password 'pw'
";

const G_NONE: &str = "\
org.gnome.system.proxy mode 'none'
org.gnome.system.proxy.http host 'p.test'
org.gnome.system.proxy.http port 3128
";

const G_AUTO: &str = "\
org.gnome.system.proxy mode 'auto'
org.gnome.system.proxy autoconfig-url 'http://pac.corp.example.com/proxy.pac'
org.gnome.system.proxy.http host 'p.test'
";

const G_WPAD: &str = "\
org.gnome.system.proxy mode 'auto'
org.gnome.system.proxy autoconfig-url ''
";

const G_EMPTY_IGNORE: &str = "\
org.gnome.system.proxy mode 'manual'
org.gnome.system.proxy ignore-hosts @as []
org.gnome.system.proxy.http host 'p.test'
org.gnome.system.proxy.http port 3128
";

const G_DEFAULT_IGNORE: &str = "\
org.gnome.system.proxy mode 'manual'
org.gnome.system.proxy.http host 'p.test'
org.gnome.system.proxy.http port 3128
";

const G_PORT_IGNORE: &str = "\
org.gnome.system.proxy mode 'manual'
org.gnome.system.proxy ignore-hosts ['api.example.com:8443', 'fe80::/10', 'xn--bcher-kva.example']
org.gnome.system.proxy.http host 'p.test'
org.gnome.system.proxy.http port 3128
";

const G_V6: &str = "\
org.gnome.system.proxy mode 'manual'
org.gnome.system.proxy.http host '::1'
org.gnome.system.proxy.http port 3128
";

const G_OTHER_SCHEMAS: &str = "\
org.gnome.desktop.interface gtk-theme 'Adwaita'
org.gnome.system.proxy mode 'manual'
org.gnome.system.proxy.http host 'p.test'
org.gnome.system.proxy.http port 3128
";

#[rustfmt::skip]
const GNOME: &[Row] = &[
    row("manual: http URLs use the http proxy", GNOME_MANUAL, "http://example.com/", "http://proxy.corp.example.com:3128"),
    row("manual: https URLs use the https proxy", GNOME_MANUAL, "https://example.com/", "http://secure.corp.example.com:3129"),
    row("manual: the https proxy is plain HTTP (CONNECT)", GNOME_MANUAL, "https://example.com:8443/", "http://secure.corp.example.com:3129"),
    row("manual: ws URLs use the http proxy", GNOME_MANUAL, "ws://example.com/", "http://proxy.corp.example.com:3128"),
    row("manual: wss URLs take the default proxy (glib), http's under use-same-proxy", GNOME_MANUAL, "wss://example.com/", "http://proxy.corp.example.com:3128"),
    row("manual: ftp has none, use-same-proxy lends http's", GNOME_MANUAL, "ftp://files.example.com/", "http://proxy.corp.example.com:3128"),
    row("manual: other schemes take http's under use-same-proxy", GNOME_MANUAL, "gopher://example.com/", "http://proxy.corp.example.com:3128"),
    row("use-same-proxy off, no SOCKS: other schemes go direct", G_NOT_SAME_NO_SOCKS, "gopher://example.com/", "DIRECT"),
    row("use-same-proxy off, no SOCKS: ftp goes direct", G_NOT_SAME_NO_SOCKS, "ftp://example.com/", "DIRECT"),
    row("use-same-proxy off, no SOCKS: ws goes direct", G_NOT_SAME_NO_SOCKS, "ws://example.com/", "DIRECT"),
    row("divergence 1: empty https host, use-same-proxy off: https uses http's", G_NOT_SAME_NO_SOCKS, "https://example.com/", "http://p.test:8080"),
    row("divergence 1: empty https host, use-same-proxy on: https uses http's", G_HTTP_ONLY, "https://example.com/", "http://p.test:8080"),
    row("divergence 2: SOCKS is the default for ftp over use-same-proxy", G_SAME_SOCKS, "ftp://example.com/", "socks5://s.test:1080"),
    row("divergence 2: SOCKS is the default for wss", G_SAME_SOCKS, "wss://example.com/", "socks5://s.test:1080"),
    row("divergence 2: SOCKS is the default for ws", G_SAME_SOCKS, "ws://example.com/", "socks5://s.test:1080"),
    row("divergence 2: http keeps its own proxy", G_SAME_SOCKS, "http://example.com/", "http://p.test:3128"),
    row("divergence 2: https borrows http's before SOCKS", G_SAME_SOCKS, "https://example.com/", "http://p.test:3128"),
    row("divergence 2: an ftp proxy of its own wins over SOCKS", G_SAME_SOCKS_FTP, "ftp://example.com/", "http://f.test:2121"),
    row("a host with port 0 is unset", G_PORT_ZERO, "https://example.com/", "http://p.test:3128"),
    row("ignore-hosts: localhost", GNOME_MANUAL, "http://localhost:8080/", "DIRECT"),
    row("ignore-hosts: 127.0.0.0/8", GNOME_MANUAL, "http://127.1.2.3/", "DIRECT"),
    row("ignore-hosts: ::1", GNOME_MANUAL, "http://[::1]/", "DIRECT"),
    row("ignore-hosts: *.x matches x itself", GNOME_MANUAL, "https://corp.example.com/", "DIRECT"),
    row("ignore-hosts: *.x matches subdomains", GNOME_MANUAL, "https://git.corp.example.com/", "DIRECT"),
    row("ignore-hosts: a label boundary", GNOME_MANUAL, "https://evilcorp.example.com/", "http://secure.corp.example.com:3129"),
    row("ignore-hosts: 10.0.0.0/8", GNOME_MANUAL, "http://10.9.8.7/", "DIRECT"),
    row("ignore-hosts: IP rules never match names", GNOME_MANUAL, "http://ten.example/", "http://proxy.corp.example.com:3128"),
    row("ignore-hosts: empty list bypasses nothing", G_EMPTY_IGNORE, "http://localhost/", "http://p.test:3128"),
    row("ignore-hosts: absent is the schema default", G_DEFAULT_IGNORE, "http://127.0.0.1/", "DIRECT"),
    row("ignore-hosts: host:port needs that port", G_PORT_IGNORE, "https://api.example.com:8443/", "DIRECT"),
    row("ignore-hosts: host:port, another port", G_PORT_IGNORE, "https://api.example.com/", "http://p.test:3128"),
    row("ignore-hosts: IPv6 CIDR", G_PORT_IGNORE, "http://[fe80::1]/", "DIRECT"),
    row("ignore-hosts: IDN, entry in punycode", G_PORT_IGNORE, "http://bücher.example/", "DIRECT"),
    row("socks: serves every scheme without its own", G_SOCKS, "https://example.com/", "socks5://127.0.0.1:1080"),
    row("socks: ftp too", G_SOCKS, "ftp://example.com/", "socks5://127.0.0.1:1080"),
    row("use-same-proxy: https borrows http", G_HTTP_ONLY, "https://example.com/", "http://p.test:8080"),
    row("use-same-proxy off: https still borrows http's (glib)", G_NOT_SAME, "https://example.com/", "http://p.test:8080"),
    row("use-same-proxy off: ftp falls to SOCKS", G_NOT_SAME, "ftp://example.com/", "socks5://s.test:1080"),
    row("use-same-proxy off: http keeps its own", G_NOT_SAME, "http://example.com/", "http://p.test:8080"),
    row("http port defaults to 8080", G_HTTP_DEFAULT_PORT, "http://example.com/", "http://p.test:8080"),
    row("a port of 0 means unset", G_HTTPS_NO_PORT, "https://example.com/", "DIRECT"),
    row("use-authentication: credentials on the http proxy", G_AUTH, "http://example.com/", "http://alice:***@p.test:3128"),
    row("use-authentication off: none sent", G_AUTH_OFF, "http://example.com/", "http://p.test:3128"),
    row("mode none: direct, whatever the hosts say", G_NONE, "http://example.com/", "DIRECT"),
    row("mode auto: a PAC URL is refused, not DIRECT", G_AUTO, "http://example.com/", "refused"),
    row("mode auto without a URL: WPAD, refused", G_WPAD, "https://example.com/", "refused"),
    row("an IPv6 proxy host", G_V6, "http://example.com/", "http://[::1]:3128"),
    row("other schemas' lines are skipped", G_OTHER_SCHEMAS, "http://example.com/", "http://p.test:3128"),
];

#[test]
fn gnome_rows() {
    check_rows(GNOME, gnome::parse);
}

#[test]
fn gnome_reads_its_modes_and_reports_odd_values() {
    assert_eq!(
        gnome::parse(G_AUTO).mode(),
        &SystemMode::AutoConfig("http://pac.corp.example.com/proxy.pac".into())
    );
    assert_eq!(gnome::parse(G_WPAD).mode(), &SystemMode::AutoDetect);
    let file = "org.gnome.system.proxy mode 'auto'\norg.gnome.system.proxy autoconfig-url '/etc/proxy.pac'\n";
    assert_eq!(
        gnome::parse(file).mode(),
        &SystemMode::AutoConfig("file:///etc/proxy.pac".into())
    );
    let odd = "\
org.gnome.system.proxy mode 'sometimes'
org.gnome.system.proxy.http host 'p.test'
org.gnome.system.proxy.http port 99999
org.gnome.system.proxy.http authentication-password 'open
garbage
";
    let s = gnome::parse(odd);
    let notes: Vec<String> = s.violations().iter().map(ToString::to_string).collect();
    assert_eq!(s.mode(), &SystemMode::Direct);
    for want in [
        "gsettings line 5 \"garbage\": ignored",
        "org.gnome.system.proxy.http authentication-password \"***\": ignored",
        "org.gnome.system.proxy mode \"sometimes\": ignored",
        "org.gnome.system.proxy.http port \"99999\": invalid port",
    ] {
        assert!(
            notes.iter().any(|n| n.starts_with(want)),
            "{want} in {notes:#?}"
        );
    }
    let why = Resolver::builder()
        .system(gnome::parse(G_AUTO))
        .build()
        .unwrap()
        .explain(&t("http://example.com/"));
    assert_eq!(why.layer(), Layer::System);
    assert_eq!(why.source(), "gnome:org.gnome.system.proxy autoconfig-url");
    // With the pac features the script is fetched (and this one cannot be).
    let refusal = if cfg!(feature = "pac") {
        "gives no answer"
    } else {
        "not evaluated"
    };
    assert!(why.reason().contains(refusal), "{}", why.reason());
    assert!(
        why.reason()
            .contains("http://pac.corp.example.com/proxy.pac"),
        "{}",
        why.reason()
    );
}

// ===== KDE =====

const K_MANUAL: &str = "\
ProxyUrlDisplayFlags=15

[Proxy Settings]
NoProxyFor=localhost,127.0.0.1,.corp.example.com,10.0.0.0/8
Proxy Config Script=
ProxyType=1
ReversedException=false
ftpProxy=ftp://proxy.corp.example.com 3128
httpProxy=http://proxy.corp.example.com 3128
httpsProxy=http://secure.corp.example.com 3129
socksProxy=socks://socks.corp.example.com 1080
";

const K_LEGACY: &str = "[Proxy Settings]\nProxyType=1\nhttpProxy=proxy.example:8080\nhttpsProxy=http://proxy.example:8443\n";
const K_SOCKS4: &str = "[Proxy Settings]\nProxyType=1\nsocksProxy=socks4://s.example 1080\n";
const K_BAD_PORT: &str = "[Proxy Settings]\nProxyType=1\nhttpProxy=http://p.example abc\n";
const K_EMPTY: &str = "[Proxy Settings]\nProxyType=1\nhttpProxy=\nhttpsProxy=//: 0\n";
const K_REVERSED: &str = "[Proxy Settings]\nProxyType=1\nNoProxyFor=git.example.org\nReversedException=true\nhttpProxy=http://p 8080\nhttpsProxy=http://p 8080\n";
const K_REVERSED_1: &str = "[Proxy Settings]\nProxyType=1\nNoProxyFor=git.example.org\nReversedException=1\nhttpProxy=http://p 8080\n";
const K_PAC: &str = "[Proxy Settings]\nProxyType=2\nProxy Config Script=http://pac.corp.example.com/proxy.pac\nhttpProxy=http://p 8080\n";
const K_PAC_FILE: &str = "[Proxy Settings]\nProxyType=2\nProxy Config Script=/etc/proxy.pac\n";
const K_WPAD: &str =
    "[Proxy Settings]\nProxyType=3\nProxy Config Script=http://ignored.example/x.pac\n";
const K_NONE: &str = "[Proxy Settings]\nProxyType=0\nhttpProxy=http://p 8080\n";
const K_UNKNOWN: &str = "[Proxy Settings]\nProxyType=7\nhttpProxy=http://p 8080\n";
const K_ENV: &str = "[Proxy Settings]\nNoProxyFor=NO_PROXY\nProxyType=4\nhttpProxy=HTTP_PROXY\nhttpsProxy=HTTPS_PROXY\nftpProxy=FTP_PROXY\nsocksProxy=\n";
const K_OTHER_GROUP: &str = "[Other]\nProxyType=1\nhttpProxy=http://wrong 1\n[Proxy Settings]\nProxyType=1\nhttpProxy=http://right 2\n";
const K_FLAGS: &str = "[Proxy Settings]\nProxyType[$i]=1\nhttpProxy[$e]=http://p 8080\nhttpProxy[de]=http://uebersetzt 1\n";
const K_LOCAL: &str =
    "[Proxy Settings]\nProxyType=1\nNoProxyFor=<local>\nhttpProxy=http://p 8080\n";

fn kde_env(name: &str) -> Option<String> {
    match name {
        "HTTP_PROXY" => Some("http://env-proxy.example:3128".into()),
        "HTTPS_PROXY" => Some("http://env-secure.example:3129".into()),
        "NO_PROXY" => Some("internal.example".into()),
        _ => None,
    }
}

fn kde_one(text: &str) -> SystemProxies {
    kde::parse(&[("kioslaverc", text)], kde_env)
}

#[rustfmt::skip]
const KDE: &[Row] = &[
    row("manual: http, a space before the port", K_MANUAL, "http://example.com/", "http://proxy.corp.example.com:3128"),
    row("manual: https's own proxy, plain HTTP", K_MANUAL, "https://example.com/", "http://secure.corp.example.com:3129"),
    row("manual: the ftp field is an HTTP proxy", K_MANUAL, "ftp://example.com/", "http://proxy.corp.example.com:3128"),
    row("manual: socks serves other schemes, SOCKS5", K_MANUAL, "gopher://example.com/", "socks5://socks.corp.example.com:1080"),
    row("manual: ws reads http's", K_MANUAL, "ws://example.com/", "http://proxy.corp.example.com:3128"),
    row("NoProxyFor: an exact name", K_MANUAL, "http://localhost/", "DIRECT"),
    row("NoProxyFor: an IP", K_MANUAL, "http://127.0.0.1/", "DIRECT"),
    row("NoProxyFor: .x subdomains", K_MANUAL, "https://git.corp.example.com/", "DIRECT"),
    row("NoProxyFor: .x not the apex", K_MANUAL, "https://corp.example.com/", "http://secure.corp.example.com:3129"),
    row("NoProxyFor: a subnet", K_MANUAL, "http://10.1.2.3/", "DIRECT"),
    row("NoProxyFor: another host", K_MANUAL, "http://example.org/", "http://proxy.corp.example.com:3128"),
    row("legacy host:port", K_LEGACY, "http://a.test/", "http://proxy.example:8080"),
    row("legacy URL with port", K_LEGACY, "https://a.test/", "http://proxy.example:8443"),
    row("socks4:// selects SOCKS4", K_SOCKS4, "https://a.test/", "socks4://s.example:1080"),
    row("a port that is not a number: no proxy", K_BAD_PORT, "http://a.test/", "DIRECT"),
    row("empty and //: values are no proxy", K_EMPTY, "https://a.test/", "DIRECT"),
    row("ReversedException: listed hosts use the proxy", K_REVERSED, "https://git.example.org/", "http://p:8080"),
    row("ReversedException: others go direct", K_REVERSED, "https://example.com/", "DIRECT"),
    row("ReversedException=1 is true", K_REVERSED_1, "http://example.com/", "DIRECT"),
    row("ProxyType=2: a PAC URL is refused, not DIRECT", K_PAC, "http://a.test/", "refused"),
    row("ProxyType=2: a path is a PAC file", K_PAC_FILE, "http://a.test/", "refused"),
    row("ProxyType=3: WPAD, refused", K_WPAD, "http://a.test/", "refused"),
    row("ProxyType=0: direct", K_NONE, "http://a.test/", "DIRECT"),
    row("an unknown ProxyType is none", K_UNKNOWN, "http://a.test/", "DIRECT"),
    row("ProxyType=4: httpProxy names a variable", K_ENV, "http://a.test/", "http://env-proxy.example:3128"),
    row("ProxyType=4: httpsProxy names a variable", K_ENV, "https://a.test/", "http://env-secure.example:3129"),
    row("ProxyType=4: an unset variable is no proxy", K_ENV, "ftp://a.test/", "DIRECT"),
    row("ProxyType=4: NoProxyFor names the list", K_ENV, "http://internal.example/", "DIRECT"),
    row("only [Proxy Settings] counts", K_OTHER_GROUP, "http://a.test/", "http://right:2"),
    row("[$i] flags kept, translations skipped", K_FLAGS, "http://a.test/", "http://p:8080"),
    row("<local>: dotless names", K_LOCAL, "http://intranet/", "DIRECT"),
    row("<local>: dotted names proxied", K_LOCAL, "http://intranet.example/", "http://p:8080"),
];

#[test]
fn kde_rows() {
    check_rows(KDE, kde_one);
}

#[test]
fn kde_cascade_later_files_win_and_modes_are_reported() {
    let system =
        "[Proxy Settings]\nProxyType=1\nhttpProxy=http://site 1\nNoProxyFor=site.example\n";
    let user = "[Proxy Settings]\nhttpProxy=http://mine 2\n";
    let s = kde::parse(
        &[
            ("/etc/xdg/kioslaverc", system),
            ("/home/u/.config/kioslaverc", user),
        ],
        |_| None,
    );
    assert_eq!(route(&s, "http://a.test/"), "http://mine:2");
    assert_eq!(route(&s, "http://site.example/"), "DIRECT");
    let why = Resolver::builder()
        .system(s)
        .build()
        .unwrap()
        .explain(&t("http://a.test/"));
    assert_eq!(why.source(), "kde:/home/u/.config/kioslaverc httpProxy");
    assert_eq!(
        kde_one(K_PAC_FILE).mode(),
        &SystemMode::AutoConfig("file:///etc/proxy.pac".into())
    );
    let notes: Vec<String> = kde_one(K_BAD_PORT)
        .violations()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        notes[0].starts_with("kde:kioslaverc httpProxy \"http://p.example abc\": ignored"),
        "{notes:?}"
    );
    let why = Resolver::builder()
        .system(kde_one(K_ENV))
        .build()
        .unwrap()
        .explain(&t("http://a.test/"));
    assert_eq!(why.source(), "kde:kioslaverc httpProxy = $HTTP_PROXY");
}

// ===== sysconfig =====

const S_ON: &str = r#"## Path:        Network/Proxy
## Type:        yesno
## Default:     no
PROXY_ENABLED="yes"
HTTP_PROXY="http://proxy.corp.example.com:3128"
HTTPS_PROXY='http://secure.corp.example.com:3129'
FTP_PROXY=http://ftp-proxy.corp.example.com:3128
GOPHER_PROXY=""
SOCKS_PROXY="socks://socks.corp.example.com:1080"
SOCKS5_SERVER=""
NO_PROXY="localhost, 127.0.0.1, .corp.example.com"
"#;
const S_OFF: &str = "PROXY_ENABLED=\"no\"\nHTTP_PROXY=\"http://p:3128\"\n";
const S_DEFAULT_NO_PROXY: &str = "PROXY_ENABLED=\"yes\"\nHTTP_PROXY=\"http://p:3128\"\n";
const S_SOCKS5_SERVER: &str = "PROXY_ENABLED=yes\nSOCKS5_SERVER=\"s.example:1080\"\n";

#[rustfmt::skip]
const SYSCONFIG: &[Row] = &[
    row("http", S_ON, "http://example.com/", "http://proxy.corp.example.com:3128"),
    row("https, single quotes", S_ON, "https://example.com/", "http://secure.corp.example.com:3129"),
    row("ftp, bare value", S_ON, "ftp://example.com/", "http://ftp-proxy.corp.example.com:3128"),
    row("SOCKS_PROXY socks:// is SOCKS5 for the rest", S_ON, "gopher://example.com/", "socks5://socks.corp.example.com:1080"),
    row("NO_PROXY: localhost", S_ON, "http://localhost/", "DIRECT"),
    row("NO_PROXY: a domain and its subdomains", S_ON, "https://git.corp.example.com/", "DIRECT"),
    row("PROXY_ENABLED=no: direct", S_OFF, "http://example.com/", "DIRECT"),
    row("divergence 5: no NO_PROXY line, no bypass list (SUSE's scripts export none)", S_DEFAULT_NO_PROXY, "http://127.0.0.1/", "http://p:3128"),
    row("divergence 5: no NO_PROXY line, localhost is proxied too", S_DEFAULT_NO_PROXY, "http://localhost/", "http://p:3128"),
    row("an empty NO_PROXY is no list", S_EMPTY_NO_PROXY, "http://localhost/", "http://p:3128"),
    row("SOCKS5_SERVER host:port", S_SOCKS5_SERVER, "https://example.com/", "socks5://s.example:1080"),
    row("SOCKS_PROXY wins over SOCKS5_SERVER", S_BOTH_SOCKS, "gopher://example.com/", "socks5://a.example:1080"),
    row("PROXY_ENABLED must be exactly yes, as SUSE's scripts test it", S_YES_UPPER, "http://example.com/", "DIRECT"),
    row("PROXY_ENABLED=yes, quoted", S_DEFAULT_NO_PROXY, "http://example.com/", "http://p:3128"),
    row("PROXY_ENABLED missing: off", S_NO_ENABLED, "http://example.com/", "DIRECT"),
    row("PROXY_ENABLED empty: off", S_EMPTY_ENABLED, "http://example.com/", "DIRECT"),
    row("export prefix", S_EXPORT, "http://example.com/", "http://p:3128"),
    row("comments and blank lines", S_COMMENTS, "http://example.com/", "http://p:3128"),
    row("a later line wins", S_TWICE, "http://example.com/", "http://second:2"),
    row("an empty HTTPS_PROXY: https falls to SOCKS", S_HTTPS_EMPTY, "https://example.com/", "socks5://s:1080"),
    row("an empty HTTPS_PROXY and no SOCKS: direct", S_DEFAULT_NO_PROXY, "https://example.com/", "DIRECT"),
    row("a bare host:port value", S_BARE, "http://example.com/", "http://p:8080"),
    row("a value with credentials", S_CREDS, "http://example.com/", "http://u:***@p:3128"),
    row("NO_PROXY: host:port never matches, as curl reads it", S_PORTS, "http://api.example:8080/", "http://p:3128"),
    row("NO_PROXY: host:port, another port", S_PORTS, "http://api.example/", "http://p:3128"),
    row("NO_PROXY: CIDR as curl reads it", S_PORTS, "http://10.1.2.3/", "DIRECT"),
    row("NO_PROXY: * bypasses everything", S_STAR, "http://example.com/", "DIRECT"),
    row("ws reads HTTP_PROXY", S_ON, "ws://example.com/", "http://proxy.corp.example.com:3128"),
    row("a proxy that does not parse is skipped, SOCKS serves", S_BAD_HTTP, "http://example.com/", "socks5://s:1080"),
];

const S_EMPTY_NO_PROXY: &str = "PROXY_ENABLED=yes\nHTTP_PROXY=http://p:3128\nNO_PROXY=\"\"\n";
const S_BOTH_SOCKS: &str =
    "PROXY_ENABLED=yes\nSOCKS_PROXY=socks://a.example:1080\nSOCKS5_SERVER=b.example:1080\n";
const S_YES_UPPER: &str = "PROXY_ENABLED=\"YES please\"\nHTTP_PROXY=http://p:3128\n";
const S_NO_ENABLED: &str = "HTTP_PROXY=http://p:3128\n";
const S_EMPTY_ENABLED: &str = "PROXY_ENABLED=\"\"\nHTTP_PROXY=http://p:3128\n";
const S_EXPORT: &str = "export PROXY_ENABLED=yes\nexport HTTP_PROXY=http://p:3128\n";
const S_COMMENTS: &str =
    "# a comment\n\n## Type: yesno\nPROXY_ENABLED=yes\n  # indented\nHTTP_PROXY=http://p:3128\n";
const S_TWICE: &str = "PROXY_ENABLED=yes\nHTTP_PROXY=http://first:1\nHTTP_PROXY=http://second:2\n";
const S_HTTPS_EMPTY: &str = "PROXY_ENABLED=yes\nHTTPS_PROXY=\"\"\nSOCKS5_SERVER=s:1080\n";
const S_BARE: &str = "PROXY_ENABLED=yes\nHTTP_PROXY=p:8080\n";
const S_CREDS: &str = "PROXY_ENABLED=yes\nHTTP_PROXY=\"http://u:pw@p:3128\"\n";
const S_PORTS: &str =
    "PROXY_ENABLED=yes\nHTTP_PROXY=http://p:3128\nNO_PROXY=\"api.example:8080, 10.0.0.0/8\"\n";
const S_STAR: &str = "PROXY_ENABLED=yes\nHTTP_PROXY=http://p:3128\nNO_PROXY=\"*\"\n";
const S_BAD_HTTP: &str = "PROXY_ENABLED=yes\nHTTP_PROXY=ftp://p:21\nSOCKS5_SERVER=s:1080\n";

#[test]
fn sysconfig_rows() {
    check_rows(SYSCONFIG, |text| {
        sysconfig::parse(text, "/etc/sysconfig/proxy")
    });
}

// ===== Windows =====

const W_HEAD: &str = "Windows Registry Editor Version 5.00\n\n[HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings]\n";

/// F-W1 as `reg query` prints it.
const W_QUERY: &str = "
HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings
    CertificateRevocation    REG_DWORD    0x1
    ProxyEnable    REG_DWORD    0x1
    ProxyServer    REG_SZ    proxy.corp.example.com:8080
    ProxyOverride    REG_SZ    <local>;*.corp.example.com;10.*;192.168.*
    ZonesSecurityUpgrade    REG_BINARY    C0F7A1D2B3A0D601

HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections
";

fn w(body: &str) -> String {
    format!("{W_HEAD}{body}")
}

/// A `.reg` hex line for a blob given in hex digits, wrapped as regedit wraps.
fn reg_hex(hex: &str) -> String {
    let bytes: Vec<String> = (0..hex.len())
        .step_by(2)
        .map(|i| hex[i..i + 2].to_ascii_lowercase())
        .collect();
    let mut out = String::from("\"DefaultConnectionSettings\"=hex:");
    for (i, chunk) in bytes.chunks(20).enumerate() {
        if i > 0 {
            out.push_str(",\\\n  ");
        }
        out.push_str(&chunk.join(","));
    }
    out
}

fn connections(hex: &str) -> String {
    format!("\n[HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections]\n{}\n", reg_hex(hex))
}

const F_W1_BLOB: &str = "460000001C000000030000001B00000070726F78792E636F72702E6578616D706C652E636F6D3A383038301A0000003C6C6F63616C3E3B2A2E636F72702E6578616D706C652E636F6D";
const F_W3_BLOB: &str = "460000000700000005000000000000000000000025000000687474703A2F2F7061632E636F72702E6578616D706C652E636F6D2F70726F78792E706163";
const F_W4_BLOB: &str = "460000000200000009000000000000000000000000000000";

fn windows_cases() -> Vec<(&'static str, String, &'static str, &'static str)> {
    let manual = w("\"ProxyEnable\"=dword:00000001\n\"ProxyServer\"=\"proxy.corp.example.com:8080\"\n\"ProxyOverride\"=\"<local>;*.corp.example.com;10.*;192.168.*\"\n");
    let per_scheme_off = w("\"ProxyEnable\"=dword:00000000\n\"ProxyServer\"=\"http=webproxy:3128;https=webproxy:3128;ftp=ftpproxy:21;socks=socks.corp:1080\"\n");
    let per_scheme_on = per_scheme_off.replace("dword:00000000", "dword:00000001");
    let pac = w("\"AutoConfigURL\"=\"http://pac.corp.example.com/proxy.pac\"\n");
    let blob_manual = w("\"ProxyEnable\"=dword:00000000\n")
        + &connections(&(F_W1_BLOB.to_owned() + &"0".repeat(64)));
    let blob_pac = w("") + &connections(&(F_W3_BLOB.to_owned() + &"0".repeat(64)));
    let blob_wpad = w("\"ProxyEnable\"=dword:00000001\n\"ProxyServer\"=\"p:1\"\n")
        + &connections(&(F_W4_BLOB.to_owned() + &"0".repeat(64)));
    let blob_truncated =
        w("\"ProxyEnable\"=dword:00000001\n\"ProxyServer\"=\"values.example:1\"\n")
            + &connections("4600000002000000");
    let socks_only =
        w("\"ProxyEnable\"=dword:00000001\n\"ProxyServer\"=\"socks=socks.corp:1080\"\n");
    let loopback = w("\"ProxyEnable\"=dword:00000001\n\"ProxyServer\"=\"p:3128\"\n\"ProxyOverride\"=\"<-loopback>\"\n");
    let schemes = w("\"ProxyEnable\"=dword:00000001\n\"ProxyServer\"=\"http=http://h:1;https=https://s:2;socks=socks5://k:3\"\n");
    let old_binary = w("\"ProxyEnable\"=hex:01,00,00,00\n\"ProxyServer\"=\"p:3128\"\n");
    let q = W_QUERY.to_owned();
    vec![
        (
            "manual: single proxy for http",
            manual.clone(),
            "http://example.com/",
            "http://proxy.corp.example.com:8080",
        ),
        (
            "manual: the single proxy serves https (CONNECT)",
            manual.clone(),
            "https://example.com/",
            "http://proxy.corp.example.com:8080",
        ),
        (
            "manual: and every other scheme",
            manual.clone(),
            "ftp://example.com/",
            "http://proxy.corp.example.com:8080",
        ),
        (
            "ProxyOverride: <local> bypasses dotless names",
            manual.clone(),
            "http://intranet/",
            "DIRECT",
        ),
        (
            "ProxyOverride: *.x glob",
            manual.clone(),
            "https://git.corp.example.com/",
            "DIRECT",
        ),
        (
            "ProxyOverride: no implied suffix",
            manual.clone(),
            "https://corp.example.com/",
            "http://proxy.corp.example.com:8080",
        ),
        (
            "ProxyOverride: 10.* wildcard octets",
            manual.clone(),
            "http://10.1.2.3/",
            "DIRECT",
        ),
        (
            "ProxyOverride: 192.168.*",
            manual.clone(),
            "http://192.168.7.7:8080/",
            "DIRECT",
        ),
        (
            "implicit: localhost",
            manual.clone(),
            "http://localhost/",
            "DIRECT",
        ),
        (
            "implicit: 127.0.0.1",
            manual.clone(),
            "http://127.0.0.1:3000/",
            "DIRECT",
        ),
        (
            "implicit: link-local 169.254/16",
            manual.clone(),
            "http://169.254.1.1/",
            "DIRECT",
        ),
        (
            "F-W2: ProxyEnable=0 is direct",
            per_scheme_off,
            "http://example.com/",
            "DIRECT",
        ),
        (
            "per-scheme: http=",
            per_scheme_on.clone(),
            "http://example.com/",
            "http://webproxy:3128",
        ),
        (
            "per-scheme: https= is an HTTP proxy",
            per_scheme_on.clone(),
            "https://example.com/",
            "http://webproxy:3128",
        ),
        (
            "per-scheme: ftp=",
            per_scheme_on.clone(),
            "ftp://example.com/",
            "http://ftpproxy:21",
        ),
        (
            "per-scheme: socks= is SOCKS4, the fallback",
            per_scheme_on,
            "gopher://example.com/",
            "socks4://socks.corp:1080",
        ),
        (
            "socks= alone serves every scheme",
            socks_only,
            "https://example.com/",
            "socks4://socks.corp:1080",
        ),
        (
            "explicit proxy schemes kept",
            schemes.clone(),
            "https://example.com/",
            "https://s:2",
        ),
        (
            "explicit socks5 kept",
            schemes,
            "gopher://example.com/",
            "socks5://k:3",
        ),
        (
            "<-loopback> proxies localhost",
            loopback,
            "http://localhost/",
            "http://p:3128",
        ),
        (
            "AutoConfigURL: refused, not DIRECT",
            pac,
            "http://example.com/",
            "refused",
        ),
        (
            "blob: flags 0x03 win over ProxyEnable=0",
            blob_manual.clone(),
            "http://example.com/",
            "http://proxy.corp.example.com:8080",
        ),
        (
            "blob: its bypass string",
            blob_manual,
            "https://x.corp.example.com/",
            "DIRECT",
        ),
        (
            "F-W3 blob: PAC, refused",
            blob_pac,
            "http://example.com/",
            "refused",
        ),
        (
            "F-W4 blob: auto-detect first, refused",
            blob_wpad,
            "http://example.com/",
            "refused",
        ),
        (
            "a truncated blob: the values decide",
            blob_truncated,
            "http://example.com/",
            "http://values.example:1",
        ),
        (
            "ProxyEnable as an old 4-byte binary",
            old_binary,
            "http://example.com/",
            "http://p:3128",
        ),
        (
            "reg query: manual",
            q.clone(),
            "http://example.com/",
            "http://proxy.corp.example.com:8080",
        ),
        (
            "reg query: the override list",
            q,
            "http://192.168.1.1/",
            "DIRECT",
        ),
        (
            "divergence 4: a .reg fragment without its key line is read",
            W_KEYLESS.to_owned(),
            "http://example.com/",
            "http://frag.example:3128",
        ),
        (
            "divergence 4: its override list too",
            W_KEYLESS.to_owned(),
            "http://intranet/",
            "DIRECT",
        ),
        (
            "divergence 4: reg query value lines without the key line",
            W_KEYLESS_QUERY.to_owned(),
            "https://example.com/",
            "http://q.example:8080",
        ),
        (
            "values under another key only: direct, with a violation",
            W_OTHER_KEY.to_owned(),
            "http://example.com/",
            "DIRECT",
        ),
        (
            "divergence 3: a script that cannot be fetched falls back to the manual proxy (refused when not evaluated)",
            W_PAC_AND_MANUAL.to_owned(),
            "http://example.com/",
            if cfg!(feature = "pac") {
                "http://manual.example:3128"
            } else {
                "refused"
            },
        ),
    ]
}

const W_KEYLESS: &str = "\"ProxyEnable\"=dword:00000001\r\n\"ProxyServer\"=\"frag.example:3128\"\r\n\"ProxyOverride\"=\"<local>\"\r\n";
const W_KEYLESS_QUERY: &str =
    "    ProxyEnable    REG_DWORD    0x1\n    ProxyServer    REG_SZ    q.example:8080\n";
const W_OTHER_KEY: &str = "[HKEY_CURRENT_USER\\Software\\Other]\n\"ProxyEnable\"=dword:00000001\n\"ProxyServer\"=\"o:1\"\n";
/// An unreachable script (the discard port on loopback), a manual proxy on.
const W_PAC_AND_MANUAL: &str = "[HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings]\n\"AutoConfigURL\"=\"http://127.0.0.1:9/proxy.pac\"\n\"ProxyEnable\"=dword:00000001\n\"ProxyServer\"=\"manual.example:3128\"\n\"ProxyOverride\"=\"<local>\"\n";
const W_PAC_MANUAL_OFF: &str = "[HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings]\n\"AutoConfigURL\"=\"http://127.0.0.1:9/proxy.pac\"\n\"ProxyEnable\"=dword:00000000\n\"ProxyServer\"=\"manual.example:3128\"\n";

#[test]
fn windows_keyless_fragments_and_the_auto_fallback_are_reported() {
    let notes: Vec<String> = windows::parse(W_KEYLESS, "paste.reg")
        .violations()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("without a key line")),
        "{notes:?}"
    );
    let notes: Vec<String> = windows::parse(W_OTHER_KEY, "other.reg")
        .violations()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("no value of an Internet Settings key")),
        "{notes:?}"
    );
    let s = windows::parse(W_PAC_AND_MANUAL, "t.reg");
    assert_eq!(
        s.auto_fallback(),
        Some(&AutoFallback::ManualProxies {
            source: "windows:t.reg ProxyEnable".into()
        })
    );
    assert_eq!(
        windows::parse(W_PAC_MANUAL_OFF, "t.reg").auto_fallback(),
        None
    );
}

/// Divergence 3: WinINet falls back to the manual proxy when the script
/// cannot be fetched (Chromium's "Proxy settings and fallback"), and the
/// explanation says so; with the manual proxy off the route stays refused.
#[cfg(feature = "pac")]
#[test]
fn windows_script_that_cannot_be_fetched_falls_back_to_the_manual_proxy() {
    let resolver = Resolver::builder()
        .system(windows::parse(W_PAC_AND_MANUAL, "t.reg"))
        .build()
        .unwrap();
    assert!(resolver.load().is_err(), "nothing listens on 127.0.0.1:9");
    let why = resolver.explain(&t("http://example.com/"));
    assert_eq!(why.route().to_string(), "http://manual.example:3128");
    assert!(
        why.reason().contains("could not be loaded")
            && why
                .reason()
                .contains("manual proxy settings (windows:t.reg ProxyEnable) apply"),
        "{}",
        why.reason()
    );
    let why = resolver.explain(&t("http://intranet/"));
    assert!(why.route().is_direct(), "{}", why.route());
    assert!(
        why.reason().contains("could not be loaded"),
        "{}",
        why.reason()
    );
    let off = Resolver::builder()
        .system(windows::parse(W_PAC_MANUAL_OFF, "t.reg"))
        .build()
        .unwrap();
    assert!(off.resolve(&t("http://example.com/")).is_refused());
}

#[test]
fn windows_rows() {
    let mut failures = Vec::new();
    for (name, text, url, want) in windows_cases() {
        let got = route(&windows::parse(&text, "test.reg"), url);
        if got != want {
            failures.push(format!("{name}: {url} -> {got}, want {want}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn windows_reg_files_in_utf16_and_their_sources() {
    let text = w("\"ProxyEnable\"=dword:00000001\n\"ProxyServer\"=\"http=h:1;https=s:2\"\n\"ProxyOverride\"=\"<local>\"\n");
    let mut bytes = vec![0xff, 0xfe];
    for unit in text.replace('\n', "\r\n").encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    let decoded = windows::decode(&bytes, "x.reg").unwrap();
    let system = windows::parse(&decoded, "x.reg");
    let resolver = Resolver::builder().system(system).build().unwrap();
    let why = resolver.explain(&t("https://example.com/"));
    assert_eq!(why.route().to_string(), "http://s:2");
    assert_eq!(why.source(), "windows:x.reg ProxyServer https=");
    let why = resolver.explain(&t("http://intranet/"));
    assert_eq!(why.source(), "windows:x.reg ProxyOverride");
    assert!(
        why.reason()
            .contains("(windows syntax), so Windows connects directly"),
        "{}",
        why.reason()
    );
    assert!(windows::decode(&[0xff, 0xfe, 0x41], "x.reg").is_err());
    assert!(windows::decode(&[0xc3, 0x28], "x.reg")
        .unwrap_err()
        .to_string()
        .contains("x.reg"));
    // F-W5: WinHTTP's machine default is reported, not mixed in.
    let winhttp = w("") + &connections("2800000000000000030000001B00000070726F78792E636F72702E6578616D706C652E636F6D3A38303830070000003C6C6F63616C3E").replace("DefaultConnectionSettings", "WinHttpSettings");
    let system = windows::parse(&winhttp, "x.reg");
    assert_eq!(route(&system, "http://example.com/"), "DIRECT");
    let notes: Vec<String> = system
        .violations()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(notes.iter().any(|n| n.starts_with("x.reg WinHttpSettings \"proxy.corp.example.com:8080 (bypass <local>)\": note: WinHTTP's machine default")), "{notes:?}");
    let direct = w("")
        + &connections("2800000000000000010000000000000000000000")
            .replace("DefaultConnectionSettings", "WinHttpSettings");
    let notes: Vec<String> = windows::parse(&direct, "x.reg")
        .violations()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("is direct access")),
        "{notes:?}"
    );
    let pac = windows::parse(
        &w("\"AutoConfigURL\"=\"http://pac.example/p.pac\"\n"),
        "x.reg",
    );
    assert_eq!(
        pac.mode(),
        &SystemMode::AutoConfig("http://pac.example/p.pac".into())
    );
}

// ===== macOS =====

/// `scutil --proxy` for a manual setup (os-formats.md 2.2).
const M_MANUAL: &str = "<dictionary> {
  ExceptionsList : <array> {
    0 : *.local
    1 : 169.254/16
    2 : *.corp.example.com
    3 : 10.10
  }
  FTPPassive : 1
  HTTPEnable : 1
  HTTPPort : 3128
  HTTPProxy : proxy.corp.example.com
  HTTPSEnable : 1
  HTTPSPort : 3129
  HTTPSProxy : secure.corp.example.com
  __SCOPED__ : <dictionary> {
    en0 : <dictionary> {
      HTTPEnable : 1
      HTTPPort : 9999
      HTTPProxy : scoped.example.com
    }
  }
}
";
const M_EMPTY: &str =
    "<dictionary> {\n  ExceptionsList : <array> {\n    0 : *.local\n  }\n  FTPPassive : 1\n}\n";
const M_PAC: &str = "<dictionary> {\n  HTTPEnable : 1\n  HTTPProxy : p.example\n  ProxyAutoConfigEnable : 1\n  ProxyAutoConfigURLString : http://wpad.corp.example/proxy.pac\n}\n";
const M_WPAD: &str = "<dictionary> {\n  ProxyAutoDiscoveryEnable : 1\n}\n";
const M_SOCKS: &str = "<dictionary> {\n  ExcludeSimpleHostnames : 1\n  SOCKSEnable : 1\n  SOCKSPort : 1080\n  SOCKSProxy : 127.0.0.1\n}\n";
const M_DISABLED: &str =
    "<dictionary> {\n  HTTPEnable : 0\n  HTTPPort : 3128\n  HTTPProxy : p.example\n}\n";
const M_NO_PORT: &str = "<dictionary> {\n  HTTPEnable : 1\n  HTTPProxy : p.example\n}\n";
const M_BAD_ARRAY: &str = "<dictionary> {\n  ExceptionsList : <array> {\n    1 : *.corp\n  }\n  HTTPEnable : 1\n  HTTPPort : 1\n  HTTPProxy : p.example\n}\n";

#[rustfmt::skip]
const MACOS: &[Row] = &[
    row("manual: http", M_MANUAL, "http://example.com/", "http://proxy.corp.example.com:3128"),
    row("manual: the secure web proxy is HTTP", M_MANUAL, "https://example.com/", "http://secure.corp.example.com:3129"),
    row("manual: ftp has none, no SOCKS: direct", M_MANUAL, "ftp://example.com/", "DIRECT"),
    row("divergence 6: IPv6 link-local is implicit too", M_MANUAL, "http://[fe80::1]/", "DIRECT"),
    row("divergence 6: IPv4 link-local is implicit", M_EMPTY_LIST, "http://169.254.9.9/", "DIRECT"),
    row("divergence 6: localhost though the list does not name it", M_EMPTY_LIST, "http://localhost/", "DIRECT"),
    row("divergence 6: ::1 though the list does not name it", M_EMPTY_LIST, "http://[::1]/", "DIRECT"),
    row("divergence 6: fe80::/10 ends at febf", M_EMPTY_LIST, "http://[fec0::1]/", "http://p.example:1"),
    row("<local> in ExceptionsList: dotless names", M_LOCAL, "http://nas/", "DIRECT"),
    row("<local> in ExceptionsList: dotted names proxied", M_LOCAL, "http://nas.example/", "http://p.example:1"),
    row("__SCOPED__ copies are not the effective config", M_MANUAL, "http://a.test/", "http://proxy.corp.example.com:3128"),
    row("ExceptionsList: *.local", M_MANUAL, "http://printer.local/", "DIRECT"),
    row("ExceptionsList: 169.254/16 shorthand", M_MANUAL, "http://169.254.3.4/", "DIRECT"),
    row("ExceptionsList: a glob", M_MANUAL, "https://git.corp.example.com/", "DIRECT"),
    row("ExceptionsList: 10.10 is 10.10.0.0/16", M_MANUAL, "http://10.10.9.9/", "DIRECT"),
    row("ExceptionsList: 10.10 is not 10.11", M_MANUAL, "http://10.11.0.1/", "http://proxy.corp.example.com:3128"),
    row("implicit: localhost", M_MANUAL, "http://localhost/", "DIRECT"),
    row("implicit: 127.0.0.0/8", M_MANUAL, "http://127.0.0.2/", "DIRECT"),
    row("simple host names are proxied without the flag", M_MANUAL, "http://intranet/", "http://proxy.corp.example.com:3128"),
    row("no protocol on: direct", M_EMPTY, "http://example.com/", "DIRECT"),
    row("PAC: refused, not DIRECT, even with HTTP on", M_PAC, "http://example.com/", "refused"),
    row("WPAD: refused", M_WPAD, "https://example.com/", "refused"),
    row("SOCKS serves every scheme as SOCKS5", M_SOCKS, "https://example.com/", "socks5://127.0.0.1:1080"),
    row("ExcludeSimpleHostnames bypasses dotless names", M_SOCKS, "http://intranet/", "DIRECT"),
    row("Enable 0: off even with a host", M_DISABLED, "http://example.com/", "DIRECT"),
    row("a missing port is the default", M_NO_PORT, "http://example.com/", "http://p.example:80"),
    row("an array out of order is skipped", M_BAD_ARRAY, "http://x.corp/", "http://p.example:1"),
    row("FTP proxy", M_FTP, "ftp://example.com/", "http://f.example:2121"),
    row("FTP proxy does not serve http", M_FTP, "http://example.com/", "DIRECT"),
    row("an IPv6 proxy host", M_V6, "http://example.com/", "http://[fd00::1]:3128"),
    row("inline PAC JavaScript: refused", M_INLINE_PAC, "http://example.com/", "refused"),
    row("ExceptionsList: an exact host", M_EXACT, "http://www.example.com/", "DIRECT"),
    row("ExceptionsList: no implied subdomains", M_EXACT, "http://a.www.example.com/", "http://p.example:1"),
];

const M_EMPTY_LIST: &str =
    "<dictionary> {\n  HTTPEnable : 1\n  HTTPPort : 1\n  HTTPProxy : p.example\n}\n";
const M_LOCAL: &str = "<dictionary> {\n  ExceptionsList : <array> {\n    0 : <local>\n  }\n  HTTPEnable : 1\n  HTTPPort : 1\n  HTTPProxy : p.example\n}\n";
const M_FTP: &str =
    "<dictionary> {\n  FTPEnable : 1\n  FTPPort : 2121\n  FTPProxy : f.example\n}\n";
const M_V6: &str =
    "<dictionary> {\n  HTTPEnable : 1\n  HTTPPort : 3128\n  HTTPProxy : fd00::1\n}\n";
const M_INLINE_PAC: &str = "<dictionary> {\n  ProxyAutoConfigEnable : 1\n  ProxyAutoConfigJavaScript : function FindProxyForURL(u, h) { return \"DIRECT\"; }\n}\n";
const M_EXACT: &str = "<dictionary> {\n  ExceptionsList : <array> {\n    0 : www.example.com\n  }\n  HTTPEnable : 1\n  HTTPPort : 1\n  HTTPProxy : p.example\n}\n";

#[test]
fn macos_rows() {
    check_rows(MACOS, |text| macos::parse(text, "scutil.txt"));
    let notes: Vec<String> = macos::parse(M_BAD_ARRAY, "scutil.txt")
        .violations()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        notes[0].starts_with("scutil.txt line 3 \"1 : *.corp\": ignored: array indices"),
        "{notes:?}"
    );
    assert_eq!(
        macos::parse(M_PAC, "s").mode(),
        &SystemMode::AutoConfig("http://wpad.corp.example/proxy.pac".into())
    );
}

// ===== the layer =====

#[test]
fn the_system_layer_sits_below_the_environment_unless_first() {
    let vars = [("https_proxy", "http://env:1"), ("no_proxy", "skip.test")];
    let env = || EnvProxies::read(Dialect::Curl, lookup_in(&vars));
    let system = gnome::parse(GNOME_MANUAL);
    let below = Resolver::builder()
        .env_proxies(env())
        .system(system.clone())
        .build()
        .unwrap();
    // https: the environment serves it.
    assert_eq!(
        below.resolve(&t("https://a.test/")).to_string(),
        "http://env:1"
    );
    assert_eq!(
        below.explain(&t("https://a.test/")).layer(),
        Layer::Environment
    );
    // http: curl reads no http_proxy here, so the system layer decides.
    let why = below.explain(&t("http://a.test/"));
    assert_eq!(
        why.route().to_string(),
        "http://proxy.corp.example.com:3128"
    );
    assert_eq!(why.layer(), Layer::System);
    // NO_PROXY belongs to the environment layer.
    assert!(below.resolve(&t("https://skip.test/")).is_direct());

    let first = Resolver::builder()
        .env_proxies(env())
        .system(system)
        .system_first(true)
        .build()
        .unwrap();
    assert_eq!(
        first.resolve(&t("https://a.test/")).to_string(),
        "http://secure.corp.example.com:3129"
    );
    // A custom proxy still comes before both.
    let custom = Resolver::builder()
        .proxy("http://custom:9")
        .system(gnome::parse(GNOME_MANUAL))
        .system_first(true)
        .build()
        .unwrap();
    assert_eq!(
        custom.resolve(&t("https://a.test/")).to_string(),
        "http://custom:9"
    );
}

#[test]
fn system_resolve_allocates_nothing_and_secrets_stay_hidden() {
    let resolver = Resolver::builder()
        .system(gnome::parse(G_AUTH))
        .build()
        .unwrap();
    let why = resolver.explain(&t("http://a.test/"));
    let shown = format!(
        "{why:?} {} {resolver:?} {:?}",
        why.reason(),
        gnome::parse(G_AUTH)
    );
    assert!(!shown.contains("s3cret"), "{shown}");
    let proxy = resolver
        .resolve(&t("http://a.test/"))
        .proxy()
        .unwrap()
        .clone();
    assert_eq!(proxy.credentials().unwrap().password(), Some("it's s3cret"));
}

// ===== CLI =====

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

fn temp_file(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("proxyroute-system-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn cli_reads_settings_from_a_bug_report() {
    let g = temp_file("gsettings.txt", GNOME_MANUAL);
    let (code, out, err) = run(&[
        "--gnome-gsettings",
        &g,
        "--json",
        "https://example.com/",
        "https://git.corp.example.com/",
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].contains(r#""route": ["http://secure.corp.example.com:3129"], "source": "gnome:org.gnome.system.proxy.https""#), "{}", lines[0]);
    assert!(lines[0].contains(r#""layer": "system""#), "{}", lines[0]);
    assert!(lines[1].contains(r#""rule": {"text": "*.corp.example.com", "index": 3, "source": "gnome:org.gnome.system.proxy ignore-hosts"}"#), "{}", lines[1]);

    let k = temp_file("kioslaverc", K_MANUAL);
    let (code, out, _) = run(&["--kde-kioslaverc", &k, "gopher://example.com/"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("route:   socks5://socks.corp.example.com:1080"),
        "{out}"
    );

    let s = temp_file("sysconfig", S_ON);
    let (code, out, _) = run(&["--sysconfig", &s, "ftp://example.com/"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("http://ftp-proxy.corp.example.com:3128"),
        "{out}"
    );

    let reg = temp_file(
        "settings.reg",
        &w("\"ProxyEnable\"=dword:00000001\n\"ProxyServer\"=\"http=h:1;socks=k:1080\"\n"),
    );
    let (code, out, _) = run(&["--windows-reg", &reg, "--json", "gopher://example.com/"]);
    assert_eq!(code, 0);
    assert!(out.contains(r#""route": ["socks4://k:1080"]"#), "{out}");

    // A PAC setting refuses the request in a build that cannot evaluate
    // it: exit 1, never DIRECT. (With `pac`, the CLI would fetch the
    // script's URL, which is not on loopback.)
    #[cfg(not(feature = "pac"))]
    {
        let pac = temp_file("auto.txt", G_AUTO);
        let (code, out, _) = run(&["--gnome-gsettings", &pac, "http://example.com/"]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("not evaluated"), "{out}");
    }

    let (code, _, err) = run(&["--kde-kioslaverc", "/nonexistent/kioslaverc", "http://a/"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--kde-kioslaverc /nonexistent/kioslaverc: "),
        "{err}"
    );
    let mac = temp_file("scutil.txt", M_MANUAL);
    let (code, out, _) = run(&["--macos-scutil", &mac, "--json", "https://example.com/"]);
    assert_eq!(code, 0);
    assert!(
        out.contains(r#""source": "macos:"#)
            && out.contains(r#""route": ["http://secure.corp.example.com:3129"]"#),
        "{out}"
    );
    #[cfg(not(feature = "pac"))]
    {
        let (code, _, err) = run(&["--pac", "x.pac", "http://a/"]);
        assert_eq!(code, 2);
        assert!(err.contains("--features pac"), "{err}");
    }
}

// ===== the real stores =====

/// The real `gsettings`, with a private keyfile backend in a temporary
/// `XDG_CONFIG_HOME`: values set by one process are read by the next,
/// without D-Bus. Under `CI=true` a missing `gsettings` fails the test.
#[cfg(feature = "system-gnome")]
#[test]
fn real_gsettings_round_trip() {
    let found = Command::new("gsettings")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").is_err(),
            "gsettings is missing under CI=true"
        );
        eprintln!("skipped: gsettings is not installed");
        return;
    }
    let home = std::env::temp_dir().join(format!("proxyroute-gsettings-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let gsettings = || {
        let mut c = Command::new("gsettings");
        c.env("GSETTINGS_BACKEND", "keyfile")
            .env("XDG_CONFIG_HOME", &home);
        c
    };
    let set = |schema: &str, key: &str, value: &str| {
        let status = gsettings()
            .args(["set", schema, key, value])
            .status()
            .unwrap();
        assert!(status.success(), "gsettings set {schema} {key} {value}");
    };
    set("org.gnome.system.proxy", "mode", "manual");
    set(
        "org.gnome.system.proxy",
        "ignore-hosts",
        "['localhost', '*.corp.example', '10.0.0.0/8']",
    );
    set("org.gnome.system.proxy.http", "host", "proxy.corp.example");
    set("org.gnome.system.proxy.http", "port", "3128");
    set("org.gnome.system.proxy.http", "use-authentication", "true");
    set(
        "org.gnome.system.proxy.http",
        "authentication-user",
        "alice",
    );
    set(
        "org.gnome.system.proxy.http",
        "authentication-password",
        "it's a s3cret",
    );
    set("org.gnome.system.proxy.socks", "host", "socks.corp.example");
    set("org.gnome.system.proxy.socks", "port", "1080");
    let system = gnome::read_command(gsettings()).expect("gsettings list-recursively");
    assert_eq!(system.mode(), &SystemMode::Manual);
    assert!(system.violations().is_empty(), "{:?}", system.violations());
    let resolver = Resolver::builder().system(system).build().unwrap();
    let proxy = resolver
        .resolve(&t("http://example.com/"))
        .proxy()
        .unwrap()
        .clone();
    assert_eq!(
        proxy.to_string(),
        "http://alice:***@proxy.corp.example:3128"
    );
    assert_eq!(
        proxy.credentials().unwrap().password(),
        Some("it's a s3cret")
    );
    assert_eq!(
        resolver.resolve(&t("https://example.com/")).to_string(),
        "http://alice:***@proxy.corp.example:3128"
    );
    assert_eq!(
        resolver.resolve(&t("gopher://example.com/")).to_string(),
        "socks5://socks.corp.example:1080"
    );
    assert!(resolver
        .resolve(&t("https://git.corp.example/"))
        .is_direct());
    assert!(resolver.resolve(&t("http://10.2.3.4/")).is_direct());

    set("org.gnome.system.proxy", "mode", "auto");
    set(
        "org.gnome.system.proxy",
        "autoconfig-url",
        "http://pac.corp.example/proxy.pac",
    );
    let system = gnome::read_command(gsettings()).unwrap();
    assert_eq!(
        system.mode(),
        &SystemMode::AutoConfig("http://pac.corp.example/proxy.pac".into())
    );

    // A failing gsettings is an error naming the store, never "no proxy".
    let err = gnome::read_command(Command::new("/nonexistent/gsettings")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("gnome: gsettings list-recursively"),
        "{err}"
    );
    assert!(err.to_string().contains("cannot run gsettings"), "{err}");
    let err = gnome::read_command(Command::new("false")).unwrap_err();
    assert!(err.to_string().contains("gsettings failed"), "{err}");
    let _ = std::fs::remove_dir_all(&home);
}

/// `/etc/sysconfig/proxy` as a real file, and an unreadable one.
#[cfg(feature = "system-sysconfig")]
#[test]
fn real_sysconfig_file() {
    let dir = std::env::temp_dir().join(format!("proxyroute-sysconfig-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("proxy");
    std::fs::write(&path, S_ON).unwrap();
    let system = sysconfig::read(&path).unwrap();
    assert_eq!(
        route(&system, "https://example.com/"),
        "http://secure.corp.example.com:3129"
    );
    let why = Resolver::builder()
        .system(system)
        .build()
        .unwrap()
        .explain(&t("https://example.com/"));
    assert_eq!(
        why.source(),
        format!("sysconfig:{} HTTPS_PROXY", path.display())
    );
    let err = sysconfig::read(&dir).unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("sysconfig:{}", dir.display())),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The macOS reader's command path, with a stand-in `scutil` (a shell
/// script printing a captured `scutil --proxy`): what it reads and how it
/// fails. The real `scutil` exists on macOS only.
#[cfg(all(unix, feature = "system-macos"))]
#[test]
fn macos_reader_runs_scutil_and_reads_its_output() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("proxyroute-scutil-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("out.txt");
    std::fs::write(&out, M_MANUAL).unwrap();
    let script = dir.join("scutil");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n[ \"$1\" = --proxy ] || exit 3\ncat '{}'\n",
            out.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    // Another test thread forking while the script was open for writing makes
    // exec fail with ETXTBSY for a moment: try again, briefly.
    let mut tries = 0;
    let system = loop {
        match macos::read_command(Command::new(&script)) {
            Err(e) if e.to_string().contains("Text file busy") && tries < 50 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => break other.unwrap(),
        }
    };
    assert_eq!(
        route(&system, "https://example.com/"),
        "http://secure.corp.example.com:3129"
    );
    let err = macos::read_command(Command::new(dir.join("missing"))).unwrap_err();
    assert!(
        err.to_string().starts_with("macos: scutil --proxy"),
        "{err}"
    );
    let mut wrong = Command::new(&script);
    wrong.arg("--dns");
    let err = macos::read_command(wrong).unwrap_err();
    assert!(err.to_string().contains("scutil failed"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Real files in a temporary XDG tree: the system-wide file, then the
/// user's, read through the cascade.
#[cfg(feature = "system-kde")]
#[test]
fn real_kioslaverc_cascade() {
    let root = std::env::temp_dir().join(format!("proxyroute-kde-{}", std::process::id()));
    let (etc, home) = (root.join("etc-xdg"), root.join("config"));
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(etc.join("kioslaverc"), K_MANUAL).unwrap();
    std::fs::write(
        home.join("kioslaverc"),
        "[Proxy Settings]\nhttpsProxy=http://mine.example 8443\n",
    )
    .unwrap();
    let vars = [
        (
            "XDG_CONFIG_DIRS".to_owned(),
            etc.to_str().unwrap().to_owned(),
        ),
        (
            "XDG_CONFIG_HOME".to_owned(),
            home.to_str().unwrap().to_owned(),
        ),
    ];
    let lookup = move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let system = kde::read(&lookup).unwrap();
    assert_eq!(
        route(&system, "https://example.com/"),
        "http://mine.example:8443"
    );
    assert_eq!(
        route(&system, "http://example.com/"),
        "http://proxy.corp.example.com:3128"
    );
    assert_eq!(route(&system, "https://git.corp.example.com/"), "DIRECT");
    let picked = proxyroute::system::from_system_with(|name| match name {
        "XDG_CURRENT_DESKTOP" => Some("KDE".into()),
        other => lookup(other),
    })
    .unwrap()
    .expect("KDE is picked");
    assert_eq!(picked.store(), proxyroute::system::Store::Kde);
    let _ = std::fs::remove_dir_all(&root);
}

/// A `DefaultConnectionSettings` blob (version 0x46) in hex digits.
fn blob_hex(flags: u32, proxy: &str, bypass: &str, pac: &str) -> String {
    let mut bytes = Vec::new();
    bytes.extend(0x46u32.to_le_bytes());
    bytes.extend(7u32.to_le_bytes());
    bytes.extend(flags.to_le_bytes());
    for text in [proxy, bypass, pac] {
        bytes.extend(u32::try_from(text.len()).unwrap().to_le_bytes());
        bytes.extend(text.as_bytes());
    }
    bytes.extend([0u8; 32]);
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Flags 0x0F: auto-detect, then the script URL, then the manual proxy.
fn w_detect_pac_manual() -> String {
    w("")
        + &connections(&blob_hex(
            0x0F,
            "manual.example:3128",
            "<local>",
            "http://127.0.0.1:9/proxy.pac",
        ))
}

#[test]
fn windows_auto_detect_names_the_script_url_to_try_next() {
    let s = windows::parse(&w_detect_pac_manual(), "t.reg");
    assert_eq!(s.mode(), &SystemMode::AutoDetect);
    assert_eq!(s.auto_detect_then(), Some("http://127.0.0.1:9/proxy.pac"));
    assert!(matches!(
        s.auto_fallback(),
        Some(AutoFallback::ManualProxies { .. })
    ));
    let only_detect = windows::parse(
        &(w("") + &connections(&blob_hex(0x0B, "manual.example:3128", "", ""))),
        "t.reg",
    );
    assert_eq!(only_detect.auto_detect_then(), None);
}

/// Divergence 3, the whole order: auto-detection finds nothing (no name
/// resolves), the script URL cannot be fetched, so the manual proxy serves.
#[cfg(feature = "pac-fetch")]
#[test]
fn windows_falls_through_detection_and_the_script_to_the_manual_proxy() {
    use proxyroute::pac::{wpad::Wpad, NoDns};
    let resolver = Resolver::builder()
        .system(windows::parse(&w_detect_pac_manual(), "t.reg"))
        .wpad(Wpad::new().with_resolver(NoDns))
        .build()
        .unwrap();
    assert!(resolver.load().is_err(), "no WPAD, nothing on 127.0.0.1:9");
    let why = resolver.explain(&t("http://example.com/"));
    assert_eq!(why.route().to_string(), "http://manual.example:3128");
    assert!(
        why.reason().contains("auto-detection found none")
            && why.reason().contains("could not be loaded")
            && why.reason().contains("manual proxy settings"),
        "{}",
        why.reason()
    );
    assert!(resolver.resolve(&t("http://intranet/")).is_direct());
}

#[test]
fn the_script_url_after_detection_hides_its_password() {
    let text = w("") + &connections(&blob_hex(0x0D, "", "", "http://u:s3cret@pac.example/p.pac"));
    let s = windows::parse(&text, "t.reg");
    assert_eq!(
        s.auto_detect_then(),
        Some("http://u:s3cret@pac.example/p.pac")
    );
    let debug = format!("{s:?}");
    assert!(!debug.contains("s3cret"), "{debug}");
}

/// WinINet's fallback from a script that cannot be fetched serves only the
/// schemes the manual settings have a proxy for; any other scheme stays
/// refused with the script's failure, never passed on to a silent DIRECT.
#[cfg(feature = "pac")]
#[test]
fn windows_fallback_never_makes_an_unserved_scheme_direct() {
    let reg = W_PAC_AND_MANUAL.replace(
        "\"ProxyServer\"=\"manual.example:3128\"",
        "\"ProxyServer\"=\"http=manual.example:3128\"",
    );
    let resolver = Resolver::builder()
        .system(windows::parse(&reg, "t.reg"))
        .build()
        .unwrap();
    assert!(resolver.load().is_err(), "nothing listens on 127.0.0.1:9");
    assert_eq!(
        resolver.resolve(&t("http://example.com/")).to_string(),
        "http://manual.example:3128"
    );
    let https = resolver.resolve(&t("https://example.com/"));
    assert!(https.is_refused(), "{https}");
    assert!(!resolver
        .explain(&t("https://example.com/"))
        .route()
        .is_direct());
}
