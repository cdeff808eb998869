//! [`Dialect`]: which tool's reading of proxy environment variables and bypass
//! lists to follow. Each dialect is a table of small choices, not a code path;
//! the tables below cite what each tool does. The upstream sources: curl
//! `lib/url.c` and `lib/noproxy.c`; Go `golang.org/x/net/http/httpproxy/proxy.go`;
//! CPython `Lib/urllib/request.py`; npm `proxy-from-env` `index.js`; hyper-util
//! `src/client/proxy/matcher.rs`; dotnet/runtime
//! `System.Net.Http/src/System/Net/Http/SocketsHttpHandler/HttpEnvironmentProxy*.cs`;
//! Chromium `net/proxy_resolution/proxy_config_service_linux.cc`;
//! postman-request `lib/getProxyFromURI.js`. Where a tool runs here (curl 7.88,
//! Go 1.19, CPython 3.11, proxy-from-env 2.1.0) its behaviour was checked by
//! running it; `docs/dialects.md` lists the versions and the differences.

use std::fmt;
use std::str::FromStr;

use crate::bypass::no_proxy::{
    Brackets, Dots, Grammar, Idn, IpSyntax, NameMode, NoProxySpec, PortSyntax, Split, Star,
    TrailingDot,
};
use crate::bypass::{ImplicitBypass, MatchFlags};
use crate::error::{Error, ErrorKind, Origin};
use crate::proxy::{DefaultPort, DefaultScheme, ProxyScheme, ProxySyntax};
use crate::target::Written;

/// A named preset of environment-variable and `NO_PROXY` semantics: resolve
/// exactly as that tool would. The version of each tool followed, how each
/// compares the host as written, what differs in other versions and the
/// deliberate differences are in the dialect guide (`docs/dialects.md`); in
/// short (curl 7.88, Go 1.19, CPython 3.11 and proxy-from-env 2.1.0 were run
/// to check their rows):
///
/// | dialect | proxy variables read | `NO_PROXY=example.com` | `.example.com` | `*.example.com` | ports | CIDR | implicit bypass |
/// |---|---|---|---|---|---|---|---|
/// | `curl` | `<scheme>_proxy` (never `HTTP_PROXY`), then `all_proxy` | domain and subdomains | same | never | never | IPv4 (IPv6 hosts compare as text in 7.x) | `file://` URLs |
/// | `go` | `HTTP(S)_PROXY` before lower case | domain and subdomains | subdomains | subdomains | yes | yes | `localhost` exactly as written, loopback |
/// | `python` | `<scheme>_proxy`, lower case first; no `ALL_PROXY`; a value of another scheme re-dispatches | domain and subdomains | same | never | written port only | no | none |
/// | `node` | `<scheme>_proxy`, then `all_proxy`; value without scheme takes the request's | exact host | subdomains | subdomains | yes | no | none |
/// | `hyper` | `HTTP(S)_PROXY`, then `ALL_PROXY`; upper case first | domain and subdomains | same | never | never | yes | none |
/// | `dotnet` | `http_proxy` for http/ws, `https_proxy` for the rest, then `all_proxy` | exact host | domain and subdomains | never | never | no | none |
/// | `chromium` | `all_proxy` first (it wins), then per scheme, then `SOCKS_SERVER`; every value is an HTTP proxy | any host ending so (`*example.com`) | subdomains | subdomains | yes | yes | `localhost`, loopback, link-local |
/// | `postman` | `HTTP(S)_PROXY` upper first; https falls back to the http variables | domain and subdomains | same | never | yes | no | none |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Dialect {
    /// curl and libcurl (the default).
    #[default]
    Curl,
    /// Go's `net/http` (`golang.org/x/net/http/httpproxy`).
    Go,
    /// Python's `urllib.request` (`getproxies_environment`, `proxy_bypass_environment`).
    Python,
    /// npm `proxy-from-env`, as used by axios and much of the Node ecosystem.
    Node,
    /// hyper-util's `Matcher::from_env`, and so reqwest.
    Hyper,
    /// .NET's `HttpClient` environment proxy (`HttpEnvironmentProxy`).
    Dotnet,
    /// Chromium's Linux environment reader (`proxy_config_service_linux.cc`).
    Chromium,
    /// postman-request's environment fallback (Postman and Newman).
    Postman,
}

