//! Where does this request go, and why?
//!
//! ```text
//! cargo run --example resolve -- [OPTIONS] URL...
//! ```
//!
//! Reads the proxy environment variables (as curl would, or as `--dialect`
//! says), explicit proxies and a bypass list from the options, and prints for
//! each URL the route, where it came from, the bypass rule that matched and a
//! hint for common mistakes. `--json` prints one JSON object per URL instead.
//! Exit status: 0, 1 when some URL had no route, 2 for bad options.

use std::fmt::Write as _;
use std::process::ExitCode;

use proxyroute::postman::ProxyConfigList;
use proxyroute::{
    curl_command, BypassList, BypassSyntax, Decision, Dialect, HopBuf, Origin, Proxy, ProxyRules,
    Resolver, ShowCredentials, Target, ViolationKind,
};

const USAGE: &str = "\
usage: resolve [OPTIONS] URL...

Prints where each URL's request goes (DIRECT or which proxy) and why.

options:
  --dialect NAME         read the environment as NAME does: curl (default), go,
                         python, node, hyper, dotnet, chromium, postman
  --no-env               ignore proxy environment variables
  --proxy URL            one explicit proxy for every scheme
  --http-proxy URL       explicit proxy for http requests
  --https-proxy URL      explicit proxy for https requests
  --proxy-rules STR      manual proxy rules, Windows ProxyServer / Chromium form:
                         host:port, or http=h:p;https=h:p;ftp=h:p;socks=h:p
                         (https= is the proxy for https URLs, a plain HTTP
                         proxy; socks= is SOCKS4 and serves every scheme
                         without an entry); --proxy, --http-proxy and
                         --https-proxy override it
  --bypass LIST          bypass list for the explicit proxies (replaces NO_PROXY)
  --bypass-syntax NAME   how --bypass is read: no-proxy (the dialect's NO_PROXY,
                         default), chromium, windows, macos, gnome, kde, postman
  --reverse-bypass       the --bypass list names the hosts that DO use the proxy
                         (KDE's ReversedException, Chromium's reverse bypass)
  --postman-config FILE  a JSON array of Postman ProxyConfig definitions, tried
                         in order before the other proxies (first match wins);
                         the dialect defaults to postman
  --json                 one JSON object per URL, one per line
  --curl                 print the equivalent curl command line
  --show-credentials     show passwords in routes and curl commands
  -h, --help             this text

system proxy settings (a layer below the environment):
  --system               read this desktop's live settings (GNOME through
                         gsettings, KDE's kioslaverc, /etc/sysconfig/proxy);
                         needs a build with --features system
  --gnome-gsettings FILE the output of `gsettings list-recursively
                         org.gnome.system.proxy`, e.g. from a bug report
  --kde-kioslaverc FILE  a kioslaverc file
  --sysconfig FILE       a /etc/sysconfig/proxy file
  --windows-reg FILE     a `reg export` of the Internet Settings key (with its
                         Connections subkey; UTF-16 or UTF-8) or `reg query`
                         output
  --macos-scutil FILE    the output of `scutil --proxy`
  --system-first         put the system layer above the environment (Postman)

proxy auto-config:
  --pac FILE|URL         ask this PAC script (FindProxyForURL) for every URL
                         (file://, or http:// and https:// with --features
                         pac-fetch); a GNOME/KDE/Windows/macOS setting naming
                         a PAC URL is evaluated the same way;
                         in a sandbox (100 ms, 64 MiB, the system resolver
                         with a 1 s timeout); needs a build with --features pac;
                         the human output names the `return` that answered
  --wpad DOMAIN          find the script by WPAD (wpad.DOMAIN, then up the
                         domain to its registrable domain) and ask it as --pac
                         does; needs --features pac-fetch
  --pac-isolate          evaluate the PAC script in a child process (this
                         program again) under OS limits, killed at the deadline
";

#[derive(Default)]
struct Options {
    dialect: Dialect,
    no_env: bool,
    proxy: Option<String>,
    http_proxy: Option<String>,
    https_proxy: Option<String>,
    bypass: Option<String>,
    bypass_syntax: BypassSyntax,
    reverse_bypass: bool,
    proxy_rules: Option<String>,
    postman_config: Option<String>,
    system: Option<SystemSource>,
    system_first: bool,
    pac: Option<String>,
    wpad: Option<String>,
    pac_isolate: bool,
    dialect_given: bool,
    json: bool,
    curl: bool,
    show_credentials: bool,
    urls: Vec<String>,
}

