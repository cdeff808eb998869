//! The command line: options, their values, `--help` and `--version`.
//!
//! Parsing only reads the arguments; nothing here touches a file, the
//! environment or the network.

use proxyroute::{BypassSyntax, Dialect};

/// `--help`: the options by group, each feature-gated one naming its feature.
pub(crate) const USAGE: &str = "\
usage: proxyroute [OPTIONS] URL...

Prints where each URL's request goes (DIRECT or which proxy) and why.
A URL without a scheme (example.com:8080/x) is read as http://, as curl does.

options:
  --dialect NAME         read the environment as NAME does: curl (default), go,
                         python, node, hyper, dotnet, chromium, postman
  --no-env               ignore proxy environment variables
  --proxy URL            one explicit proxy for every scheme
  --http-proxy URL       explicit proxy for http requests
  --https-proxy URL      explicit proxy for https requests
  --proxy-rules STR      manual proxy rules, Windows ProxyServer / Chromium
                         form: host:port, or http=h:p;https=h:p;socks=h:p
                         (https= is the proxy for https URLs, a plain HTTP
                         proxy; socks= is SOCKS4 and serves every scheme
                         without an entry); --proxy, --http-proxy and
                         --https-proxy override it
  --bypass LIST          bypass list for the explicit proxies (replaces
                         NO_PROXY; under the curl dialect it is curl's
                         --noproxy and replaces NO_PROXY for environment
                         proxies too); entries the tool would skip print
                         `note:` lines
  --bypass-syntax NAME   how --bypass is read: no-proxy (the dialect's NO_PROXY,
                         default), chromium, windows, macos, gnome, kde, postman
  --reverse-bypass       the --bypass list names the hosts that DO use the proxy
                         (KDE's ReversedException, Chromium's reverse bypass)
  --postman-config FILE  a JSON array of Postman ProxyConfig definitions, tried
                         in order before the other proxies (first match wins);
                         the dialect defaults to postman
  --strict               any problem in the given configuration (a skipped or
                         never-matching entry, an ignored variable) exits 2
  --json                 one JSON object per URL, one per line
  --curl                 print the equivalent curl command line
  --show-credentials     show passwords in routes and curl commands
  -h, --help             this text
  -V, --version          the version

system proxy settings (a layer below the environment):
  --system               read this desktop's live settings (GNOME through
                         gsettings, KDE's kioslaverc, /etc/sysconfig/proxy);
                         needs feature `system` (or system-gnome,
                         system-kde, system-sysconfig); without it: an
                         error, exit 2
  --gnome-gsettings FILE the output of `gsettings list-recursively
                         org.gnome.system.proxy`, e.g. from a bug report
  --kde-kioslaverc FILE  a kioslaverc file
  --sysconfig FILE       a /etc/sysconfig/proxy file
  --windows-reg FILE     a `reg export` of the Internet Settings key (with its
                         Connections subkey; UTF-16 or UTF-8) or `reg query`
                         output
  --macos-scutil FILE    the output of `scutil --proxy`
  --system-first         put the system layer above the environment (Postman)

proxy auto-config (a layer of the resolver, above the environment):
  --pac FILE|URL         ask this PAC script (FindProxyForURL) for every URL;
                         needs feature `pac` (http:// and https:// URLs need
                         `pac-fetch`); without it: an error, exit 2.
                         A GNOME/KDE/Windows/macOS setting naming a PAC URL is
                         evaluated the same way. The script runs in a sandbox
                         (100 ms, 64 MiB, the system resolver with a 1 s
                         timeout); the output names the `return` that answered
  --wpad DOMAIN          find the script by WPAD (wpad.DOMAIN, then up the
                         domain to its registrable domain) and use it as --pac
                         does; needs feature `pac-fetch`; without it: exit 2
  --pac-isolate          evaluate the PAC script in a child process (this
                         program again) under OS limits, killed at the deadline