impl Dialect {
    /// Every dialect. A slice, so that a new dialect does not change its
    /// type (the enum is `#[non_exhaustive]`).
    pub const ALL: &'static [Dialect] = &[
        Dialect::Curl,
        Dialect::Go,
        Dialect::Python,
        Dialect::Node,
        Dialect::Hyper,
        Dialect::Dotnet,
        Dialect::Chromium,
        Dialect::Postman,
    ];

    /// The dialect's name, as `FromStr` and the CLI's `--dialect` take it.
    pub fn as_str(self) -> &'static str {
        self.spec().name
    }

    /// The tool this dialect follows, for explanations.
    pub fn tool(self) -> &'static str {
        self.spec().tool
    }

    pub(crate) fn spec(self) -> &'static DialectSpec {
        match self {
            Dialect::Curl => &CURL,
            Dialect::Go => &GO,
            Dialect::Python => &PYTHON,
            Dialect::Node => &NODE,
            Dialect::Hyper => &HYPER,
            Dialect::Dotnet => &DOTNET,
            Dialect::Chromium => &CHROMIUM,
            Dialect::Postman => &POSTMAN,
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Dialect {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let lower = s.to_ascii_lowercase();
        let alias = match lower.as_str() {
            "libcurl" => "curl",
            "golang" => "go",
            "urllib" => "python",
            "npm" | "proxy-from-env" => "node",
            "hyper-util" | "reqwest" => "hyper",
            ".net" | "net" => "dotnet",
            "chrome" => "chromium",
            "newman" => "postman",
            other => other,
        };
        Dialect::ALL
            .iter()
            .copied()
            .find(|d| d.as_str() == alias)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Unsupported(
                        "dialect (expected curl, go, python, node, hyper, dotnet, chromium or postman)",
                    ),
                    Origin::Text,
                    s,
                )
            })
    }
}

/// Which spelling of a variable is tried first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    LowerFirst,
    UpperFirst,
}

/// What a variable that is set but empty means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Empty {
    /// The same as unset: the next spelling is tried.
    Unset,
    /// It hides the other spelling: no value.
    Shadows,
}

/// How `ALL_PROXY` relates to the per-scheme variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AllProxy {
    /// Not read.
    Ignored,
    /// Used where no per-scheme variable is set.
    Fallback,
    /// Used for every scheme when set (Chromium).
    Wins,
}

/// The CGI ("httpoxy") guard: a web server turns a request's `Proxy:` header
/// into `HTTP_PROXY`, so tools distrust it when they run as CGI scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cgi {
    /// No guard.
    None,
    /// `var` present: every proxy variable is ignored (hyper-util).
    DisableAll { var: &'static str },
    /// `var` non-empty: an http request with an HTTP proxy is an error (Go).
    RefuseHttp { var: &'static str },
    /// `var` present: upper-case `HTTP_PROXY` is ignored (Python, .NET).
    IgnoreUpperHttp { var: &'static str },
}

/// What the scheme written in a proxy value means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueScheme {
    /// It says how to talk to the proxy (`socks5://`, `https://`).
    Kept,
    /// It is dropped: every value names an HTTP proxy (Chromium's
    /// `FixupProxyHostScheme`; only `SOCKS_SERVER` is SOCKS).
    Dropped,
}

/// Which variables (by base name, before `_proxy`) serve a request scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SchemeVars {
    /// `<scheme>_proxy` for every scheme; `ws`/`wss` fall back to `http`/`https` (curl).
    Any { websocket_fallback: bool },
    /// Only these schemes, each with its bases in order.
    Table(&'static [(&'static str, &'static [&'static str])]),
    /// .NET: `http` and `ws` use `http_proxy`; every other scheme `https_proxy`.
    HttpOrHttps,
}

