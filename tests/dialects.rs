//! One row per documented behaviour of each tool the dialects follow.
//!
//! Every row names the tool and the behaviour, injects its environment through
//! a lookup (the process environment is never touched), resolves one URL and
//! compares the route with what that tool does: `DIRECT`, a proxy URL as
//! `Route::to_string()` prints it (password as `***`), or `refused`. Each row
//! also checks that `resolve` and `explain(..).route()` agree, and the
//! `no_proxy` rows check the bypass list on its own (compiled and linear) too.
//!
//! Sources, read for the expectations (no code or text copied):
//! - curl: `lib/proxy.c` (was `lib/noproxy.c`): `proxy_detect_proxy`,
//!   `proxy_check_noproxy`, `match_host`, `match_ip`, `cidr4_match`,
//!   `cidr6_match`; `lib/getenv.c` (an empty variable reads as unset);
//!   `tests/unit/unit1614.c`; `docs/libcurl/opts/CURLOPT_PROXY.md` (port 1080,
//!   checked against curl 7.88 here; `socks://` is SOCKS4).
//! - Go: `x/net/http/httpproxy/proxy.go` and `proxy_test.go`.
//! - Python: `Lib/urllib/request.py` `getproxies_environment`,
//!   `proxy_bypass_environment`, `ProxyHandler`, `_parse_proxy`.
//! - Node: npm `proxy-from-env` `index.js` and `test.js`.
//! - hyper: hyper-util `src/client/proxy/matcher.rs` (`Builder::from_env`,
//!   `get_first_env`, `parse_env_uri`, `NoProxy::from_string`/`contains`).
//! - .NET: `SocketsHttpHandler/HttpEnvironmentProxy.cs` and `.Unix.cs`.
//! - Chromium: `net/proxy_resolution/proxy_config_service_linux.cc`
//!   (`GetConfigFromEnv`, `FixupProxyHostScheme`, `RewriteRulesForSuffixMatching`),
//!   its unit test `BasicEnvTest`, `base/environment.cc`,
//!   `net/base/scheme_host_port_matcher_rule.cc`, `proxy_bypass_rules.cc`.
//! - Postman: postman-request `lib/getProxyFromURI.js`, `lib/socks.js`
//!   (`getProxyFromURI`, `uriInNoProxy`).
//! - Issue 12: the rows marked so were observed by running curl 7.88.1,
//!   Go 1.19.8, CPython 3.11.2 and npm proxy-from-env 2.1.0 here (loopback
//!   only); docs/dialects.md lists the versions and the deliberate differences.

use proxyroute::{env::lookup_in, BypassList, Dialect, EnvProxies, Resolver, Route, Target};

