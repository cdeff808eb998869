//! Running the real programs on a batch of cases.
//!
//! - curl and Python run inside a network namespace that holds only loopback
//!   (`unshare -n`), so nothing they are given can leave the machine. curl
//!   connects for real, to loopback listeners (`curl_probe.py`); urllib's
//!   connections are intercepted before any packet (`python_probe.py`).
//! - Go and Node only compute a proxy URL (no I/O): `net/http`'s
//!   `ProxyFromEnvironment` (one process per case, since it reads the
//!   environment once per process) and npm `proxy-from-env`'s
//!   `getProxyForUrl` (one process for all cases).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::corpus::{self, Case};
use crate::outcome::{proxy_url, Outcome, Tool};

/// What a tool did with one case: the outcome, and the probe's raw answer.
#[derive(Debug, Clone)]
pub(crate) struct Observed {
    pub(crate) outcome: Outcome,
    pub(crate) raw: String,
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential")
}

fn scratch() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("differential");
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    dir
}

/// The command that installs what a tool needs (for the message when it is
/// missing).
pub(crate) fn install_hint(tool: Tool) -> &'static str {
    match tool {
        Tool::Curl => "apt-get install -y curl util-linux iproute2 python3 (or: bash .ci/install-differential.sh)",
        Tool::Python => "apt-get install -y python3 util-linux iproute2 (or: bash .ci/install-differential.sh)",
        Tool::Go => "apt-get install -y golang-go (or: bash .ci/install-differential.sh)",
        Tool::Node => "apt-get install -y nodejs npm && (cd tests/differential/node && npm ci) (or: bash .ci/install-differential.sh)",
    }
}

fn runs(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Why the tool cannot run here, if it cannot.
pub(crate) fn missing(tool: Tool) -> Option<String> {
    let namespace = || {
        runs(Command::new("unshare").args(["-n", "-m", "sh", "-c", "ip link set lo up"]))
            .then_some(())
            .ok_or("`unshare -n -m` with `ip link set lo up` (root, util-linux, iproute2)")
    };
    let check = match tool {
        Tool::Curl => Path::new("/usr/bin/curl")
            .exists()
            .then_some(())
            .ok_or("/usr/bin/curl")
            .and_then(|()| {
                Path::new("/usr/bin/python3")
                    .exists()
                    .then_some(())
                    .ok_or("/usr/bin/python3")
            })
            .and_then(|()| namespace()),
        Tool::Python => Path::new("/usr/bin/python3")
            .exists()
            .then_some(())
            .ok_or("/usr/bin/python3")
            .and_then(|()| namespace()),
        Tool::Go => runs(Command::new("go").arg("version"))
            .then_some(())
            .ok_or("go (golang-go)"),
        Tool::Node => runs(Command::new("node").arg("--version"))
            .then_some(())
            .ok_or("node")
            .and_then(|()| {
                dir()
                    .join("node/node_modules/proxy-from-env/package.json")
                    .exists()
                    .then_some(())
                    .ok_or("tests/differential/node/node_modules (npm ci)")
            }),
    };
    check.err().map(|what| format!("{tool}: {what} is missing"))
}

fn case_json(case: &Case) -> String {
    let env: serde_json::Map<String, Value> = case
        .vars
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    json!({"env": env, "url": case.url}).to_string()
}

/// Feeds one JSON line per case to a probe and reads one line back per case.
fn batch(mut cmd: Command, cases: &[Case]) -> Vec<Value> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let mut stdin = child.stdin.take().expect("stdin");
    let input: String = cases.iter().map(|c| case_json(c) + "\n").collect();
    let writer = std::thread::spawn(move || {
        // A probe that dies early closes its end; the reader reports it.
        let _ = stdin.write_all(input.as_bytes());
    });
    let mut out = Vec::with_capacity(cases.len());
    for line in BufReader::new(child.stdout.take().expect("stdout")).lines() {
        let line = line.expect("read the probe's answer");
        out.push(
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("probe answer {line:?}: {e}")),
        );
    }
    writer.join().expect("writer thread");
    let status = child.wait().expect("wait for the probe");
    assert!(
        status.success() && out.len() == cases.len(),
        "{cmd:?} exited with {status} after {} of {} cases",
        out.len(),
        cases.len()
    );
    out
}

pub(crate) fn run(tool: Tool, cases: &[Case]) -> Vec<Observed> {
    match tool {
        Tool::Curl => curl(cases),
        Tool::Python => python(cases),
        Tool::Go => go(cases),
        Tool::Node => node(cases),
    }
}

// ===== curl =====

