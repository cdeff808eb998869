//! GNOME's proxy settings: the `org.gnome.system.proxy` schema and its
//! `http`, `https`, `ftp` and `socks` children, read from the text
//! `gsettings list-recursively org.gnome.system.proxy` prints (one
//! `schema key value` line each, values in GVariant text).
//!
//! The reader follows glib-networking's GNOME resolver (`GProxyResolverGnome`
//! in `proxy/gnome/gproxyresolvergnome.c`, the resolver every GLib program
//! uses under GNOME), checked against it by `tests/system_differential.rs`:
//!
//! - `mode` is `none`, `manual` or `auto`; `auto` with an empty
//!   `autoconfig-url` means WPAD, a URL starting with `/` is a file.
//! - A protocol is set when its `host` is not empty (http's `port` defaults
//!   to 8080). A port of 0 with a host is reported and read as unset, as
//!   Chromium and libproxy read it (glib would connect to port 0).
//! - http URLs use the http proxy; https URLs the https proxy, else the http
//!   proxy *whatever `use-same-proxy` says*; ftp URLs the ftp proxy.
//! - Every other scheme (ws, wss, gopher, and ftp without its own proxy)
//!   uses the default proxy: the SOCKS proxy (SOCKS5) when one is set, else
//!   the http proxy when `use-same-proxy` is true (the default), else none.
//!   glib sets the use-same-proxy default first and the SOCKS default after
//!   it, so SOCKS wins.
//! - Credentials (`use-authentication`, `authentication-user`,
//!   `authentication-password`) belong to the http proxy.
//! - `ignore-hosts` is read in [GNOME's syntax](crate::bypass::gnome).

use crate::bypass::gnome as ignore;
use crate::error::{Origin, Violation, ViolationKind};
use crate::proxy::{Credentials, ProxyScheme};

use super::{proxy_value, Slot, Store, SystemMode, SystemProxies};

/// The schema the settings live in.
pub const SCHEMA: &str = "org.gnome.system.proxy";

/// A GVariant value as `gsettings` prints it.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
    Strs(Vec<String>),
}

/// Reads a GVariant text value: a quoted string (single or double quotes,
/// backslash escapes), an integer, `true`/`false`, or an array of strings
/// (`@as []` when empty). `None` when it is none of these.
fn value(text: &str) -> Option<Value> {
    let text = text.trim();
    match text {
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        "@as []" | "[]" => return Some(Value::Strs(Vec::new())),
        _ => {}
    }
    if let Ok(n) = text.strip_prefix("int32 ").unwrap_or(text).parse::<i64>() {
        return Some(Value::Int(n));
    }
    if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        let mut items = Vec::new();
        let mut rest = inner.trim_start();
        while !rest.is_empty() {
            let (item, after) = string(rest)?;
            items.push(item);
            rest = after.trim_start();
            rest = match rest.strip_prefix(',') {
                Some(r) => r.trim_start(),
                None if rest.is_empty() => rest,
                None => return None,
            };
        }
        return Some(Value::Strs(items));
    }
    match string(text)? {
        (s, "") => Some(Value::Str(s)),
        _ => None,
    }
}

/// One quoted string at the start of `text`, and what follows it.
fn string(text: &str) -> Option<(String, &str)> {
    let quote = text.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let mut out = String::new();
    let mut chars = text[1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                let (_, e) = chars.next()?;
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'u' | 'U' => {
                        let len = if e == 'u' { 4 } else { 8 };
                        let mut hex = String::new();
                        for _ in 0..len {
                            hex.push(chars.next()?.1);
                        }
                        out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                    }
                    other => out.push(other),
                }
            }
            c if c == quote => return Some((out, &text[1 + i + 1..])),
            c => out.push(c),
        }
    }
    None
}