/// How one tool reads its environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EnvSpec {
    pub(crate) schemes: SchemeVars,
    pub(crate) case: Case,
    /// Whether upper-case `HTTP_PROXY` is read at all (curl: never).
    pub(crate) upper_http: bool,
    pub(crate) empty_proxy: Empty,
    pub(crate) empty_no_proxy: Empty,
    pub(crate) all: AllProxy,
    pub(crate) cgi: Cgi,
    /// Chromium: `SOCKS_SERVER` (+ `SOCKS_VERSION`) when nothing else is set.
    pub(crate) socks_server: bool,
    /// Chromium: `auto_proxy` names a PAC script (empty: auto-detect).
    pub(crate) auto_proxy: bool,
    pub(crate) value_scheme: ValueScheme,
    /// A value with blanks (spaces, tabs) before or after it.
    pub(crate) blanks: Blanks,
    /// Request schemes the tool never sends through a proxy, whatever the
    /// variables say (curl reads `file://` itself).
    pub(crate) never_proxied: &'static [&'static str],
    /// urllib: a value naming another scheme than the request's re-opens the
    /// request under that scheme (see `env.rs`, `python_hop`).
    pub(crate) redispatch: bool,
    /// What a value the tool cannot use leads to.
    pub(crate) unusable: Unusable,
}

/// What a proxy value the tool cannot parse leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unusable {
    /// A refused route with the error.
    Refused,
    /// hyper-util: `parse_env_uri` gives `None` and `ALL_PROXY` serves the
    /// scheme; with none, the request goes direct (src/client/proxy/matcher.rs,
    /// `Builder::build`).
    SkipToAll,
    /// .NET: `GetUriFromString` gives `null` and the next spelling, then
    /// `all_proxy`/`ALL_PROXY`, serves; with none, the request goes direct
    /// (dotnet/runtime HttpEnvironmentProxy.Unix.cs `TryCreate`).
    NextSpelling,
}

/// What a proxy value with blanks around it (`" http://p:3128"`) means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Blanks {
    /// Trimmed (WHATWG URL parsers strip them; tools not run here).
    Trimmed,
    /// The tool refuses the value: a refused route with this reason.
    Refused(&'static str),
    /// Go: a leading blank makes the value unparsable and the variable is
    /// ignored (as if unset, the other spelling unread); a trailing one is
    /// refused here, where Go 1.19 proxies to a host named after the scheme.
    Go,
    /// hyper-util: `http::Uri` rejects the value, `parse_env_uri` returns
    /// `None` and the variable is skipped: `ALL_PROXY` serves instead
    /// (src/client/proxy/matcher.rs, `Builder::build`).
    Skipped,
    /// urllib: a leading blank becomes part of the scheme (`" http"`), which
    /// only an https request survives (the tunnel is opened before the scheme
    /// is looked at); trailing blanks are stripped by `int()` of the port.
    Python,
}

/// A dialect's whole table.
#[derive(Debug)]
pub(crate) struct DialectSpec {
    pub(crate) name: &'static str,
    pub(crate) tool: &'static str,
    pub(crate) env: EnvSpec,
    pub(crate) proxy: ProxySyntax,
    pub(crate) no_proxy: NoProxySpec,
    /// Whether the environment's no-proxy list also applies to explicitly
    /// configured proxies (curl applies `NO_PROXY` to `--proxy`).
    pub(crate) no_proxy_applies_to_custom: bool,
}

use ProxyScheme::{Http, Https, Socks4, Socks4a, Socks5, Socks5h};

const EVERY_SCHEME: u8 = ProxySyntax::accepting(&[Http, Https, Socks4, Socks4a, Socks5, Socks5h]);

const CURL_PORT: &str =
    "curl compares the whole entry, port included, with the host name, so it never matches";

const CURL_IDN: &str = "curl converts the URL's host to punycode (libidn2) but compares \
     the entry as written: write it in punycode (xn--...)";
const NODE_IDN: &str = "proxy-from-env reads the URL with url.parse, which converts the \
     host to punycode, and compares the entry as written: write it in punycode (xn--...)";

const CURL_BLANKS: &str = "curl refuses a proxy value with blanks around it \
     (\"Unsupported proxy syntax\", curl 7.88): remove the blanks";

