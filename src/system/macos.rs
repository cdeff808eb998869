//! macOS's proxy settings: the SystemConfiguration proxies dictionary, read
//! from the text `scutil --proxy` prints (nested `key : value` lines, arrays
//! as `index : value`), so that settings from a bug report can be replayed
//! anywhere.
//!
//! A protocol is on when `<P>Enable` is not 0 and `<P>Proxy` is not empty;
//! a missing port is the proxy scheme's default. `HTTPSProxy` is an HTTP
//! proxy for https URLs (CONNECT), `SOCKSProxy` a SOCKS5 proxy for every
//! scheme without its own. Auto-discovery (`ProxyAutoDiscoveryEnable`) comes
//! first, then a PAC script (`ProxyAutoConfigEnable` with
//! `ProxyAutoConfigURLString`, or inline `ProxyAutoConfigJavaScript`), then
//! the manual proxies. `ExceptionsList` and `ExcludeSimpleHostnames` are read
//! in [macOS's syntax](crate::bypass::macos). Only the top level counts:
//! `__SCOPED__` holds per-interface copies.

use crate::bypass::macos as exceptions;
use crate::error::{Origin, Violation, ViolationKind};
use crate::proxy::ProxyScheme;

use super::{proxy_value, Slot, Store, SystemMode, SystemProxies};

#[derive(Debug, Default)]
struct Dict {
    scalars: Vec<(String, String)>,
    arrays: Vec<(String, Vec<String>)>,
}

fn read_dict(text: &str, name: &str, bad: &mut Vec<Violation>) -> Dict {
    let mut dict = Dict::default();
    let mut depth = 0usize;
    let mut array: Option<(String, Vec<String>)> = None;
    let mut broken_array = false;
    let note = |bad: &mut Vec<Violation>, n: usize, line: &str, why: &'static str| {
        bad.push(Violation::new(
            Origin::setting(format!("{name} line {}", n + 1)),
            None,
            line,
            ViolationKind::Ignored(why),
        ));
    };
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if line == "}" {
            if depth == 2 {
                if let Some((key, items)) = array.take() {
                    if !broken_array {
                        dict.arrays.push((key, items));
                    }
                }
            }
            depth = depth.saturating_sub(1);
            continue;
        }
        if line.ends_with('{') {
            if depth == 1 {
                let key = line.split(" : ").next().unwrap_or("").trim();
                if line.ends_with("<array> {") {
                    array = Some((key.to_owned(), Vec::new()));
                    broken_array = false;
                }
            }
            depth += 1;
            continue;
        }
        let Some((key, value)) = line.split_once(" : ") else {
            note(bad, n, line, "not a `key : value` line");
            continue;
        };
        match (depth, &mut array) {
            (1, _) => dict
                .scalars
                .push((key.trim().to_owned(), value.trim().to_owned())),
            (2, Some((_, items))) => {
                if key.trim().parse::<usize>().ok() == Some(items.len()) {
                    items.push(value.trim().to_owned());
                } else if !broken_array {
                    broken_array = true;
                    note(
                        bad,
                        n,
                        line,
                        "array indices must count from 0 in order; the array is skipped",
                    );
                }
            }
            _ => {}
        }
    }
    dict
}

/// Reads `scutil --proxy` output; `name` is how sources name it.
pub fn parse(text: &str, name: &str) -> SystemProxies {
    let mut bad = Vec::new();
    let dict = read_dict(text, name, &mut bad);
    let get = |key: &str| {
        dict.scalars
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let on = |key: &str| get(key).is_some_and(|v| v.parse::<i64>().is_ok_and(|n| n != 0));
    let (mode, key) = if on("ProxyAutoDiscoveryEnable") {
        (SystemMode::AutoDetect, "ProxyAutoDiscoveryEnable")
    } else if on("ProxyAutoConfigEnable") {
        let pac = match (
            get("ProxyAutoConfigURLString"),
            get("ProxyAutoConfigJavaScript"),
        ) {
            (Some(url), _) if !url.is_empty() => url.to_owned(),
            (_, Some(_)) => "(inline ProxyAutoConfigJavaScript)".to_owned(),
            _ => String::new(),
        };
        (SystemMode::AutoConfig(pac), "ProxyAutoConfigURLString")
    } else {
        (SystemMode::Manual, "")
    };
    let mut out = SystemProxies::new(Store::Macos, format!("macos:{name} {key}"));
    for v in bad {
        out.violation(v);
    }
    let mut any = false;
    for (p, slot, scheme) in [
        ("HTTP", Slot::Http, ProxyScheme::Http),
        ("HTTPS", Slot::Https, ProxyScheme::Http),
        ("FTP", Slot::Ftp, ProxyScheme::Http),
        ("SOCKS", Slot::Socks, ProxyScheme::Socks5),
    ] {
        let host = get(&format!("{p}Proxy")).unwrap_or("");
        if !on(&format!("{p}Enable")) || host.is_empty() {
            continue;
        }
        let port = get(&format!("{p}Port")).unwrap_or("");
        let host_text = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        let text = if port.is_empty() {
            format!("{scheme}://{host_text}")
        } else {
            format!("{scheme}://{host_text}:{port}")
        };
        let source = format!("macos:{name} {p}Proxy");
        match proxy_value(&text, &format!("{name} {p}Proxy")) {
            Ok(proxy) => {
                out.set_proxy(slot, proxy, source);
                any = true;
            }
            Err(e) => out.violation(Violation::from_error(e)),
        }
    }
    out.set_mode(match mode {
        SystemMode::Manual if !any => SystemMode::Direct,
        other => other,
    });
    let entries: Vec<&str> = dict
        .arrays
        .iter()
        .rev()
        .find(|(k, _)| k == "ExceptionsList")
        .map(|(_, items)| items.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let list = exceptions::parse_exceptions(
        &entries,
        on("ExcludeSimpleHostnames"),
        Origin::setting(format!("{name} ExceptionsList")),
    );
    out.set_bypass(list, format!("macos:{name} ExceptionsList"));
    out
}

/// Runs `command` (an `scutil` invocation the caller prepared) with
/// `--proxy` and reads its output: the same dictionary
/// `SCDynamicStoreCopyProxies` returns, as text.
///
/// # Errors
///
/// `scutil` could not be run or failed; the message names it.
#[cfg(feature = "system-macos")]
pub fn read_command(mut command: std::process::Command) -> Result<SystemProxies, crate::Error> {
    let fail = |why: String| {
        crate::Error::new(
            crate::ErrorKind::SystemStore(why),
            Origin::setting("macos: scutil --proxy"),
            "",
        )
    };
    let out = command
        .arg("--proxy")
        .output()
        .map_err(|e| fail(format!("cannot run scutil: {e}")))?;
    if !out.status.success() {
        return Err(fail(format!(
            "scutil failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(parse(
        &String::from_utf8_lossy(&out.stdout),
        "scutil --proxy",
    ))
}

/// Reads the live macOS settings with `/usr/sbin/scutil --proxy`.
///
/// # Errors
///
/// As [`read_command`].
#[cfg(feature = "system-macos")]
pub fn read() -> Result<SystemProxies, crate::Error> {
    read_command(std::process::Command::new("/usr/sbin/scutil"))
}
