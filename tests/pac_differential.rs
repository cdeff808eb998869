//! PAC scripts in the shapes real deployments use, run by proxyroute and by
//! a second, independent evaluator, npm's `pac-resolver` (installed under
//! `tests/pac_differential/` by `.ci/install-pac.sh`), with the same fake
//! DNS, `myIpAddress` and clock. Every answer must agree, except the
//! differences listed in [`DIFFERENCES`], each with its reason; a listed
//! difference that no longer differs fails too.
//!
//! The scripts are written here: undeclared variables, legacy octal
//! literals and escapes, regular-expression characters in `shExpMatch`, a
//! generated domain list of several hundred KB, minified code, the time and
//! date helpers, `dnsResolve`/`myIpAddress`/`isInNet`, and a top level that
//! asks for names.
//!
//! Needs `node` and `npm ci --prefix tests/pac_differential`. Under
//! `CI=true` a missing piece fails with the command that installs it;
//! elsewhere the test is skipped with a notice.
#![cfg(feature = "pac")]

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, UNIX_EPOCH};

use proxyroute::pac::{HostResolver, PacLimits, PacScript};

/// Saturday 2026-11-28 14:30:15 UTC, in milliseconds.
const NOW_MS: u64 = 1_795_876_215_000;
const MY_IP: &str = "10.20.30.40";

/// The fake DNS both evaluators use: IP literals resolve to themselves.
const DNS: &[(&str, &[&str])] = &[
    ("intranet.corp.example", &["10.1.2.3"]),
    ("printer.lan", &["192.168.1.9"]),
    ("www.example.com", &["2001:db8::5", "93.184.216.34"]),
    ("v6only.example", &["2001:db8::7"]),
    ("gateway.corp.example", &["10.9.9.9"]),
];

struct Table;

impl HostResolver for Table {
    fn resolve(&self, host: &str) -> Vec<IpAddr> {
        if let Ok(ip) = host.parse() {
            return vec![ip];
        }
        DNS.iter()
            .find(|(h, _)| *h == host)
            .map(|(_, ips)| ips.iter().map(|ip| ip.parse().unwrap()).collect())
            .unwrap_or_default()
    }

    fn local_addresses(&self) -> Vec<IpAddr> {
        vec![MY_IP.parse().unwrap()]
    }
}

/// Where the evaluators disagree on purpose: (script, host or `*` for every
/// host, why). In each,
/// proxyroute does what browsers do and `pac-resolver` does not.
const DIFFERENCES: &[(&str, &str, &str)] = &[
    (
        "time and date helpers",
        "date-month",
        "pac-resolver's dateRange is a stub that always returns false",
    ),
    (
        "time and date helpers",
        "date-span",
        "pac-resolver's dateRange is a stub that always returns false",
    ),
    (
        "plain names and the Ex helpers",
        "::1",
        "pac-resolver's isPlainHostName calls any host without a dot plain, IPv6 literals \
         included; browsers do not",
    ),
    (
        "plain names and the Ex helpers",
        "ex",
        "pac-resolver lacks Microsoft's *Ex helpers (isInNetEx, dnsResolveEx, myIpAddressEx)",
    ),
    (
        "a top level that asks for names",
        "*",
        "pac-resolver rewrites every dnsResolve and myIpAddress call into an `await`, which a \
         script's top level cannot hold: the script does not load",
    ),
];

/// A named script and the (url, host) pairs asked.
struct Case {
    name: &'static str,
    source: String,
    asks: Vec<(String, String)>,
}

fn asks(hosts: &[&str]) -> Vec<(String, String)> {
    hosts
        .iter()
        .map(|h| {
            let url = if h.contains(':') {
                format!("http://[{h}]/")
            } else {
                format!("http://{h}/")
            };
            (url, (*h).to_owned())
        })
        .collect()
}

/// A deterministic list of `n` domains, as generated lists look.
fn domains(n: usize) -> Vec<String> {
    let words = [
        "ads", "cdn", "track", "media", "static", "img", "api", "beacon", "stats", "files",
    ];
    let tlds = ["com", "net", "org", "io", "co.uk", "de", "info"];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            format!(
                "{}{}-{:x}.{}",
                words[i % words.len()],
                i,
                x & 0xffff_ffff,
                tlds[(x >> 40) as usize % tlds.len()]
            )
        })
        .collect()
}

