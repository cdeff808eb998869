//! The system readers against the real implementations of their formats
//! (issue 19): seeded random settings, each written where the real
//! implementation reads it, a set of URLs per configuration, and every answer
//! compared with what proxyroute's reader gives for the same settings.
//!
//! - glib-networking's GNOME resolver (`GProxyResolverGnome`, through Debian's
//!   `/usr/bin/python3` with python3-gi), against [`gnome`]: the settings go
//!   into a keyfile GSettings backend under a temporary `XDG_CONFIG_HOME`, and
//!   the reader reads them back as GSettings prints them. glib's libproxy
//!   resolver (`GLibproxyResolver`) answers the same settings, for comparison
//!   only (its agreement is printed, not asserted).
//! - libproxy's `proxy` tool (libproxy-tools, 0.4.18 on Debian 12): its GNOME
//!   module (`DESKTOP_SESSION=gnome`, the same keyfile), its KDE module
//!   (`KDE_FULL_SESSION`, a `kioslaverc` under `XDG_CONFIG_HOME`, read through
//!   `kreadconfig5`) and its environment module, each forced in turn.
//!
//! Every disagreement fails unless a row of a table of deliberate differences
//! explains it; each row names who does what and why the reader does what it
//! does. Agreement figures are printed per implementation. The run is
//! deterministic: `SYSTEM_DIFF_SEED` and `SYSTEM_DIFF_COUNT` (configurations
//! per implementation) change it for longer local runs. The programs run with
//! a cleared environment, a temporary `HOME` and `XDG_CONFIG_HOME`, no D-Bus
//! session (the keyfile backend needs no dconf), inside a network namespace
//! that holds only loopback when `unshare` works. Under `CI=true` a missing
//! package fails with the command that installs it; elsewhere the test skips
//! with a notice. The file needs the `system` feature (CI runs it in its own
//! step: `cargo test --features system --test system_differential`).

#![cfg(feature = "system")]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use proxyroute::system::{gnome, kde, SystemProxies};
use proxyroute::{Resolver, Target};

const INSTALL: &str = "bash .ci/install-system.sh (apt-get install -y glib-networking python3-gi \
                       gsettings-desktop-schemas libproxy-tools libproxy1-plugin-gsettings \
                       libproxy1-plugin-kconfig libkf5config-bin)";

// ===== harness =====

/// xorshift64*: deterministic, and enough for picking shapes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn seed() -> u64 {
    setting("SYSTEM_DIFF_SEED", 0x5eed_1919) | 1
}

fn count() -> usize {
    setting("SYSTEM_DIFF_COUNT", 300) as usize
}

/// Whether the tools are there; under `CI=true` their absence fails.
fn available(what: &str, found: bool) -> bool {
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true and {what} is not installed: {INSTALL}"
        );
        eprintln!("skipped: {what} is not installed ({INSTALL})");
    }
    found
}