static CURL: DialectSpec = DialectSpec {
    name: "curl",
    tool: "curl",
    env: EnvSpec {
        schemes: SchemeVars::Any {
            websocket_fallback: true,
        },
        case: Case::LowerFirst,
        upper_http: false,
        empty_proxy: Empty::Unset,
        empty_no_proxy: Empty::Unset,
        all: AllProxy::Fallback,
        cgi: Cgi::None,
        socks_server: false,
        auto_proxy: false,
        value_scheme: ValueScheme::Kept,
        blanks: Blanks::Refused(CURL_BLANKS),
        // curl 7.88 read file://localhost/etc/hostname itself with all_proxy
        // and file_proxy set (run here).
        never_proxied: &["file"],
        redispatch: false,
        unusable: Unusable::Refused,
    },
    proxy: ProxySyntax {
        default_scheme: DefaultScheme::Http,
        default_port: DefaultPort::Curl,
        socks_alias: Some(Socks4),
        accepted: EVERY_SCHEME,
        credentials: true,
        unsupported: None,
    },
    no_proxy: NoProxySpec {
        split: Split::Curl,
        star: Star::WholeValue,
        bare: NameMode::Domain,
        dot: NameMode::Domain,
        dots: Dots::One,
        star_dot: NameMode::Never("curl has no wildcards: write .example.com"),
        star_prefix: NameMode::Never("curl has no wildcards"),
        ports: PortSyntax::Never(CURL_PORT),
        ip: IpSyntax::Parsed {
            cidr: true,
            zero_mask_is_exact: true,
            brackets: Brackets::Never,
        },
        trailing_dot: TrailingDot::Stripped,
        idn: Idn::Never(CURL_IDN),
        grammar: Grammar::NoProxy,
        // An IPv6 host meets IPv6 entries only, an IPv4 host IPv4 entries.
        flags: MatchFlags {
            ip_families_apart: true,
            v6_as_text: true,
            ..MatchFlags::PLAIN
        },
    },
    no_proxy_applies_to_custom: true,
};

/// x/net/http/httpproxy `parseProxy` as vendored in Go 1.19 (run here):
/// any other scheme is re-read as `http://` + the value, so `socks5h://p:1`
/// names an HTTP proxy called `socks5h`. The error quotes the value itself.
const GO_SCHEMES: &str = "Go 1.19 speaks http, https and socks5 proxies only; it reads any \
     other scheme as an HTTP proxy named after the scheme (`socks4://p` becomes \
     `http://socks4:80`), which fails: refused here (later Go releases also accept socks5h)";

static GO: DialectSpec = DialectSpec {
    name: "go",
    tool: "Go net/http",
    env: EnvSpec {
        schemes: SchemeVars::Table(&[("http", &["http"]), ("https", &["https"])]),
        case: Case::UpperFirst,
        upper_http: true,
        empty_proxy: Empty::Unset,
        empty_no_proxy: Empty::Unset,
        all: AllProxy::Ignored,
        cgi: Cgi::RefuseHttp {
            var: "REQUEST_METHOD",
        },
        socks_server: false,
        auto_proxy: false,
        value_scheme: ValueScheme::Kept,
        blanks: Blanks::Go,
        never_proxied: &[],
        redispatch: false,
        unusable: Unusable::Refused,
    },
    proxy: ProxySyntax {
        default_scheme: DefaultScheme::Http,
        default_port: DefaultPort::ByScheme,
        socks_alias: None,
        accepted: ProxySyntax::accepting(&[Http, Https, Socks5]),
        credentials: true,
        unsupported: Some(GO_SCHEMES),
    },
    no_proxy: NoProxySpec {
        split: Split::Comma,
        star: Star::Item,
        bare: NameMode::Domain,
        dot: NameMode::Subdomains,
        dots: Dots::One,
        star_dot: NameMode::Subdomains,
        star_prefix: NameMode::Never("Go only understands * alone or as *.domain"),
        ports: PortSyntax::HostPort,
        ip: IpSyntax::Parsed {
            cidr: true,
            zero_mask_is_exact: false,
            brackets: Brackets::WithPort,
        },
        trailing_dot: TrailingDot::Kept,
        idn: Idn::Converted,
        grammar: Grammar::NoProxy,
        flags: MatchFlags {
            // Domain matchers see IP hosts as text too: `168.1.1` matches
            // `192.168.1.1` (proxy.go `useProxy` runs them for every host).
            names_see_ips: true,
            implicit: ImplicitBypass::Loopback,
            // `0xa.1.2.3` is no IP for Go: its domain entries match the
            // spelling (`2.3`, `*.1.2.3`), its IP and CIDR entries do not.
            as_written: Written::IP_OTHERWISE,
            ..MatchFlags::PLAIN
        },
    },
    no_proxy_applies_to_custom: false,
};