/// The settings `gsettings list-recursively org.gnome.system.proxy` printed.
/// Lines of other schemas are ignored; a value that does not read is a
/// violation and the key keeps its default.
pub fn parse(text: &str) -> SystemProxies {
    let mut keys: Vec<(String, String, Value)> = Vec::new();
    let mut bad = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let mut parts = line.splitn(3, ' ');
        let (Some(schema), Some(key), Some(raw)) = (parts.next(), parts.next(), parts.next())
        else {
            bad.push(Violation::new(
                Origin::setting(format!("gsettings line {}", n + 1)),
                None,
                line,
                ViolationKind::Ignored("not a `schema key value` line"),
            ));
            continue;
        };
        if schema != SCHEMA && !schema.starts_with("org.gnome.system.proxy.") {
            continue;
        }
        match value(raw) {
            Some(v) => keys.push((schema.to_owned(), key.to_owned(), v)),
            None => bad.push(Violation::new(
                Origin::setting(format!("{schema} {key}")),
                None,
                if key == "authentication-password" {
                    "***"
                } else {
                    raw
                },
                ViolationKind::Ignored("not a GVariant string, integer, boolean or string array"),
            )),
        }
    }
    let get = |schema: &str, key: &str| {
        keys.iter()
            .rev()
            .find(|(s, k, _)| s == schema && k == key)
            .map(|(_, _, v)| v)
    };
    let string_of = |schema: &str, key: &str| match get(schema, key) {
        Some(Value::Str(s)) => s.clone(),
        _ => String::new(),
    };
    let mut out = SystemProxies::new(Store::Gnome, format!("gnome:{SCHEMA} mode"));
    for v in bad {
        out.violation(v);
    }
    let mode = string_of(SCHEMA, "mode");
    match mode.as_str() {
        "manual" => out.set_mode(SystemMode::Manual),
        "auto" => {
            let url = string_of(SCHEMA, "autoconfig-url");
            out.mode_source = format!("gnome:{SCHEMA} autoconfig-url");
            out.set_mode(match url.as_str() {
                "" => SystemMode::AutoDetect,
                path if path.starts_with('/') => SystemMode::AutoConfig(format!("file://{path}")),
                _ => SystemMode::AutoConfig(url),
            });
        }
        "none" | "" => out.set_mode(SystemMode::Direct),
        other => {
            out.violation(Violation::new(
                Origin::setting(format!("{SCHEMA} mode")),
                None,
                other,
                ViolationKind::Ignored("mode is none, manual or auto; read as none"),
            ));
        }
    }
    let same = !matches!(get(SCHEMA, "use-same-proxy"), Some(Value::Bool(false)));
    let mut http = None;
    for (name, slot, scheme, default_port) in [
        ("http", Slot::Http, ProxyScheme::Http, 8080),
        ("https", Slot::Https, ProxyScheme::Http, 0),
        ("ftp", Slot::Ftp, ProxyScheme::Http, 0),
        ("socks", Slot::Socks, ProxyScheme::Socks5, 0),
    ] {
        let schema = format!("{SCHEMA}.{name}");
        let host = string_of(&schema, "host");
        let port = match get(&schema, "port") {
            Some(Value::Int(p)) => *p,
            _ => default_port,
        };
        if host.is_empty() {
            continue;
        }
        if port == 0 {
            out.violation(Violation::new(
                Origin::setting(format!("{schema} port")),
                None,
                "0",
                ViolationKind::Ignored(
                    "a host with port 0: read as unset, as Chromium and libproxy read it \
                     (glib-networking would connect to port 0)",
                ),
            ));
            continue;
        }
        let source = format!("gnome:{schema}");
        let text = if host.contains(':') && !host.starts_with('[') {
            format!("{scheme}://[{host}]:{port}")
        } else {
            format!("{scheme}://{host}:{port}")
        };
        if u16::try_from(port).is_err() {
            out.violation(Violation::new(
                Origin::setting(format!("{schema} port")),
                None,
                &port.to_string(),
                ViolationKind::Invalid(crate::ErrorKind::InvalidPort),
            ));
            continue;
        }
        let mut proxy = match proxy_value(&text, &format!("{schema} host")) {
            Ok(p) => p,
            Err(e) => {
                out.violation(Violation::from_error(e));
                continue;
            }
        };
        if slot == Slot::Http
            && matches!(get(&schema, "use-authentication"), Some(Value::Bool(true)))
        {
            let user = string_of(&schema, "authentication-user");
            let password = string_of(&schema, "authentication-password");
            if !user.is_empty() {
                let password = (!password.is_empty()).then_some(password.as_str());
                proxy = proxy.with_credentials(Credentials::new(user, password));
            }
        }
        if slot == Slot::Http {
            http = Some((proxy.clone(), source.clone()));
        }
        out.set_proxy(slot, proxy, source);
    }
    // glib-networking: https without a host of its own borrows http's,
    // whatever use-same-proxy says.
    if let Some((proxy, source)) = &http {
        if out.proxies[Slot::Https as usize].is_none() {
            out.set_proxy(
                Slot::Https,
                proxy.clone(),
                format!("{source} (https has no host of its own)"),
            );
        }
    }
    // The default for every other scheme: SOCKS when set, else http's
    // under use-same-proxy (glib sets that first, then SOCKS over it).
    if out.proxies[Slot::Socks as usize].is_none() && same {
        if let Some((proxy, source)) = http {
            out.set_proxy(Slot::Socks, proxy, format!("{source} (use-same-proxy)"));
        }
    }
    let hosts = match get(SCHEMA, "ignore-hosts") {
        Some(Value::Strs(items)) => items.clone(),
        // The schema's default.
        _ => vec!["localhost".into(), "127.0.0.0/8".into(), "::1".into()],
    };
    let refs: Vec<&str> = hosts.iter().map(String::as_str).collect();
    let list = ignore::parse_ignore_hosts(&refs, Origin::setting(format!("{SCHEMA} ignore-hosts")));
    out.set_bypass(list, format!("gnome:{SCHEMA} ignore-hosts"));
    out
}