enum SystemSource {
    Live,
    Gnome(String),
    Kde(String),
    Sysconfig(String),
    Windows(String),
    Macos(String),
}

enum Parsed {
    Run(Box<Options>),
    Help,
}

fn parse_args(args: Vec<String>) -> Result<Parsed, String> {
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
            "--dialect" => {
                let name = value("--dialect")?;
                opts.dialect_given = true;
                opts.dialect = name.parse().map_err(|_| {
                    format!(
                        "--dialect {name:?}: unknown dialect (expected curl, go, python, node, hyper, \
                         dotnet, chromium or postman)"
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
            "--windows-reg" => opts.system = Some(SystemSource::Windows(value("--windows-reg")?)),
            "--macos-scutil" => opts.system = Some(SystemSource::Macos(value("--macos-scutil")?)),
            "--pac" => opts.pac = Some(value("--pac")?),
            "--wpad" => opts.wpad = Some(value("--wpad")?),
            "--gnome-gsettings" => {
                opts.system = Some(SystemSource::Gnome(value("--gnome-gsettings")?));
            }
            "--kde-kioslaverc" => opts.system = Some(SystemSource::Kde(value("--kde-kioslaverc")?)),
            "--sysconfig" => opts.system = Some(SystemSource::Sysconfig(value("--sysconfig")?)),
            "--system-first" => opts.system_first = true,
            "--system" => opts.system = Some(SystemSource::Live),
            "--json" => opts.json = true,
            "--pac-isolate" => opts.pac_isolate = true,
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
    Ok(Parsed::Run(Box::new(opts)))
}

fn build(opts: &Options) -> Result<Resolver, String> {
    let parse = |text: &str, flag: &str| -> Result<Proxy, String> {
        text.parse::<Proxy>()
            .map_err(|e| e.with_origin(Origin::setting(flag)).to_string())
    };
    let mut builder = Resolver::builder().dialect(opts.dialect);
    if !opts.no_env {
        builder = builder.env();
    }
    if let Some(file) = &opts.postman_config {
        let flag = format!("--postman-config {file}");
        let text = std::fs::read_to_string(file).map_err(|e| format!("{flag}: {e}"))?;
        let list =
            ProxyConfigList::from_json(&text, Origin::setting(flag)).map_err(|e| e.to_string())?;
        builder = builder.postman_configs(list);
    }
    if let Some(source) = &opts.system {
        let settings = read_system(source)?;
        builder = builder.system(settings).system_first(opts.system_first);
    }
    if let Some(rules) = &opts.proxy_rules {
        let rules = ProxyRules::parse(rules)
            .map_err(|e| e.with_origin(Origin::setting("--proxy-rules")).to_string())?;
        builder = builder.proxy_rules(rules);
    }
    if let Some(p) = &opts.proxy {
        builder = builder.proxy(parse(p, "--proxy")?);
    }
    if let Some(p) = &opts.http_proxy {
        builder = builder.http_proxy(parse(p, "--http-proxy")?);
    }
    if let Some(p) = &opts.https_proxy {
        builder = builder.https_proxy(parse(p, "--https-proxy")?);
    }
    if let Some(list) = &opts.bypass {
        let origin = Origin::setting("--bypass");
        let list = match opts.bypass_syntax {
            BypassSyntax::NoProxy => {
                BypassList::parse_strict(list, opts.dialect, origin).map_err(|e| e.to_string())?
            }
            syntax => {
                // As strict as --bypass in NO_PROXY syntax; notes are kept, not fatal.
                let list = BypassList::parse_syntax(list, syntax, opts.dialect, origin);
                if let Some(v) = list
                    .violations()
                    .iter()
                    .find(|v| !matches!(v.kind(), ViolationKind::Note(_)))
                {
                    return Err(format!("{v} ({syntax} syntax)"));
                }
                list
            }
        };
        builder = builder.bypass_list(list.reversed(opts.reverse_bypass));
    }
    let resolver = builder.build().map_err(|e| e.to_string())?;
    // Fetch the PAC script the system settings name (or WPAD finds); a
    // failure is shown as the refused route it leaves.
    #[cfg(feature = "pac")]
    let _ = resolver.load();
    Ok(resolver)
}

/// The system settings `--system` or a fixture option names.
fn read_system(source: &SystemSource) -> Result<proxyroute::system::SystemProxies, String> {
    let read = |flag: &str, file: &str| {
        std::fs::read_to_string(file).map_err(|e| format!("{flag} {file}: {e}"))
    };
    let settings = match source {
        SystemSource::Live => match proxyroute::system::from_system() {
            Ok(Some(settings)) => settings,
            Ok(None)
                if cfg!(any(
                    feature = "gnome",
                    feature = "kde",
                    feature = "sysconfig"
                )) =>
            {
                return Err(
                    "--system: no system proxy store applies here (XDG_CURRENT_DESKTOP names \
                     no GNOME or KDE desktop, and there is no /etc/sysconfig/proxy)"
                        .to_owned(),
                )
            }
            Ok(None) => {
                return Err("--system: this build reads no system store; run it with \
                            `cargo run --features system --example resolve -- --system URL`"
                    .to_owned())
            }
            Err(e) => return Err(format!("--system: {e}")),
        },
        SystemSource::Gnome(file) => {
            proxyroute::system::gnome::parse(&read("--gnome-gsettings", file)?)
        }
        SystemSource::Kde(file) => {
            let text = read("--kde-kioslaverc", file)?;
            proxyroute::system::kde::parse(&[(file.as_str(), text.as_str())], |name| {
                std::env::var(name).ok()
            })
        }
        SystemSource::Windows(file) => {
            let flag = format!("--windows-reg {file}");
            let bytes = std::fs::read(file).map_err(|e| format!("{flag}: {e}"))?;
            let text =
                proxyroute::system::windows::decode(&bytes, &flag).map_err(|e| e.to_string())?;
            proxyroute::system::windows::parse(&text, file)
        }
        SystemSource::Macos(file) => {
            proxyroute::system::macos::parse(&read("--macos-scutil", file)?, file)
        }
        SystemSource::Sysconfig(file) => {
            proxyroute::system::sysconfig::parse(&read("--sysconfig", file)?, file)
        }
    };
    Ok(settings)
}

/// The URL as a target; text without a scheme is read as `http://`, as curl does.
fn target(url: &str) -> Result<Target, proxyroute::Error> {
    if url.contains("://") {
        Target::parse(url)
    } else {
        Target::parse(&format!("http://{url}"))
    }
}

fn hop_text(hop: &HopBuf, show: bool) -> String {
    match hop {
        HopBuf::Proxy(p) if show => p.url_with_credentials(),
        other => other.to_string(),
    }
}

fn json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_array<'a>(out: &mut String, items: impl IntoIterator<Item = &'a str>) {
    out.push('[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        json_string(out, item);
    }
    out.push(']');
}

fn json_decision(url: &str, d: &Decision, opts: &Options, dialect: Dialect) -> String {
    let mut out = String::from("{\"url\": ");
    json_string(&mut out, url);
    let hops: Vec<String> = d
        .hops()
        .iter()
        .map(|h| hop_text(h, opts.show_credentials))
        .collect();
    out.push_str(", \"route\": ");
    json_array(&mut out, hops.iter().map(String::as_str));
    out.push_str(", \"source\": ");
    json_string(&mut out, d.source());
    out.push_str(", \"reason\": ");
    json_string(&mut out, d.reason());
    out.push_str(", \"rule\": ");
    match d.rule() {
        None => out.push_str("null"),
        Some(rule) => {
            out.push_str("{\"text\": ");
            json_string(&mut out, rule.text());
            out.push_str(", \"index\": ");
            match rule.index() {
                Some(i) => {
                    let _ = write!(out, "{i}");
                }
                None => out.push_str("null"),
            }
            out.push_str(", \"source\": ");
            json_string(&mut out, rule.source());
            out.push('}');
        }
    }
    let violations: Vec<String> = d.violations().iter().map(ToString::to_string).collect();
    out.push_str(", \"violations\": ");
    json_array(&mut out, violations.iter().map(String::as_str));
    if let Some(e) = d.error() {
        out.push_str(", \"error\": ");
        json_string(&mut out, &e.to_string());
    }
    out.push_str(", \"layer\": ");
    json_string(&mut out, d.layer().as_str());
    out.push_str(", \"dialect\": ");
    json_string(&mut out, dialect.as_str());
    let hints = d.hints();
    out.push_str(", \"hints\": ");
    json_array(&mut out, hints.iter().map(String::as_str));
    if opts.curl {
        out.push_str(", \"curl\": ");
        json_string(&mut out, &curl_line(url, d, opts));
    }
    out.push('}');
    out
}

fn curl_line(url: &str, d: &Decision, opts: &Options) -> String {
    let show = if opts.show_credentials {
        ShowCredentials::Full
    } else {
        ShowCredentials::UserOnly
    };
    curl_command(d.route(), url, show)
}

fn human_decision(url: &str, d: &Decision, opts: &Options, dialect: Dialect) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{url}");
    if let Some(e) = d.error() {
        let _ = writeln!(out, "  route:   none ({e})");
    } else {
        let hops: Vec<String> = d
            .hops()
            .iter()
            .map(|h| hop_text(h, opts.show_credentials))
            .collect();
        let _ = writeln!(out, "  route:   {}", hops.join(", then "));
    }
    let _ = writeln!(out, "  source:  {} ({} dialect)", d.source(), dialect);
    let _ = writeln!(out, "  why:     {}", d.reason());
    if let Some(rule) = d.rule() {
        match rule.index() {
            Some(i) => {
                let _ = writeln!(
                    out,
                    "  rule:    {:?} (entry {i} of {})",
                    rule.text(),
                    rule.source()
                );
            }
            None => {
                let _ = writeln!(out, "  rule:    {} ({})", rule.text(), rule.source());
            }
        }
    }
    for hint in d.hints() {
        let _ = writeln!(out, "  hint:    {hint}");
    }
    if opts.curl {
        let _ = writeln!(out, "  curl:    {}", curl_line(url, d, opts));
    }
    out
}

fn main() -> ExitCode {
    // The child process of --pac-isolate: PAC evaluations on stdin/stdout.
    #[cfg(feature = "pac")]
    if std::env::args().nth(1).as_deref() == Some("--pac-child") {
        return match proxyroute::pac::child::serve_stdio() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("resolve --pac-child: {e}");
                ExitCode::from(2)
            }
        };
    }
    let opts = match parse_args(std::env::args().skip(1).collect()) {
        Ok(Parsed::Run(opts)) => *opts,
        Ok(Parsed::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("resolve: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Some(domain) = &opts.wpad {
        return match wpad(domain) {
            Ok(url) => {
                if !opts.json {
                    println!("note: WPAD found {url}");
                }
                run_pac(&url, &opts)
            }
            Err(message) => {
                eprintln!("resolve: --wpad {domain}: {message}");
                ExitCode::from(2)
            }
        };
    }
    if let Some(file) = &opts.pac {
        return run_pac(file, &opts);
    }
    let resolver = match build(&opts) {
        Ok(resolver) => resolver,
        Err(message) => {
            eprintln!("resolve: {message}");
            return ExitCode::from(2);
        }
    };
    if !opts.json {
        for v in resolver.violations() {
            println!("note: {v}");
        }
    }
    let mut failed = false;
    for url in &opts.urls {
        let decision = match target(url) {
            Ok(target) => resolver.explain(&target),
            Err(e) => {
                failed = true;
                if opts.json {
                    let mut out = String::from("{\"url\": ");
                    json_string(&mut out, url);
                    out.push_str(", \"error\": ");
                    json_string(&mut out, &e.to_string());
                    out.push('}');
                    println!("{out}");
                } else {
                    println!("{url}\n  error:   {e}");
                }
                continue;
            }
        };
        failed |= decision.error().is_some();
        if opts.json {
            println!(
                "{}",
                json_decision(url, &decision, &opts, resolver.dialect())
            );
        } else {
            print!(
                "{}",
                human_decision(url, &decision, &opts, resolver.dialect())
            );
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `--wpad DOMAIN`: the URL of the first script WPAD finds under `DOMAIN`.
#[cfg(feature = "pac-fetch")]
fn wpad(domain: &str) -> Result<String, String> {
    proxyroute::pac::wpad::Wpad::devolving(domain)
        .and_then(|search| search.discover())
        .map(|found| found.url)
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "pac-fetch"))]
fn wpad(_domain: &str) -> Result<String, String> {
    Err("this build cannot search for PAC scripts; run it with \
         `cargo run --features pac-fetch --example resolve -- --wpad DOMAIN URL`"
        .to_owned())
}

/// `--pac FILE`: the script decides every URL; a failing script is an error
/// for that URL (exit 1), never a silent DIRECT.
#[cfg(feature = "pac")]
fn run_pac(file: &str, opts: &Options) -> ExitCode {
    use proxyroute::pac::{PacHop, PacScript};
    let text = if file.contains("://") {
        proxyroute::pac::fetch::fetch(file, std::time::Duration::from_secs(10))
            .map_err(|e| e.to_string())
    } else {
        std::fs::read_to_string(file).map_err(|e| e.to_string())
    };
    let load = |text: String| {
        // Traced, so that the output can name the branch that answered.
        let builder = PacScript::builder(&text).trace(true);
        if opts.pac_isolate {
            let exe = std::env::current_exe().map_err(|e| e.to_string())?;
            let child = proxyroute::pac::child::ChildProcess::new(exe).arg("--pac-child");
            builder.isolated(child).build().map_err(|e| e.to_string())
        } else {
            builder.build().map_err(|e| e.to_string())
        }
    };
    let script = match text.and_then(load) {
        Ok(script) => script,
        Err(message) => {
            eprintln!("resolve: --pac {file}: {message}");
            return ExitCode::from(2);
        }
    };
    let source = format!("pac:{file}");
    let mut failed = false;
    for url in &opts.urls {
        let outcome = target(url).and_then(|t| script.find_proxy_traced(&t));
        let answer = match outcome {
            Ok(ok) => ok,
            Err(e) => {
                failed = true;
                if opts.json {
                    let mut out = String::from("{\"url\": ");
                    json_string(&mut out, url);
                    out.push_str(", \"error\": ");
                    json_string(&mut out, &e.to_string());
                    out.push('}');
                    println!("{out}");
                } else {
                    println!("{url}\n  error:   {e}");
                }
                continue;
            }
        };
        let result = answer.result();
        let raw = answer.raw();
        let hops: Vec<String> = result
            .hops()
            .iter()
            .map(|h| match h {
                PacHop::Proxy(p) if opts.show_credentials => p.url_with_credentials(),
                other => other.to_string(),
            })
            .collect();
        let reason = format!("FindProxyForURL returned {raw:?}");
        let violations: Vec<String> = result
            .violations()
            .iter()
            .map(ToString::to_string)
            .collect();
        if opts.json {
            let mut out = String::from("{\"url\": ");
            json_string(&mut out, url);
            out.push_str(", \"route\": ");
            json_array(&mut out, hops.iter().map(String::as_str));
            out.push_str(", \"source\": ");
            json_string(&mut out, &source);
            out.push_str(", \"reason\": ");
            json_string(&mut out, &reason);
            out.push_str(", \"rule\": null, \"violations\": ");
            json_array(&mut out, violations.iter().map(String::as_str));
            out.push_str(", \"layer\": \"pac\"}");
            println!("{out}");
        } else {
            println!("{url}");
            println!("  route:   {}", hops.join(", then "));
            println!("  source:  {source}");
            println!("  why:     {reason}");
            if let Some(branch) = answer.branch() {
                println!("  branch:  {branch}");
            }
            for v in &violations {
                println!("  note:    {v}");
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(not(feature = "pac"))]
fn run_pac(file: &str, _opts: &Options) -> ExitCode {
    eprintln!(
        "resolve: --pac {file}: this build cannot evaluate PAC scripts; run it with \
         `cargo run --features pac --example resolve -- --pac {file} URL`"
    );
    ExitCode::from(2)
}