static PYTHON: DialectSpec = DialectSpec {
    name: "python",
    tool: "Python urllib",
    env: EnvSpec {
        schemes: SchemeVars::Any {
            websocket_fallback: false,
        },
        case: Case::LowerFirst,
        upper_http: true,
        // An empty lower-case variable deletes the entry, upper case included.
        empty_proxy: Empty::Shadows,
        empty_no_proxy: Empty::Shadows,
        all: AllProxy::Ignored,
        cgi: Cgi::IgnoreUpperHttp {
            var: "REQUEST_METHOD",
        },
        socks_server: false,
        auto_proxy: false,
        value_scheme: ValueScheme::Kept,
        blanks: Blanks::Python,
        never_proxied: &[],
        redispatch: true,
        unusable: Unusable::Refused,
    },
    proxy: ProxySyntax {
        default_scheme: DefaultScheme::Http,
        default_port: DefaultPort::Request,
        socks_alias: None,
        accepted: ProxySyntax::accepting(&[Http, Https]),
        credentials: true,
        unsupported: None,
    },
    no_proxy: NoProxySpec {
        split: Split::Comma,
        star: Star::WholeValue,
        bare: NameMode::Domain,
        dot: NameMode::Domain,
        dots: Dots::All,
        star_dot: NameMode::Never("urllib has no wildcards: write example.com"),
        star_prefix: NameMode::Never("urllib has no wildcards"),
        ports: PortSyntax::HostPort,
        ip: IpSyntax::Text,
        trailing_dot: TrailingDot::Kept,
        idn: Idn::AsWritten,
        grammar: Grammar::NoProxy,
        flags: MatchFlags {
            names_see_ips: true,
            bracket_ipv6: true,
            explicit_port_only: true,
            // urllib compares IP hosts as text, IPv6 ones too: a host
            // written otherwise meets the entries that match its spelling.
            as_written: Written::IP_OTHERWISE | Written::IPV6_OTHERWISE,
            ..MatchFlags::PLAIN
        },
    },
    // ProxyHandler({...}) still asks proxy_bypass(), which reads no_proxy
    // from the environment (CPython 3.11, observed).
    no_proxy_applies_to_custom: true,
};

static NODE: DialectSpec = DialectSpec {
    name: "node",
    tool: "npm proxy-from-env",
    env: EnvSpec {
        schemes: SchemeVars::Any {
            websocket_fallback: false,
        },
        case: Case::LowerFirst,
        upper_http: true,
        empty_proxy: Empty::Unset,
        empty_no_proxy: Empty::Unset,
        all: AllProxy::Fallback,
        cgi: Cgi::None,
        socks_server: false,
        auto_proxy: false,
        value_scheme: ValueScheme::Kept,
        blanks: Blanks::Trimmed,
        never_proxied: &[],
        redispatch: false,
        unusable: Unusable::Refused,
    },
    proxy: ProxySyntax {
        default_scheme: DefaultScheme::Request,
        default_port: DefaultPort::ByScheme,
        // proxy-from-env hands `socks://` on; socks-proxy-agent, the agent a
        // Node client gives it to, reads it as SOCKS5 with the proxy resolving
        // names (`parseSocksURL`: "no version specified, default to 5h").
        socks_alias: Some(Socks5h),
        accepted: EVERY_SCHEME,
        credentials: true,
        unsupported: None,
    },
    no_proxy: NoProxySpec {
        split: Split::CommaOrWhitespace,
        star: Star::Item,
        bare: NameMode::Host,
        dot: NameMode::Subdomains,
        dots: Dots::One,
        star_dot: NameMode::Subdomains,
        star_prefix: NameMode::HostSuffix,
        ports: PortSyntax::TrailingDigits,
        ip: IpSyntax::Text,
        trailing_dot: TrailingDot::Kept,
        idn: Idn::Never(NODE_IDN),
        grammar: Grammar::NoProxy,
        flags: MatchFlags {
            names_see_ips: true,
            bracket_ipv6: true,
            whatwg_ipv6: true,
            // proxy-from-env compares an opaque host as Node's URL keeps it:
            // `.example` matches `gopherx://Foo.example/`, `localhost` does
            // not match `gopherx://LocalHost/`.
            as_written: Written::OPAQUE_AS_WRITTEN,
            ..MatchFlags::PLAIN
        },
    },
    no_proxy_applies_to_custom: false,
};