/// A private directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("proxyroute-sysdiff-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Whether `unshare -n` gives a loopback-only namespace here.
fn namespace_works() -> bool {
    Command::new("unshare")
        .args(["-n", "sh", "-c", "ip link set lo up"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `program args…` with a cleared environment plus `env`, inside a
/// loopback-only network namespace when one can be made.
fn command(program: &str, args: &[&str], env: &[(&str, &str)], netns: bool) -> Command {
    let mut c = if netns {
        let mut c = Command::new("unshare");
        c.args([
            "-n",
            "sh",
            "-c",
            "ip link set lo up && exec \"$0\" \"$@\"",
            program,
        ]);
        c.args(args);
        c
    } else {
        let mut c = Command::new(program);
        c.args(args);
        c
    };
    c.env_clear().env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

/// The route proxyroute gives: hops joined by a space, `DIRECT`, or `refused`.
fn ours(system: &SystemProxies, url: &str) -> String {
    let resolver = Resolver::builder().system(system.clone()).build().unwrap();
    let target: Target = url.parse().unwrap_or_else(|e| panic!("{url}: {e}"));
    let route = resolver.resolve(&target);
    if route.is_refused() {
        "refused".to_owned()
    } else {
        route.to_string()
    }
}

/// A real implementation's answer, normalised: `direct://` is `DIRECT`.
fn theirs(answer: &str) -> String {
    answer
        .split(' ')
        .map(|hop| if hop == "direct://" { "DIRECT" } else { hop })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A deliberate difference: a name, who does what and why the reader does
/// otherwise, and how it shows.
struct Difference<C> {
    name: &'static str,
    why: &'static str,
    shows: Shows<C>,
}

/// How a deliberate difference shows in an answer.
enum Shows<C> {
    /// The real answer, rewritten as the reader would give it; `None` when
    /// the difference does not touch this answer. Rewrites compose.
    Rewrite(fn(&C, &str, &str) -> Option<String>),
    /// Given the configuration, the URL, the (rewritten) real answer and
    /// ours: whether this difference explains what is left.
    Explains(fn(&C, &str, &str, &str) -> bool),
}

/// Tallies one implementation's run and fails on unexplained disagreements.
struct Tally {
    implementation: &'static str,
    cases: usize,
    agree: usize,
    /// Cases that differ only as the table says.
    differ: usize,
    explained: BTreeMap<&'static str, usize>,
    failures: Vec<String>,
}

impl Tally {
    fn new(implementation: &'static str) -> Self {
        Tally {
            implementation,
            cases: 0,
            agree: 0,
            differ: 0,
            explained: BTreeMap::new(),
            failures: Vec::new(),
        }
    }

    fn check<C: std::fmt::Debug>(
        &mut self,
        config: &C,
        table: &[Difference<C>],
        url: &str,
        real: &str,
        ours: &str,
    ) -> bool {
        self.cases += 1;
        if real == ours {
            self.agree += 1;
            return true;
        }
        let mut real = real.to_owned();
        let mut used = Vec::new();
        for d in table {
            if let Shows::Rewrite(rewrite) = d.shows {
                if let Some(new) = rewrite(config, url, &real).filter(|new| *new != real) {
                    real = new;
                    used.push(d.name);
                }
            }
        }
        if real != ours {
            match table.iter().find(|d| match d.shows {
                Shows::Explains(explains) => explains(config, url, &real, ours),
                Shows::Rewrite(_) => false,
            }) {
                Some(d) => used.push(d.name),
                None => used.clear(),
            }
        }
        if used.is_empty() {
            if self.failures.len() < 20 {
                self.failures.push(format!(
                    "{url}: {} says {real:?}, proxyroute {ours:?}\n  settings: {config:?}",
                    self.implementation
                ));
            }
            return false;
        }
        for name in used {
            *self.explained.entry(name).or_default() += 1;
        }
        self.differ += 1;
        true
    }

    fn finish<C>(self, table: &[Difference<C>], assert: bool) {
        let percent = |n: usize| 100.0 * n as f64 / self.cases.max(1) as f64;
        let explained = self.differ;
        let mut report = format!(
            "{}: {} cases, {} agree ({:.1}%), {} differ as the table says ({:.1}%), {} unexplained",
            self.implementation,
            self.cases,
            self.agree,
            percent(self.agree),
            explained,
            percent(explained),
            self.cases - self.agree - explained,
        );
        for (name, n) in &self.explained {
            let why = table.iter().find(|d| d.name == *name).map_or("", |d| d.why);
            let _ = write!(report, "\n  {name}: in {n} ({why})");
        }
        eprintln!("{report}");
        if assert {
            assert!(
                self.failures.is_empty(),
                "{} disagreements nothing explains (seed {:#x}):\n{}",
                self.implementation,
                seed(),
                self.failures.join("\n")
            );
        }
    }
}

// ===== GNOME settings =====

/// One protocol's host and port (`None`: the key is left at its default).
#[derive(Debug, Clone)]
struct HostPort {
    host: String,
    port: Option<u16>,
}

#[derive(Debug, Clone)]
struct GnomeConfig {
    mode: &'static str,
    autoconfig_url: Option<&'static str>,
    use_same_proxy: Option<bool>,
    ignore_hosts: Option<Vec<&'static str>>,
    http: Option<HostPort>,
    https: Option<HostPort>,
    ftp: Option<HostPort>,
    socks: Option<HostPort>,
    /// `use-authentication` on the http proxy, with this user and password.
    auth: Option<(&'static str, &'static str)>,
}

/// Proxy hosts, the odd shapes (an empty host, upper case, IPv6) rarer.
const PROXY_HOSTS: &[&str] = &[
    "p.test",
    "p.test",
    "proxy.example",
    "proxy.example",
    "s.test",
    "127.0.0.1",
    "127.0.0.1",
    "Proxy.Example",
    "fd00::1",
    "",
];
/// Ports, `None` leaving the schema's default (8080 for http, 0 otherwise).
const PORTS: &[Option<u16>] = &[
    Some(3128),
    Some(3128),
    Some(8080),
    Some(1080),
    Some(1080),
    None,
    None,
    Some(0),
];

/// Entries of every shape GNOME's `ignore-hosts` is documented to take.
const IGNORE_ENTRIES: &[&str] = &[
    "localhost",
    "127.0.0.0/8",
    "::1",
    "*.corp.example",
    ".corp.example",
    "corp.example",
    "www.corp.example",
    "10.0.0.0/8",
    "10.1.2.3",
    "192.168.0.0/16",
    "fe80::/10",
    "api.example.com:8443",
    "example.com:80",
    "[::1]:80",
    "INTRANET",
    "intranet",
    "bücher.example",
    "*.example.com",
    "*",
    "",
];

/// The URLs every configuration answers: each scheme, and hosts the ignore
/// entries name, miss narrowly, or cover by shape.
const URLS: &[&str] = &[
    "http://example.com/",
    "https://example.com/",
    "ftp://example.com/",
    "ws://example.com/",
    "wss://example.com/",
    "gopher://example.com/",
    "http://example.com:80/",
    "http://localhost/",
    "http://127.0.0.1:8080/",
    "http://[::1]/",
    "http://[::1]:80/",
    "http://10.1.2.3/",
    "http://10.200.0.1/",
    "http://192.168.7.7/",
    "https://www.corp.example/",
    "https://corp.example/",
    "https://evilcorp.example/",
    "http://intranet/",
    "http://INTRANET/",
    "http://[fe80::1]/",
    "https://api.example.com:8443/",
    "https://api.example.com/",
    "http://www.example.com/",
    "http://xn--bcher-kva.example/",
];

fn host_port(rng: &mut Rng) -> Option<HostPort> {
    if rng.chance(45) {
        return None;
    }
    Some(HostPort {
        host: (*rng.pick(PROXY_HOSTS)).to_owned(),
        port: *rng.pick(PORTS),
    })
}

fn gnome_config(rng: &mut Rng) -> GnomeConfig {
    let mode = *rng.pick(&[
        "manual", "manual", "manual", "manual", "manual", "manual", "none", "auto",
    ]);
    GnomeConfig {
        mode,
        autoconfig_url: (mode == "auto").then(|| *rng.pick(&["", "http://127.0.0.1:9/proxy.pac"])),
        use_same_proxy: rng.chance(70).then(|| rng.chance(50)),
        ignore_hosts: rng.chance(80).then(|| {
            let n = rng.below(6);
            (0..n).map(|_| *rng.pick(IGNORE_ENTRIES)).collect()
        }),
        http: host_port(rng),
        https: host_port(rng),
        ftp: host_port(rng),
        socks: host_port(rng),
        auth: rng
            .chance(15)
            .then(|| *rng.pick(&[("alice", "s3cret"), ("alice", "p@ss word")])),
    }
}

/// A GVariant string literal.
fn gvariant(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The keyfile the GSettings keyfile backend reads
/// (`$XDG_CONFIG_HOME/glib-2.0/settings/keyfile`).
fn keyfile(c: &GnomeConfig) -> String {
    let mut out = String::from("[system/proxy]\n");
    let _ = writeln!(out, "mode={}", gvariant(c.mode));
    if let Some(url) = c.autoconfig_url {
        let _ = writeln!(out, "autoconfig-url={}", gvariant(url));
    }
    if let Some(same) = c.use_same_proxy {
        let _ = writeln!(out, "use-same-proxy={same}");
    }
    if let Some(hosts) = &c.ignore_hosts {
        let items: Vec<String> = hosts.iter().map(|h| gvariant(h)).collect();
        let _ = writeln!(out, "ignore-hosts=@as [{}]", items.join(", "));
    }
    for (name, hp) in [
        ("http", &c.http),
        ("https", &c.https),
        ("ftp", &c.ftp),
        ("socks", &c.socks),
    ] {
        if let Some(hp) = hp {
            let _ = writeln!(out, "\n[system/proxy/{name}]\nhost={}", gvariant(&hp.host));
            if let Some(port) = hp.port {
                let _ = writeln!(out, "port={port}");
            }
            if let (Some((user, password)), "http") = (c.auth, name) {
                let _ = writeln!(
                    out,
                    "use-authentication=true\nauthentication-user={}\nauthentication-password={}",
                    gvariant(user),
                    gvariant(password)
                );
            }
        }
    }
    out
}

/// Writes each configuration's keyfile under `dir/<i>` and the manifest the
/// batch drivers read.
fn write_gnome_configs(dir: &Path, configs: &[GnomeConfig]) -> PathBuf {
    let mut manifest = String::new();
    for (i, c) in configs.iter().enumerate() {
        let home = dir.join(i.to_string());
        let settings = home.join("glib-2.0/settings");
        std::fs::create_dir_all(&settings).unwrap();
        std::fs::write(settings.join("keyfile"), keyfile(c)).unwrap();
        let _ = writeln!(manifest, "C {}", home.display());
        for url in URLS {
            let _ = writeln!(manifest, "{url}");
        }
    }
    let path = dir.join("manifest");
    std::fs::write(&path, manifest).unwrap();
    path
}

/// One configuration's output from the glib driver: the settings as
/// `gsettings list-recursively` prints them, and each URL's answer.
#[derive(Debug, Default)]
struct GlibAnswers {
    settings: String,
    answers: Vec<(String, String)>,
}

fn python_has_gi() -> bool {
    Path::new("/usr/bin/python3").exists()
        && Command::new("/usr/bin/python3")
            .args(["-c", "from gi.repository import Gio"])
            .output()
            .is_ok_and(|o| o.status.success())
}

fn glib_modules() -> bool {
    ["libgiognomeproxy.so", "libgiolibproxy.so"]
        .iter()
        .all(|m| {
            Path::new("/usr/lib/x86_64-linux-gnu/gio/modules")
                .join(m)
                .exists()
                || Path::new("/usr/lib/aarch64-linux-gnu/gio/modules")
                    .join(m)
                    .exists()
        })
}

/// Runs the glib driver once over every configuration, with `resolver` as
/// `GIO_USE_PROXY_RESOLVER`.
fn run_glib(dir: &Path, manifest: &Path, resolver: &str, count: usize) -> Vec<GlibAnswers> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/system_differential/glib.py"
    );
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let home = home.display().to_string();
    let manifest = manifest.display().to_string();
    let out = command(
        "/usr/bin/python3",
        &[script, resolver, &manifest],
        &[
            ("HOME", &home),
            ("GSETTINGS_BACKEND", "keyfile"),
            ("GIO_USE_PROXY_RESOLVER", resolver),
            ("GIO_USE_VFS", "local"),
            // glib's GNOME resolver serves GNOME sessions only; libproxy's
            // GNOME module looks at DESKTOP_SESSION.
            ("XDG_CURRENT_DESKTOP", "GNOME"),
            ("DESKTOP_SESSION", "gnome"),
            ("LC_ALL", "C.UTF-8"),
        ],
        namespace_works(),
    )
    .output()
    .expect("run /usr/bin/python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the glib driver failed ({}):\n{}\n{}",
        out.status,
        stdout.lines().last().unwrap_or(""),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut all: Vec<GlibAnswers> = Vec::new();
    for line in stdout.lines() {
        if line.starts_with("C ") {
            all.push(GlibAnswers::default());
        } else if let Some(s) = line.strip_prefix("S ") {
            let last = all.last_mut().expect("a C line first");
            last.settings.push_str(s);
            last.settings.push('\n');
        } else if let Some(l) = line.strip_prefix("L ") {
            let (url, answer) = l.split_once('\t').expect("url<TAB>answer");
            all.last_mut()
                .expect("a C line first")
                .answers
                .push((url.to_owned(), answer.to_owned()));
        }
    }
    assert_eq!(all.len(), count, "one block per configuration");
    all
}

/// Whether `c` sets a protocol's host with port 0.
fn has_port_zero(c: &GnomeConfig) -> bool {
    // The schema's default port: 8080 for http, 0 for the others.
    [(&c.http, 8080), (&c.https, 0), (&c.ftp, 0), (&c.socks, 0)]
        .iter()
        .any(|(hp, default)| {
            hp.as_ref()
                .is_some_and(|hp| !hp.host.is_empty() && hp.port.unwrap_or(*default) == 0)
        })
}

/// Whether a protocol glib consults for `url` has an IPv6 proxy host:
/// the scheme's own, then http's (for https) and the defaults.
fn gnome_v6_proxy_for(c: &GnomeConfig, url: &str) -> bool {
    let v6 = |hp: &Option<HostPort>| hp.as_ref().is_some_and(|hp| hp.host.contains(':'));
    let own = match url.split(':').next() {
        Some("http") => v6(&c.http),
        Some("https") => v6(&c.https),
        Some("ftp") => v6(&c.ftp),
        _ => false,
    };
    own || v6(&c.http) || v6(&c.socks)
}

/// Whether `url` writes its scheme's default port (`http://h:80/`).
fn writes_default_port(url: &str) -> bool {
    let authority = url.split('/').nth(2).unwrap_or("");
    let port = authority.rsplit_once(':').map(|(_, p)| p);
    matches!(
        (url.split(':').next(), port),
        (Some("http" | "ws"), Some("80")) | (Some("https" | "wss"), Some("443"))
    )
}

/// Where glib-networking's GNOME resolver and the GNOME reader differ on
/// purpose.
fn glib_differences() -> Vec<Difference<GnomeConfig>> {
    vec![
        Difference {
            name: "password-hidden",
            why: "glib puts the http proxy's password, percent-encoded, into the proxy URI; \
                  proxyroute's routes carry it but never print it (user:***)",
            shows: Shows::Rewrite(|c, _, real| {
                let (user, _) = c.auth?;
                let hops: Vec<String> = real
                    .split(' ')
                    .map(|hop| match hop.split_once(&format!("://{user}:")) {
                        Some((scheme, rest)) => match rest.split_once('@') {
                            Some((_, host)) => format!("{scheme}://{user}:***@{host}"),
                            None => hop.to_owned(),
                        },
                        None => hop.to_owned(),
                    })
                    .collect();
                Some(hops.join(" "))
            }),
        },
        Difference {
            name: "socks-versions",
            why: "glib answers socks5, socks4a and socks4 for one SOCKS host and lets the client \
                  try each; the setting names no version, so the reader gives the SOCKS5 hop, \
                  as Chromium reads GNOME's SOCKS host",
            shows: Shows::Rewrite(|_, _, real| {
                let hops: Vec<&str> = real.split(' ').collect();
                let [a, b, c] = hops.as_slice() else {
                    return None;
                };
                let authority = a.strip_prefix("socks5://")?;
                (*b == format!("socks4a://{authority}") && *c == format!("socks4://{authority}"))
                    .then(|| (*a).to_owned())
            }),
        },
        Difference {
            name: "ftp-proxy-scheme",
            why: "glib names the ftp host as an ftp:// proxy, which no GIO proxy implements; \
                  the reader reads it as an HTTP proxy for ftp URLs, as Chromium and libproxy do",
            shows: Shows::Rewrite(|_, url, real| {
                let rest = real.strip_prefix("ftp://")?;
                url.starts_with("ftp:").then(|| format!("http://{rest}"))
            }),
        },
        Difference {
            name: "proxy-host-case",
            why: "glib keeps the proxy host as written (Proxy.Example); proxyroute's proxy URLs \
                  hold it in lower case, as URL parsers do (host names are case-blind)",
            shows: Shows::Rewrite(|_, _, real| {
                (real != "DIRECT").then(|| real.to_ascii_lowercase())
            }),
        },
        Difference {
            name: "port-zero",
            why: "glib uses a host whose port is 0 (and connects to port 0); the reader reports \
                  it and reads the protocol as unset, as Chromium and libproxy do",
            shows: Shows::Explains(|c, _, real, _| {
                has_port_zero(c)
                    && real
                        .split(' ')
                        .next()
                        .is_some_and(|hop| hop.ends_with(":0"))
            }),
        },
        Difference {
            name: "ipv6-proxy-host",
            why: "glib writes an IPv6 proxy host into the proxy URI without brackets \
                  (http://fd00::1:3128), which its own URI parser rejects, so another proxy or \
                  none serves; the reader brackets the host and uses it",
            shows: Shows::Explains(|c, url, _, _| gnome_v6_proxy_for(c, url)),
        },
        Difference {
            name: "default-port-written",
            why: "glib matches an ignore-hosts entry host:port against the port as written in \
                  the URI, so http://h:80/ matches h:80; proxyroute reads URLs as WHATWG URL \
                  parsers do, where a default port written out is no port",
            shows: Shows::Explains(|c, url, real, _| {
                writes_default_port(url)
                    && real == "DIRECT"
                    && c.ignore_hosts.as_ref().is_some_and(|h| {
                        h.iter().any(|e| e.ends_with(":80") || e.ends_with(":443"))
                    })
            }),
        },
        Difference {
            name: "auto-without-pacrunner",
            why: "in auto mode glib asks its PAC runner over the D-Bus session bus, which this \
                  test leaves out, and answers use-proxy:; the reader refuses the route (the \
                  script is evaluated only with the pac features), never DIRECT",
            shows: Shows::Explains(|c, _, real, ours| {
                c.mode == "auto" && real == "use-proxy:" && ours == "refused"
            }),
        },
    ]
}

// ===== libproxy =====

/// Whether libproxy's `proxy` tool and the module are installed.
fn libproxy_module(module: &str) -> bool {
    Path::new("/usr/bin/proxy").exists()
        && ["x86_64-linux-gnu", "aarch64-linux-gnu"]
            .iter()
            .any(|arch| {
                Path::new(&format!("/usr/lib/{arch}/libproxy/0.4.18/modules/{module}")).exists()
            })
}

/// Runs `proxy` once with `env`, the URLs on its standard input; one answer
/// per URL (its proxies, space-separated).
fn run_proxy_tool(env: &[(&str, &str)], urls: &[&str]) -> Vec<String> {
    use std::io::Write as _;
    let mut child = command("/usr/bin/proxy", &[], env, namespace_works())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run /usr/bin/proxy");
    let mut input = urls.join("\n");
    input.push('\n');
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let answers: Vec<String> = stdout.lines().map(str::to_owned).collect();
    assert_eq!(
        answers.len(),
        urls.len(),
        "proxy answered {} lines for {} URLs ({}):\n{stdout}\n{}",
        answers.len(),
        urls.len(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    answers
}

/// A GNOME configuration and glib-networking's answers for the URLs where
/// glib and the reader agree (or differ only as the glib table says).
#[derive(Debug)]
struct LibproxyGnomeCase {
    config: GnomeConfig,
    glib: BTreeMap<String, String>,
}

/// Two answers as routes, whatever SOCKS versions and host case they spell.
fn same_route(a: &str, b: &str) -> bool {
    let norm = |answer: &str| -> String {
        answer
            .split(' ')
            .filter(|hop| !hop.starts_with("socks4"))
            .map(|hop| match hop {
                "DIRECT" => hop.to_owned(),
                _ => hop
                    .replacen("socks://", "socks5://", 1)
                    .to_ascii_lowercase(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    norm(a) == norm(b)
}

/// Where libproxy's GNOME module and the GNOME reader differ on purpose.
fn libproxy_gnome_differences() -> Vec<Difference<LibproxyGnomeCase>> {
    vec![
        Difference {
            name: "libproxy-socks-scheme",
            why: "libproxy names GNOME's SOCKS host socks://, leaving the version to the client; \
                  the reader gives SOCKS5, as glib tries first and Chromium reads it",
            shows: Shows::Rewrite(|_, _, real| {
                real.contains("socks://")
                    .then(|| real.replace("socks://", "socks5://"))
            }),
        },
        Difference {
            name: "libproxy-auto-without-pacrunner",
            why: "Debian's libproxy 0.4.18 has no PAC runner and no reachable script here, and \
                  answers direct:// in auto mode; the reader refuses the route, never DIRECT",
            shows: Shows::Explains(|c, _, real, ours| {
                c.config.mode == "auto" && real == "DIRECT" && ours == "refused"
            }),
        },
        Difference {
            name: "proxy-host-case",
            why: "libproxy keeps the proxy host as written; proxyroute's proxy URLs hold it in \
                  lower case, as URL parsers do",
            shows: Shows::Rewrite(|_, _, real| {
                (real != "DIRECT").then(|| real.to_ascii_lowercase())
            }),
        },
        Difference {
            name: "as-glib",
            why: "libproxy gives glib-networking's answer, which differs from the reader's only \
                  as the glib table says",
            shows: Shows::Explains(|c, url, real, _| {
                c.glib.get(url).is_some_and(|glib| same_route(glib, real))
            }),
        },
        Difference {
            name: "glib-and-libproxy-disagree",
            why: "libproxy 0.4's GNOME module has no use-same-proxy (https never borrows http's \
                  proxy), appends the SOCKS host to every manual answer, tries the https proxy \
                  then DIRECT for other schemes, and matches ignore-hosts with its own rules \
                  (exact names; *.x does not match x); glib-networking does none of this, and \
                  the reader follows glib, the resolver of every GLib program under GNOME \
                  (only where glib and the reader agree)",
            shows: Shows::Explains(|c, url, real, _| {
                c.glib.get(url).is_some_and(|glib| !same_route(glib, real))
            }),
        },
    ]
}

#[test]
fn gnome_reader_against_glib_networking() {
    if !available(
        "python3-gi with glib-networking",
        python_has_gi() && glib_modules(),
    ) {
        return;
    }
    let n = count();
    let mut rng = Rng(seed());
    let configs: Vec<GnomeConfig> = (0..n).map(|_| gnome_config(&mut rng)).collect();
    let dir = scratch("glib");
    let manifest = write_gnome_configs(&dir, &configs);
    let started = std::time::Instant::now();
    let gnome_answers = run_glib(&dir, &manifest, "gnome", n);
    let libproxy_answers = run_glib(&dir, &manifest, "libproxy", n);
    let table = glib_differences();
    let mut tally = Tally::new("glib-networking GNOME resolver");
    let mut versus_libproxy = Tally::new("glib-networking libproxy resolver (not asserted)");
    let mut cases = Vec::new();
    for ((config, glib), via_libproxy) in configs.iter().zip(&gnome_answers).zip(&libproxy_answers)
    {
        let system = gnome::parse(&glib.settings);
        let mut case = LibproxyGnomeCase {
            config: config.clone(),
            glib: BTreeMap::new(),
        };
        for ((url, answer), (_, libproxy_answer)) in glib.answers.iter().zip(&via_libproxy.answers)
        {
            let ours = ours(&system, url);
            let real = theirs(answer);
            if tally.check(config, &table, url, &real, &ours) {
                case.glib.insert(url.clone(), real);
            }
            versus_libproxy.check(config, &[], url, &theirs(libproxy_answer), &ours);
        }
        cases.push((case, system));
    }
    let glib_time = started.elapsed();
    // libproxy's GNOME module (config_gnome3, through its pxgsettings
    // helper), on the same keyfiles: one `proxy` process per configuration.
    let mut libproxy = None;
    if available(
        "libproxy-tools with its GSettings plugin",
        libproxy_module("config_gnome3.so"),
    ) {
        let started = std::time::Instant::now();
        let lp_table = libproxy_gnome_differences();
        let mut lp = Tally::new("libproxy 0.4 GNOME module (proxy tool)");
        for (i, (case, system)) in cases.iter().enumerate() {
            let home = dir.join(i.to_string()).display().to_string();
            let answers = run_proxy_tool(
                &[
                    ("HOME", &home),
                    ("XDG_CONFIG_HOME", &home),
                    ("GSETTINGS_BACKEND", "keyfile"),
                    ("DESKTOP_SESSION", "gnome"),
                ],
                URLS,
            );
            for (url, answer) in URLS.iter().zip(&answers) {
                lp.check(case, &lp_table, url, &theirs(answer), &ours(system, url));
            }
        }
        libproxy = Some((lp, lp_table, started.elapsed()));
    }
    eprintln!(
        "glib driver: {n} configurations x {} URLs, twice, in {:.1?}",
        URLS.len(),
        started.elapsed()
    );
    eprintln!("glib: {glib_time:.1?} for both resolvers");
    versus_libproxy.finish::<GnomeConfig>(&[], false);
    tally.finish(&table, true);
    if let Some((lp, lp_table, time)) = libproxy {
        eprintln!("libproxy GNOME module: {time:.1?}");
        lp.finish(&lp_table, true);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
// ===== KDE settings =====

#[derive(Debug, Clone)]
struct KdeConfig {
    proxy_type: Option<&'static str>,
    http: Option<&'static str>,
    https: Option<&'static str>,
    ftp: Option<&'static str>,
    socks: Option<&'static str>,
    no_proxy_for: Option<String>,
    reversed: Option<&'static str>,
    /// The process environment (`ProxyType=4` reads it).
    env: Vec<(&'static str, &'static str)>,
}

/// Values as KDE's dialog writes each field (its scheme, a space, the
/// port), the older `host:port` form, and an empty field.
const KDE_HTTP: &[&str] = &[
    "http://p.test 3128",
    "http://p.test 3128",
    "http://proxy.example 8080",
    "p.test:8080",
    "",
];
const KDE_HTTPS: &[&str] = &[
    "http://s.test 3129",
    "https://s.test 443",
    "http://p.test 3128",
    "",
];
const KDE_FTP: &[&str] = &["ftp://f.test 2121", "http://p.test 3128", ""];
const KDE_SOCKS: &[&str] = &["socks://k.test 1080", "socks://k.test 1080", ""];
const KDE_VARIABLES: &[&str] = &["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "FTP_PROXY", ""];
const KDE_ENTRIES: &[&str] = &[
    "localhost",
    "127.0.0.1",
    ".corp.example",
    "corp.example",
    "*.corp.example",
    "10.0.0.0/8",
    "intranet",
    "<local>",
    "api.example.com:8443",
    "example.com",
];

fn kde_config(rng: &mut Rng) -> KdeConfig {
    let proxy_type = *rng.pick(&[
        Some("1"),
        Some("1"),
        Some("1"),
        Some("1"),
        Some("1"),
        Some("0"),
        Some("2"),
        Some("3"),
        Some("4"),
        Some("4"),
        Some("7"),
        None,
    ]);
    let env_mode = proxy_type == Some("4");
    let value = |rng: &mut Rng, pool: &[&'static str]| {
        rng.chance(60).then(|| {
            if env_mode {
                *rng.pick(KDE_VARIABLES)
            } else {
                *rng.pick(pool)
            }
        })
    };
    let http = value(rng, KDE_HTTP);
    let https = value(rng, KDE_HTTPS);
    let ftp = value(rng, KDE_FTP);
    let socks = value(rng, KDE_SOCKS);
    let no_proxy_for = rng.chance(75).then(|| {
        if env_mode {
            (*rng.pick(&["NO_PROXY", "no_proxy"])).to_owned()
        } else {
            let n = 1 + rng.below(3);
            (0..n)
                .map(|_| *rng.pick(KDE_ENTRIES))
                .collect::<Vec<_>>()
                .join(",")
        }
    });
    let reversed = *rng.pick(&[
        None,
        None,
        Some("false"),
        Some("true"),
        Some("1"),
        Some("0"),
    ]);
    let mut env = Vec::new();
    for (name, value) in [
        ("HTTP_PROXY", "http://envh.test:3128"),
        ("http_proxy", "http://envl.test:3128"),
        ("HTTPS_PROXY", "http://envs.test:3129"),
        ("FTP_PROXY", "http://envf.test:2121"),
        ("NO_PROXY", ".corp.example,localhost"),
        ("no_proxy", "intranet"),
    ] {
        if rng.chance(50) {
            env.push((name, value));
        }
    }
    KdeConfig {
        proxy_type,
        http,
        https,
        ftp,
        socks,
        no_proxy_for,
        reversed,
        env,
    }
}

fn kioslaverc(c: &KdeConfig) -> String {
    let mut out = String::from("[Proxy Settings]\n");
    let mut line = |key: &str, value: Option<&str>| {
        if let Some(v) = value {
            let _ = writeln!(out, "{key}={v}");
        }
    };
    line("ProxyType", c.proxy_type);
    line("httpProxy", c.http);
    line("httpsProxy", c.https);
    line("ftpProxy", c.ftp);
    line("socksProxy", c.socks);
    line("NoProxyFor", c.no_proxy_for.as_deref());
    line("ReversedException", c.reversed);
    if c.proxy_type == Some("2") {
        line("Proxy Config Script", Some("http://127.0.0.1:9/proxy.pac"));
    }
    out
}

/// The host a URL names, as written.
fn url_host(url: &str) -> &str {
    let authority = url.split('/').nth(2).unwrap_or("");
    match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => authority.split(':').next().unwrap_or(authority),
    }
}

/// Whether an entry of `NoProxyFor` is about `host`: a name that is a
/// suffix of it (or it of the entry), an address or range and an IP host,
/// `<local>` and a dotless host.
fn entry_about(entry: &str, host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let name = entry
        .trim_start_matches('*')
        .trim_start_matches('.')
        .split(':')
        .next()
        .unwrap_or("");
    let ip_host = host.parse::<std::net::IpAddr>().is_ok();
    match entry {
        "<local>" => !host.contains('.'),
        e if e.contains('/') || e.parse::<std::net::IpAddr>().is_ok() => ip_host,
        _ => !name.is_empty() && (host.ends_with(name) || name.ends_with(host.as_str())),
    }
}

/// The KDE URL's own key (`httpsProxy` for https URLs).
fn kde_own(c: &KdeConfig, url: &str) -> Option<&'static str> {
    match url.split(':').next() {
        Some("http") => c.http,
        Some("https") => c.https,
        Some("ftp") => c.ftp,
        _ => None,
    }
    .filter(|v| !v.is_empty())
}

/// Where libproxy's KDE module and the KDE reader differ on purpose. The
/// reader follows KIO (KDE's own `KProtocolManager`), which libproxy only
/// approximates.
fn libproxy_kde_differences() -> Vec<Difference<KdeConfig>> {
    vec![
        Difference {
            name: "socks-scheme",
            why: "libproxy keeps KDE's socks:// field scheme; KIO (and the reader) take the socks \
                  field as SOCKS5",
            shows: Shows::Rewrite(|_, _, real| {
                real.contains("socks://")
                    .then(|| real.replace("socks://", "socks5://"))
            }),
        },
        Difference {
            name: "field-scheme",
            why: "KDE's dialog writes the field's scheme before the host (https:// in the https \
                  field, ftp:// in the ftp field); KIO reads every field but socks as an HTTP \
                  proxy's address, libproxy as the proxy's protocol",
            shows: Shows::Rewrite(|_, _, real| {
                let rest = real
                    .strip_prefix("https://")
                    .or_else(|| real.strip_prefix("ftp://"))?;
                Some(format!("http://{rest}"))
            }),
        },
        Difference {
            name: "http-field-fallback",
            why: "libproxy gives a URL whose scheme field is empty the http field, then the socks \
                  field; KIO gives it its own field or SOCKS only (https never borrows http's)",
            shows: Shows::Explains(|c, url, real, _| {
                let field = |v: Option<&'static str>| v.filter(|v| !v.is_empty());
                let lent = field(c.http)
                    .or(field(c.socks))
                    .map_or("DIRECT".to_owned(), |v| {
                        v.replace(' ', ":")
                            .replacen("socks://", "socks5://", 1)
                            .replacen("https://", "http://", 1)
                            .replacen("ftp://", "http://", 1)
                    });
                c.proxy_type == Some("1") && kde_own(c, url).is_none() && real == lent
            }),
        },
        Difference {
            name: "legacy-host-port",
            why: "libproxy passes the older host:port form (no scheme) through as a URL whose \
                  scheme is the host name (p.test:8080), which no client can use; KIO reads it \
                  as an HTTP proxy",
            shows: Shows::Explains(|c, url, real, _| {
                (real == "DIRECT" || real.starts_with("p.test:8080"))
                    && c.proxy_type == Some("1")
                    && (kde_own(c, url).or(c.http) == Some("p.test:8080"))
            }),
        },
        Difference {
            name: "reversed-exception-reading",
            why: "libproxy reverses the list for any ReversedException but the text false (0 \
                  included); KIO reads a KConfig boolean, where 0 is false",
            shows: Shows::Explains(|c, _, _, _| {
                c.proxy_type == Some("1") && c.reversed == Some("0")
            }),
        },
        Difference {
            name: "reversed-without-list",
            why: "with ReversedException and no NoProxyFor entries libproxy connects every URL \
                  directly; KIO reverses only a list it has, so every URL uses the proxy",
            shows: Shows::Explains(|c, _, real, _| {
                c.proxy_type == Some("1")
                    && real == "DIRECT"
                    && matches!(c.reversed, Some("true" | "1" | "0"))
                    && c.no_proxy_for.as_deref().is_none_or(str::is_empty)
            }),
        },
        Difference {
            name: "noproxyfor-matching",
            why: "libproxy matches NoProxyFor with its own rules (exact names, *.x and .x \
                  suffixes, <local>, addresses and ranges, host:port); KIO matches names on a \
                  label boundary (kde.org covers bugs.kde.org), as the reader does",
            shows: Shows::Explains(|c, url, real, ours| {
                c.proxy_type == Some("1")
                    && (real == "DIRECT") != (ours == "DIRECT")
                    && c.no_proxy_for.as_deref().is_some_and(|list| {
                        let reversed = matches!(c.reversed, Some("true" | "1" | "0"));
                        reversed
                            || list
                                .split(',')
                                .any(|e| entry_about(e.trim(), url_host(url)))
                    })
            }),
        },
        Difference {
            name: "auto-without-pacrunner",
            why: "Debian's libproxy 0.4.18 has no PAC runner and answers direct:// for ProxyType \
                  2 and 3; the reader refuses the route, never DIRECT",
            shows: Shows::Explains(|c, _, real, ours| {
                matches!(c.proxy_type, Some("2" | "3")) && real == "DIRECT" && ours == "refused"
            }),
        },
        Difference {
            name: "type-4-env-module",
            why: "for ProxyType 4 libproxy hands over to its environment module, which reads \
                  http_proxy, then HTTP_PROXY, whatever kioslaverc names, gives https and ftp \
                  URLs http_proxy when theirs is unset, every other scheme http_proxy, and \
                  matches no_proxy with its own rules; KIO reads the variables kioslaverc \
                  names, each for its own scheme",
            shows: Shows::Explains(|c, url, real, _| {
                if c.proxy_type != Some("4") {
                    return false;
                }
                let var = |lower: &str, upper: &str| {
                    let get = |name: &str| c.env.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
                    get(lower).or_else(|| get(upper))
                };
                let own = match url.split(':').next() {
                    Some("https") => var("https_proxy", "HTTPS_PROXY"),
                    Some("ftp") => var("ftp_proxy", "FTP_PROXY"),
                    _ => None,
                };
                let proxy = own.or_else(|| var("http_proxy", "HTTP_PROXY"));
                let bypassed = var("no_proxy", "NO_PROXY").is_some_and(|list| {
                    list.split(',')
                        .any(|e| entry_about(e.trim(), url_host(url)))
                });
                match proxy {
                    Some(p) => real == p || (real == "DIRECT" && bypassed),
                    None => real == "DIRECT",
                }
            }),
        },
    ]
}

#[test]
fn kde_reader_against_libproxy() {
    if !available(
        "libproxy-tools with its KConfig plugin and kreadconfig5",
        libproxy_module("config_kde.so") && Path::new("/usr/bin/kreadconfig5").exists(),
    ) {
        return;
    }
    let n = count();
    let mut rng = Rng(seed() ^ 0x4bde);
    let configs: Vec<KdeConfig> = (0..n).map(|_| kde_config(&mut rng)).collect();
    let dir = scratch("kde");
    let xdg_dirs = dir.join("xdg");
    std::fs::create_dir_all(&xdg_dirs).unwrap();
    let xdg_dirs = xdg_dirs.display().to_string();
    let started = std::time::Instant::now();
    // Two workers: each configuration is one `proxy` process, and its KDE
    // module runs kreadconfig5 once per key.
    let answers: Vec<Vec<String>> = std::thread::scope(|scope| {
        let halves: Vec<_> = configs
            .chunks(n.div_ceil(2).max(1))
            .enumerate()
            .map(|(half, chunk)| {
                let dir = &dir;
                let xdg_dirs = &xdg_dirs;
                scope.spawn(move || {
                    chunk
                        .iter()
                        .enumerate()
                        .map(|(j, c)| {
                            let home = dir.join(format!("{half}-{j}"));
                            std::fs::create_dir_all(&home).unwrap();
                            std::fs::write(home.join("kioslaverc"), kioslaverc(c)).unwrap();
                            let home = home.display().to_string();
                            let mut env: Vec<(&str, &str)> = vec![
                                ("HOME", &home),
                                ("XDG_CONFIG_HOME", &home),
                                ("XDG_CONFIG_DIRS", xdg_dirs),
                                ("KDE_FULL_SESSION", "true"),
                            ];
                            env.extend(c.env.iter().copied());
                            run_proxy_tool(&env, URLS)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        halves
            .into_iter()
            .flat_map(|h| h.join().expect("a worker"))
            .collect()
    });
    let table = libproxy_kde_differences();
    let mut tally = Tally::new("libproxy 0.4 KDE module (proxy tool)");
    for (c, answers) in configs.iter().zip(&answers) {
        let text = kioslaverc(c);
        let env = c.env.clone();
        let system = kde::parse(&[("kioslaverc", &text)], move |name: &str| {
            env.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        });
        for (url, answer) in URLS.iter().zip(answers) {
            tally.check(c, &table, url, &theirs(answer), &ours(&system, url));
        }
    }
    eprintln!(
        "libproxy KDE module: {n} configurations x {} URLs in {:.1?}",
        URLS.len(),
        started.elapsed()
    );
    tally.finish(&table, true);
    let _ = std::fs::remove_dir_all(&dir);
}