fn cases() -> Vec<Case> {
    let list = domains(12_000);
    let big = {
        let mut s = String::from(
            "// Generated: blocked domains go through the filtering proxy.\nvar blocked = {\n",
        );
        for d in &list {
            s.push_str(&format!("  \"{d}\": 1,\n"));
        }
        s.push_str("  \"last.example\": 1\n};\nvar patterns = [\n");
        for d in list.iter().take(300) {
            s.push_str(&format!("  \"*.{}\",\n", d.replace('-', "?")));
        }
        s.push_str(
            r#"  "*.end.example"
];
function FindProxyForURL(url, host) {
  var parts = host.split(".");
  for (var i = 0; i < parts.length; i++) {
    if (blocked.hasOwnProperty(parts.slice(i).join("."))) return "PROXY filter.corp.example:3128";
  }
  for (var j = 0; j < patterns.length; j++) {
    if (shExpMatch(host, patterns[j])) return "PROXY pattern.corp.example:3128";
  }
  return "DIRECT";
}
"#,
        );
        s
    };
    assert!(big.len() > 300_000, "{} bytes", big.len());
    let sub = |d: &str| format!("www.{d}");
    let big_hosts: Vec<String> = vec![
        list[0].clone(),
        sub(&list[7]),
        sub(&list[11_999]),
        format!("x.{}", list[5]),
        "example.org".into(),
        "www.end.example".into(),
        "last.example".into(),
    ];
    let big_hosts: Vec<&str> = big_hosts.iter().map(String::as_str).collect();
    vec![
        Case {
            name: "undeclared variables",
            source: r#"
count = 0;
var list = [".corp.example", ".internal", "localhost"];
function FindProxyForURL(url, host) {
  count++;
  for (i in list) {
    if (dnsDomainIs(host, list[i])) { ret = "DIRECT"; return ret; }
  }
  ret = count > 0 ? "PROXY proxy.corp.example:3128" : "DIRECT";
  return ret;
}"#
            .into(),
            asks: asks(&["wiki.corp.example", "db.internal", "localhost", "example.com"]),
        },
        Case {
            name: "legacy octal literals and escapes",
            source: r#"
var dot = "\56";
function FindProxyForURL(url, host) {
  if (host.indexOf("corp" + dot) === 0) return "DIRECT";
  if (timeRange(00, 01, 23, 59, "GMT")) return "PROXY day.example:" + 010;
  return "PROXY night.example:3128";
}"#
            .into(),
            asks: asks(&["corp.example", "example.com"]),
        },
        Case {
            name: "regular-expression characters in shExpMatch",
            source: r#"
function FindProxyForURL(url, host) {
  if (shExpMatch(host, "(*.|)example.com")) return "PROXY group.example:1";
  if (shExpMatch(host, "host[0-9].corp")) return "PROXY bracket.example:1";
  if (shExpMatch(host, "(api|www).shop.example")) return "PROXY alt.example:1";
  if (shExpMatch(url, "http://*.files.example/*")) return "PROXY files.example:1";
  if (shExpMatch(host, "a?c.example")) return "PROXY any.example:1";
  return "DIRECT";
}"#
            .into(),
            asks: asks(&[
                "example.com",
                "www.example.com",
                "badexample.com",
                "host7.corp",
                "hostx.corp",
                "api.shop.example",
                "cart.shop.example",
                "dl.files.example",
                "abc.example",
                "ac.example",
            ]),
        },
        Case {
            name: "a generated domain list of several hundred KB",
            source: big,
            asks: asks(&big_hosts),
        },
        Case {
            name: "minified code",
            source: r#"var _p="PROXY m.example:8080",_d="DIRECT",_n=[".intra.example",".lan"];function FindProxyForURL(u,h){for(var i=0,l=_n.length;i<l;i++)if(dnsDomainIs(h,_n[i]))return _d;return isPlainHostName(h)||/^10\./.test(h)?_d:(h=h.toLowerCase(),shExpMatch(u,"https:*")?_p+"; "+_d:_p)}"#
                .into(),
            asks: asks(&["wiki.intra.example", "printer.lan", "intranet", "10.1.2.3", "WWW.Example.COM"]),
        },
        Case {
            name: "time and date helpers",
            source: r#"
function FindProxyForURL(url, host) {
  var r = false;
  switch (host) {
    case "weekday": r = weekdayRange("MON", "FRI"); break;
    case "weekend-gmt": r = weekdayRange("SAT", "SUN", "GMT"); break;
    case "saturday-gmt": r = weekdayRange("SAT", "GMT"); break;
    case "hour-gmt": r = timeRange(14, "GMT"); break;
    case "hours-gmt": r = timeRange(14, 16, "GMT"); break;
    case "minutes-gmt": r = timeRange(14, 0, 14, 59, "GMT"); break;
    case "seconds-gmt": r = timeRange(14, 30, 0, 14, 30, 10, "GMT"); break;
    case "date-month": r = dateRange("NOV"); break;
    case "date-span": r = dateRange(1, "NOV", 2026, 31, "DEC", 2026); break;
    case "script-date": r = new Date().getTime() === 1795876215000 && Date.now() === 1795876215000; break;
  }
  return r ? "PROXY yes.example:1" : "DIRECT";
}"#
            .into(),
            asks: asks(&[
                "weekday",
                "weekend-gmt",
                "saturday-gmt",
                "hour-gmt",
                "hours-gmt",
                "minutes-gmt",
                "seconds-gmt",
                "date-month",
                "date-span",
                "script-date",
            ]),
        },
        Case {
            name: "dnsResolve, myIpAddress and isInNet",
            source: r#"
function FindProxyForURL(url, host) {
  if (isInNet(myIpAddress(), "10.20.0.0", "255.255.0.0") && isInNet(host, "10.0.0.0", "255.0.0.0"))
    return "DIRECT";
  var ip = dnsResolve(host);
  if (ip && isInNet(ip, "192.168.0.0", "255.255.0.0")) return "PROXY lan.example:3128";
  if (!isResolvable(host)) return "PROXY unresolved.example:3128";
  return "PROXY " + ip + ":3128; DIRECT";
}"#
            .into(),
            asks: asks(&[
                "intranet.corp.example",
                "10.7.7.7",
                "printer.lan",
                "www.example.com",
                "v6only.example",
                "nowhere.example",
            ]),
        },
        Case {
            name: "plain names and the Ex helpers",
            source: r#"
function FindProxyForURL(url, host) {
  if (host === "ex")
    return typeof isInNetEx === "function" && isInNetEx("10.1.2.3", "10.0.0.0/8") ? "PROXY ex.example:1" : "DIRECT";
  return isPlainHostName(host) ? "DIRECT" : "PROXY p.example:1";
}"#
            .into(),
            asks: asks(&["intranet", "www.example.com", "::1", "10.1.2.3", "ex"]),
        },
        Case {
            name: "a top level that asks for names",
            source: r#"
var gateway = dnsResolve("gateway.corp.example");
var me = myIpAddress();
function FindProxyForURL(url, host) {
  if (host === "www.example.com") return "PROXY " + gateway + ":3128";
  return isInNet(host, "10.0.0.0", "255.0.0.0") ? "DIRECT" : "PROXY other.example:3128";
}"#
            .into(),
            asks: asks(&["www.example.com", "intranet.corp.example", "example.org"]),
        },
    ]
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pac_differential")
}