probing (connects along the route; feature `probe`, without it: exit 2):
  --probe                connect along each URL's route (DNS, TCP, CONNECT or
                         SOCKS, TLS, one GET) and diagnose each step: a 407
                         and the schemes the proxy offers, a 403, TLS
                         interception, SOCKS replies; with --json, one object
                         per URL; connects only to the route's hops and the
                         URL's origin
  --probe-timeout SECS   timeout of each probe step (default 5, decimals ok)
  --ca-file FILE         also trust the PEM certificates in FILE when probing
                         TLS (a corporate or proxy CA), besides the system's

following changes (feature `watch`; without it: exit 2):
  --watch                after the routes, keep running and print a line for
                         each change of --system settings, a settings file,
                         --postman-config or --pac, then each URL whose route
                         changed, with why; Ctrl-C ends

exit status: 0 when every URL has a route, 1 when some URL has none (or is
not a URL), 2 for bad options or configuration.
";

/// Where the system layer's settings come from.
#[derive(Debug, Clone)]
pub(crate) enum SystemSource {
    Live,
    Gnome(String),
    Kde(String),
    Sysconfig(String),
    Windows(String),
    Macos(String),
}

/// Everything the command line asked for.
#[derive(Debug, Default, Clone)]
pub(crate) struct Options {
    pub(crate) dialect: Dialect,
    pub(crate) dialect_given: bool,
    pub(crate) no_env: bool,
    pub(crate) proxy: Option<String>,
    pub(crate) http_proxy: Option<String>,
    pub(crate) https_proxy: Option<String>,
    pub(crate) bypass: Option<String>,
    pub(crate) bypass_syntax: BypassSyntax,
    pub(crate) reverse_bypass: bool,
    pub(crate) proxy_rules: Option<String>,
    pub(crate) postman_config: Option<String>,
    pub(crate) system: Option<SystemSource>,
    pub(crate) system_first: bool,
    pub(crate) pac: Option<String>,
    pub(crate) wpad: Option<String>,
    pub(crate) pac_isolate: bool,
    pub(crate) watch: bool,
    pub(crate) probe: bool,
    pub(crate) probe_timeout: Option<std::time::Duration>,
    pub(crate) ca_file: Option<String>,
    pub(crate) strict: bool,
    pub(crate) json: bool,
    pub(crate) curl: bool,
    pub(crate) show_credentials: bool,
    pub(crate) urls: Vec<String>,
}

/// What the command line asks the program to do.
#[derive(Debug)]
pub(crate) enum Parsed {
    Run(Box<Options>),
    Help,
    Version,
}