/// Runs `command` (a `gsettings` invocation the caller prepared, with its
/// environment) with `list-recursively org.gnome.system.proxy` and reads
/// its output.
///
/// # Errors
///
/// `gsettings` could not be run or failed; the message names it and quotes
/// its error output.
#[cfg(feature = "system-gnome")]
pub fn read_command(mut command: std::process::Command) -> Result<SystemProxies, crate::Error> {
    let fail = |why: String| {
        crate::Error::new(
            crate::ErrorKind::SystemStore(why),
            Origin::setting("gnome: gsettings list-recursively org.gnome.system.proxy"),
            "",
        )
    };
    let out = command
        .args(["list-recursively", SCHEMA])
        .output()
        .map_err(|e| fail(format!("cannot run gsettings: {e}")))?;
    if !out.status.success() {
        return Err(fail(format!(
            "gsettings failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(parse(&String::from_utf8_lossy(&out.stdout)))
}

/// Reads the live GNOME settings with `gsettings`.
///
/// # Errors
///
/// As [`read_command`].
#[cfg(feature = "system-gnome")]
pub fn read() -> Result<SystemProxies, crate::Error> {
    read_command(std::process::Command::new("gsettings"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gvariant_values() {
        let rows = [
            ("'manual'", Some(Value::Str("manual".into()))),
            ("\"it's\"", Some(Value::Str("it's".into()))),
            (r"'a\'b\\c\u00e9'", Some(Value::Str("a'b\\c\u{e9}".into()))),
            ("''", Some(Value::Str(String::new()))),
            ("8080", Some(Value::Int(8080))),
            ("int32 0", Some(Value::Int(0))),
            ("true", Some(Value::Bool(true))),
            ("@as []", Some(Value::Strs(vec![]))),
            (
                "['localhost', '::1']",
                Some(Value::Strs(vec!["localhost".into(), "::1".into()])),
            ),
            ("['a' 'b']", None),
            ("'open", None),
            ("'a' x", None),
            ("manual", None),
        ];
        for (text, want) in rows {
            assert_eq!(value(text), want, "{text}");
        }
    }
}