/// Whether the second evaluator can run; a notice (or, under CI, a
/// failure) saying how to install it when it cannot.
fn evaluator_ready() -> bool {
    const INSTALL: &str =
        "bash .ci/install-pac.sh (node and npm, then npm ci --prefix tests/pac_differential)";
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let installed = dir()
        .join("node_modules/pac-resolver/package.json")
        .exists();
    if node && installed {
        return true;
    }
    let missing = if node { "pac-resolver" } else { "node" };
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{missing} is missing; install it with: {INSTALL}");
    }
    eprintln!("skipped: {missing} is missing; install it with: {INSTALL}");
    false
}

/// The JSON request `eval.mjs` reads.
fn request(case: &Case) -> String {
    let dns: serde_json::Map<String, serde_json::Value> = DNS
        .iter()
        .map(|(h, ips)| ((*h).to_owned(), serde_json::json!(ips)))
        .collect();
    serde_json::json!({
        "script": case.source,
        "now": NOW_MS,
        "myIp": MY_IP,
        "dns": dns,
        "cases": case.asks,
    })
    .to_string()
}

/// What `pac-resolver` answers, one entry per ask: the string or `error: ...`.
fn theirs(case: &Case) -> Vec<String> {
    let mut child = Command::new("node")
        .arg(dir().join("eval.mjs"))
        .current_dir(dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request(case).as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}: node failed: {}",
        case.name,
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<serde_json::Value> =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    answers
        .iter()
        .map(|a| match (a.get("ok"), a.get("err")) {
            (Some(ok), _) => ok.as_str().unwrap_or_default().to_owned(),
            (_, Some(err)) => format!("error: {}", err.as_str().unwrap_or_default()),
            _ => panic!("{}: a bad answer {a}", case.name),
        })
        .collect()
}

