//! KDE's proxy settings: group `[Proxy Settings]` of `kioslaverc`, over the
//! XDG configuration cascade (`$XDG_CONFIG_DIRS/kioslaverc` first, then
//! `$XDG_CONFIG_HOME/kioslaverc`, later files overriding earlier ones).
//!
//! `ProxyType`: 0 none, 1 manual, 2 a PAC script (`Proxy Config Script`, a
//! URL or an absolute path), 3 WPAD, 4 the proxies named by environment
//! variables (`httpProxy=HTTP_PROXY`, `NoProxyFor=NO_PROXY`). Manual values
//! are `scheme://host port` (KDE writes a *space* before the port) or the
//! older `host:port`; the scheme names the field, not the proxy's protocol:
//! http, https and ftp entries are HTTP proxies, the socks entry SOCKS5
//! (SOCKS4 when written `socks4://`) and serves every scheme without its own.
//! `NoProxyFor` is read in [KDE's syntax](crate::bypass::kde), reversed by
//! `ReversedException=true`.

use crate::bypass::kde as no_proxy_for;
use crate::error::{Origin, Violation, ViolationKind};

use super::{proxy_value, Slot, Store, SystemMode, SystemProxies};

/// The group the settings live in.
pub const GROUP: &str = "Proxy Settings";

/// The `[Proxy Settings]` keys of one KConfig file, in order, with their
/// values unescaped; `[$i]`-style flags and localised `key[xx]` forms are
/// dropped.
fn group_keys(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut in_group = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[') {
            let name = name.split(']').next().unwrap_or(name);
            in_group = name == GROUP;
            continue;
        }
        if !in_group {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        // `key[$i]` keeps the key; `key[de]` is a translation, skipped.
        let key = match key.split_once('[') {
            Some((k, flags)) if flags.starts_with('$') => k.trim(),
            Some(_) => continue,
            None => key,
        };
        out.push((key.to_owned(), unescape(value.trim())));
    }
    out
}

fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('s') => out.push(' '),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// A manual proxy value as KDE writes it, as `scheme://host:port` text for
/// `scheme`; `None` for an empty value. `Err` says why KDE reads it as none.
fn manual_value(value: &str, default: &str) -> Result<Option<String>, &'static str> {
    let value = value.trim();
    if value.is_empty() || value.starts_with("//:") {
        return Ok(None);
    }
    let (rest, port) = match value.rsplit_once(' ') {
        Some((rest, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !port.is_empty() => {
            (rest.trim_end(), Some(port))
        }
        Some(_) => return Err("the text after the last space must be the port number"),
        None => (value, None),
    };
    let (scheme, host) = match rest.split_once("://") {
        Some((scheme, host)) => (scheme.to_ascii_lowercase(), host),
        None => (String::new(), rest),
    };
    let proxy_scheme = match (default, scheme.as_str()) {
        ("socks", "socks4") => "socks4",
        ("socks", "socks4a") => "socks4a",
        ("socks", _) => "socks5",
        _ => "http",
    };
    let host = host.trim_end_matches('/');
    Ok(Some(match port {
        Some(port) => format!("{proxy_scheme}://{host}:{port}"),
        None => format!("{proxy_scheme}://{host}"),
    }))
}

/// Reads `[Proxy Settings]` from the files of the cascade, lowest priority
/// first, each as `(name, text)`; `lookup` reads the variables that
/// `ProxyType=4` names.
pub fn parse<F>(files: &[(&str, &str)], lookup: F) -> SystemProxies
where
    F: Fn(&str) -> Option<String>,
{
    let mut keys: Vec<(String, String, String)> = Vec::new();
    for (name, text) in files {
        for (k, v) in group_keys(text) {
            keys.retain(|(_, key, _)| *key != k);
            keys.push(((*name).to_owned(), k, v));
        }
    }
    let get = |key: &str| {
        keys.iter()
            .find(|(_, k, _)| k == key)
            .map(|(file, _, v)| (file.as_str(), v.as_str()))
    };
    let mode_source = match get("ProxyType") {
        Some((file, _)) => format!("kde:{file} ProxyType"),
        None => "kde:kioslaverc ProxyType".to_owned(),
    };
    let mut out = SystemProxies::new(Store::Kde, mode_source);
    let kind = get("ProxyType").map_or("0", |(_, v)| v.trim());
    match kind {
        "0" => out.set_mode(SystemMode::Direct),
        "1" | "4" => out.set_mode(SystemMode::Manual),
        "2" => {
            let script = get("Proxy Config Script").map_or("", |(_, v)| v.trim());
            if let Some((file, _)) = get("Proxy Config Script") {
                out.mode_source = format!("kde:{file} Proxy Config Script");
            }
            match script {
                "" => {
                    out.violation(Violation::new(
                        Origin::setting(out.mode_source.clone()),
                        None,
                        "2",
                        ViolationKind::Ignored(
                            "ProxyType 2 (a PAC script) without a Proxy Config Script: no proxy",
                        ),
                    ));
                    out.set_mode(SystemMode::Direct);
                }
                path if path.starts_with('/') => {
                    out.set_mode(SystemMode::AutoConfig(format!("file://{path}")));
                }
                url => out.set_mode(SystemMode::AutoConfig(url.to_owned())),
            }
        }
        "3" => out.set_mode(SystemMode::AutoDetect),
        other => {
            out.violation(Violation::new(
                Origin::setting(out.mode_source.clone()),
                None,
                other,
                ViolationKind::Ignored("ProxyType is 0 to 4; KDE reads anything else as none"),
            ));
            out.set_mode(SystemMode::Direct);
        }
    }
    let from_env = kind == "4";
    for (key, slot, field) in [
        ("httpProxy", Slot::Http, "http"),
        ("httpsProxy", Slot::Https, "https"),
        ("ftpProxy", Slot::Ftp, "ftp"),
        ("socksProxy", Slot::Socks, "socks"),
    ] {
        let Some((file, raw)) = get(key) else {
            continue;
        };
        let source = format!("kde:{file} {key}");
        let (value, source) = if from_env {
            let var = raw.trim();
            match lookup(var).filter(|v| !v.is_empty()) {
                Some(v) if var.is_empty() => (v, source),
                Some(v) => (v, format!("{source} = ${var}")),
                None => continue,
            }
        } else {
            (raw.to_owned(), source)
        };
        let text = if from_env {
            Ok(Some(value.clone()))
        } else {
            manual_value(&value, field)
        };
        match text {
            Ok(Some(text)) => match proxy_value(&text, &source) {
                Ok(p) => out.set_proxy(slot, p, source),
                Err(e) => out.violation(Violation::from_error(e)),
            },
            Ok(None) => {}
            Err(why) => out.violation(Violation::new(
                Origin::setting(source),
                None,
                &value,
                ViolationKind::Ignored(why),
            )),
        }
    }
    let reversed = get("ReversedException").is_some_and(|(_, v)| {
        let v = v.trim();
        v.eq_ignore_ascii_case("true") || v.parse::<i64>().is_ok_and(|n| n != 0)
    });
    if let Some((file, raw)) = get("NoProxyFor") {
        let source = format!("kde:{file} NoProxyFor");
        let text = if from_env {
            lookup(raw.trim()).unwrap_or_default()
        } else {
            raw.to_owned()
        };
        // KIO honours ReversedException in manual mode only.
        let reversed = reversed && kind == "1";
        let list = no_proxy_for::parse(&text, reversed, Origin::setting(source.clone()));
        out.set_bypass(list, source);
    }
    out
}

/// The files of the XDG cascade that hold `kioslaverc`, lowest priority
/// first: each directory of `XDG_CONFIG_DIRS` (default `/etc/xdg`) from the
/// last to the first, then `XDG_CONFIG_HOME` (default `~/.config`).
#[cfg(feature = "system-kde")]
pub fn cascade(lookup: &dyn Fn(&str) -> Option<String>) -> Vec<std::path::PathBuf> {
    use std::path::PathBuf;
    let dirs = lookup("XDG_CONFIG_DIRS")
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "/etc/xdg".to_owned());
    let mut out: Vec<PathBuf> = dirs
        .split(':')
        .filter(|d| !d.is_empty())
        .rev()
        .map(|d| PathBuf::from(d).join("kioslaverc"))
        .collect();
    let home = lookup("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| lookup("HOME").map(|h| PathBuf::from(h).join(".config")));
    if let Some(home) = home {
        out.push(home.join("kioslaverc"));
    }
    out
}

/// Reads the live KDE settings over the XDG cascade, with `lookup` for the
/// XDG variables and for the variables `ProxyType=4` names. Missing files
/// are skipped; an unreadable one is an error.
///
/// # Errors
///
/// A `kioslaverc` that exists but cannot be read, naming it.
#[cfg(feature = "system-kde")]
pub fn read(lookup: &dyn Fn(&str) -> Option<String>) -> Result<SystemProxies, crate::Error> {
    let mut files = Vec::new();
    for path in cascade(lookup) {
        match std::fs::read_to_string(&path) {
            Ok(text) => files.push((path.display().to_string(), text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(crate::Error::new(
                    crate::ErrorKind::SystemStore(e.to_string()),
                    Origin::setting(format!("kde:{}", path.display())),
                    "",
                ))
            }
        }
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    Ok(parse(&refs, lookup))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_values() {
        let rows = [
            (
                "http://proxy.example 8080",
                "http",
                Ok(Some("http://proxy.example:8080")),
            ),
            (
                "proxy.example:3128",
                "http",
                Ok(Some("http://proxy.example:3128")),
            ),
            (
                "http://proxy.example:3128",
                "https",
                Ok(Some("http://proxy.example:3128")),
            ),
            (
                "ftp://proxy.example 21",
                "ftp",
                Ok(Some("http://proxy.example:21")),
            ),
            (
                "socks://s.example 1080",
                "socks",
                Ok(Some("socks5://s.example:1080")),
            ),
            (
                "socks4://s.example 1080",
                "socks",
                Ok(Some("socks4://s.example:1080")),
            ),
            ("", "http", Ok(None)),
            ("//: 0", "http", Ok(None)),
            (
                "http://proxy.example abc",
                "http",
                Err("the text after the last space must be the port number"),
            ),
        ];
        for (text, field, want) in rows {
            let got = manual_value(text, field);
            assert_eq!(
                got.as_ref().map(|o| o.as_deref()),
                want.as_ref().map(|o| *o),
                "{text}"
            );
        }
    }

    #[test]
    fn keys_from_the_group_only() {
        let text = "ProxyType=9\n[Other]\nProxyType=8\n[Proxy Settings]\n# c\nProxyType[$i]=1\nhttpProxy[de]=x\nNoProxyFor=a\\sb\n";
        assert_eq!(
            group_keys(text),
            vec![
                ("ProxyType".into(), "1".into()),
                ("NoProxyFor".into(), "a b".into())
            ]
        );
    }
}