/// Reads the arguments (without the program's name). An error is one line
/// saying what was wrong.
pub(crate) fn parse(args: Vec<String>) -> Result<Parsed, String> {
    let mut opts = Options::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "-V" | "--version" => return Ok(Parsed::Version),
            "--dialect" => {
                let name = value("--dialect")?;
                opts.dialect_given = true;
                opts.dialect = name.parse().map_err(|_| {
                    format!(
                        "--dialect {name:?}: unknown dialect (expected curl, go, python, node, \
                         hyper, dotnet, chromium or postman)"
                    )
                })?;
            }
            "--no-env" => opts.no_env = true,
            "--proxy" => opts.proxy = Some(value("--proxy")?),
            "--http-proxy" => opts.http_proxy = Some(value("--http-proxy")?),
            "--https-proxy" => opts.https_proxy = Some(value("--https-proxy")?),
            "--bypass" => opts.bypass = Some(value("--bypass")?),
            "--bypass-syntax" => {
                let name = value("--bypass-syntax")?;
                opts.bypass_syntax = name.parse().map_err(|_| {
                    format!(
                        "--bypass-syntax {name:?}: unknown syntax (expected no-proxy, chromium, \
                         windows, macos, gnome, kde or postman)"
                    )
                })?;
            }
            "--proxy-rules" => opts.proxy_rules = Some(value("--proxy-rules")?),
            "--reverse-bypass" => opts.reverse_bypass = true,
            "--postman-config" => opts.postman_config = Some(value("--postman-config")?),
            "--system" => opts.system = Some(SystemSource::Live),
            "--gnome-gsettings" => {
                opts.system = Some(SystemSource::Gnome(value("--gnome-gsettings")?));
            }
            "--kde-kioslaverc" => opts.system = Some(SystemSource::Kde(value("--kde-kioslaverc")?)),
            "--sysconfig" => opts.system = Some(SystemSource::Sysconfig(value("--sysconfig")?)),
            "--windows-reg" => opts.system = Some(SystemSource::Windows(value("--windows-reg")?)),
            "--macos-scutil" => opts.system = Some(SystemSource::Macos(value("--macos-scutil")?)),
            "--system-first" => opts.system_first = true,
            "--pac" => opts.pac = Some(value("--pac")?),
            "--wpad" => opts.wpad = Some(value("--wpad")?),
            "--pac-isolate" => opts.pac_isolate = true,
            "--watch" => opts.watch = true,
            "--probe" => opts.probe = true,
            "--probe-timeout" => {
                let text = value("--probe-timeout")?;
                opts.probe_timeout = Some(
                    text.parse::<f64>()
                        .ok()
                        .filter(|secs| secs.is_finite() && *secs > 0.0 && *secs <= 3600.0)
                        .map(std::time::Duration::from_secs_f64)
                        .ok_or_else(|| {
                            format!(
                                "--probe-timeout {text:?}: expected seconds above 0 and at most \
                                 3600 (e.g. 2.5)"
                            )
                        })?,
                );
            }
            "--ca-file" => opts.ca_file = Some(value("--ca-file")?),
            "--strict" => opts.strict = true,
            "--json" => opts.json = true,
            "--curl" => opts.curl = true,
            "--show-credentials" => opts.show_credentials = true,
            "--" => opts.urls.extend(args.by_ref()),
            other if other.starts_with('-') && other.len() > 1 => {
                return Err(format!("unknown option {other}"));
            }
            _ => opts.urls.push(arg),
        }
    }
    if opts.urls.is_empty() {
        return Err("no URL given".to_owned());
    }
    if opts.postman_config.is_some() && !opts.dialect_given {
        opts.dialect = Dialect::Postman;
    }
    if opts.reverse_bypass && opts.bypass.is_none() {
        return Err(
            "--reverse-bypass needs --bypass (the list of hosts that use the proxy)".to_owned(),
        );
    }
    if opts.watch && opts.probe {
        return Err("--watch and --probe do not go together; give one".to_owned());
    }
    if !opts.probe && (opts.probe_timeout.is_some() || opts.ca_file.is_some()) {
        return Err("--probe-timeout and --ca-file go with --probe".to_owned());
    }
    if opts.pac.is_some() && opts.wpad.is_some() {
        return Err("--pac and --wpad both name a script; give one".to_owned());
    }
    Ok(Parsed::Run(Box::new(opts)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn inline_values_and_the_double_dash() {
        let Ok(Parsed::Run(opts)) = parse(args(&["--proxy=http://p:1", "--", "--json"])) else {
            panic!("not a run");
        };
        assert_eq!(opts.proxy.as_deref(), Some("http://p:1"));
        assert_eq!(opts.urls, ["--json"]);
        assert!(!opts.json);
    }

    #[test]
    fn errors_are_one_line() {
        for (name, list) in [
            ("unknown", &["--nope", "x"][..]),
            ("missing value", &["--proxy"]),
            ("no url", &[]),
            ("bad dialect", &["--dialect", "lynx", "x"]),
            ("pac and wpad", &["--pac", "a", "--wpad", "b", "x"]),
            (
                "bad probe timeout",
                &["--probe", "--probe-timeout", "-1", "x"],
            ),
            (
                "nan probe timeout",
                &["--probe", "--probe-timeout", "NaN", "x"],
            ),
            ("ca file without probe", &["--ca-file", "ca.pem", "x"]),
        ] {
            let err = parse(args(list)).unwrap_err();
            assert!(!err.contains('\n'), "{name}: {err}");
        }
    }

    #[test]
    fn help_and_version_win_over_errors_after_them() {
        assert!(matches!(parse(args(&["-h", "--nope"])), Ok(Parsed::Help)));
        assert!(matches!(parse(args(&["-V"])), Ok(Parsed::Version)));
    }
}