const HYPER_PORT: &str =
    "hyper-util compares the whole entry, port included, with the host name, so it never matches";

static HYPER: DialectSpec = DialectSpec {
    name: "hyper",
    tool: "hyper-util / reqwest",
    env: EnvSpec {
        schemes: SchemeVars::Table(&[("http", &["http"]), ("https", &["https"])]),
        case: Case::UpperFirst,
        upper_http: true,
        // `std::env::var` returns Ok("") for an empty upper-case variable, which
        // then hides the lower-case one (hyper-util `get_first_env` returns the first variable that is set).
        empty_proxy: Empty::Shadows,
        empty_no_proxy: Empty::Shadows,
        all: AllProxy::Fallback,
        cgi: Cgi::DisableAll {
            var: "REQUEST_METHOD",
        },
        socks_server: false,
        auto_proxy: false,
        value_scheme: ValueScheme::Kept,
        blanks: Blanks::Skipped,
        never_proxied: &[],
        redispatch: false,
        unusable: Unusable::SkipToAll,
    },
    proxy: ProxySyntax {
        default_scheme: DefaultScheme::Http,
        default_port: DefaultPort::ByScheme,
        socks_alias: None,
        accepted: EVERY_SCHEME,
        credentials: true,
        unsupported: None,
    },
    no_proxy: NoProxySpec {
        split: Split::Comma,
        star: Star::ItemNamesOnly,
        bare: NameMode::Domain,
        dot: NameMode::Domain,
        dots: Dots::One,
        star_dot: NameMode::Never("hyper-util has no wildcards: write .example.com"),
        star_prefix: NameMode::Never("hyper-util has no wildcards"),
        ports: PortSyntax::Never(HYPER_PORT),
        ip: IpSyntax::Parsed {
            cidr: true,
            zero_mask_is_exact: false,
            brackets: Brackets::Never,
        },
        trailing_dot: TrailingDot::Kept,
        idn: Idn::Converted,
        grammar: Grammar::NoProxy,
        flags: MatchFlags::PLAIN,
    },
    no_proxy_applies_to_custom: false,
};

static DOTNET: DialectSpec = DialectSpec {
    name: "dotnet",
    tool: ".NET HttpClient",
    env: EnvSpec {
        schemes: SchemeVars::HttpOrHttps,
        case: Case::LowerFirst,
        upper_http: true,
        empty_proxy: Empty::Unset,
        // `no_proxy ?? NO_PROXY`: an empty lower-case value is not null.
        empty_no_proxy: Empty::Shadows,
        all: AllProxy::Fallback,
        cgi: Cgi::IgnoreUpperHttp { var: "GATEWAY_INTERFACE" },
        socks_server: false,
        auto_proxy: false,
        value_scheme: ValueScheme::Kept,
        blanks: Blanks::Trimmed,
        never_proxied: &[],
        redispatch: false,
        unusable: Unusable::NextSpelling,
    },
    proxy: ProxySyntax {
        default_scheme: DefaultScheme::Http,
        default_port: DefaultPort::ByScheme,
        socks_alias: None,
        accepted: ProxySyntax::accepting(&[Http, Https, Socks4, Socks4a, Socks5]),
        credentials: true,
        unsupported: None,
    },
    no_proxy: NoProxySpec {
        split: Split::Comma,
        star: Star::Never(".NET has no wildcard, not even * (dotnet/runtime#61840)"),
        bare: NameMode::Host,
        dot: NameMode::Domain,
        dots: Dots::One,
        star_dot: NameMode::Never(".NET has no wildcards: write .example.com (dotnet/runtime#61840)"),
        star_prefix: NameMode::Never(".NET has no wildcards"),
        ports: PortSyntax::Never(".NET compares the entry with the host name alone, so an entry with a port never matches"),
        ip: IpSyntax::Text,
        trailing_dot: TrailingDot::Kept,
        idn: Idn::Converted,
        grammar: Grammar::NoProxy,
        flags: MatchFlags {
            names_see_ips: true,
            bracket_ipv6: true,
            ..MatchFlags::PLAIN
        },
    },
    no_proxy_applies_to_custom: false,
};