/// What a row checks.
#[derive(Debug, Clone, Copy)]
enum Check {
    /// Resolve `url` with exactly these variables set.
    Env {
        env: &'static [(&'static str, &'static str)],
        want: &'static str,
        password: Option<&'static str>,
    },
    /// `http_proxy` and `https_proxy` set to `http://p:1` and `no_proxy` to
    /// `list`: is `url` sent direct? Also checked on the list alone.
    NoProxy { list: &'static str, bypass: bool },
    /// How many entries of `list` are reported as skipped or never matching.
    Violations { list: &'static str, count: usize },
}

#[derive(Debug, Clone, Copy)]
struct Row {
    name: &'static str,
    dialect: Dialect,
    url: &'static str,
    check: Check,
}

/// A row with an injected environment.
macro_rules! row {
    (@opt) => { None };
    (@opt $v:literal) => { Some($v) };
    ($name:literal, $d:ident, env = [$(($k:literal, $v:literal)),* $(,)?], url = $url:literal, want = $want:literal
     $(, password = $pw:literal)? $(,)?) => {
        Row {
            name: $name,
            dialect: Dialect::$d,
            url: $url,
            check: Check::Env { env: &[$(($k, $v)),*], want: $want, password: row!(@opt $($pw)?) },
        }
    };
}

/// A `no_proxy` row: `bypass` (DIRECT) or `proxy` (through `http://p:1`).
macro_rules! np {
    ($name:literal, $d:ident, $list:literal, $url:literal, bypass $(,)?) => {
        np!(@make $name, $d, $list, $url, true)
    };
    ($name:literal, $d:ident, $list:literal, $url:literal, proxy $(,)?) => {
        np!(@make $name, $d, $list, $url, false)
    };
    (@make $name:literal, $d:ident, $list:literal, $url:literal, $bypass:literal) => {
        Row {
            name: $name,
            dialect: Dialect::$d,
            url: $url,
            check: Check::NoProxy { list: $list, bypass: $bypass },
        }
    };
}

/// A row counting the entries of a list reported as skipped or never matching.
macro_rules! viol {
    ($name:literal, $d:ident, $list:literal, $count:literal) => {
        Row {
            name: $name,
            dialect: Dialect::$d,
            url: "http://example.com/",
            check: Check::Violations {
                list: $list,
                count: $count,
            },
        }
    };
}

const NP_PROXY: &str = "http://p:1";

// ---------------------------------------------------------------------------
// curl
// ---------------------------------------------------------------------------

const CURL: &[Row] = &[
    // Variables and their case order.
    row!(
        "curl: http_proxy serves http URLs",
        Curl,
        env = [("http_proxy", "http://lower:1111")],
        url = "http://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "curl: uppercase HTTP_PROXY is never read",
        Curl,
        env = [("HTTP_PROXY", "http://upper:2222")],
        url = "http://example.com/",
        want = "DIRECT"
    ),
    row!(
        "curl: HTTP_PROXY=A and http_proxy=B give B",
        Curl,
        env = [
            ("HTTP_PROXY", "http://upper:2222"),
            ("http_proxy", "http://lower:1111")
        ],
        url = "http://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "curl: https_proxy serves https URLs",
        Curl,
        env = [("https_proxy", "http://lower:1111")],
        url = "https://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "curl: uppercase HTTPS_PROXY is read",
        Curl,
        env = [("HTTPS_PROXY", "http://upper:2222")],
        url = "https://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "curl: lowercase https_proxy wins over HTTPS_PROXY",
        Curl,
        env = [
            ("HTTPS_PROXY", "http://upper:2222"),
            ("https_proxy", "http://lower:1111")
        ],
        url = "https://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "curl: only http_proxy set, an https URL goes direct",
        Curl,
        env = [("http_proxy", "http://lower:1111")],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    row!(
        "curl: https_proxy does not serve http URLs",
        Curl,
        env = [("https_proxy", "http://lower:1111")],
        url = "http://example.com/",
        want = "DIRECT"
    ),
    // Empty values: curl_getenv reads an empty variable as unset.
    row!(
        "curl: empty https_proxy is unset, so HTTPS_PROXY is used",
        Curl,
        env = [("https_proxy", ""), ("HTTPS_PROXY", "http://upper:2222")],
        url = "https://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "curl: empty https_proxy falls through to all_proxy",
        Curl,
        env = [("https_proxy", ""), ("all_proxy", "http://all:3333")],
        url = "https://example.com/",
        want = "http://all:3333"
    ),
    row!(
        "curl: empty http_proxy and a set HTTP_PROXY still go direct",
        Curl,
        env = [("http_proxy", ""), ("HTTP_PROXY", "http://upper:2222")],
        url = "http://example.com/",
        want = "DIRECT"
    ),
    // ALL_PROXY.
    row!(
        "curl: all_proxy is the last resort for https",
        Curl,
        env = [("all_proxy", "http://all:3333")],
        url = "https://example.com/",
        want = "http://all:3333"
    ),
    row!(
        "curl: uppercase ALL_PROXY is read",
        Curl,
        env = [("ALL_PROXY", "http://all:3333")],
        url = "http://example.com/",
        want = "http://all:3333"
    ),
    row!(
        "curl: lowercase all_proxy wins over ALL_PROXY",
        Curl,
        env = [
            ("ALL_PROXY", "http://upper:2222"),
            ("all_proxy", "http://all:3333")
        ],
        url = "http://example.com/",
        want = "http://all:3333"
    ),
    row!(
        "curl: ALL_PROXY=A and HTTPS_PROXY=B give B for https",
        Curl,
        env = [
            ("ALL_PROXY", "http://all:3333"),
            ("HTTPS_PROXY", "http://upper:2222")
        ],
        url = "https://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "curl: all_proxy serves any protocol, imap included",
        Curl,
        env = [("all_proxy", "http://all:3333")],
        url = "imap://mail.example.com/",
        want = "http://all:3333"
    ),
    // Request schemes.
    row!(
        "curl: ws URLs read ws_proxy first",
        Curl,
        env = [
            ("ws_proxy", "http://ws:4444"),
            ("http_proxy", "http://lower:1111")
        ],
        url = "ws://example.com/",
        want = "http://ws:4444"
    ),
    row!(
        "curl: uppercase WS_PROXY serves ws",
        Curl,
        env = [
            ("WS_PROXY", "http://ws:4444"),
            ("http_proxy", "http://lower:1111")
        ],
        url = "ws://example.com/",
        want = "http://ws:4444"
    ),
    row!(
        "curl: ws URLs fall back to http_proxy",
        Curl,
        env = [("http_proxy", "http://lower:1111")],
        url = "ws://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "curl: ws URLs never fall back to uppercase HTTP_PROXY",
        Curl,
        env = [("HTTP_PROXY", "http://upper:2222")],
        url = "ws://example.com/",
        want = "DIRECT"
    ),
    row!(
        "curl: wss URLs fall back to HTTPS_PROXY",
        Curl,
        env = [("HTTPS_PROXY", "http://upper:2222")],
        url = "wss://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "curl: wss_proxy wins over https_proxy for wss",
        Curl,
        env = [
            ("wss_proxy", "http://ws:4444"),
            ("https_proxy", "http://lower:1111")
        ],
        url = "wss://example.com/",
        want = "http://ws:4444"
    ),
    row!(
        "curl: ftp URLs read ftp_proxy",
        Curl,
        env = [("ftp_proxy", "http://lower:1111")],
        url = "ftp://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "curl: ftp URLs read uppercase FTP_PROXY",
        Curl,
        env = [("FTP_PROXY", "http://upper:2222")],
        url = "ftp://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "curl: http_proxy does not serve ftp",
        Curl,
        env = [("http_proxy", "http://lower:1111")],
        url = "ftp://example.com/",
        want = "DIRECT"
    ),
    row!(
        "curl: ftp without ftp_proxy uses all_proxy",
        Curl,
        env = [
            ("http_proxy", "http://lower:1111"),
            ("all_proxy", "http://all:3333")
        ],
        url = "ftp://example.com/",
        want = "http://all:3333"
    ),
    // No CGI guard beyond never reading HTTP_PROXY.
    row!(
        "curl: REQUEST_METHOD set, http_proxy is still used",
        Curl,
        env = [
            ("REQUEST_METHOD", "GET"),
            ("http_proxy", "http://lower:1111")
        ],
        url = "http://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "curl: REQUEST_METHOD set, HTTPS_PROXY is still used",
        Curl,
        env = [
            ("REQUEST_METHOD", "GET"),
            ("HTTPS_PROXY", "http://upper:2222")
        ],
        url = "https://example.com/",
        want = "http://upper:2222"
    ),
    // Proxy values.
    row!(
        "curl: a value without scheme is an HTTP proxy",
        Curl,
        env = [("https_proxy", "proxy:3128")],
        url = "https://example.com/",
        want = "http://proxy:3128"
    ),
    row!(
        "curl: an HTTP proxy without port uses 1080",
        Curl,
        env = [("https_proxy", "http://proxy")],
        url = "https://example.com/",
        want = "http://proxy:1080"
    ),
    row!(
        "curl: a bare host name is HTTP on port 1080",
        Curl,
        env = [("http_proxy", "proxy")],
        url = "http://example.com/",
        want = "http://proxy:1080"
    ),
    row!(
        "curl: an HTTPS proxy without port uses 443",
        Curl,
        env = [("https_proxy", "https://proxy")],
        url = "https://example.com/",
        want = "https://proxy:443"
    ),
    row!(
        "curl: socks:// is SOCKS4",
        Curl,
        env = [("all_proxy", "socks://proxy")],
        url = "https://example.com/",
        want = "socks4://proxy:1080"
    ),
    row!(
        "curl: socks5h:// keeps name resolution at the proxy",
        Curl,
        env = [("all_proxy", "socks5h://proxy:9050")],
        url = "https://example.com/",
        want = "socks5h://proxy:9050"
    ),
    row!(
        "curl: socks4a:// is accepted",
        Curl,
        env = [("all_proxy", "socks4a://proxy:1081")],
        url = "https://example.com/",
        want = "socks4a://proxy:1081"
    ),
    row!(
        "curl: credentials in the value are used, decoded, and printed masked",
        Curl,
        env = [("https_proxy", "http://alice:p%40ss@proxy:3128")],
        url = "https://example.com/",
        want = "http://alice:***@proxy:3128",
        password = "p@ss"
    ),
    row!(
        "curl: a trailing slash in the value is ignored",
        Curl,
        env = [("https_proxy", "http://proxy:3128/")],
        url = "https://example.com/",
        want = "http://proxy:3128"
    ),
    row!(
        "curl: an unsupported proxy scheme is refused, not ignored",
        Curl,
        env = [("https_proxy", "ftp://proxy:21")],
        url = "https://example.com/",
        want = "refused"
    ),
    // Implicit bypass: none.
    row!(
        "curl: localhost goes through the proxy without NO_PROXY",
        Curl,
        env = [("http_proxy", "http://lower:1111")],
        url = "http://localhost/",
        want = "http://lower:1111"
    ),
    row!(
        "curl: 127.0.0.1 goes through the proxy without NO_PROXY",
        Curl,
        env = [("http_proxy", "http://lower:1111")],
        url = "http://127.0.0.1/",
        want = "http://lower:1111"
    ),
    // NO_PROXY variables.
    row!(
        "curl: empty no_proxy is unset, so NO_PROXY is used",
        Curl,
        env = [
            ("https_proxy", "http://p:1"),
            ("no_proxy", ""),
            ("NO_PROXY", "example.com")
        ],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    row!(
        "curl: lowercase no_proxy wins over NO_PROXY",
        Curl,
        env = [
            ("https_proxy", "http://p:1"),
            ("no_proxy", "other.org"),
            ("NO_PROXY", "example.com")
        ],
        url = "https://example.com/",
        want = "http://p:1"
    ),
    // NO_PROXY semantics (curl tests/unit/unit1614.c).
    np!(
        "curl: a bare name matches itself",
        Curl,
        "localhost,example.com,.example.de",
        "https://example.com/",
        bypass
    ),
    np!(
        "curl: a bare name matches its subdomains",
        Curl,
        "localhost,example.com,.example.de",
        "https://www.example.com/",
        bypass
    ),
    np!(
        "curl: a bare name does not match a longer name",
        Curl,
        "localhost,example.com,.example.de",
        "https://nexample.com/",
        proxy
    ),
    np!(
        "curl: a leading dot also matches the domain itself",
        Curl,
        ".example.com, .example.net",
        "https://example.com/",
        bypass
    ),
    np!(
        "curl: a leading dot matches subdomains",
        Curl,
        "foo, .example.com",
        "https://www.example.com/",
        bypass
    ),
    np!(
        "curl: a leading dot does not match a longer name",
        Curl,
        ".example.com, .example.net",
        "https://nonexample.com/",
        proxy
    ),
    np!(
        "curl: a sibling subdomain does not match",
        Curl,
        "www2.example.com, .example.net",
        "https://www.example.com/",
        proxy
    ),
    np!(
        "curl: * alone bypasses every host",
        Curl,
        "*",
        "https://example.com/",
        bypass
    ),
    np!(
        "curl: * alone bypasses IP literals too",
        Curl,
        "*",
        "http://10.0.0.1/",
        bypass
    ),
    np!(
        "curl: * inside a list is not a wildcard",
        Curl,
        "*,foo.org",
        "https://example.com/",
        proxy
    ),
    np!(
        "curl: * with blanks around it is not the wildcard",
        Curl,
        " * ",
        "https://example.com/",
        proxy
    ),
    np!(
        "curl: *.example.com never matches",
        Curl,
        "*.example.com",
        "https://www.example.com/",
        proxy
    ),
    np!(
        "curl: host:port never matches, even on that port",
        Curl,
        "example.com:8080",
        "http://example.com:8080/",
        proxy
    ),
    np!(
        "curl: 10.0.0.0/8 matches 10.1.2.3",
        Curl,
        "10.0.0.0/8",
        "http://10.1.2.3/",
        bypass
    ),
    np!(
        "curl: 192.168.0.0/16 matches after other entries",
        Curl,
        "foo, bar, 192.168.0.0/16",
        "http://192.168.1.1/",
        bypass
    ),
    np!(
        "curl: 192.168.0.0/24 does not match 192.168.1.1",
        Curl,
        "foo, bar, 192.168.0.0/24",
        "http://192.168.1.1/",
        proxy
    ),
    np!(
        "curl: a /32 network is one address",
        Curl,
        "192.168.0.0/32",
        "http://192.168.0.1/",
        proxy
    ),
    np!(
        "curl: an address without mask is exact",
        Curl,
        "192.168.0.0",
        "http://192.168.0.1/",
        proxy
    ),
    np!(
        "curl: a /0 mask means the single address, not every address",
        Curl,
        "192.168.0.1/0",
        "http://192.168.0.2/",
        proxy
    ),
    np!(
        "curl: a /0 mask still matches its own address",
        Curl,
        "192.168.0.1/0",
        "http://192.168.0.1/",
        bypass
    ),
    np!(
        "curl: a /33 mask never matches",
        Curl,
        "192.168.0.0/33",
        "http://192.168.0.1/",
        proxy
    ),
    // curl 7.88 (Debian), run here: the URL's IPv6 host reaches
    // `Curl_check_noproxy` without brackets and is read as a name, so IPv6
    // CIDR blocks never match it (`no_proxy=2001:db8::/32` left
    // `http://[2001:db8::5]:9/` on the proxy, `::1/128` left `[::1]` on it)
    // and IPv6 entries match as text (`::1` matched `[0::1]`, which curl
    // writes `::1`; `0:0::1` did not match `[::1]`; `2001:DB8::1` matched
    // `[2001:db8::1]`). curl 8 reads IPv6 hosts as addresses (docs/dialects.md).
    np!(
        "curl: an IPv6 CIDR does not match the loopback address (7.x)",
        Curl,
        "foo, bar, ::1/64",
        "http://[::1]/",
        proxy
    ),
    np!(
        "curl: an IPv6 /32 does not match inside it (7.x)",
        Curl,
        "2001:db8::/32",
        "https://[2001:db8::5]/",
        proxy
    ),
    np!(
        "curl: an IPv6 entry matches the host's text, case aside (7.x)",
        Curl,
        "2001:DB8::1",
        "http://[2001:db8::1]:9/",
        bypass
    ),
    np!(
        "curl: an IPv6 entry in another spelling does not match (7.x)",
        Curl,
        "0:0::1",
        "http://[::1]:9/",
        proxy
    ),
    np!(
        "curl: the URL's IPv6 spelling is normalised before the text match (7.x)",
        Curl,
        "::1",
        "http://[0::1]:9/",
        bypass
    ),
    viol!(
        "curl: an IPv6 CIDR block is reported as never matching (7.x)",
        Curl,
        "2001:db8::/32,::1",
        1
    ),
    np!(
        "curl: an IPv6 /129 never matches",
        Curl,
        "::1/129",
        "http://[::1]/",
        proxy
    ),
    np!(
        "curl: an IPv4 CIDR does not match an IPv6 host",
        Curl,
        "foo, bar, 192.168.0.0/16",
        "http://[::1]/",
        proxy
    ),
    np!(
        "curl: a bracketed IPv6 entry never matches",
        Curl,
        "[2001:db8::1]",
        "https://[2001:db8::1]/",
        proxy
    ),
    np!(
        "curl: an unbracketed IPv6 entry matches",
        Curl,
        "2001:db8::1",
        "https://[2001:db8::1]/",
        bypass
    ),
    np!(
        "curl: CIDR does not match host names",
        Curl,
        "10.0.0.0/8",
        "https://example.com/",
        proxy
    ),
    np!(
        "curl: an IP entry does not match the name localhost",
        Curl,
        "127.0.0.1",
        "http://localhost/",
        proxy
    ),
    np!(
        "curl: a name entry does not match an IP host",
        Curl,
        "localhost",
        "http://127.0.0.1/",
        proxy
    ),
    np!(
        "curl: matching ignores case",
        Curl,
        "foo, BAR, ::1/64",
        "http://bAr/",
        bypass
    ),
    np!(
        "curl: runs of commas and blanks are skipped",
        Curl,
        "foo,,,,,              bar, ::1/64",
        "http://bar/",
        bypass
    ),
    np!(
        "curl: comma and blank together separate entries",
        Curl,
        "a.org, example.com",
        "https://example.com/",
        bypass
    ),
    // curl 7.88, run here: `no_proxy="example.com other.com"` sent both
    // hosts direct, and `"a.com b.com, other.com"` sent other.com direct: a
    // blank separates entries (curl 8 stops reading at it; docs/dialects.md).
    np!(
        "curl: a blank separates entries (7.x)",
        Curl,
        "localhost example.com",
        "https://example.com/",
        bypass
    ),
    np!(
        "curl: entries after a blank and a comma are read (7.x)",
        Curl,
        "a.com b.com, other.com",
        "http://other.com/",
        bypass
    ),
    np!(
        "curl: the entry before the blank still matches",
        Curl,
        "localhost example.com",
        "http://localhost/",
        bypass
    ),
    np!(
        "curl: a trailing dot in the entry is ignored",
        Curl,
        "localhost,www.example.com.,.example.de",
        "https://www.example.com/",
        bypass
    ),
    np!(
        "curl: a trailing dot in the URL is ignored",
        Curl,
        "localhost,.example.com,.example.de",
        "https://www.example.com./",
        bypass
    ),
    np!(
        "curl: a semicolon is not a separator",
        Curl,
        "a.org;example.com",
        "https://example.com/",
        proxy
    ),
    np!(
        "curl: IPv4-mapped IPv6 host is not in an IPv4 CIDR",
        Curl,
        "10.0.0.0/8",
        "http://[::ffff:10.1.2.3]/",
        proxy
    ),
    np!(
        "curl: IPv4-mapped IPv6 host is not an exact IPv4 entry",
        Curl,
        "10.1.2.3",
        "http://[::ffff:10.1.2.3]/",
        proxy
    ),
    np!(
        "curl: an IPv4 host is not in an IPv4-mapped IPv6 CIDR",
        Curl,
        "::ffff:10.0.0.0/104",
        "http://10.1.2.3/",
        proxy
    ),
    // curl 7.88, run here: `no_proxy=::ffff:10.0.0.0/104` left
    // `http://[::ffff:10.1.2.3]:9/` on the proxy; `::ffff:10.1.2.3` matched it
    // as text, `::ffff:a01:203` did not.
    np!(
        "curl: IPv4-mapped IPv6 host is not in an IPv4-mapped IPv6 CIDR (7.x)",
        Curl,
        "::ffff:10.0.0.0/104",
        "http://[::ffff:10.1.2.3]/",
        proxy
    ),
    np!(
        "curl: IPv4-mapped IPv6 host matches its own text (7.x)",
        Curl,
        "::ffff:10.1.2.3",
        "http://[::ffff:10.1.2.3]:9/",
        bypass
    ),
    viol!(
        "curl: *.x, host:port, [v6] and a bad mask are reported",
        Curl,
        "*.example.com,example.com:80,[::1],10.0.0.0/33,ok.org",
        4
    ),
    row!(
        "curl: an unknown request scheme still gets all_proxy",
        Curl,
        env = [
            ("http_proxy", "http://lower:1111"),
            ("all_proxy", "http://all:3333")
        ],
        url = "foo://example.com/",
        want = "http://all:3333"
    ),
    // Issue 12, run against curl 7.88.1 (Debian) in a network namespace
    // holding only loopback, reading `curl -v`'s first hop.
    // Item 3: `https_proxy=" http://p:3128"` and `"http://p:3128 "` both
    // gave "Unsupported proxy syntax": no request was sent.
    row!(
        "curl: a proxy value with a blank in front is refused",
        Curl,
        env = [("https_proxy", " http://p:3128")],
        url = "https://example.com/",
        want = "refused"
    ),
    row!(
        "curl: a proxy value with a blank behind is refused",
        Curl,
        env = [("http_proxy", "http://p:3128 ")],
        url = "http://example.com/",
        want = "refused"
    ),
    // Item 7: with all_proxy and file_proxy set, curl read
    // file://localhost/etc/hostname itself.
    row!(
        "curl: file URLs are never proxied",
        Curl,
        env = [("all_proxy", "http://p:1"), ("file_proxy", "http://q:1")],
        url = "file://localhost/etc/hostname",
        want = "DIRECT"
    ),
    row!(
        "curl: a file URL without a host is never proxied",
        Curl,
        env = [("all_proxy", "http://p:1")],
        url = "file:///etc/hostname",
        want = "DIRECT"
    ),
    // Item 2: `no_proxy=bücher.example` left `http://xn--bcher-kva.example/`
    // and (UTF-8 locale) `http://bücher.example/` on the proxy;
    // `no_proxy=xn--bcher-kva.example` sent `http://bücher.example/` direct.
    np!(
        "curl: a Unicode entry does not match the punycode host",
        Curl,
        "bücher.example",
        "http://xn--bcher-kva.example/",
        proxy
    ),
    np!(
        "curl: a Unicode entry does not match the Unicode host either",
        Curl,
        "bücher.example",
        "http://bücher.example/",
        proxy
    ),
    np!(
        "curl: a punycode entry matches the Unicode host",
        Curl,
        "xn--bcher-kva.example",
        "http://bücher.example/",
        bypass
    ),
    viol!(
        "curl: a Unicode entry is reported as never matching",
        Curl,
        "bücher.example,example.com",
        1
    ),
    // Item 1: curl drops the trailing dot on both sides
    // (`no_proxy=example.com` sent `http://example.com./` direct).
    np!(
        "curl: a trailing dot on the host and on the entry both ignored",
        Curl,
        "example.com.",
        "http://www.example.com./",
        bypass
    ),
];

// ---------------------------------------------------------------------------
// Go (golang.org/x/net/http/httpproxy)
// ---------------------------------------------------------------------------

const GO: &[Row] = &[
    row!(
        "go: HTTP_PROXY serves http URLs",
        Go,
        env = [("HTTP_PROXY", "http://upper:2222")],
        url = "http://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "go: lowercase http_proxy is read when HTTP_PROXY is unset",
        Go,
        env = [("http_proxy", "http://lower:1111")],
        url = "http://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "go: HTTP_PROXY=A and http_proxy=B give A",
        Go,
        env = [
            ("HTTP_PROXY", "http://upper:2222"),
            ("http_proxy", "http://lower:1111")
        ],
        url = "http://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "go: empty HTTP_PROXY is unset, so http_proxy is used",
        Go,
        env = [("HTTP_PROXY", ""), ("http_proxy", "http://lower:1111")],
        url = "http://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "go: HTTPS_PROXY wins over https_proxy",
        Go,
        env = [
            ("HTTPS_PROXY", "http://upper:2222"),
            ("https_proxy", "http://lower:1111")
        ],
        url = "https://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "go: http URLs use the HTTP proxy, not the HTTPS one",
        Go,
        env = [
            ("HTTP_PROXY", "http.proxy.tld"),
            ("HTTPS_PROXY", "secure.proxy.tld")
        ],
        url = "http://insecure.tld/",
        want = "http://http.proxy.tld:80"
    ),
    row!(
        "go: https URLs use the HTTPS proxy",
        Go,
        env = [
            ("HTTP_PROXY", "http.proxy.tld"),
            ("HTTPS_PROXY", "secure.proxy.tld")
        ],
        url = "https://secure.tld/",
        want = "http://secure.proxy.tld:80"
    ),
    row!(
        "go: only HTTP_PROXY set, an https URL goes direct",
        Go,
        env = [("HTTP_PROXY", "http.proxy.tld")],
        url = "https://secure.tld/",
        want = "DIRECT"
    ),
    row!(
        "go: ftp URLs get no proxy",
        Go,
        env = [("HTTP_PROXY", "http.proxy.tld")],
        url = "ftp://insecure.tld/",
        want = "DIRECT"
    ),
    row!(
        "go: ws URLs get no proxy",
        Go,
        env = [
            ("HTTP_PROXY", "http.proxy.tld"),
            ("HTTPS_PROXY", "secure.proxy.tld")
        ],
        url = "ws://example.com/",
        want = "DIRECT"
    ),
    row!(
        "go: ALL_PROXY is not read",
        Go,
        env = [("ALL_PROXY", "http://all:3333")],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    row!(
        "go: ALL_PROXY=A and HTTPS_PROXY=B give B",
        Go,
        env = [
            ("ALL_PROXY", "http://all:3333"),
            ("HTTPS_PROXY", "http://upper:2222")
        ],
        url = "https://example.com/",
        want = "http://upper:2222"
    ),
    // CGI (golang.org/s/cgihttpproxy).
    row!(
        "go: CGI refuses an http URL with HTTP_PROXY",
        Go,
        env = [
            ("REQUEST_METHOD", "GET"),
            ("HTTP_PROXY", "http://10.1.2.3:8080")
        ],
        url = "http://example.com/",
        want = "refused"
    ),
    // Go 1.19 (differential corpus): the CGI refusal comes before NO_PROXY,
    // the localhost exemption and the value's own parsing.
    row!(
        "go: CGI refuses HTTP_PROXY before NO_PROXY and before reading the value",
        Go,
        env = [
            ("REQUEST_METHOD", "GET"),
            ("HTTP_PROXY", "socks4://p"),
            ("NO_PROXY", "*")
        ],
        url = "http://example.com/",
        want = "refused"
    ),
    row!(
        "go: CGI refuses HTTP_PROXY for localhost too",
        Go,
        env = [("REQUEST_METHOD", "GET"), ("HTTP_PROXY", "http://p:3128")],
        url = "http://localhost/",
        want = "refused"
    ),
    row!(
        "go: CGI refuses lowercase http_proxy too",
        Go,
        env = [
            ("REQUEST_METHOD", "POST"),
            ("http_proxy", "http://lower:1111")
        ],
        url = "http://example.com/",
        want = "refused"
    ),
    row!(
        "go: CGI still uses the HTTPS proxy for https",
        Go,
        env = [
            ("REQUEST_METHOD", "GET"),
            ("HTTPS_PROXY", "https://secure.proxy.tld")
        ],
        url = "https://secure.tld/",
        want = "https://secure.proxy.tld:443"
    ),
    row!(
        "go: an empty REQUEST_METHOD is not CGI",
        Go,
        env = [("REQUEST_METHOD", ""), ("HTTP_PROXY", "http://upper:2222")],
        url = "http://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "go: CGI without an HTTP proxy is simply direct",
        Go,
        env = [
            ("REQUEST_METHOD", "GET"),
            ("HTTPS_PROXY", "http://upper:2222")
        ],
        url = "http://example.com/",
        want = "DIRECT"
    ),
    row!(
        "go: CGI refusal comes before NO_PROXY",
        Go,
        env = [
            ("REQUEST_METHOD", "GET"),
            ("HTTP_PROXY", "http://upper:2222"),
            ("NO_PROXY", "example.com")
        ],
        url = "http://example.com/",
        want = "refused"
    ),
    // Proxy values (proxy_test.go).
    row!(
        "go: host:port without scheme is http",
        Go,
        env = [("HTTP_PROXY", "127.0.0.1:8080")],
        url = "http://example.com/",
        want = "http://127.0.0.1:8080"
    ),
    row!(
        "go: a host without port is http on port 80",
        Go,
        env = [("HTTP_PROXY", "cache.corp.example.com")],
        url = "http://example.com/",
        want = "http://cache.corp.example.com:80"
    ),
    row!(
        "go: a single-label host is a host, not a scheme",
        Go,
        env = [("HTTP_PROXY", "localhost")],
        url = "http://example.com/",
        want = "http://localhost:80"
    ),
    row!(
        "go: an https proxy without port uses 443",
        Go,
        env = [("HTTP_PROXY", "https://cache.corp.example.com")],
        url = "http://example.com/",
        want = "https://cache.corp.example.com:443"
    ),
    row!(
        "go: socks5 proxy without port uses 1080",
        Go,
        env = [("HTTP_PROXY", "socks5://127.0.0.1")],
        url = "http://example.com/",
        want = "socks5://127.0.0.1:1080"
    ),
    row!(
        "go: credentials in the value are kept",
        Go,
        env = [("HTTPS_PROXY", "http://bob:pw%3Ax@proxy:3128")],
        url = "https://example.com/",
        want = "http://bob:***@proxy:3128",
        password = "pw:x"
    ),
    // Implicit bypass: localhost and every loopback address.
    row!(
        "go: localhost is never proxied",
        Go,
        env = [("HTTPS_PROXY", "http://upper:2222")],
        url = "https://localhost/",
        want = "DIRECT"
    ),
    row!(
        "go: 127.0.0.2 is never proxied",
        Go,
        env = [("HTTP_PROXY", "http://upper:2222")],
        url = "http://127.0.0.2:8080/",
        want = "DIRECT"
    ),
    row!(
        "go: [::1] is never proxied",
        Go,
        env = [("HTTP_PROXY", "http://upper:2222")],
        url = "http://[::1]/",
        want = "DIRECT"
    ),
    row!(
        "go: [::2] is not loopback and is proxied",
        Go,
        env = [("HTTP_PROXY", "http://upper:2222")],
        url = "http://[::2]/",
        want = "http://upper:2222"
    ),
    row!(
        "go: local.localhost is not implicit",
        Go,
        env = [("HTTP_PROXY", "http://upper:2222")],
        url = "http://local.localhost/",
        want = "http://upper:2222"
    ),
    row!(
        "go: localhost.net is not implicit",
        Go,
        env = [("HTTP_PROXY", "http://upper:2222")],
        url = "http://localhost.net/",
        want = "http://upper:2222"
    ),
    // NO_PROXY variables.
    row!(
        "go: NO_PROXY wins over no_proxy",
        Go,
        env = [
            ("HTTPS_PROXY", "http://p:1"),
            ("NO_PROXY", "example.com"),
            ("no_proxy", "other.org")
        ],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    row!(
        "go: empty NO_PROXY is unset, so no_proxy is used",
        Go,
        env = [
            ("HTTPS_PROXY", "http://p:1"),
            ("NO_PROXY", ""),
            ("no_proxy", "example.com")
        ],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    // NO_PROXY semantics (proxy_test.go UseProxyTests).
    np!(
        "go: a bare name matches itself",
        Go,
        "example.com",
        "http://example.com/",
        bypass
    ),
    np!(
        "go: a bare name matches subdomains",
        Go,
        "example.com",
        "http://foo.example.com/",
        bypass
    ),
    np!(
        "go: a leading dot does not match the domain itself",
        Go,
        ".example.com",
        "http://example.com/",
        proxy
    ),
    np!(
        "go: a leading dot matches subdomains",
        Go,
        "foobar.com, .barbaz.net",
        "http://www.barbaz.net/",
        bypass
    ),
    np!(
        "go: a name is not a suffix of a longer label",
        Go,
        "ample.com",
        "http://example.com/",
        proxy
    ),
    np!(
        "go: foobar.com does not match foofoobar.com",
        Go,
        "foobar.com, .barbaz.net",
        "http://foofoobar.com/",
        proxy
    ),
    np!(
        "go: an unrelated leading-dot entry does not match",
        Go,
        ".foo.com",
        "http://example.com/",
        proxy
    ),
    np!(
        "go: *.domain matches subdomains",
        Go,
        "*.wildcard.io",
        "http://nested.wildcard.io/",
        bypass
    ),
    np!(
        "go: *.domain does not match the domain itself",
        Go,
        "*.wildcard.io",
        "http://wildcard.io/",
        proxy
    ),
    np!(
        "go: *.domain does not match a longer label",
        Go,
        "*.wildcard.io",
        "http://awildcard.io/",
        proxy
    ),
    np!(
        "go: * bypasses host names",
        Go,
        "*",
        "https://example.com/",
        bypass
    ),
    np!(
        "go: * bypasses IP literals too",
        Go,
        "*",
        "http://10.1.2.3/",
        bypass
    ),
    np!(
        "go: * among other entries still bypasses everything",
        Go,
        "foo.org,*",
        "https://example.com/",
        bypass
    ),
    np!(
        "go: an exact IPv4 entry",
        Go,
        "192.168.1.1",
        "http://192.168.1.1/",
        bypass
    ),
    np!(
        "go: an IPv4 entry with another port does not match",
        Go,
        "192.168.1.2:81",
        "http://192.168.1.2/",
        proxy
    ),
    np!(
        "go: an IPv4 entry with the request's port matches",
        Go,
        "192.168.1.3:80",
        "http://192.168.1.3/",
        bypass
    ),
    np!(
        "go: an IPv4 CIDR matches inside it",
        Go,
        "10.0.0.0/30",
        "http://10.0.0.2/",
        bypass
    ),
    np!(
        "go: an IPv4 CIDR does not match outside it",
        Go,
        "10.0.0.0/30",
        "http://10.0.0.4/",
        proxy
    ),
    np!(
        "go: an unbracketed IPv6 entry",
        Go,
        "2001:db8::52:0:1",
        "http://[2001:db8::52:0:1]/",
        bypass
    ),
    np!(
        "go: a bracketed IPv6 entry with another port",
        Go,
        "[2001:db8::52:0:2]:443",
        "http://[2001:db8::52:0:2]/",
        proxy
    ),
    np!(
        "go: a bracketed IPv6 entry with the request's port",
        Go,
        "[2001:db8::52:0:3]:80",
        "http://[2001:db8::52:0:3]/",
        bypass
    ),
    np!(
        "go: a bracketed IPv6 entry without port never matches",
        Go,
        "[2001:db8::52:0:4]",
        "http://[2001:db8::52:0:4]/",
        proxy
    ),
    np!(
        "go: an IPv6 CIDR",
        Go,
        "2002:db8:a::45/64",
        "http://[2002:db8:a::123]/",
        bypass
    ),
    np!(
        "go: a link-local address not listed is proxied",
        Go,
        "2002:db8:a::45/64",
        "http://[fe80::424b:c8be:1643:a1b6]/",
        proxy
    ),
    np!(
        "go: a name with the request's port",
        Go,
        "example.com:8080",
        "http://example.com:8080/",
        bypass
    ),
    np!(
        "go: a name with another port",
        Go,
        "example.com:8080",
        "http://example.com/",
        proxy
    ),
    np!(
        "go: a name with the default https port",
        Go,
        "example.com:443",
        "https://example.com/",
        bypass
    ),
    np!(
        "go: a malformed entry does not stop the list",
        Go,
        ":1",
        "http://example.com/",
        proxy
    ),
    np!(
        "go: a name entry matches an IPv4 host as text",
        Go,
        "168.1.1",
        "http://192.168.1.1/",
        bypass
    ),
    np!(
        "go: matching ignores case",
        Go,
        "EXAMPLE.com",
        "https://www.example.COM/",
        bypass
    ),
    np!(
        "go: blanks around entries are trimmed",
        Go,
        "  a.org ,  example.com  ",
        "https://example.com/",
        bypass
    ),
    np!(
        "go: a blank does not separate entries",
        Go,
        "a.org example.com",
        "https://example.com/",
        proxy
    ),
    np!(
        "go: a trailing dot in the entry does not match the dotless host",
        Go,
        "example.com.",
        "https://example.com/",
        proxy
    ),
    np!(
        "go: a Unicode entry matches the Unicode host",
        Go,
        ".示例.com",
        "http://www.示例.com/",
        bypass
    ),
    // Go 1.19 (Debian), run here: httpproxy converts both the entry and the
    // host to punycode (`idnaASCII`): `no_proxy=xn--fsq092h.com` sent
    // `http://www.示例.com/` direct and `no_proxy=示例.com` sent
    // `http://www.xn--fsq092h.com/` direct (issue 12, item 2).
    np!(
        "go: a punycode entry matches the Unicode host",
        Go,
        "xn--fsq092h.com",
        "http://www.示例.com/",
        bypass
    ),
    np!(
        "go: a Unicode entry matches the punycode host",
        Go,
        "示例.com",
        "http://www.xn--fsq092h.com/",
        bypass
    ),
    np!(
        "go: a host with a zone id is not matched by a name",
        Go,
        "example.com",
        "http://[1000::%25.example.com]:123/",
        proxy
    ),
    viol!(
        "go: *x and a host:port with an empty host are reported",
        Go,
        "*example.com,:1,ok.org",
        2
    ),
    row!(
        "go: https_proxy=proxy:3128 is plain HTTP to the proxy",
        Go,
        env = [("https_proxy", "proxy:3128")],
        url = "https://example.com/",
        want = "http://proxy:3128"
    ),
    row!(
        "go: an unknown proxy scheme is refused, not guessed",
        Go,
        env = [("HTTP_PROXY", "foo://host")],
        url = "http://example.com/",
        want = "refused"
    ),
    // Issue 12, run against Go 1.19.8 (Debian golang-go),
    // `http.ProxyFromEnvironment`.
    // Item 4: `localhost` is exempt only as written: `http://LocalHost/`,
    // `http://LOCALHOST:80/` and `http://localhost./` went to the proxy.
    row!(
        "go: LocalHost is proxied (the exemption is case-sensitive)",
        Go,
        env = [("HTTP_PROXY", "http://p:1")],
        url = "http://LocalHost/",
        want = "http://p:1"
    ),
    row!(
        "go: localhost. is proxied (the exemption is exact)",
        Go,
        env = [("HTTP_PROXY", "http://p:1")],
        url = "http://localhost./",
        want = "http://p:1"
    ),
    // Differential corpus: Go compares an IPv4 host spelled otherwise as
    // written (`net.ParseIP("0x7f.1")` is nil): `HTTP_PROXY=p2.proxy.test`
    // sent `http://0x7f.1:21/p` to the proxy, and `no_proxy=10.0.0.0/8` left
    // `https://10.1.515:443/p` on `https_proxy`.
    row!(
        "go: a loopback address spelled otherwise (0x7f.1) is proxied",
        Go,
        env = [("HTTP_PROXY", "http://p:1")],
        url = "http://0x7f.1/",
        want = "http://p:1"
    ),
    np!(
        "go: a CIDR entry does not match an IPv4 host spelled otherwise",
        Go,
        "10.0.0.0/8",
        "http://10.1.515/",
        proxy
    ),
    // Go 1.19, run here (`http.ProxyFromEnvironment`, `HTTP_PROXY` set): for
    // `http://0xa.1.2.3/` the host is a name, so its domain entries match
    // the spelling, lower-cased: `0xa.1.2.3`, `0XA.1.2.3`, `2.3`, `.1.2.3`,
    // `*.1.2.3` and `0xa.1.2.3:80` sent it direct; `a.1.2.3`, `10.1.2.3`
    // and `10.0.0.0/8` left it on the proxy.
    np!(
        "go: a host spelled otherwise matches its spelling",
        Go,
        "0xa.1.2.3",
        "http://0xa.1.2.3/",
        bypass
    ),
    np!(
        "go: an entry in capitals matches a host spelled otherwise",
        Go,
        "0XA.1.2.3",
        "http://0xa.1.2.3/",
        bypass
    ),
    np!(
        "go: a host spelled otherwise in capitals matches its entry",
        Go,
        "0xa.1.2.3",
        "http://0XA.1.2.3/",
        bypass
    ),
    np!(
        "go: a domain entry matches the spelling's suffix",
        Go,
        "2.3",
        "http://0xa.1.2.3/",
        bypass
    ),
    np!(
        "go: a dotted entry matches the spelling's suffix",
        Go,
        ".1.2.3",
        "http://0xa.1.2.3/",
        bypass
    ),
    np!(
        "go: a *. entry matches the spelling's suffix",
        Go,
        "*.1.2.3",
        "http://0xa.1.2.3/",
        bypass
    ),
    np!(
        "go: the spelling with the default port matches",
        Go,
        "0xa.1.2.3:80",
        "http://0xa.1.2.3/",
        bypass
    ),
    np!(
        "go: a suffix that is not a label does not match the spelling",
        Go,
        "a.1.2.3",
        "http://0xa.1.2.3/",
        proxy
    ),
    np!(
        "go: the address's own entry does not match its other spelling",
        Go,
        "10.1.2.3",
        "http://0xa.1.2.3/",
        proxy
    ),
    np!(
        "go: * still matches an IPv4 host spelled otherwise",
        Go,
        "*",
        "http://0x7f.1/",
        bypass
    ),
    // Entries and hosts are lower-cased before NO_PROXY is compared:
    // `no_proxy=example.com` sent `http://EXAMPLE.com/` direct.
    np!(
        "go: an upper-case host matches a lower-case entry",
        Go,
        "localhost",
        "http://LOCALHOST/",
        bypass
    ),
    // Item 1: `no_proxy=example.com` left `http://www.example.com./` on the
    // proxy; `no_proxy=example.com.` sent it direct.
    np!(
        "go: a dotless entry does not match a host written with a dot",
        Go,
        "example.com",
        "http://www.example.com./",
        proxy
    ),
    np!(
        "go: an entry with a trailing dot matches a host written with one",
        Go,
        "example.com.",
        "http://www.example.com./",
        bypass
    ),
    // Item 2: `no_proxy=Bücher.example` sent `http://BÜCHER.example/` and
    // `http://xn--bcher-kva.example/` direct.
    np!(
        "go: a Unicode entry matches the Unicode host, case folded",
        Go,
        "Bücher.example",
        "http://BÜCHER.example/",
        bypass
    ),
    // Item 3: `HTTPS_PROXY=" http://p:3128"` was ignored (DIRECT); Go does not
    // read the lower-case spelling instead.
    row!(
        "go: a proxy value with a blank in front is ignored",
        Go,
        env = [
            ("HTTPS_PROXY", " http://p:3128"),
            ("https_proxy", "http://q:1")
        ],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    // Deliberate difference: `HTTPS_PROXY="http://p:3128 "` made Go 1.19 use
    // `http://http:` (the value re-read after "http://"); refused here.
    row!(
        "go: a proxy value with a blank behind is refused",
        Go,
        env = [("HTTPS_PROXY", "http://p:3128 ")],
        url = "https://example.com/",
        want = "refused"
    ),
    // Item 4, Go 1.19.8: `HTTPS_PROXY=socks5://p:3128` gave socks5://p:3128;
    // `socks5h://p:3128`, `socks4://p:3128` and `ftp://p:3128` gave
    // `http://socks5h:`, `http://socks4:`, `http://ftp:` (parseProxy re-reads
    // any other scheme after "http://"): refused here, a deliberate
    // difference (later Go releases accept socks5h).
    row!(
        "go: a socks5 value is a SOCKS5 proxy",
        Go,
        env = [("HTTPS_PROXY", "socks5://p:3128")],
        url = "https://example.com/",
        want = "socks5://p:3128"
    ),
    row!(
        "go: a socks5h value is refused (Go 1.19 reads it as a host named socks5h)",
        Go,
        env = [("HTTPS_PROXY", "socks5h://p:3128")],
        url = "https://example.com/",
        want = "refused"
    ),
    row!(
        "go: an ftp value is refused (Go 1.19 reads it as a host named ftp)",
        Go,
        env = [("HTTPS_PROXY", "ftp://p:3128")],
        url = "https://example.com/",
        want = "refused"
    ),
    // Item 10: only http and https requests consult the variables
    // (`proxyForURL`): `http://p:1` left ws://a.test/ and ftp://a.test/ DIRECT.
    row!(
        "go: a ws request reads no variable",
        Go,
        env = [("HTTP_PROXY", "http://p:1")],
        url = "ws://a.test/",
        want = "DIRECT"
    ),
];

// ---------------------------------------------------------------------------
// Python (urllib.request)
// ---------------------------------------------------------------------------

const PYTHON: &[Row] = &[
    row!(
        "python: http_proxy serves http URLs",
        Python,
        env = [("http_proxy", "http://lower:1111")],
        url = "http://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "python: uppercase HTTP_PROXY is read when lowercase is unset",
        Python,
        env = [("HTTP_PROXY", "http://upper:2222")],
        url = "http://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "python: HTTP_PROXY=A and http_proxy=B give B",
        Python,
        env = [
            ("HTTP_PROXY", "http://upper:2222"),
            ("http_proxy", "http://lower:1111")
        ],
        url = "http://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "python: uppercase HTTPS_PROXY is read",
        Python,
        env = [("HTTPS_PROXY", "http://upper:2222")],
        url = "https://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "python: an empty lowercase https_proxy deletes HTTPS_PROXY too",
        Python,
        env = [("https_proxy", ""), ("HTTPS_PROXY", "http://upper:2222")],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    row!(
        "python: an empty uppercase HTTPS_PROXY does not hide https_proxy",
        Python,
        env = [("HTTPS_PROXY", ""), ("https_proxy", "http://lower:1111")],
        url = "https://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "python: ALL_PROXY is not used by urllib",
        Python,
        env = [("ALL_PROXY", "http://all:3333")],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    row!(
        "python: ALL_PROXY=A and HTTPS_PROXY=B give B",
        Python,
        env = [
            ("ALL_PROXY", "http://all:3333"),
            ("HTTPS_PROXY", "http://upper:2222")
        ],
        url = "https://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "python: only http_proxy set, an https URL goes direct",
        Python,
        env = [("http_proxy", "http://lower:1111")],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    row!(
        "python: ftp_proxy serves ftp URLs",
        Python,
        env = [("ftp_proxy", "http://lower:1111")],
        url = "ftp://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "python: any scheme has its own variable: ws_proxy",
        Python,
        env = [("ws_proxy", "http://ws:4444")],
        url = "ws://example.com/",
        want = "http://ws:4444"
    ),
    row!(
        "python: ws does not fall back to http_proxy",
        Python,
        env = [("http_proxy", "http://lower:1111")],
        url = "ws://example.com/",
        want = "DIRECT"
    ),
    row!(
        "python: gopher_proxy serves gopher",
        Python,
        env = [("GOPHER_PROXY", "http://upper:2222")],
        url = "gopher://example.com/",
        want = "http://upper:2222"
    ),
    // CGI (CVE-2016-1000110).
    row!(
        "python: REQUEST_METHOD drops uppercase HTTP_PROXY",
        Python,
        env = [
            ("REQUEST_METHOD", "GET"),
            ("HTTP_PROXY", "http://upper:2222")
        ],
        url = "http://example.com/",
        want = "DIRECT"
    ),
    row!(
        "python: REQUEST_METHOD keeps lowercase http_proxy",
        Python,
        env = [
            ("REQUEST_METHOD", "GET"),
            ("HTTP_PROXY", "http://upper:2222"),
            ("http_proxy", "http://lower:1111")
        ],
        url = "http://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "python: an empty REQUEST_METHOD still counts as CGI",
        Python,
        env = [("REQUEST_METHOD", ""), ("HTTP_PROXY", "http://upper:2222")],
        url = "http://example.com/",
        want = "DIRECT"
    ),
    row!(
        "python: REQUEST_METHOD leaves HTTPS_PROXY alone",
        Python,
        env = [
            ("REQUEST_METHOD", "GET"),
            ("HTTPS_PROXY", "http://upper:2222")
        ],
        url = "https://example.com/",
        want = "http://upper:2222"
    ),
    // Proxy values.
    row!(
        "python: a value without scheme is an HTTP proxy",
        Python,
        env = [("http_proxy", "proxy:3128")],
        url = "http://example.com/",
        want = "http://proxy:3128"
    ),
    row!(
        "python: an http request through a port-less proxy uses 80",
        Python,
        env = [("http_proxy", "http://proxy")],
        url = "http://example.com/",
        want = "http://proxy:80"
    ),
    row!(
        "python: an https request through a port-less proxy connects to 443",
        Python,
        env = [("https_proxy", "http://proxy")],
        url = "https://example.com/",
        want = "http://proxy:443"
    ),
    row!(
        // CPython 3.11, observed: `https_proxy=https://p1` made urllib open a
        // plain connection to p1:443 and send CONNECT (http.client tunnels
        // before any TLS), so the proxy is spoken to as an HTTP proxy.
        "python: a port-less https:// value for https is an HTTP proxy on 443",
        Python,
        env = [("https_proxy", "https://proxy")],
        url = "https://example.com/",
        want = "http://proxy:443"
    ),
    row!(
        "python: credentials in the value are kept",
        Python,
        env = [("https_proxy", "http://joe:se%20cret@proxy:3128")],
        url = "https://example.com/",
        want = "http://joe:***@proxy:3128",
        password = "se cret"
    ),
    row!(
        // CPython 3.11, observed: `https_proxy=socks5://p1:1080` made urllib
        // connect to p1:1080 and send CONNECT (issue 12, item 5).
        "python: a socks5 value for https is spoken to as an HTTP proxy",
        Python,
        env = [("https_proxy", "socks5://proxy:1080")],
        url = "https://example.com/",
        want = "http://proxy:1080"
    ),
    // NO_PROXY variables.
    row!(
        "python: an empty lowercase no_proxy deletes NO_PROXY",
        Python,
        env = [
            ("https_proxy", "http://p:1"),
            ("no_proxy", ""),
            ("NO_PROXY", "example.com")
        ],
        url = "https://example.com/",
        want = "http://p:1"
    ),
    row!(
        "python: NO_PROXY is read when no_proxy is unset",
        Python,
        env = [("https_proxy", "http://p:1"), ("NO_PROXY", "example.com")],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    row!(
        "python: lowercase no_proxy wins over NO_PROXY",
        Python,
        env = [
            ("https_proxy", "http://p:1"),
            ("no_proxy", "other.org"),
            ("NO_PROXY", "example.com")
        ],
        url = "https://example.com/",
        want = "http://p:1"
    ),
    row!(
        "python: localhost goes through the proxy without no_proxy",
        Python,
        env = [("http_proxy", "http://lower:1111")],
        url = "http://localhost/",
        want = "http://lower:1111"
    ),
    // NO_PROXY semantics.
    np!(
        "python: a bare name matches itself",
        Python,
        "example.com",
        "https://example.com/",
        bypass
    ),
    np!(
        "python: a bare name matches subdomains",
        Python,
        "example.com",
        "https://sub.example.com/",
        bypass
    ),
    np!(
        "python: a bare name does not match a longer label",
        Python,
        "example.com",
        "https://notexample.com/",
        proxy
    ),
    np!(
        "python: a leading dot also matches the domain itself",
        Python,
        ".example.com",
        "https://example.com/",
        bypass
    ),
    np!(
        "python: every leading dot is stripped",
        Python,
        "..example.com",
        "https://example.com/",
        bypass
    ),
    np!(
        "python: * alone bypasses every host",
        Python,
        "*",
        "https://example.com/",
        bypass
    ),
    np!(
        "python: * alone bypasses IP literals too",
        Python,
        "*",
        "http://10.0.0.1/",
        bypass
    ),
    np!(
        "python: * inside a list is not a wildcard",
        Python,
        "*,foo.org",
        "https://example.com/",
        proxy
    ),
    np!(
        "python: * with blanks around it is not the wildcard",
        Python,
        " * ",
        "https://example.com/",
        proxy
    ),
    np!(
        "python: *.example.com never matches",
        Python,
        "*.example.com",
        "https://www.example.com/",
        proxy
    ),
    np!(
        "python: host:port matches a URL written with that port",
        Python,
        "example.com:8080",
        "http://example.com:8080/",
        bypass
    ),
    np!(
        "python: host:port does not match a URL without a port",
        Python,
        "example.com:8080",
        "http://example.com/",
        proxy
    ),
    np!(
        "python: host:port also matches subdomains with that port",
        Python,
        "example.com:8080",
        "http://www.example.com:8080/",
        bypass
    ),
    np!(
        "python: CIDR is not supported",
        Python,
        "10.0.0.0/8",
        "http://10.1.2.3/",
        proxy
    ),
    np!(
        "python: an IPv4 entry matches as text",
        Python,
        "10.1.2.3",
        "http://10.1.2.3/",
        bypass
    ),
    np!(
        "python: a partial IPv4 entry matches as a dotted suffix",
        Python,
        "0.0.1",
        "http://10.0.0.1/",
        bypass
    ),
    np!(
        "python: a bracketed IPv6 entry matches",
        Python,
        "[2001:db8::1]",
        "http://[2001:db8::1]/",
        bypass
    ),
    np!(
        "python: an unbracketed IPv6 entry never matches",
        Python,
        "2001:db8::1",
        "http://[2001:db8::1]/",
        proxy
    ),
    np!(
        "python: matching ignores case",
        Python,
        "Example.COM",
        "https://WWW.example.com/",
        bypass
    ),
    np!(
        "python: blanks around entries are stripped",
        Python,
        " a.org , example.com ",
        "https://example.com/",
        bypass
    ),
    np!(
        "python: a blank does not separate entries",
        Python,
        "a.org example.com",
        "https://example.com/",
        proxy
    ),
    np!(
        "python: a semicolon does not separate entries",
        Python,
        "a.org;example.com",
        "https://example.com/",
        proxy
    ),
    np!(
        "python: empty entries are skipped",
        Python,
        ",,example.com,,",
        "https://example.com/",
        bypass
    ),
    np!(
        "python: a trailing dot in the entry does not match the dotless host",
        Python,
        "example.com.",
        "https://example.com/",
        proxy
    ),
    viol!(
        "python: *.x, CIDR and an unbracketed IPv6 entry are reported",
        Python,
        "*.example.com,10.0.0.0/8,::1,ok.org",
        3
    ),
    row!(
        "python: https_proxy=proxy:3128 is plain HTTP to the proxy",
        Python,
        env = [("https_proxy", "proxy:3128")],
        url = "https://example.com/",
        want = "http://proxy:3128"
    ),
    row!(
        "python: any scheme reads its own variable, foo_proxy for foo://",
        Python,
        env = [("foo_proxy", "http://lower:1111")],
        url = "foo://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "python: an upper-case FOO_PROXY serves foo:// too",
        Python,
        env = [("FOO_PROXY", "http://upper:2222")],
        url = "foo://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "python: another scheme's variable does not serve foo://",
        Python,
        env = [("bar_proxy", "http://lower:1111")],
        url = "foo://example.com/",
        want = "DIRECT"
    ),
    // Issue 12, run against CPython 3.11.2 (Debian /usr/bin/python3):
    // `urllib.request.build_opener().open(url)` with
    // `socket.create_connection` intercepted to see the first hop.
    // Item 1: `no_proxy=example.com` left `http://example.com./` on the
    // proxy; `no_proxy=example.com.` sent it direct and left
    // `http://example.com/` on the proxy.
    np!(
        "python: a dotless entry does not match a host written with a dot",
        Python,
        "example.com",
        "http://example.com./",
        proxy
    ),
    np!(
        "python: an entry with a trailing dot matches a host written with one",
        Python,
        "example.com.",
        "http://example.com./",
        bypass
    ),
    // `no_proxy=h:80` sent `http://h:80/` direct and `http://h/` to the proxy.
    np!(
        "python: a host:port entry matches the default port when written",
        Python,
        "h:80",
        "http://h:80/",
        bypass
    ),
    np!(
        "python: a host:port entry does not match the port left out",
        Python,
        "h:80",
        "http://h/",
        proxy
    ),
    // Item 2: `no_proxy=bücher.example` sent `http://bücher.example/` direct
    // and left `http://xn--bcher-kva.example/` on the proxy.
    np!(
        "python: a Unicode entry matches the host written in Unicode",
        Python,
        "bücher.example",
        "http://bücher.example/",
        bypass
    ),
    np!(
        "python: a Unicode entry does not match the punycode host",
        Python,
        "bücher.example",
        "http://xn--bcher-kva.example/",
        proxy
    ),
    // `no_proxy=xn--bcher-kva.example` did not bypass `http://bücher.example/`
    // (urllib then failed to send the Unicode URL to the proxy:
    // UnicodeEncodeError; a deliberate difference, docs/dialects.md).
    np!(
        "python: a punycode entry does not match the host written in Unicode",
        Python,
        "xn--bcher-kva.example",
        "http://bücher.example/",
        proxy
    ),
    np!(
        "python: a punycode entry matches the punycode host",
        Python,
        "xn--bcher-kva.example",
        "http://www.xn--bcher-kva.example/",
        bypass
    ),
    // Item 3: `http_proxy=" http://p:3128"` failed ("unknown url type:
    // http"); `https_proxy=" http://p:3128"` reached p:3128 (the tunnel is
    // set up before the scheme is looked at); `"http://p:3128 "` reached
    // p:3128.
    row!(
        "python: a proxy value with a blank in front fails for http",
        Python,
        env = [("http_proxy", " http://p:3128")],
        url = "http://example.com/",
        want = "refused"
    ),
    row!(
        "python: a proxy value with a blank in front still serves https",
        Python,
        env = [("https_proxy", " http://p:3128")],
        url = "https://example.com/",
        want = "http://p:3128"
    ),
    row!(
        "python: a proxy value with a blank behind is read",
        Python,
        env = [("http_proxy", "http://p:3128 ")],
        url = "http://example.com/",
        want = "http://p:3128"
    ),
    // Differential corpus: `http_proxy="http://127.0.0.2 "` (no port) failed
    // with InvalidURL ("URL can't contain control characters"), and
    // `wss_proxy=" http://127.0.0.2:3128"` for a wss request with "unknown
    // url type:  http".
    row!(
        "python: a proxy value with a blank behind and no port fails",
        Python,
        env = [("http_proxy", "http://p ")],
        url = "http://example.com/",
        want = "refused"
    ),
    row!(
        "python: a proxy value with a blank in front fails for wss",
        Python,
        env = [("wss_proxy", " http://p:3128")],
        url = "wss://example.com/",
        want = "refused"
    ),
    // Differential corpus: with `wss_proxy=http://127.0.0.5` and
    // `http_proxy=" http://127.0.0.2"` a wss request re-dispatched to http
    // failed ("unknown url type:  http"); with `wss_proxy="https://127.0.0.5 "`
    // and `HTTPS_PROXY=https://127.0.0.4:8888` it reached 127.0.0.4:8888 (the
    // re-dispatched value is read for its scheme only).
    row!(
        "python: a re-dispatched value with a blank in front fails",
        Python,
        env = [("wss_proxy", "http://a:1"), ("http_proxy", " http://b:2")],
        url = "wss://example.com/",
        want = "refused"
    ),
    row!(
        "python: a blank behind a value that re-dispatches does not matter",
        Python,
        env = [("wss_proxy", "https://a "), ("https_proxy", "https://b:2")],
        url = "wss://example.com/",
        want = "http://b:2"
    ),
    // Issue 12 item 5, CPython 3.11.2 (Debian), `build_opener().open()`
    // with `socket.create_connection` intercepted: urllib's ProxyHandler
    // re-opens a request under the proxy value's scheme when it differs.
    row!(
        "python: an https:// value for http is reached through https_proxy",
        Python,
        env = [
            ("http_proxy", "https://p1:3128"),
            ("https_proxy", "http://p2:3129")
        ],
        url = "http://example.com/",
        want = "http://p2:3129"
    ),
    row!(
        "python: an https:// value for http without https_proxy is a TLS proxy",
        Python,
        env = [("http_proxy", "https://p1:3128")],
        url = "http://example.com/",
        want = "https://p1:3128"
    ),
    row!(
        "python: no_proxy naming the proxy stops the re-dispatch",
        Python,
        env = [
            ("http_proxy", "https://p1:3128"),
            ("https_proxy", "http://p2:3129"),
            ("no_proxy", "p1")
        ],
        url = "http://www.example.com/",
        want = "https://p1:3128"
    ),
    row!(
        "python: an http:// value for ftp is reached through http_proxy",
        Python,
        env = [("ftp_proxy", "http://p1"), ("http_proxy", "http://p2:2")],
        url = "ftp://example.com/x",
        want = "http://p2:2"
    ),
    row!(
        "python: an http:// value for ftp without http_proxy is an HTTP proxy",
        Python,
        env = [("ftp_proxy", "http://p1")],
        url = "ftp://example.com/x",
        want = "http://p1:80"
    ),
    // `ftp_proxy=p1` made urllib look p1 up to speak FTP to it (port 21):
    // no proxy protocol; refused here.
    row!(
        "python: a scheme-less ftp_proxy is an FTP server, refused",
        Python,
        env = [("ftp_proxy", "p1")],
        url = "ftp://example.com/x",
        want = "refused"
    ),
    row!(
        "python: a socks5 value for http fails (unknown url type)",
        Python,
        env = [("http_proxy", "socks5://p1:1080")],
        url = "http://example.com/",
        want = "refused"
    ),
    row!(
        "python: variables that re-dispatch to each other fail (RecursionError)",
        Python,
        env = [
            ("http_proxy", "socks5://p1:1080"),
            ("socks5_proxy", "http://p3:1")
        ],
        url = "http://example.com/",
        want = "refused"
    ),
    // Differential corpus: urllib compares the host as written, so
    // `no_proxy=127.0.0.1,172.16.0.5` left `https://0x7f.1:443/p` on the
    // proxy, and `no_proxy=10.1.2.3` left `https://0xa.1.2.3/p` there.
    // `no_proxy=[2001:db8::5]` left `https://[2001:db8:0:0::5]:443/p` on the
    // proxy (differential corpus).
    np!(
        "python: an IPv6 entry does not match the address written otherwise",
        Python,
        "[2001:db8::5]",
        "http://[2001:db8:0:0::5]/",
        proxy
    ),
    // Seed 0x1352952, case 374: `no_proxy=..., [2001:db8:0:0::5], ...` sent
    // `http://[2001:db8:0:0::5]/p` direct, and seed 0x9, case 68,
    // `NO_PROXY=...,[2001:db8:0:0::5]:443,...` sent
    // `https://[2001:db8:0:0::5]:443/p` direct: urllib compares the host's
    // text, lower-cased, with and without its port (`proxy_bypass_environment`
    // in CPython 3.11, run here for the rest: `1` and `0X7F.1` match
    // `0x7f.1`; `7f.1` and `127.0.0.1` do not).
    np!(
        "python: an entry spelled like a host written otherwise matches it",
        Python,
        "[2001:db8:0:0::5]",
        "http://[2001:db8:0:0::5]/",
        bypass
    ),
    np!(
        "python: an entry with the port of a host written otherwise matches it",
        Python,
        "[2001:db8:0:0::5]:443",
        "https://[2001:db8:0:0::5]:443/",
        bypass
    ),
    np!(
        "python: a dotted suffix of a host spelled otherwise matches it",
        Python,
        "1",
        "http://0x7f.1/",
        bypass
    ),
    np!(
        "python: a suffix without its dot does not match a host spelled otherwise",
        Python,
        "7f.1",
        "http://0x7f.1/",
        proxy
    ),
    np!(
        "python: a host spelled otherwise matches its entry whatever the case",
        Python,
        "0X7F.1",
        "http://0x7f.1/",
        bypass
    ),
    np!(
        "python: an IPv6 entry matches the address written alike",
        Python,
        "[2001:db8::5]",
        "http://[2001:DB8::5]/",
        bypass
    ),
    np!(
        "python: an IP entry does not match the address spelled otherwise",
        Python,
        "10.1.2.3",
        "http://0xa.1.2.3/",
        proxy
    ),
    row!(
        "python: a ws request with an http:// value goes through http_proxy",
        Python,
        env = [("ws_proxy", "http://p1:1"), ("http_proxy", "http://p2:2")],
        url = "ws://example.com/",
        want = "http://p2:2"
    ),
];

// ---------------------------------------------------------------------------
// Node (npm proxy-from-env)
// ---------------------------------------------------------------------------

const NODE: &[Row] = &[
    row!(
        "node: uppercase HTTP_PROXY serves http",
        Node,
        env = [("HTTP_PROXY", "http://upper:2222")],
        url = "http://example/",
        want = "http://upper:2222"
    ),
    row!(
        "node: lowercase http_proxy has priority",
        Node,
        env = [
            ("HTTP_PROXY", "http://upper:2222"),
            ("http_proxy", "http://lower:1111")
        ],
        url = "http://example/",
        want = "http://lower:1111"
    ),
    row!(
        "node: https does not fall back to http_proxy",
        Node,
        env = [("HTTP_PROXY", "http://upper:2222")],
        url = "https://example/",
        want = "DIRECT"
    ),
    row!(
        "node: uppercase HTTPS_PROXY serves https",
        Node,
        env = [("HTTPS_PROXY", "http://upper:2222")],
        url = "https://example/",
        want = "http://upper:2222"
    ),
    row!(
        "node: lowercase https_proxy has priority",
        Node,
        env = [
            ("HTTPS_PROXY", "http://upper:2222"),
            ("https_proxy", "http://lower:1111")
        ],
        url = "https://example/",
        want = "http://lower:1111"
    ),
    row!(
        "node: an empty lowercase variable falls back to uppercase",
        Node,
        env = [("https_proxy", ""), ("HTTPS_PROXY", "http://upper:2222")],
        url = "https://example/",
        want = "http://upper:2222"
    ),
    row!(
        "node: FTP_PROXY serves ftp",
        Node,
        env = [("FTP_PROXY", "http://upper:2222")],
        url = "ftp://example/",
        want = "http://upper:2222"
    ),
    row!(
        "node: ftp_proxy does not serve ftps",
        Node,
        env = [("FTP_PROXY", "http://upper:2222")],
        url = "ftps://example/",
        want = "DIRECT"
    ),
    row!(
        "node: ALL_PROXY is the catch-all",
        Node,
        env = [("ALL_PROXY", "http://all:3333")],
        url = "https://example/",
        want = "http://all:3333"
    ),
    row!(
        "node: lowercase all_proxy has priority",
        Node,
        env = [
            ("ALL_PROXY", "http://upper:2222"),
            ("all_proxy", "http://all:3333")
        ],
        url = "https://example/",
        want = "http://all:3333"
    ),
    row!(
        "node: ALL_PROXY=A and HTTPS_PROXY=B give B",
        Node,
        env = [
            ("ALL_PROXY", "http://all:3333"),
            ("HTTPS_PROXY", "http://upper:2222")
        ],
        url = "https://example/",
        want = "http://upper:2222"
    ),
    row!(
        "node: ws URLs read WS_PROXY",
        Node,
        env = [
            ("WS_PROXY", "http://ws:4444"),
            ("HTTP_PROXY", "http://upper:2222")
        ],
        url = "ws://xxx:1337/",
        want = "http://ws:4444"
    ),
    row!(
        "node: ws does not fall back to http_proxy",
        Node,
        env = [("http_proxy", "http://lower:1111")],
        url = "ws://example/",
        want = "DIRECT"
    ),
    row!(
        "node: ws falls back to all_proxy",
        Node,
        env = [
            ("http_proxy", "http://lower:1111"),
            ("all_proxy", "http://all:3333")
        ],
        url = "ws://example/",
        want = "http://all:3333"
    ),
    row!(
        "node: GOPHER_PROXY serves gopher",
        Node,
        env = [("GOPHER_PROXY", "http://upper:2222")],
        url = "gopher://xxx:1337/",
        want = "http://upper:2222"
    ),
    row!(
        "node: npm_config_http_proxy is not read",
        Node,
        env = [
            ("npm_config_http_proxy", "http://lower:1111"),
            ("npm_config_proxy", "http://upper:2222")
        ],
        url = "http://example/",
        want = "DIRECT"
    ),
    row!(
        "node: no CGI guard, HTTP_PROXY is used under REQUEST_METHOD",
        Node,
        env = [
            ("REQUEST_METHOD", "GET"),
            ("HTTP_PROXY", "http://upper:2222")
        ],
        url = "http://example/",
        want = "http://upper:2222"
    ),
    // A value without scheme takes the request's scheme.
    row!(
        "node: any scheme reads its own variable, foo_proxy for foo://",
        Node,
        env = [
            ("foo_proxy", "http://lower:1111"),
            ("all_proxy", "http://all:9")
        ],
        url = "foo://example.com:99/",
        want = "http://lower:1111"
    ),
    row!(
        "node: a scheme-less value for http is http",
        Node,
        env = [("ALL_PROXY", "noscheme")],
        url = "http://example/",
        want = "http://noscheme:80"
    ),
    row!(
        "node: a scheme-less value for https is https",
        Node,
        env = [("ALL_PROXY", "noscheme")],
        url = "https://example/",
        want = "https://noscheme:443"
    ),
    row!(
        "node: https_proxy=proxy:3128 means TLS to the proxy",
        Node,
        env = [("https_proxy", "proxy:3128")],
        url = "https://example.com/",
        want = "https://proxy:3128"
    ),
    row!(
        "node: credentials in the value are kept",
        Node,
        env = [("http_proxy", "http://u:p@proxy:8080")],
        url = "http://example/",
        want = "http://u:***@proxy:8080",
        password = "p"
    ),
    row!(
        "node: localhost goes through the proxy without NO_PROXY",
        Node,
        env = [("http_proxy", "http://lower:1111")],
        url = "http://localhost/",
        want = "http://lower:1111"
    ),
    // NO_PROXY variables.
    row!(
        "node: uppercase NO_PROXY is read",
        Node,
        env = [("HTTP_PROXY", "http://p:1"), ("NO_PROXY", "example")],
        url = "http://example/",
        want = "DIRECT"
    ),
    row!(
        "node: lowercase no_proxy has priority",
        Node,
        env = [
            ("HTTP_PROXY", "http://p:1"),
            ("NO_PROXY", "example"),
            ("no_proxy", "other")
        ],
        url = "http://example/",
        want = "http://p:1"
    ),
    row!(
        "node: an empty NO_PROXY bypasses nothing",
        Node,
        env = [("HTTPS_PROXY", "http://p:1"), ("NO_PROXY", "")],
        url = "https://example/",
        want = "http://p:1"
    ),
    // NO_PROXY semantics (test.js).
    np!(
        "node: a bare name matches exactly",
        Node,
        "example",
        "http://example/",
        bypass
    ),
    np!(
        "node: a bare name without port matches any port",
        Node,
        "example",
        "http://example:1337/",
        bypass
    ),
    np!(
        "node: a bare name does not match subdomains",
        Node,
        "example",
        "http://sub.example/",
        proxy
    ),
    np!(
        "node: a bare name does not match a longer name",
        Node,
        "example",
        "http://prefexample/",
        proxy
    ),
    np!(
        "node: a subdomain entry does not match its parent",
        Node,
        "sub.example",
        "http://example/",
        proxy
    ),
    np!(
        "node: a subdomain entry does not match deeper names",
        Node,
        "sub.example",
        "http://no.sub.example/",
        proxy
    ),
    np!(
        "node: host:port matches the default port",
        Node,
        "example:80",
        "http://example/",
        bypass
    ),
    np!(
        "node: host:port does not match another port",
        Node,
        "example:80",
        "http://example:1337/",
        proxy
    ),
    np!(
        "node: a leading dot does not match the domain itself",
        Node,
        ".example",
        "http://example/",
        proxy
    ),
    np!(
        "node: a leading dot matches subdomains on any port",
        Node,
        ".example",
        "http://sub.example:1337/",
        bypass
    ),
    np!(
        "node: a leading dot matches deeper subdomains",
        Node,
        ".example",
        "http://a.b.example/",
        bypass
    ),
    np!(
        "node: * alone bypasses everything",
        Node,
        "*",
        "http://example.com/",
        bypass
    ),
    np!(
        "node: * as one item bypasses everything",
        Node,
        "foo.org,*",
        "https://example.com/",
        bypass
    ),
    np!(
        "node: *.domain matches subdomains",
        Node,
        "*.example",
        "http://sub.example:80/",
        bypass
    ),
    np!(
        "node: *.domain does not match the domain itself",
        Node,
        "*.example",
        "http://example/",
        proxy
    ),
    np!(
        "node: *domain matches any host ending so",
        Node,
        "*example",
        "http://prefexample/",
        bypass
    ),
    np!(
        "node: *domain matches the domain itself",
        Node,
        "*example",
        "http://example:1337/",
        bypass
    ),
    np!(
        "node: *domain does not match other names",
        Node,
        "*example",
        "http://example.no/",
        proxy
    ),
    np!(
        "node: other wildcards are not supported",
        Node,
        ".*example",
        "http://sub.example/",
        proxy
    ),
    np!(
        "node: a bracketed IPv6 entry matches",
        Node,
        "[::1],[::2]:80,10.0.0.1,10.0.0.2:80",
        "http://[::1]:1337/",
        bypass
    ),
    np!(
        "node: a bracketed IPv6 entry with port, default port",
        Node,
        "[::1],[::2]:80,10.0.0.1,10.0.0.2:80",
        "http://[::2]/",
        bypass
    ),
    np!(
        "node: a bracketed IPv6 entry with port, other port",
        Node,
        "[::1],[::2]:80,10.0.0.1,10.0.0.2:80",
        "http://[::2]:1337/",
        proxy
    ),
    np!(
        "node: an IPv4 entry matches",
        Node,
        "[::1],[::2]:80,10.0.0.1,10.0.0.2:80",
        "http://10.0.0.1:1337/",
        bypass
    ),
    np!(
        "node: an IPv4 entry with port, other port",
        Node,
        "[::1],[::2]:80,10.0.0.1,10.0.0.2:80",
        "http://10.0.0.2:1337/",
        proxy
    ),
    np!(
        "node: CIDR is not supported",
        Node,
        "127.0.0.1/32",
        "http://127.0.0.1/",
        proxy
    ),
    np!(
        "node: CIDR does not match a wider network either",
        Node,
        "10.0.0.0/8",
        "http://10.1.2.3/",
        proxy
    ),
    np!(
        "node: 127.0.0.1 does not match localhost",
        Node,
        "127.0.0.1",
        "http://localhost/",
        proxy
    ),
    np!(
        "node: matching ignores case",
        Node,
        "XXX,YYY,ZzZ",
        "http://zZz/",
        bypass
    ),
    np!(
        "node: whitespace separates entries",
        Node,
        "a.org example.com",
        "https://example.com/",
        bypass
    ),
    np!(
        "node: tabs and newlines separate entries",
        Node,
        "a.org\texample.com\nb.org",
        "https://example.com/",
        bypass
    ),
    np!(
        "node: only separators bypass nothing",
        Node,
        ",\t,,,\n,  ,\r",
        "https://example/",
        proxy
    ),
    np!(
        "node: ws default port 80 matches host:80",
        Node,
        "xxx:21,xxx:70,xxx:80,xxx:443",
        "http://xxx/",
        bypass
    ),
    np!(
        "node: https default port 443 matches host:443",
        Node,
        "xxx:21,xxx:70,xxx:80,xxx:443",
        "https://xxx/",
        bypass
    ),
    np!(
        "node: https on another port is proxied",
        Node,
        "xxx:21,xxx:70,xxx:80,xxx:443",
        "https://xxx:1337/",
        proxy
    ),
    np!(
        "node: a trailing dot in the entry does not match the dotless host",
        Node,
        "example.com.",
        "https://example.com/",
        proxy
    ),
    viol!(
        "node: CIDR and an unbracketed IPv6 entry are reported",
        Node,
        "10.0.0.0/8,::1,ok.org",
        2
    ),
    row!(
        "node: a port-less https proxy value uses 443",
        Node,
        env = [("https_proxy", "https://proxy")],
        url = "https://example.com/",
        want = "https://proxy:443"
    ),
    // Issue 12, run against npm proxy-from-env 2.1.0 (the latest release),
    // `getProxyForUrl`.
    // Item 6: with `http_proxy=p:1 ws_proxy=q wss_proxy=t https_proxy=u
    // ftp_proxy=r foo_proxy=s` it returned http://p:1, ws://q, wss://t,
    // https://u, ftp://r and foo://s: the request's scheme in front.
    row!(
        "node: a scheme-less value for ws is an HTTP proxy on port 80",
        Node,
        env = [("ws_proxy", "q")],
        url = "ws://a.test/",
        want = "http://q:80"
    ),
    row!(
        "node: a scheme-less value for wss is a TLS proxy on port 443",
        Node,
        env = [("wss_proxy", "t")],
        url = "wss://a.test/",
        want = "https://t:443"
    ),
    // Deliberate difference: ftp://r and foo://s name no proxy protocol a
    // Node agent speaks; refused rather than guessed.
    row!(
        "node: a scheme-less value for ftp is refused",
        Node,
        env = [("ftp_proxy", "r")],
        url = "ftp://a.test/",
        want = "refused"
    ),
    row!(
        "node: a scheme-less all_proxy for an unknown scheme is refused",
        Node,
        env = [("all_proxy", "v")],
        url = "foo://a.test/",
        want = "refused"
    ),
    // proxy-from-env 2.1.0 returned `socks://127.0.0.4:3128` for
    // `all_proxy=socks://127.0.0.4:3128` (differential corpus); the agent a
    // Node client hands it to, socks-proxy-agent, reads `socks` as SOCKS5
    // with the proxy resolving names (socks5h).
    row!(
        "node: a socks value is SOCKS5 with remote names, as socks-proxy-agent reads it",
        Node,
        env = [("all_proxy", "socks://127.0.0.4:3128")],
        url = "http://a.test/",
        want = "socks5h://127.0.0.4:3128"
    ),
    // Differential corpus: Node's URL keeps the host of a non-special scheme
    // as written, so with `no_proxy=localhost` proxy-from-env 2.1.0 returned
    // the proxy for `gopherx://LocalHost/p`, and with `no_proxy=10.1.2.3` for
    // `gopherx://0xa.1.2.3/p`; `*` still matched.
    row!(
        "node: an opaque host with capitals is compared as written",
        Node,
        env = [("all_proxy", "http://p:1"), ("no_proxy", "localhost")],
        url = "gopherx://LocalHost/",
        want = "http://p:1"
    ),
    row!(
        "node: an opaque host spelled as a number is no address",
        Node,
        env = [("all_proxy", "http://p:1"), ("no_proxy", "10.1.2.3")],
        url = "gopherx://0xa.1.2.3/",
        want = "http://p:1"
    ),
    row!(
        "node: * still matches an opaque host written with capitals",
        Node,
        env = [("all_proxy", "http://p:1"), ("no_proxy", "*")],
        url = "gopherx://LocalHost/",
        want = "DIRECT"
    ),
    // `no_proxy=*.example` sent `gopherx://bücher.example/p` direct: the
    // percent-encoded host still ends in `.example`.
    row!(
        "node: an opaque Unicode host still matches a suffix entry",
        Node,
        env = [("all_proxy", "http://p:1"), ("no_proxy", "*.example")],
        url = "gopherx://bücher.example/",
        want = "DIRECT"
    ),
    // Seed 0x67932, case 268: `no_proxy=[2001:db8::5] ...` sent
    // `gopherx://[2001:db8:0:0::5]:443/p` direct: an IPv6 host is parsed and
    // written canonically in any URL, opaque or not (Node 20's URL gives
    // `[2001:db8::5]` for it, and for `[2001:DB8::5]`).
    row!(
        "node: an opaque URL's IPv6 host written otherwise matches its entry",
        Node,
        env = [("all_proxy", "http://p:1"), ("no_proxy", "[2001:db8::5]")],
        url = "gopherx://[2001:db8:0:0::5]:443/",
        want = "DIRECT"
    ),
    row!(
        "node: an opaque URL's IPv6 host in capitals matches its entry",
        Node,
        env = [("all_proxy", "http://p:1"), ("no_proxy", "[2001:db8::5]")],
        url = "gopherx://[2001:DB8::5]/",
        want = "DIRECT"
    ),
    // Seeds 0x4 (case 1636), 0x8 (499, 1304) and 0xa (734): Node's URL
    // writes an IPv4-mapped IPv6 host in hex, `[::ffff:a01:203]`, and
    // proxy-from-env compares entries with that text: `[::ffff:10.1.2.3]`
    // left `wss://[::ffff:10.1.2.3]:443/p` on the proxy.
    row!(
        "node: a dotted IPv4-mapped entry does not match (Node writes the host in hex)",
        Node,
        env = [
            ("all_proxy", "http://p:1"),
            ("no_proxy", "[::ffff:10.1.2.3]")
        ],
        url = "http://[::ffff:10.1.2.3]/",
        want = "http://p:1"
    ),
    row!(
        "node: an IPv4-mapped entry in hex matches",
        Node,
        env = [
            ("all_proxy", "http://p:1"),
            ("no_proxy", "[::ffff:a01:203]")
        ],
        url = "wss://[::ffff:10.1.2.3]:443/",
        want = "DIRECT"
    ),
    row!(
        "node: an IPv4-mapped host written in hex matches its hex entry",
        Node,
        env = [
            ("all_proxy", "http://p:1"),
            ("no_proxy", "[::ffff:a01:203]")
        ],
        url = "http://[::FFFF:A01:203]/",
        want = "DIRECT"
    ),
    // proxy-from-env 2.1.0 on Node 20, run here: an opaque host is compared
    // as the URL keeps it, case and all, and its suffix entries still see it
    // (the whole list is lower-cased first).
    np!(
        "node: a suffix entry matches an opaque host with capitals",
        Node,
        ".example",
        "gopherx://Foo.example/",
        bypass
    ),
    np!(
        "node: a *. entry matches an opaque host with capitals",
        Node,
        "*.example",
        "gopherx://Foo.example/",
        bypass
    ),
    row!(
        "node: an entry in capitals does not match an opaque host with capitals",
        Node,
        env = [("all_proxy", "http://p:1"), ("no_proxy", "Foo.example")],
        url = "gopherx://Foo.example/",
        want = "http://p:1"
    ),
    np!(
        "node: a suffix entry matches an opaque host spelled as a number",
        Node,
        ".1.2.3",
        "gopherx://0xa.1.2.3/",
        bypass
    ),
    row!(
        "node: an opaque host with capitals misses a lower-case spelling",
        Node,
        env = [("all_proxy", "http://p:1"), ("no_proxy", "0xa.1.2.3")],
        url = "gopherx://0XA.1.2.3/",
        want = "http://p:1"
    ),
    row!(
        "node: a lower-case opaque host still matches its entry",
        Node,
        env = [("all_proxy", "http://p:1"), ("no_proxy", "localhost")],
        url = "gopherx://localhost/",
        want = "DIRECT"
    ),
    row!(
        "node: a scheme-less all_proxy still serves http",
        Node,
        env = [("all_proxy", "v")],
        url = "http://a.test/",
        want = "http://v:80"
    ),
    // Item 1: `no_proxy=example.com` left `http://example.com./` on the
    // proxy; `no_proxy=example.com.` bypassed it.
    np!(
        "node: a dotless entry does not match a host written with a dot",
        Node,
        "example.com",
        "http://example.com./",
        proxy
    ),
    np!(
        "node: an entry with a trailing dot matches a host written with one",
        Node,
        "example.com.",
        "http://example.com./",
        bypass
    ),
    // Item 2: `no_proxy=bücher.example` left both spellings on the proxy
    // (url.parse converts the host to punycode); `xn--bcher-kva.example`
    // bypassed `http://bücher.example/`.
    np!(
        "node: a Unicode entry does not match the Unicode host",
        Node,
        "bücher.example",
        "http://bücher.example/",
        proxy
    ),
    np!(
        "node: a punycode entry matches the Unicode host",
        Node,
        "xn--bcher-kva.example",
        "http://bücher.example/",
        bypass
    ),
    viol!(
        "node: a Unicode entry is reported as never matching",
        Node,
        "bücher.example",
        1
    ),
];

// ---------------------------------------------------------------------------
// hyper-util / reqwest
// ---------------------------------------------------------------------------

const HYPER: &[Row] = &[
    row!(
        "hyper: HTTP_PROXY serves http URLs",
        Hyper,
        env = [("HTTP_PROXY", "http://upper:2222")],
        url = "http://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "hyper: lowercase http_proxy is read when HTTP_PROXY is unset",
        Hyper,
        env = [("http_proxy", "http://lower:1111")],
        url = "http://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "hyper: HTTP_PROXY=A and http_proxy=B give A",
        Hyper,
        env = [
            ("HTTP_PROXY", "http://upper:2222"),
            ("http_proxy", "http://lower:1111")
        ],
        url = "http://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "hyper: HTTPS_PROXY wins over https_proxy",
        Hyper,
        env = [
            ("HTTPS_PROXY", "http://upper:2222"),
            ("https_proxy", "http://lower:1111")
        ],
        url = "https://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "hyper: empty HTTP_PROXY shadows http_proxy",
        Hyper,
        env = [("HTTP_PROXY", ""), ("http_proxy", "http://lower:1111")],
        url = "http://example.com/",
        want = "DIRECT"
    ),
    row!(
        "hyper: empty HTTPS_PROXY shadows https_proxy",
        Hyper,
        env = [("HTTPS_PROXY", ""), ("https_proxy", "http://lower:1111")],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    row!(
        "hyper: empty HTTP_PROXY shadows http_proxy, ALL_PROXY still applies",
        Hyper,
        env = [
            ("HTTP_PROXY", ""),
            ("http_proxy", "http://lower:1111"),
            ("ALL_PROXY", "http://all:3333")
        ],
        url = "http://example.com/",
        want = "http://all:3333"
    ),
    row!(
        "hyper: ALL_PROXY serves http",
        Hyper,
        env = [("ALL_PROXY", "http://om.nom")],
        url = "http://example.com/",
        want = "http://om.nom:80"
    ),
    row!(
        "hyper: ALL_PROXY serves https",
        Hyper,
        env = [("ALL_PROXY", "http://om.nom")],
        url = "https://example.com/",
        want = "http://om.nom:80"
    ),
    row!(
        "hyper: http_proxy is more specific than ALL_PROXY",
        Hyper,
        env = [("ALL_PROXY", "http://no.pe"), ("http_proxy", "http://y.ep")],
        url = "http://example.com/",
        want = "http://y.ep:80"
    ),
    row!(
        "hyper: ALL_PROXY still serves https when only http is set",
        Hyper,
        env = [("ALL_PROXY", "http://no.pe"), ("http_proxy", "http://y.ep")],
        url = "https://example.com/",
        want = "http://no.pe:80"
    ),
    row!(
        "hyper: ALL_PROXY=A and HTTPS_PROXY=B give B",
        Hyper,
        env = [
            ("ALL_PROXY", "http://all:3333"),
            ("HTTPS_PROXY", "http://upper:2222")
        ],
        url = "https://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "hyper: ALL_PROXY wins over all_proxy",
        Hyper,
        env = [
            ("ALL_PROXY", "http://all:3333"),
            ("all_proxy", "http://lower:1111")
        ],
        url = "https://example.com/",
        want = "http://all:3333"
    ),
    row!(
        "hyper: empty ALL_PROXY shadows all_proxy",
        Hyper,
        env = [("ALL_PROXY", ""), ("all_proxy", "http://lower:1111")],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    row!(
        "hyper: only http_proxy set, an https URL goes direct",
        Hyper,
        env = [("http_proxy", "http://lower:1111")],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    row!(
        "hyper: ws URLs get no proxy",
        Hyper,
        env = [("HTTP_PROXY", "http://upper:2222")],
        url = "ws://example.com/",
        want = "DIRECT"
    ),
    row!(
        "hyper: ws URLs get no proxy from ALL_PROXY either",
        Hyper,
        env = [("ALL_PROXY", "http://all:3333")],
        url = "ws://example.com/",
        want = "DIRECT"
    ),
    row!(
        "hyper: ftp URLs get no proxy from ALL_PROXY",
        Hyper,
        env = [("ALL_PROXY", "http://all:3333")],
        url = "ftp://example.com/",
        want = "DIRECT"
    ),
    // CGI: every variable is off.
    row!(
        "hyper: REQUEST_METHOD turns HTTP_PROXY off",
        Hyper,
        env = [
            ("REQUEST_METHOD", "GET"),
            ("HTTP_PROXY", "http://never.gonna.let.you.go")
        ],
        url = "http://rick.roll/",
        want = "DIRECT"
    ),
    row!(
        "hyper: REQUEST_METHOD turns HTTPS_PROXY off too",
        Hyper,
        env = [
            ("REQUEST_METHOD", "GET"),
            ("HTTPS_PROXY", "http://upper:2222")
        ],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    row!(
        "hyper: REQUEST_METHOD turns ALL_PROXY off too",
        Hyper,
        env = [("REQUEST_METHOD", "GET"), ("ALL_PROXY", "http://all:3333")],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    row!(
        "hyper: an empty REQUEST_METHOD still counts as CGI",
        Hyper,
        env = [("REQUEST_METHOD", ""), ("HTTPS_PROXY", "http://upper:2222")],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    // Proxy values.
    row!(
        "hyper: a value without scheme is http",
        Hyper,
        env = [("HTTPS_PROXY", "y.ep"), ("HTTP_PROXY", "127.0.0.1:8887")],
        url = "http://example.local/",
        want = "http://127.0.0.1:8887"
    ),
    row!(
        "hyper: a port-less http proxy uses 80",
        Hyper,
        env = [("HTTPS_PROXY", "y.ep")],
        url = "https://example.local/",
        want = "http://y.ep:80"
    ),
    row!(
        "hyper: an https proxy without port uses 443",
        Hyper,
        env = [("HTTPS_PROXY", "https://y.ep")],
        url = "https://example.local/",
        want = "https://y.ep:443"
    ),
    row!(
        "hyper: socks5h is accepted",
        Hyper,
        env = [("ALL_PROXY", "socks5h://Aladdin:opensesame@localhost:8887")],
        url = "https://hyper.rs/",
        want = "socks5h://Aladdin:***@localhost:8887",
        password = "opensesame"
    ),
    row!(
        "hyper: credentials without scheme are kept",
        Hyper,
        env = [("ALL_PROXY", "Aladdin:opensesame@y.ep")],
        url = "https://example.local/",
        want = "http://Aladdin:***@y.ep:80",
        password = "opensesame"
    ),
    row!(
        "hyper: a user without password is kept",
        Hyper,
        env = [("ALL_PROXY", "http://Aladdin@y.ep")],
        url = "https://example.local/",
        want = "http://Aladdin@y.ep:80"
    ),
    row!(
        "hyper: localhost goes through the proxy without NO_PROXY",
        Hyper,
        env = [("HTTP_PROXY", "http://upper:2222")],
        url = "http://localhost/",
        want = "http://upper:2222"
    ),
    // NO_PROXY variables.
    row!(
        "hyper: NO_PROXY wins over no_proxy",
        Hyper,
        env = [
            ("HTTPS_PROXY", "http://p:1"),
            ("NO_PROXY", "other.org"),
            ("no_proxy", "example.com")
        ],
        url = "https://example.com/",
        want = "http://p:1"
    ),
    row!(
        "hyper: empty NO_PROXY shadows no_proxy",
        Hyper,
        env = [
            ("HTTPS_PROXY", "http://p:1"),
            ("NO_PROXY", ""),
            ("no_proxy", "example.com")
        ],
        url = "https://example.com/",
        want = "http://p:1"
    ),
    // NO_PROXY semantics (matcher.rs tests).
    np!(
        "hyper: a bare name matches itself",
        Hyper,
        ".foo.bar, bar.baz",
        "https://bar.baz/",
        bypass
    ),
    np!(
        "hyper: a bare name matches subdomains",
        Hyper,
        ".foo.bar, bar.baz",
        "https://foo.bar.baz/",
        bypass
    ),
    np!(
        "hyper: a bare name does not match a longer label",
        Hyper,
        ".foo.bar, bar.baz",
        "https://notbar.baz/",
        proxy
    ),
    np!(
        "hyper: a leading dot also matches the domain itself",
        Hyper,
        ".foo.bar, bar.baz",
        "https://foo.bar/",
        bypass
    ),
    np!(
        "hyper: a leading dot matches subdomains",
        Hyper,
        ".foo.bar, bar.baz",
        "https://hello.foo.bar/",
        bypass
    ),
    np!(
        "hyper: a leading dot does not match a longer label",
        Hyper,
        ".foo.bar",
        "https://notfoo.bar/",
        proxy
    ),
    np!(
        "hyper: matching ignores case",
        Hyper,
        ".foo.bar",
        "https://WWW.FOO.BAR/",
        bypass
    ),
    np!(
        "hyper: * bypasses host names",
        Hyper,
        "*",
        "https://any.where/",
        bypass
    ),
    np!(
        "hyper: * does not bypass an IPv4 literal",
        Hyper,
        "*",
        "http://10.0.0.1/",
        proxy
    ),
    np!(
        "hyper: * does not bypass an IPv6 literal",
        Hyper,
        "*",
        "http://[2001:db8::1]/",
        proxy
    ),
    np!(
        "hyper: * among other entries bypasses host names",
        Hyper,
        "foo.org,*",
        "https://example.com/",
        bypass
    ),
    np!(
        "hyper: *.example.com never matches",
        Hyper,
        "*.example.com",
        "https://www.example.com/",
        proxy
    ),
    np!(
        "hyper: host:port never matches",
        Hyper,
        "example.com:8080",
        "http://example.com:8080/",
        proxy
    ),
    np!(
        "hyper: IPv4 with port never matches",
        Hyper,
        "10.0.0.1:8080",
        "http://10.0.0.1:8080/",
        proxy
    ),
    np!(
        "hyper: an IPv4 CIDR matches inside it",
        Hyper,
        "10.42.1.1/24",
        "http://10.42.1.100/",
        bypass
    ),
    np!(
        "hyper: an IPv4 CIDR does not match outside it",
        Hyper,
        "10.42.1.1/24",
        "http://10.43.1.1/",
        proxy
    ),
    np!(
        "hyper: 10.0.0.0/8 matches 10.1.2.3",
        Hyper,
        "10.0.0.0/8",
        "http://10.1.2.3/",
        bypass
    ),
    np!(
        "hyper: an exact IPv4 entry",
        Hyper,
        "10.124.7.8",
        "http://10.124.7.8/",
        bypass
    ),
    np!(
        "hyper: an exact IPv4 entry does not match a neighbour",
        Hyper,
        "10.124.7.8",
        "http://10.124.7.7/",
        proxy
    ),
    np!(
        "hyper: an IPv6 CIDR",
        Hyper,
        "2001::/17",
        "http://[2001:db8:a0b:12f0::1]/",
        bypass
    ),
    np!(
        "hyper: an IPv6 CIDR does not match outside it",
        Hyper,
        "2001::/17",
        "http://[2005:db8:a0b:12f0::1]/",
        proxy
    ),
    np!(
        "hyper: an unbracketed IPv6 entry",
        Hyper,
        "::1",
        "http://[::1]/",
        bypass
    ),
    np!(
        "hyper: a bracketed IPv6 entry never matches",
        Hyper,
        "[::1]",
        "http://[::1]/",
        proxy
    ),
    np!(
        "hyper: a bracketed IPv6 entry with port never matches",
        Hyper,
        "[2001:db8::1]:8080",
        "http://[2001:db8::1]:8080/",
        proxy
    ),
    np!(
        "hyper: a bad mask never matches",
        Hyper,
        "10.0.0.0/33",
        "http://10.0.0.1/",
        proxy
    ),
    np!(
        "hyper: blanks around entries are trimmed",
        Hyper,
        "  a.org ,  example.com ",
        "https://example.com/",
        bypass
    ),
    np!(
        "hyper: a blank does not separate entries",
        Hyper,
        "a.org example.com",
        "https://example.com/",
        proxy
    ),
    np!(
        "hyper: empty entries are skipped",
        Hyper,
        ",,example.com,",
        "https://example.com/",
        bypass
    ),
    np!(
        "hyper: a trailing dot in the entry does not match the dotless host",
        Hyper,
        "example.com.",
        "https://example.com/",
        proxy
    ),
    viol!(
        "hyper: *.x, host:port, [v6] and a bad mask are reported",
        Hyper,
        "*.example.com,example.com:80,[::1],10.0.0.0/33,ok.org",
        4
    ),
    // Issue 12, from hyper-util's source (src/client/proxy/matcher.rs): a
    // value `http::Uri` rejects (blanks) makes `parse_env_uri` return None and
    // ALL_PROXY serves the scheme instead (item 3); `intercept` answers for
    // http and https URLs only, so ALL_PROXY is not applied to other schemes
    // (item 10).
    row!(
        "hyper: a proxy value with blanks is skipped for ALL_PROXY",
        Hyper,
        env = [
            ("HTTPS_PROXY", " http://p:3128"),
            ("ALL_PROXY", "http://all:1")
        ],
        url = "https://example.com/",
        want = "http://all:1"
    ),
    row!(
        "hyper: a proxy value with blanks and no ALL_PROXY goes direct",
        Hyper,
        env = [("HTTPS_PROXY", "http://p:3128 ")],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    row!(
        "hyper: ALL_PROXY does not serve an unknown scheme",
        Hyper,
        env = [("ALL_PROXY", "http://all:1")],
        url = "foo://example.com/",
        want = "DIRECT"
    ),
    row!(
        "hyper: an unparsable HTTPS_PROXY is skipped for ALL_PROXY",
        Hyper,
        env = [
            ("HTTPS_PROXY", "http://p:abc"),
            ("ALL_PROXY", "http://all:1")
        ],
        url = "https://example.com/",
        want = "http://all:1"
    ),
];

// ---------------------------------------------------------------------------
// .NET (HttpEnvironmentProxy)
// ---------------------------------------------------------------------------

const DOTNET: &[Row] = &[
    row!(
        "dotnet: http_proxy serves http URLs",
        Dotnet,
        env = [("http_proxy", "http://lower:1111")],
        url = "http://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "dotnet: uppercase HTTP_PROXY is read when lowercase is unset",
        Dotnet,
        env = [("HTTP_PROXY", "http://upper:2222")],
        url = "http://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "dotnet: HTTP_PROXY=A and http_proxy=B give B",
        Dotnet,
        env = [
            ("HTTP_PROXY", "http://upper:2222"),
            ("http_proxy", "http://lower:1111")
        ],
        url = "http://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "dotnet: an empty http_proxy falls back to HTTP_PROXY",
        Dotnet,
        env = [("http_proxy", ""), ("HTTP_PROXY", "http://upper:2222")],
        url = "http://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "dotnet: https_proxy serves https URLs",
        Dotnet,
        env = [("https_proxy", "http://lower:1111")],
        url = "https://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "dotnet: uppercase HTTPS_PROXY is read",
        Dotnet,
        env = [("HTTPS_PROXY", "http://upper:2222")],
        url = "https://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "dotnet: lowercase https_proxy wins",
        Dotnet,
        env = [
            ("HTTPS_PROXY", "http://upper:2222"),
            ("https_proxy", "http://lower:1111")
        ],
        url = "https://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "dotnet: only http_proxy set, an https URL goes direct",
        Dotnet,
        env = [("http_proxy", "http://lower:1111")],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    row!(
        "dotnet: all_proxy serves http when http_proxy is unset",
        Dotnet,
        env = [("all_proxy", "http://all:3333")],
        url = "http://example.com/",
        want = "http://all:3333"
    ),
    row!(
        "dotnet: ALL_PROXY serves https when https_proxy is unset",
        Dotnet,
        env = [("ALL_PROXY", "http://all:3333")],
        url = "https://example.com/",
        want = "http://all:3333"
    ),
    row!(
        "dotnet: ALL_PROXY=A and HTTPS_PROXY=B give B",
        Dotnet,
        env = [
            ("ALL_PROXY", "http://all:3333"),
            ("HTTPS_PROXY", "http://upper:2222")
        ],
        url = "https://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "dotnet: lowercase all_proxy wins over ALL_PROXY",
        Dotnet,
        env = [
            ("ALL_PROXY", "http://upper:2222"),
            ("all_proxy", "http://all:3333")
        ],
        url = "https://example.com/",
        want = "http://all:3333"
    ),
    // Request schemes: http and ws use the http proxy, everything else the https one.
    row!(
        "dotnet: ws URLs use the http proxy",
        Dotnet,
        env = [
            ("http_proxy", "http://lower:1111"),
            ("https_proxy", "http://upper:2222")
        ],
        url = "ws://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "dotnet: wss URLs use the https proxy",
        Dotnet,
        env = [
            ("http_proxy", "http://lower:1111"),
            ("https_proxy", "http://upper:2222")
        ],
        url = "wss://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "dotnet: ftp URLs use the https proxy",
        Dotnet,
        env = [
            ("http_proxy", "http://lower:1111"),
            ("https_proxy", "http://upper:2222")
        ],
        url = "ftp://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "dotnet: an unknown scheme uses the https proxy",
        Dotnet,
        env = [("https_proxy", "http://upper:2222")],
        url = "foo://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "dotnet: ftp_proxy is not read",
        Dotnet,
        env = [("ftp_proxy", "http://lower:1111")],
        url = "ftp://example.com/",
        want = "DIRECT"
    ),
    // CGI: GATEWAY_INTERFACE, uppercase HTTP_PROXY only.
    row!(
        "dotnet: GATEWAY_INTERFACE drops uppercase HTTP_PROXY",
        Dotnet,
        env = [
            ("GATEWAY_INTERFACE", "CGI/1.1"),
            ("HTTP_PROXY", "http://upper:2222")
        ],
        url = "http://example.com/",
        want = "DIRECT"
    ),
    row!(
        "dotnet: GATEWAY_INTERFACE keeps lowercase http_proxy",
        Dotnet,
        env = [
            ("GATEWAY_INTERFACE", "CGI/1.1"),
            ("http_proxy", "http://lower:1111")
        ],
        url = "http://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "dotnet: GATEWAY_INTERFACE leaves ALL_PROXY as the fallback",
        Dotnet,
        env = [
            ("GATEWAY_INTERFACE", "CGI/1.1"),
            ("HTTP_PROXY", "http://upper:2222"),
            ("ALL_PROXY", "http://all:3333")
        ],
        url = "http://example.com/",
        want = "http://all:3333"
    ),
    row!(
        "dotnet: REQUEST_METHOD is not the guard .NET reads",
        Dotnet,
        env = [
            ("REQUEST_METHOD", "GET"),
            ("HTTP_PROXY", "http://upper:2222")
        ],
        url = "http://example.com/",
        want = "http://upper:2222"
    ),
    // Proxy values.
    row!(
        "dotnet: a value without scheme is http",
        Dotnet,
        env = [("http_proxy", "proxy:3128")],
        url = "http://example.com/",
        want = "http://proxy:3128"
    ),
    row!(
        "dotnet: a port-less value uses port 80",
        Dotnet,
        env = [("https_proxy", "proxy")],
        url = "https://example.com/",
        want = "http://proxy:80"
    ),
    row!(
        "dotnet: credentials with a domain are kept",
        Dotnet,
        env = [("https_proxy", "http://CORP%5Calice:pw@proxy:3128")],
        url = "https://example.com/",
        want = "http://CORP%5Calice:***@proxy:3128",
        password = "pw"
    ),
    row!(
        "dotnet: localhost goes through the proxy without no_proxy",
        Dotnet,
        env = [("http_proxy", "http://lower:1111")],
        url = "http://localhost/",
        want = "http://lower:1111"
    ),
    // NO_PROXY variables: no_proxy ?? NO_PROXY.
    row!(
        "dotnet: an empty no_proxy hides NO_PROXY",
        Dotnet,
        env = [
            ("https_proxy", "http://p:1"),
            ("no_proxy", ""),
            ("NO_PROXY", "example.com")
        ],
        url = "https://example.com/",
        want = "http://p:1"
    ),
    row!(
        "dotnet: NO_PROXY is read when no_proxy is unset",
        Dotnet,
        env = [("https_proxy", "http://p:1"), ("NO_PROXY", "example.com")],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    row!(
        "dotnet: lowercase no_proxy wins",
        Dotnet,
        env = [
            ("https_proxy", "http://p:1"),
            ("no_proxy", "other.org"),
            ("NO_PROXY", "example.com")
        ],
        url = "https://example.com/",
        want = "http://p:1"
    ),
    // NO_PROXY semantics.
    np!(
        "dotnet: a bare name matches exactly",
        Dotnet,
        "example.com",
        "https://example.com/",
        bypass
    ),
    np!(
        "dotnet: a bare name does not match subdomains",
        Dotnet,
        "example.com",
        "https://www.example.com/",
        proxy
    ),
    np!(
        "dotnet: a leading dot matches subdomains",
        Dotnet,
        ".example.com",
        "https://www.example.com/",
        bypass
    ),
    np!(
        "dotnet: a leading dot also matches the domain itself (code, not docs)",
        Dotnet,
        ".example.com",
        "https://example.com/",
        bypass
    ),
    np!(
        "dotnet: a leading dot does not match a longer label",
        Dotnet,
        ".example.com",
        "https://badexample.com/",
        proxy
    ),
    np!(
        "dotnet: * has no effect",
        Dotnet,
        "*",
        "https://example.com/",
        proxy
    ),
    np!(
        "dotnet: *.example.com never matches",
        Dotnet,
        "*.example.com",
        "https://www.example.com/",
        proxy
    ),
    np!(
        "dotnet: host:port never matches",
        Dotnet,
        "example.com:8080",
        "http://example.com:8080/",
        proxy
    ),
    np!(
        "dotnet: CIDR is not supported",
        Dotnet,
        "10.0.0.0/8",
        "http://10.1.2.3/",
        proxy
    ),
    np!(
        "dotnet: an IPv4 entry matches as text",
        Dotnet,
        "10.1.2.3",
        "http://10.1.2.3/",
        bypass
    ),
    np!(
        "dotnet: a bracketed IPv6 entry matches",
        Dotnet,
        "[2001:db8::1]",
        "http://[2001:db8::1]/",
        bypass
    ),
    np!(
        "dotnet: an unbracketed IPv6 entry never matches",
        Dotnet,
        "2001:db8::1",
        "http://[2001:db8::1]/",
        proxy
    ),
    np!(
        "dotnet: matching ignores case",
        Dotnet,
        "EXAMPLE.com",
        "https://example.COM/",
        bypass
    ),
    np!(
        "dotnet: blanks around entries are trimmed",
        Dotnet,
        " a.org , example.com ",
        "https://example.com/",
        bypass
    ),
    np!(
        "dotnet: a blank does not separate entries",
        Dotnet,
        "a.org example.com",
        "https://example.com/",
        proxy
    ),
    np!(
        "dotnet: empty entries are removed",
        Dotnet,
        ",,example.com,,",
        "https://example.com/",
        bypass
    ),
    np!(
        "dotnet: a trailing dot in the entry does not match the dotless host",
        Dotnet,
        "example.com.",
        "https://example.com/",
        proxy
    ),
    viol!(
        "dotnet: *, *.x, host:port and CIDR are reported",
        Dotnet,
        "*,*.example.com,example.com:80,10.0.0.0/8,ok.org",
        4
    ),
    row!(
        "dotnet: https_proxy=proxy:3128 is plain HTTP to the proxy",
        Dotnet,
        env = [("https_proxy", "proxy:3128")],
        url = "https://example.com/",
        want = "http://proxy:3128"
    ),
    // Issue 12 item 8, from dotnet/runtime (not run here):
    // HttpEnvironmentProxy.Unix.cs `TryCreate` reads
    // `GetUriFromString(https_proxy) ?? GetUriFromString(HTTPS_PROXY)`, then
    // all_proxy/ALL_PROXY for whichever is still null; `GetUriFromString`
    // (HttpEnvironmentProxy.cs) returns null for a port that does not parse.
    row!(
        "dotnet: an invalid https_proxy falls back to all_proxy",
        Dotnet,
        env = [
            ("https_proxy", "http://p:abc"),
            ("all_proxy", "http://all:1")
        ],
        url = "https://example.com/",
        want = "http://all:1"
    ),
    row!(
        "dotnet: an invalid https_proxy falls back to HTTPS_PROXY first",
        Dotnet,
        env = [
            ("https_proxy", "http://p:99999"),
            ("HTTPS_PROXY", "http://upper:2"),
            ("all_proxy", "http://all:1")
        ],
        url = "https://example.com/",
        want = "http://upper:2"
    ),
    row!(
        "dotnet: an invalid https_proxy with nothing behind it is ignored",
        Dotnet,
        env = [("https_proxy", "http://p:abc")],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    row!(
        "dotnet: an invalid http_proxy in CGI does not fall back to HTTP_PROXY",
        Dotnet,
        env = [
            ("http_proxy", "http://p:abc"),
            ("HTTP_PROXY", "http://upper:2"),
            ("GATEWAY_INTERFACE", "CGI/1.1"),
            ("all_proxy", "http://all:1")
        ],
        url = "http://example.com/",
        want = "http://all:1"
    ),
];

// ---------------------------------------------------------------------------
// Chromium (Linux environment)
// ---------------------------------------------------------------------------

const CHROMIUM: &[Row] = &[
    row!(
        "chromium: all_proxy wins over https_proxy",
        Chromium,
        env = [
            ("ALL_PROXY", "http://all:3333"),
            ("HTTPS_PROXY", "http://upper:2222")
        ],
        url = "https://example.com/",
        want = "http://all:3333"
    ),
    row!(
        "chromium: all_proxy wins over http_proxy",
        Chromium,
        env = [
            ("all_proxy", "http://all:3333"),
            ("http_proxy", "http://lower:1111")
        ],
        url = "http://example.com/",
        want = "http://all:3333"
    ),
    row!(
        "chromium: all_proxy serves ws",
        Chromium,
        env = [("all_proxy", "www.google.com")],
        url = "ws://example.com/",
        want = "http://www.google.com:80"
    ),
    row!(
        "chromium: all_proxy serves any scheme",
        Chromium,
        env = [("all_proxy", "www.google.com:99")],
        url = "gopher://example.com/",
        want = "http://www.google.com:99"
    ),
    row!(
        "chromium: an empty all_proxy falls through to the per-scheme variables",
        Chromium,
        env = [("all_proxy", ""), ("https_proxy", "http://lower:1111")],
        url = "https://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "chromium: http_proxy serves http",
        Chromium,
        env = [
            ("http_proxy", "www.google.com:80"),
            ("https_proxy", "www.foo.com:110"),
            ("ftp_proxy", "ftp.foo.com:121")
        ],
        url = "http://example.com/",
        want = "http://www.google.com:80"
    ),
    row!(
        "chromium: https_proxy serves https",
        Chromium,
        env = [
            ("http_proxy", "www.google.com:80"),
            ("https_proxy", "www.foo.com:110"),
            ("ftp_proxy", "ftp.foo.com:121")
        ],
        url = "https://example.com/",
        want = "http://www.foo.com:110"
    ),
    row!(
        "chromium: ftp_proxy serves ftp",
        Chromium,
        env = [
            ("http_proxy", "www.google.com:80"),
            ("https_proxy", "www.foo.com:110"),
            ("ftp_proxy", "ftp.foo.com:121")
        ],
        url = "ftp://example.com/",
        want = "http://ftp.foo.com:121"
    ),
    row!(
        "chromium: only http_proxy set, an https URL goes direct",
        Chromium,
        env = [("http_proxy", "http://lower:1111")],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    row!(
        "chromium: per-scheme variables do not serve other schemes",
        Chromium,
        env = [("http_proxy", "http://lower:1111")],
        url = "gopher://example.com/",
        want = "DIRECT"
    ),
    row!(
        "chromium: uppercase HTTP_PROXY is read when lowercase is unset",
        Chromium,
        env = [("HTTP_PROXY", "http://upper:2222")],
        url = "http://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "chromium: HTTP_PROXY=A and http_proxy=B give B",
        Chromium,
        env = [
            ("HTTP_PROXY", "http://upper:2222"),
            ("http_proxy", "http://lower:1111")
        ],
        url = "http://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "chromium: an empty lowercase variable hides the uppercase one",
        Chromium,
        env = [("https_proxy", ""), ("HTTPS_PROXY", "http://upper:2222")],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    // WebSockets per RFC 6455: https proxy first, then http proxy.
    row!(
        "chromium: ws prefers the https proxy",
        Chromium,
        env = [
            ("http_proxy", "http://lower:1111"),
            ("https_proxy", "http://upper:2222")
        ],
        url = "ws://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "chromium: ws falls back to the http proxy",
        Chromium,
        env = [("http_proxy", "http://lower:1111")],
        url = "ws://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "chromium: wss falls back to the http proxy",
        Chromium,
        env = [("http_proxy", "http://lower:1111")],
        url = "wss://example.com/",
        want = "http://lower:1111"
    ),
    // SOCKS_SERVER.
    row!(
        "chromium: SOCKS_SERVER is SOCKS5 by default",
        Chromium,
        env = [("all_proxy", ""), ("SOCKS_SERVER", "socks.com:888")],
        url = "http://example.com/",
        want = "socks5://socks.com:888"
    ),
    row!(
        "chromium: SOCKS_VERSION=4 makes it SOCKS4",
        Chromium,
        env = [("SOCKS_SERVER", "socks.com:888"), ("SOCKS_VERSION", "4")],
        url = "https://example.com/",
        want = "socks4://socks.com:888"
    ),
    row!(
        "chromium: SOCKS_SERVER without port uses 1080",
        Chromium,
        env = [("SOCKS_SERVER", "socks.com")],
        url = "https://example.com/",
        want = "socks5://socks.com:1080"
    ),
    row!(
        "chromium: SOCKS_SERVER serves every scheme",
        Chromium,
        env = [("SOCKS_SERVER", "socks.com:888")],
        url = "ftp://example.com/",
        want = "socks5://socks.com:888"
    ),
    row!(
        "chromium: a socks4:// SOCKS_SERVER stays SOCKS4",
        Chromium,
        env = [("SOCKS_SERVER", "socks4://socks.com:888")],
        url = "https://example.com/",
        want = "socks4://socks.com:888"
    ),
    row!(
        "chromium: SOCKS_VERSION=4 wins over a socks5:// prefix",
        Chromium,
        env = [
            ("SOCKS_SERVER", "socks5://socks.com:888"),
            ("SOCKS_VERSION", "4")
        ],
        url = "https://example.com/",
        want = "socks4://socks.com:888"
    ),
    row!(
        "chromium: SOCKS_SERVER is ignored when a per-scheme variable is set",
        Chromium,
        env = [
            ("http_proxy", "http://lower:1111"),
            ("SOCKS_SERVER", "socks.com:888")
        ],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    // auto_proxy: a PAC script, which the crate does not evaluate.
    row!(
        "chromium: auto_proxy names a PAC script, so no route without PAC",
        Chromium,
        env = [
            ("auto_proxy", "http://wpad/wpad.dat"),
            ("all_proxy", "http://all:3333")
        ],
        url = "https://example.com/",
        want = "refused"
    ),
    row!(
        "chromium: an empty auto_proxy means auto-detect, so no route",
        Chromium,
        env = [("auto_proxy", "")],
        url = "https://example.com/",
        want = "refused"
    ),
    // Proxy values: the scheme is dropped (HTTP) and so are credentials.
    row!(
        "chromium: a scheme-less single host is http on port 80",
        Chromium,
        env = [("all_proxy", "www.google.com")],
        url = "https://example.com/",
        want = "http://www.google.com:80"
    ),
    row!(
        "chromium: an http:// scheme is tolerated",
        Chromium,
        env = [("all_proxy", "http://www.google.com:99")],
        url = "https://example.com/",
        want = "http://www.google.com:99"
    ),
    row!(
        "chromium: an https:// value is still an HTTP proxy",
        Chromium,
        env = [("https_proxy", "https://secure.proxy")],
        url = "https://example.com/",
        want = "http://secure.proxy:80"
    ),
    row!(
        "chromium: a socks5:// all_proxy is still an HTTP proxy",
        Chromium,
        env = [("all_proxy", "socks5://127.0.0.1:1080")],
        url = "https://example.com/",
        want = "http://127.0.0.1:1080"
    ),
    row!(
        "chromium: credentials in the value are dropped",
        Chromium,
        env = [("https_proxy", "http://alice:secret@proxy:3128")],
        url = "https://example.com/",
        want = "http://proxy:3128"
    ),
    row!(
        "chromium: no CGI guard",
        Chromium,
        env = [
            ("REQUEST_METHOD", "GET"),
            ("HTTP_PROXY", "http://upper:2222")
        ],
        url = "http://example.com/",
        want = "http://upper:2222"
    ),
    // Implicit bypass.
    row!(
        "chromium: localhost is never proxied",
        Chromium,
        env = [("https_proxy", "http://lower:1111")],
        url = "https://localhost/",
        want = "DIRECT"
    ),
    row!(
        "chromium: *.localhost is never proxied",
        Chromium,
        env = [("https_proxy", "http://lower:1111")],
        url = "https://app.localhost:8443/",
        want = "DIRECT"
    ),
    row!(
        "chromium: 127.0.0.2 is never proxied",
        Chromium,
        env = [("http_proxy", "http://lower:1111")],
        url = "http://127.0.0.2/",
        want = "DIRECT"
    ),
    row!(
        "chromium: [::1] is never proxied",
        Chromium,
        env = [("http_proxy", "http://lower:1111")],
        url = "http://[::1]/",
        want = "DIRECT"
    ),
    row!(
        "chromium: IPv4 link-local is never proxied",
        Chromium,
        env = [("http_proxy", "http://lower:1111")],
        url = "http://169.254.1.1/",
        want = "DIRECT"
    ),
    row!(
        "chromium: IPv6 link-local is never proxied",
        Chromium,
        env = [("http_proxy", "http://lower:1111")],
        url = "http://[fe80::1]/",
        want = "DIRECT"
    ),
    row!(
        "chromium: localhost.example.com is not implicit",
        Chromium,
        env = [("https_proxy", "http://lower:1111")],
        url = "https://localhost.example.com/",
        want = "http://lower:1111"
    ),
    // NO_PROXY variables.
    row!(
        "chromium: uppercase NO_PROXY is read when no_proxy is unset",
        Chromium,
        env = [("https_proxy", "http://p:1"), ("NO_PROXY", "example.com")],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    row!(
        "chromium: an empty no_proxy hides NO_PROXY",
        Chromium,
        env = [
            ("https_proxy", "http://p:1"),
            ("no_proxy", ""),
            ("NO_PROXY", "example.com")
        ],
        url = "https://example.com/",
        want = "http://p:1"
    ),
    // NO_PROXY semantics: hostname rules become suffix rules.
    np!(
        "chromium: a bare name matches itself",
        Chromium,
        "example.com",
        "https://example.com/",
        bypass
    ),
    np!(
        "chromium: a bare name matches subdomains",
        Chromium,
        "example.com",
        "https://sub.example.com/",
        bypass
    ),
    np!(
        "chromium: a bare name matches any host ending so",
        Chromium,
        "example.com",
        "https://notexample.com/",
        bypass
    ),
    np!(
        "chromium: a bare name does not match other names",
        Chromium,
        "example.com",
        "https://example.org/",
        proxy
    ),
    np!(
        "chromium: a leading dot does not match the domain itself",
        Chromium,
        ".google.com, foo.com:99, 1.2.3.4:22, 127.0.0.1/8",
        "http://google.com/",
        proxy
    ),
    np!(
        "chromium: a leading dot matches subdomains",
        Chromium,
        ".google.com, foo.com:99, 1.2.3.4:22, 127.0.0.1/8",
        "http://www.google.com/",
        bypass
    ),
    np!(
        "chromium: a name with port matches that port",
        Chromium,
        ".google.com, foo.com:99, 1.2.3.4:22, 127.0.0.1/8",
        "http://foo.com:99/",
        bypass
    ),
    np!(
        "chromium: a name with port is a suffix rule too",
        Chromium,
        ".google.com, foo.com:99, 1.2.3.4:22, 127.0.0.1/8",
        "http://barfoo.com:99/",
        bypass
    ),
    np!(
        "chromium: a name with port does not match another port",
        Chromium,
        ".google.com, foo.com:99, 1.2.3.4:22, 127.0.0.1/8",
        "http://foo.com/",
        proxy
    ),
    np!(
        "chromium: an IP with port matches that port",
        Chromium,
        ".google.com, foo.com:99, 1.2.3.4:22, 127.0.0.1/8",
        "http://1.2.3.4:22/",
        bypass
    ),
    np!(
        "chromium: an IP with port does not match another port",
        Chromium,
        ".google.com, foo.com:99, 1.2.3.4:22, 127.0.0.1/8",
        "http://1.2.3.4/",
        proxy
    ),
    np!(
        "chromium: * bypasses every host",
        Chromium,
        "*",
        "https://example.com/",
        bypass
    ),
    np!(
        "chromium: * bypasses IP literals",
        Chromium,
        "*",
        "http://10.1.2.3/",
        bypass
    ),
    np!(
        "chromium: * among other entries bypasses everything",
        Chromium,
        "foo.org,*",
        "https://example.com/",
        bypass
    ),
    np!(
        "chromium: *.example.com matches subdomains",
        Chromium,
        "*.example.com",
        "https://www.example.com/",
        bypass
    ),
    np!(
        "chromium: *.example.com does not match the domain itself",
        Chromium,
        "*.example.com",
        "https://example.com/",
        proxy
    ),
    np!(
        "chromium: a wildcard inside a name is a pattern",
        Chromium,
        "intra*.corp",
        "https://intranet.corp/",
        bypass
    ),
    np!(
        "chromium: 10.0.0.0/8 matches 10.1.2.3",
        Chromium,
        "10.0.0.0/8",
        "http://10.1.2.3/",
        bypass
    ),
    np!(
        "chromium: CIDR does not match host names",
        Chromium,
        "10.0.0.0/8",
        "https://example.com/",
        proxy
    ),
    np!(
        "chromium: a bracketed IPv6 entry with port",
        Chromium,
        "[2001:db8::1]:8080",
        "http://[2001:db8::1]:8080/",
        bypass
    ),
    np!(
        "chromium: a bracketed IPv6 entry with port, another port",
        Chromium,
        "[2001:db8::1]:8080",
        "http://[2001:db8::1]/",
        proxy
    ),
    np!(
        "chromium: a semicolon separates entries",
        Chromium,
        "a.org;example.com",
        "https://example.com/",
        bypass
    ),
    np!(
        "chromium: blanks around entries are trimmed",
        Chromium,
        " a.org , example.com ",
        "https://example.com/",
        bypass
    ),
    np!(
        "chromium: matching ignores case",
        Chromium,
        "EXAMPLE.COM",
        "https://www.Example.com/",
        bypass
    ),
    np!(
        "chromium: a scheme prefix limits the entry to that scheme",
        Chromium,
        "http://example.com",
        "http://example.com/",
        bypass
    ),
    np!(
        "chromium: a scheme prefix does not apply to other schemes",
        Chromium,
        "http://example.com",
        "https://example.com/",
        proxy
    ),
    np!(
        "chromium: <local> bypasses plain host names",
        Chromium,
        "<local>",
        "https://intranet/",
        bypass
    ),
    np!(
        "chromium: <local> does not bypass dotted names",
        Chromium,
        "<local>",
        "https://example.com/",
        proxy
    ),
    np!(
        "chromium: <-loopback> sends localhost through the proxy",
        Chromium,
        "<-loopback>",
        "https://localhost/",
        proxy
    ),
    np!(
        "chromium: <-loopback> sends 127.0.0.1 through the proxy",
        Chromium,
        "<-loopback>",
        "http://127.0.0.1/",
        proxy
    ),
    viol!(
        "chromium: a bad mask and an empty host are reported",
        Chromium,
        "10.0.0.0/33,:80,ok.org",
        2
    ),
    row!(
        "chromium: https_proxy=proxy:3128 is plain HTTP to the proxy",
        Chromium,
        env = [("https_proxy", "proxy:3128")],
        url = "https://example.com/",
        want = "http://proxy:3128"
    ),
    np!(
        "chromium: a blank does not separate entries",
        Chromium,
        "a.org example.com",
        "https://example.com/",
        proxy
    ),
    np!(
        "chromium: later entries are read first, so <-loopback> after localhost wins",
        Chromium,
        "localhost,<-loopback>",
        "https://localhost/",
        proxy
    ),
    np!(
        "chromium: a trailing dot in the entry does not match the dotless host",
        Chromium,
        "example.com.",
        "https://example.com/",
        proxy
    ),
    np!(
        "chromium: a leading and a trailing dot match no dotless host",
        Chromium,
        ".example.com.",
        "https://www.example.com/",
        proxy
    ),
    // Issue 12 item 1, from Chromium's source (not run here): GURL keeps the
    // host's trailing dot and rules compare its text
    // (net/base/scheme_host_port_matcher_rule.cc), so `*example.com` and
    // `<local>` do not match hosts written with a dot; the implicit
    // localhost rule strips the dot first (net/base/url_util.cc
    // `IsLocalHostname`), so `localhost.` stays direct.
    np!(
        "chromium: a suffix entry does not match a host written with a dot",
        Chromium,
        "example.com",
        "http://www.example.com./",
        proxy
    ),
    np!(
        "chromium: an entry with a trailing dot matches a host written with one",
        Chromium,
        "example.com.",
        "http://www.example.com./",
        bypass
    ),
    np!(
        "chromium: <local> does not match a dotted single label",
        Chromium,
        "<local>",
        "http://example./",
        proxy
    ),
    row!(
        "chromium: localhost. is still implicit",
        Chromium,
        env = [("http_proxy", "http://p:1")],
        url = "http://localhost./",
        want = "DIRECT"
    ),
];

// ---------------------------------------------------------------------------
// Postman (postman-request getProxyFromURI)
// ---------------------------------------------------------------------------

const POSTMAN: &[Row] = &[
    row!(
        "postman: HTTP_PROXY serves http URLs",
        Postman,
        env = [("HTTP_PROXY", "http://upper:2222")],
        url = "http://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "postman: http_proxy is read when HTTP_PROXY is unset",
        Postman,
        env = [("http_proxy", "http://lower:1111")],
        url = "http://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "postman: HTTP_PROXY=A and http_proxy=B give A",
        Postman,
        env = [
            ("HTTP_PROXY", "http://upper:2222"),
            ("http_proxy", "http://lower:1111")
        ],
        url = "http://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "postman: an empty HTTP_PROXY falls back to http_proxy",
        Postman,
        env = [("HTTP_PROXY", ""), ("http_proxy", "http://lower:1111")],
        url = "http://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "postman: HTTPS_PROXY serves https URLs",
        Postman,
        env = [("HTTPS_PROXY", "http://upper:2222")],
        url = "https://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "postman: HTTPS_PROXY wins over https_proxy",
        Postman,
        env = [
            ("HTTPS_PROXY", "http://upper:2222"),
            ("https_proxy", "http://lower:1111")
        ],
        url = "https://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "postman: https falls back to HTTP_PROXY",
        Postman,
        env = [("HTTP_PROXY", "http://upper:2222")],
        url = "https://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "postman: https falls back to http_proxy",
        Postman,
        env = [("http_proxy", "http://lower:1111")],
        url = "https://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "postman: https_proxy wins over HTTP_PROXY for https",
        Postman,
        env = [
            ("HTTP_PROXY", "http://upper:2222"),
            ("https_proxy", "http://lower:1111")
        ],
        url = "https://example.com/",
        want = "http://lower:1111"
    ),
    row!(
        "postman: https_proxy does not serve http",
        Postman,
        env = [("https_proxy", "http://lower:1111")],
        url = "http://example.com/",
        want = "DIRECT"
    ),
    row!(
        "postman: ALL_PROXY is not read",
        Postman,
        env = [("ALL_PROXY", "http://all:3333")],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    row!(
        "postman: ALL_PROXY=A and HTTPS_PROXY=B give B",
        Postman,
        env = [
            ("ALL_PROXY", "http://all:3333"),
            ("HTTPS_PROXY", "http://upper:2222")
        ],
        url = "https://example.com/",
        want = "http://upper:2222"
    ),
    row!(
        "postman: ws URLs get no proxy",
        Postman,
        env = [("HTTP_PROXY", "http://upper:2222")],
        url = "ws://example.com/",
        want = "DIRECT"
    ),
    row!(
        "postman: ftp URLs get no proxy",
        Postman,
        env = [("HTTP_PROXY", "http://upper:2222")],
        url = "ftp://example.com/",
        want = "DIRECT"
    ),
    row!(
        "postman: no CGI guard",
        Postman,
        env = [
            ("REQUEST_METHOD", "GET"),
            ("HTTP_PROXY", "http://upper:2222")
        ],
        url = "http://example.com/",
        want = "http://upper:2222"
    ),
    // Proxy values.
    row!(
        "postman: a value without scheme is misparsed, so refused",
        Postman,
        env = [("HTTP_PROXY", "localhost:10080")],
        url = "http://example.com/",
        want = "refused"
    ),
    row!(
        "postman: a port-less http proxy uses 80",
        Postman,
        env = [("HTTP_PROXY", "http://proxy")],
        url = "http://example.com/",
        want = "http://proxy:80"
    ),
    row!(
        "postman: an https proxy (TLS to the proxy) from the environment",
        Postman,
        env = [("HTTPS_PROXY", "https://proxy")],
        url = "https://example.com/",
        want = "https://proxy:443"
    ),
    row!(
        "postman: socks5 proxies are accepted",
        Postman,
        env = [("HTTPS_PROXY", "socks5://proxy:1080")],
        url = "https://example.com/",
        want = "socks5://proxy:1080"
    ),
    row!(
        "postman: socks:// means SOCKS5 with remote names",
        Postman,
        env = [("HTTPS_PROXY", "socks://proxy")],
        url = "https://example.com/",
        want = "socks5h://proxy:1080"
    ),
    row!(
        "postman: credentials in the value are kept",
        Postman,
        env = [("HTTP_PROXY", "http://USER:PASS@proxy:8080")],
        url = "http://example.com/",
        want = "http://USER:***@proxy:8080",
        password = "PASS"
    ),
    row!(
        "postman: localhost goes through the proxy without NO_PROXY",
        Postman,
        env = [("HTTP_PROXY", "http://upper:2222")],
        url = "http://localhost/",
        want = "http://upper:2222"
    ),
    // NO_PROXY variables.
    row!(
        "postman: NO_PROXY wins over no_proxy",
        Postman,
        env = [
            ("HTTPS_PROXY", "http://p:1"),
            ("NO_PROXY", "example.com"),
            ("no_proxy", "other.org")
        ],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    row!(
        "postman: an empty NO_PROXY falls back to no_proxy",
        Postman,
        env = [
            ("HTTPS_PROXY", "http://p:1"),
            ("NO_PROXY", ""),
            ("no_proxy", "example.com")
        ],
        url = "https://example.com/",
        want = "DIRECT"
    ),
    // NO_PROXY semantics.
    np!(
        "postman: a bare name matches itself",
        Postman,
        "example.com",
        "https://example.com/",
        bypass
    ),
    np!(
        "postman: a bare name matches subdomains",
        Postman,
        "example.com",
        "https://sub.example.com/",
        bypass
    ),
    np!(
        "postman: a bare name does not match a longer label",
        Postman,
        "example.com",
        "https://badexample.com/",
        proxy
    ),
    np!(
        "postman: a leading dot also matches the domain itself",
        Postman,
        ".example.com",
        "https://example.com/",
        bypass
    ),
    np!(
        "postman: leading dots collapse into one",
        Postman,
        "...example.com",
        "https://example.com/",
        bypass
    ),
    np!(
        "postman: host a.b.a.b is not matched by entry a.b",
        Postman,
        "a.b",
        "http://a.b.a.b/",
        proxy
    ),
    np!(
        "postman: host x.a.b is matched by entry a.b",
        Postman,
        "a.b",
        "http://x.a.b/",
        bypass
    ),
    np!(
        "postman: * alone bypasses everything",
        Postman,
        "*",
        "http://10.0.0.1/",
        bypass
    ),
    np!(
        "postman: * with blanks is not the wildcard",
        Postman,
        " *",
        "https://example.com/",
        proxy
    ),
    np!(
        "postman: * inside a list is not a wildcard",
        Postman,
        "*,foo.org",
        "https://example.com/",
        proxy
    ),
    np!(
        "postman: *.example.com never matches",
        Postman,
        "*.example.com",
        "https://www.example.com/",
        proxy
    ),
    np!(
        "postman: host:port matches that port",
        Postman,
        "example.com:8080",
        "http://example.com:8080/",
        bypass
    ),
    np!(
        "postman: host:port does not match the default port",
        Postman,
        "example.com:8080",
        "http://example.com/",
        proxy
    ),
    np!(
        "postman: host:443 matches an https URL without port",
        Postman,
        "example.com:443",
        "https://example.com/",
        bypass
    ),
    np!(
        "postman: host:80 does not match an https URL",
        Postman,
        "example.com:80",
        "https://example.com/",
        proxy
    ),
    np!(
        "postman: CIDR is not supported",
        Postman,
        "10.0.0.0/8",
        "http://10.1.2.3/",
        proxy
    ),
    np!(
        "postman: an IPv4 entry matches as text",
        Postman,
        "10.1.2.3",
        "http://10.1.2.3/",
        bypass
    ),
    np!(
        "postman: a partial IPv4 entry matches as a dotted suffix",
        Postman,
        "0.0.1",
        "http://10.0.0.1/",
        bypass
    ),
    np!(
        "postman: an IPv6 entry never matches",
        Postman,
        "[2001:db8::1]",
        "http://[2001:db8::1]/",
        proxy
    ),
    np!(
        "postman: matching ignores case",
        Postman,
        "Example.COM",
        "https://WWW.example.com/",
        bypass
    ),
    np!(
        "postman: blanks around entries are trimmed",
        Postman,
        " a.org , example.com ",
        "https://example.com/",
        bypass
    ),
    np!(
        "postman: a blank does not separate entries",
        Postman,
        "a.org example.com",
        "https://example.com/",
        proxy
    ),
    np!(
        "postman: empty entries never match",
        Postman,
        "a.org,,",
        "https://example.com/",
        proxy
    ),
    np!(
        "postman: a trailing dot in the entry does not match the dotless host",
        Postman,
        "example.com.",
        "https://example.com/",
        proxy
    ),
    viol!(
        "postman: *, *.x, CIDR and IPv6 entries are reported",
        Postman,
        "*,*.example.com,10.0.0.0/8,::1,ok.org",
        4
    ),
];

// ---------------------------------------------------------------------------
// The runner
// ---------------------------------------------------------------------------

const TABLES: [&[Row]; 8] = [CURL, GO, PYTHON, NODE, HYPER, DOTNET, CHROMIUM, POSTMAN];

fn all_rows() -> impl Iterator<Item = &'static Row> {
    TABLES.into_iter().flatten()
}

/// `Target::parse`, or through `http::Uri` for hosts the URL parser rejects
/// (IPv6 zone ids).
fn target(url: &str) -> Result<Target, String> {
    match Target::parse(url) {
        Ok(t) => Ok(t),
        Err(first) => url
            .parse::<http::Uri>()
            .map_err(|e| format!("{url}: {e}"))
            .and_then(|uri| Target::from_uri(&uri).map_err(|e| format!("{url}: {first}; {e}"))),
    }
}

fn render(route: Route<'_>) -> String {
    if route.is_refused() {
        "refused".to_owned()
    } else {
        route.to_string()
    }
}

/// Resolves `t` under `env` and compares with `want`; `resolve` and `explain`
/// must agree.
fn check_env(
    dialect: Dialect,
    env: &[(&str, &str)],
    t: &Target,
    want: &str,
    password: Option<&str>,
) -> Result<(), String> {
    // The listed environment, as `from_env` reads it: every name is seen.
    let resolver = Resolver::builder()
        .dialect(dialect)
        .env_vars(env.iter().copied())
        .build()
        .map_err(|e| e.to_string())?;
    let route = resolver.resolve(t);
    // A lookup sees only the names asked for; it agrees wherever the
    // scheme is one the crate knows by name.
    let looked_up = Resolver::from_env_with(dialect, lookup_in(env));
    let by_name = EnvProxies::read_vars(dialect, env.iter().copied());
    let known = EnvProxies::read(dialect, lookup_in(env)).variable_for(t.scheme())
        == by_name.variable_for(t.scheme());
    if known && render(looked_up.resolve(t)) != render(route.clone()) {
        return Err(format!(
            "a lookup gives {} but the listed variables give {}",
            render(looked_up.resolve(t)),
            render(route)
        ));
    }
    let got = render(route.clone());
    let why = resolver.explain(t);
    let explained = render(why.route());
    if got != explained {
        return Err(format!("resolve gives {got} but explain gives {explained}"));
    }
    if got != want {
        return Err(format!("want {want}, got {got} ({})", why.reason()));
    }
    if let Some(pw) = password {
        let found = route
            .proxy()
            .and_then(|p| p.credentials())
            .and_then(|c| c.password());
        if found != Some(pw) {
            return Err(format!("want password {pw:?}, got {found:?}"));
        }
    }
    Ok(())
}

fn check(row: &Row) -> Result<(), String> {
    let t = target(row.url)?;
    match row.check {
        Check::Env {
            env,
            want,
            password,
        } => check_env(row.dialect, env, &t, want, password),
        Check::NoProxy { list, bypass } => {
            let env = [
                ("http_proxy", NP_PROXY),
                ("https_proxy", NP_PROXY),
                ("no_proxy", list),
            ];
            let want = if bypass { "DIRECT" } else { NP_PROXY };
            check_env(row.dialect, &env, &t, want, None)?;
            let parsed = BypassList::parse(list, row.dialect);
            let compiled = parsed.compile().matches(&t);
            let linear = parsed.find_linear(&t).is_some();
            if compiled != bypass || linear != bypass {
                return Err(format!(
                    "the list alone: want bypass={bypass}, compiled={compiled}, linear={linear}"
                ));
            }
            Ok(())
        }
        Check::Violations { list, count } => {
            let parsed = BypassList::parse(list, row.dialect);
            let got = parsed.violations().len();
            if got != count {
                let shown: Vec<String> =
                    parsed.violations().iter().map(|v| v.to_string()).collect();
                return Err(format!("want {count} violations, got {got}: {shown:?}"));
            }
            Ok(())
        }
    }
}

fn run(dialect: Dialect) {
    let rows: Vec<&Row> = all_rows().filter(|r| r.dialect == dialect).collect();
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|row| {
            check(row)
                .err()
                .map(|e| format!("  {}\n      {e}", row.name))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} {dialect} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

#[test]
fn curl_rows() {
    run(Dialect::Curl);
}

#[test]
fn go_rows() {
    run(Dialect::Go);
}

#[test]
fn python_rows() {
    run(Dialect::Python);
}

#[test]
fn node_rows() {
    run(Dialect::Node);
}

#[test]
fn hyper_rows() {
    run(Dialect::Hyper);
}

#[test]
fn dotnet_rows() {
    run(Dialect::Dotnet);
}

#[test]
fn chromium_rows() {
    run(Dialect::Chromium);
}

#[test]
fn postman_rows() {
    run(Dialect::Postman);
}

#[test]
fn every_dialect_has_at_least_forty_rows() {
    for &dialect in Dialect::ALL {
        let n = all_rows().filter(|r| r.dialect == dialect).count();
        assert!(n >= 40, "{dialect}: only {n} rows");
    }
}

#[test]
fn rows_are_named_after_their_dialect_and_unique() {
    let mut seen = std::collections::HashSet::new();
    for row in all_rows() {
        let prefix = format!("{}: ", row.dialect);
        assert!(
            row.name.starts_with(&prefix),
            "{:?} does not start with {prefix:?}",
            row.name
        );
        assert!(seen.insert(row.name), "duplicate row name {:?}", row.name);
    }
}

#[test]
fn every_row_url_parses() {
    for row in all_rows() {
        if let Err(e) = target(row.url) {
            panic!("{}: {e}", row.name);
        }
    }
}

/// urllib's `ProxyHandler({'http': ...})` still asks `proxy_bypass`, which
/// reads `no_proxy` from the environment: CPython 3.11, observed with
/// `no_proxy=example.com` (`http://example.com/` went direct, `other.com` to
/// the explicit proxy). Issue 12, item 5.
#[test]
fn python_explicit_proxies_honour_no_proxy() {
    let resolver = Resolver::builder()
        .dialect(Dialect::Python)
        .env_vars([("no_proxy", "example.com")])
        .proxy("http://p:1")
        .build()
        .unwrap();
    let direct = resolver.resolve(&target("http://example.com/").unwrap());
    assert!(direct.is_direct(), "{direct}");
    let proxied = resolver.resolve(&target("http://other.com/").unwrap());
    assert_eq!(render(proxied), "http://p:1");
    // Go's explicit proxies do not read NO_PROXY.
    let go = Resolver::builder()
        .dialect(Dialect::Go)
        .env_vars([("NO_PROXY", "example.com")])
        .proxy("http://p:1")
        .build()
        .unwrap();
    assert_eq!(
        render(go.resolve(&target("http://example.com/").unwrap())),
        "http://p:1"
    );
}

/// Go's CGI refusal names the variable and quotes its value (it used to
/// quote the name twice), password hidden. Issue 12, item 3.
#[test]
fn go_cgi_refusal_quotes_the_value() {
    let env = [
        ("HTTP_PROXY", "http://alice:s3cret@p:1"),
        ("REQUEST_METHOD", "GET"),
    ];
    let resolver = Resolver::from_env_with(Dialect::Go, lookup_in(&env));
    let why = resolver.explain(&target("http://example.com/").unwrap());
    let error = why.error().expect("refused").to_string();
    assert!(
        error.contains("HTTP_PROXY \"http://alice:***@p:1\""),
        "{error}"
    );
    assert!(!error.contains("s3cret"), "{error}");
    assert!(!error.contains("\"HTTP_PROXY\""), "{error}");
}