/// What proxyroute answers, the same way.
fn ours(case: &Case) -> Vec<String> {
    let clock = UNIX_EPOCH + Duration::from_millis(NOW_MS);
    let script = PacScript::builder(&case.source)
        .resolver(Table)
        .clock(clock)
        .limits(PacLimits::default().with_deadline(Duration::from_secs(2)))
        .build();
    let script = match script {
        Ok(s) => s,
        Err(e) => return vec![format!("error: {e}"); case.asks.len()],
    };
    case.asks
        .iter()
        .map(|(url, host)| match script.call(url, host) {
            Ok(s) => s,
            Err(e) => format!("error: {e}"),
        })
        .collect()
}

#[test]
fn scripts_agree_with_pac_resolver_but_for_its_named_bugs() {
    if !evaluator_ready() {
        return;
    }
    let mut failures = Vec::new();
    let mut seen = Vec::new();
    for case in cases() {
        let (ours, theirs) = (ours(&case), theirs(&case));
        for (((_, host), ours), theirs) in case.asks.iter().zip(&ours).zip(&theirs) {
            let listed = DIFFERENCES
                .iter()
                .find(|(name, h, _)| *name == case.name && (h == host || *h == "*"));
            if ours.starts_with("error: ") {
                failures.push(format!("{}: {host}: proxyroute failed: {ours}", case.name));
                continue;
            }
            match listed {
                None if ours != theirs => failures.push(format!(
                    "{}: {host}: proxyroute {ours:?}, pac-resolver {theirs:?}",
                    case.name
                )),
                Some((_, _, why)) if ours == theirs => failures.push(format!(
                    "{}: {host}: listed as a difference ({why}) but both say {ours:?}",
                    case.name
                )),
                Some((_, h, why)) => {
                    seen.push((case.name, (*h).to_owned()));
                    eprintln!(
                        "{}: {host}: proxyroute {ours:?}, pac-resolver {theirs:?}: {why}",
                        case.name
                    );
                }
                None => {}
            }
        }
    }
    for (name, host, _) in DIFFERENCES {
        if !seen.iter().any(|(n, h)| n == name && h == host) && failures.is_empty() {
            failures.push(format!(
                "{name}: {host}: a listed difference that was never asked"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The answers proxyroute gives for the named differences are the browsers'
/// (checked here without the second evaluator, so they hold everywhere).
#[test]
fn the_named_differences_are_answered_as_browsers_do() {
    let want: &[(&str, &str, &str)] = &[
        ("time and date helpers", "date-month", "PROXY yes.example:1"),
        ("time and date helpers", "date-span", "PROXY yes.example:1"),
        (
            "time and date helpers",
            "script-date",
            "PROXY yes.example:1",
        ),
        ("time and date helpers", "weekday", "DIRECT"),
        (
            "time and date helpers",
            "saturday-gmt",
            "PROXY yes.example:1",
        ),
        ("plain names and the Ex helpers", "::1", "PROXY p.example:1"),
        ("plain names and the Ex helpers", "ex", "PROXY ex.example:1"),
        (
            "a top level that asks for names",
            "www.example.com",
            "PROXY 10.9.9.9:3128",
        ),
        (
            "undeclared variables",
            "example.com",
            "PROXY proxy.corp.example:3128",
        ),
        (
            "legacy octal literals and escapes",
            "corp.example",
            "DIRECT",
        ),
        (
            "legacy octal literals and escapes",
            "example.com",
            "PROXY day.example:8",
        ),
        (
            "regular-expression characters in shExpMatch",
            "example.com",
            "PROXY group.example:1",
        ),
        (
            "regular-expression characters in shExpMatch",
            "badexample.com",
            "DIRECT",
        ),
    ];
    let cases = cases();
    for (name, host, answer) in want {
        let case = cases.iter().find(|c| c.name == *name).unwrap();
        let i = case.asks.iter().position(|(_, h)| h == host).unwrap();
        assert_eq!(ours(case)[i], *answer, "{name}: {host}");
    }
}