static CHROMIUM: DialectSpec = DialectSpec {
    name: "chromium",
    tool: "Chromium (Linux environment)",
    env: EnvSpec {
        schemes: SchemeVars::Table(&[
            ("http", &["http"]),
            ("https", &["https"]),
            ("ftp", &["ftp"]),
            ("ws", &["https", "http"]),
            ("wss", &["https", "http"]),
        ]),
        case: Case::LowerFirst,
        upper_http: true,
        empty_proxy: Empty::Shadows,
        empty_no_proxy: Empty::Shadows,
        all: AllProxy::Wins,
        cgi: Cgi::None,
        socks_server: true,
        auto_proxy: true,
        value_scheme: ValueScheme::Dropped,
        blanks: Blanks::Trimmed,
        never_proxied: &[],
        redispatch: false,
        unusable: Unusable::Refused,
    },
    proxy: ProxySyntax {
        default_scheme: DefaultScheme::Http,
        default_port: DefaultPort::ByScheme,
        socks_alias: Some(Socks4),
        accepted: ProxySyntax::accepting(&[Http, Https, Socks4, Socks5]),
        credentials: false,
        unsupported: None,
    },
    no_proxy: NoProxySpec {
        split: Split::CommaOrSemicolon,
        star: Star::Item,
        bare: NameMode::HostSuffix,
        dot: NameMode::Subdomains,
        dots: Dots::One,
        star_dot: NameMode::Subdomains,
        star_prefix: NameMode::HostSuffix,
        ports: PortSyntax::HostPort,
        ip: IpSyntax::Parsed {
            cidr: true,
            zero_mask_is_exact: false,
            brackets: Brackets::Always,
        },
        trailing_dot: TrailingDot::Stripped,
        idn: Idn::Converted,
        // The fields above describe the result; the entries are read by
        // Chromium's own bypass grammar, host names made suffix rules.
        grammar: Grammar::ChromiumSuffix,
        flags: crate::bypass::chromium::FLAGS,
    },
    no_proxy_applies_to_custom: false,
};

static POSTMAN: DialectSpec = DialectSpec {
    name: "postman",
    tool: "Postman (postman-request)",
    env: EnvSpec {
        schemes: SchemeVars::Table(&[("http", &["http"]), ("https", &["https", "http"])]),
        case: Case::UpperFirst,
        upper_http: true,
        empty_proxy: Empty::Unset,
        empty_no_proxy: Empty::Unset,
        all: AllProxy::Ignored,
        cgi: Cgi::None,
        socks_server: false,
        auto_proxy: false,
        value_scheme: ValueScheme::Kept,
        blanks: Blanks::Trimmed,
        never_proxied: &[],
        redispatch: false,
        unusable: Unusable::Refused,
    },
    proxy: ProxySyntax {
        default_scheme: DefaultScheme::Refuse,
        default_port: DefaultPort::ByScheme,
        // lib/socks.js hands socks4/4a/5/5h and socks: values to
        // socks-proxy-agent, which reads a bare socks: as 5h.
        socks_alias: Some(Socks5h),
        accepted: EVERY_SCHEME,
        credentials: true,
        unsupported: None,
    },
    no_proxy: NoProxySpec {
        split: Split::Comma,
        star: Star::WholeValue,
        bare: NameMode::Domain,
        dot: NameMode::Domain,
        dots: Dots::All,
        star_dot: NameMode::Never("postman-request has no wildcards: write .example.com"),
        star_prefix: NameMode::Never("postman-request has no wildcards"),
        ports: PortSyntax::FirstColon,
        ip: IpSyntax::Text,
        trailing_dot: TrailingDot::Kept,
        idn: Idn::Converted,
        grammar: Grammar::NoProxy,
        flags: MatchFlags {
            names_see_ips: true,
            first_occurrence: true,
            ..MatchFlags::PLAIN
        },
    },
    no_proxy_applies_to_custom: false,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for &dialect in Dialect::ALL {
            assert_eq!(dialect.as_str().parse::<Dialect>().unwrap(), dialect);
            assert_eq!(dialect.to_string().parse::<Dialect>().unwrap(), dialect);
        }
        assert_eq!("reqwest".parse::<Dialect>().unwrap(), Dialect::Hyper);
        assert!("lynx".parse::<Dialect>().is_err());
    }
}