fn curl(cases: &[Case]) -> Vec<Observed> {
    let scratch = scratch();
    let hosts = scratch.join("hosts");
    std::fs::write(&hosts, corpus::hosts_file()).expect("write the hosts file");
    let resolv = scratch.join("resolv.conf");
    std::fs::write(
        &resolv,
        "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    )
    .expect("write resolv.conf");
    let mut ports: Vec<u16> = corpus::PROXY_PORTS
        .iter()
        .chain(&corpus::DEFAULT_PROXY_PORTS)
        .copied()
        .collect();
    ports.sort_unstable();
    ports.dedup();
    let script = format!(
        "ip link set lo up && mount --bind '{}' /etc/hosts && mount --bind '{}' /etc/resolv.conf && exec /usr/bin/python3 '{}' {}",
        hosts.display(),
        resolv.display(),
        dir().join("curl_probe.py").display(),
        ports.iter().map(u16::to_string).collect::<Vec<_>>().join(" ")
    );
    let mut cmd = Command::new("unshare");
    cmd.args(["-n", "-m", "sh", "-c", &script]);
    batch(cmd, cases)
        .into_iter()
        .zip(cases)
        .map(|(v, case)| Observed {
            outcome: curl_outcome(&v, case),
            raw: v.to_string(),
        })
        .collect()
}

/// The URL's scheme as written, lower case.
fn url_scheme(case: &Case) -> String {
    case.url
        .split_once("://")
        .map_or("", |(s, _)| s)
        .to_ascii_lowercase()
}

fn curl_outcome(v: &Value, case: &Case) -> Outcome {
    let conns = v["conns"].as_array().cloned().unwrap_or_default();
    if let Some(first) = conns.first() {
        let ip = first["ip"].as_str().unwrap_or("");
        let port = first["port"].as_u64().unwrap_or(0) as u16;
        if ip == "127.0.0.1" && port == 9 {
            return Outcome::Direct;
        }
        let data = first["data"].as_str().unwrap_or("");
        let scheme = match data.get(..2) {
            None => None,
            Some("16") => Some("https"),
            Some("04") => Some("socks4"),
            Some("05") => Some("socks5"),
            Some(_) => Some("http"),
        };
        return Outcome::Proxy {
            scheme: scheme.map(str::to_owned),
            host: corpus::proxy_host_for_address(ip).unwrap_or_else(|| ip.to_owned()),
            port,
        };
    }
    let stderr = v["stderr"].as_str().unwrap_or("").to_owned();
    match v["exit"].as_i64() {
        Some(1) if stderr.contains(&format!("Protocol \"{}\" not supported", url_scheme(case))) => {
            Outcome::Unsupported(stderr)
        }
        _ => Outcome::Error(stderr),
    }
}

// ===== Python =====

fn python(cases: &[Case]) -> Vec<Observed> {
    let script = format!(
        "ip link set lo up && exec /usr/bin/python3 '{}'",
        dir().join("python_probe.py").display()
    );
    let mut cmd = Command::new("unshare");
    cmd.args(["-n", "sh", "-c", &script]);
    batch(cmd, cases)
        .into_iter()
        .zip(cases)
        .map(|(v, case)| Observed {
            outcome: python_outcome(&v, case),
            raw: v.to_string(),
        })
        .collect()
}

fn python_outcome(v: &Value, case: &Case) -> Outcome {
    if let Some(e) = v["error"].as_str() {
        // "unknown url type: socks5h" is about a proxy value, not the URL.
        return if e.ends_with(&format!("unknown url type: {}", url_scheme(case))) {
            Outcome::Unsupported(e.to_owned())
        } else {
            Outcome::Error(e.to_owned())
        };
    }
    let c = &v["connect"];
    let conn = c["conn"].as_str().unwrap_or("?");
    // ftplib connects to the address of the name urllib looked up.
    let host = match (conn, v["lookup"].as_str()) {
        ("ftp", Some(name)) => name,
        _ => c["host"].as_str().unwrap_or(""),
    };
    let port = c["port"].as_u64().unwrap_or(0) as u16;
    if case.variable_of_host(host).is_none() {
        return Outcome::Direct;
    }
    let scheme = match (conn, c["tunnel"].is_null()) {
        // TLS to the proxy itself: an https:// proxy, in effect.
        ("https", true) => "https",
        ("ftp", _) => "ftp",
        _ => "http",
    };
    Outcome::Proxy {
        scheme: Some(scheme.to_owned()),
        host: host.trim_matches(['[', ']']).to_ascii_lowercase(),
        port,
    }
}

// ===== Go =====

fn go_probe() -> PathBuf {
    let scratch = scratch().join("go");
    let binary = scratch.join("probe");
    let status = Command::new("go")
        .args(["build", "-o"])
        .arg(&binary)
        .arg(".")
        .current_dir(dir().join("go"))
        .env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOCACHE", scratch.join("cache"))
        .env("GOPATH", scratch.join("gopath"))
        .status()
        .expect("run go build");
    assert!(status.success(), "go build of tests/differential/go failed");
    binary
}

fn go(cases: &[Case]) -> Vec<Observed> {
    let binary = go_probe();
    let workers = 2;
    let chunk = cases.len().div_ceil(workers).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .chunks(chunk)
            .map(|part| {
                let binary = &binary;
                s.spawn(move || {
                    part.iter()
                        .map(|case| go_case(binary, case))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("go worker"))
            .collect()
    })
}

fn go_case(binary: &Path, case: &Case) -> Observed {
    let out = Command::new(binary)
        .arg(&case.url)
        .env_clear()
        .envs(case.vars.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("run the go probe");
    assert!(
        out.status.success(),
        "go probe failed on case {}",
        case.index
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("go probe answer");
    Observed {
        outcome: url_answer(&v),
        raw: v.to_string(),
    }
}

/// `{"proxy": URL}` (empty: DIRECT) or `{"error": ...}`.
fn url_answer(v: &Value) -> Outcome {
    if let Some(e) = v["error"].as_str() {
        return Outcome::Error(e.to_owned());
    }
    match v["proxy"].as_str() {
        Some("") | None => Outcome::Direct,
        Some(url) => proxy_url(url),
    }
}

// ===== Node =====

fn node(cases: &[Case]) -> Vec<Observed> {
    let mut cmd = Command::new("node");
    cmd.arg("probe.cjs").current_dir(dir().join("node"));
    batch(cmd, cases)
        .into_iter()
        .map(|v| Observed {
            outcome: url_answer(&v),
            raw: v.to_string(),
        })
        .collect()
}
