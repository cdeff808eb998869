//! Windows' per-user WinINet proxy settings (`HKCU\Software\Microsoft\
//! Windows\CurrentVersion\Internet Settings`), read from a `reg export` file
//! (`.reg`, UTF-16 or UTF-8) or from `reg query` output, so that settings from
//! a bug report can be replayed anywhere.
//!
//! Values: `ProxyEnable` (DWORD), `ProxyServer` (the [`ProxyRules`] form),
//! `ProxyOverride` (the [Windows bypass syntax](crate::bypass::windows)),
//! `AutoConfigURL`, and the `Connections\DefaultConnectionSettings` blob,
//! which WinINet treats as authoritative: its flags (`0x02` manual, `0x04`
//! PAC URL, `0x08` auto-detect) and its copies of the proxy, bypass and PAC
//! strings win over the separate values when it parses.
//!
//! Auto-detect comes first, then the PAC URL, then the manual proxy; when a
//! script cannot be downloaded or parsed, WinINet falls through to the next
//! setting, down to the manual proxy (Chromium's design document "Proxy
//! settings and fallback", determined on Internet Explorer, which Chromium on
//! Windows follows; the blob's flags are WinINet's `INTERNET_PER_CONN_FLAGS`,
//! learn.microsoft.com `ns-wininet-internet_per_conn_optionw`). The reader
//! records both steps (the script URL after auto-detection,
//! [`SystemProxies::auto_detect_then`], and [`AutoFallback::ManualProxies`]);
//! a resolver that finds no script by detection tries the URL, and one that
//! cannot load a script uses the manual proxy and says so. A script that
//! loads but fails while it runs does not fall back.
//!
//! A pasted fragment of value lines without its `[HKEY_…\Internet
//! Settings]` key line is read as that key (the value names say where they
//! belong), with a note.
//!
//! [`AutoFallback::ManualProxies`]: super::AutoFallback::ManualProxies
//!
//! [`ProxyRules`]: crate::ProxyRules

use crate::bypass::windows as override_list;
use crate::error::{Error, ErrorKind, Origin, Violation, ViolationKind};
use crate::proxy_rules::ProxyRules;

use super::{AutoFallback, Slot, Store, SystemMode, SystemProxies};

/// A registry value, as the two text formats give it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RegValue {
    Str(String),
    Dword(u32),
    Binary(Vec<u8>),
}

/// Decodes a `.reg` file's bytes: UTF-16LE with a byte-order mark (what
/// `reg export` writes), or UTF-8.
///
/// # Errors
///
/// The bytes are neither, naming `origin`.
pub fn decode(bytes: &[u8], origin: &str) -> Result<String, Error> {
    let invalid = || {
        Error::new(
            ErrorKind::SystemStore("not UTF-16 (with a byte-order mark) or UTF-8 text".into()),
            Origin::setting(origin.to_owned()),
            "",
        )
    };
    if let Some(rest) = bytes.strip_prefix(&[0xff, 0xfe]) {
        if !rest.len().is_multiple_of(2) {
            return Err(invalid());
        }
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16(&units).map_err(|_| invalid());
    }
    let bytes = bytes.strip_prefix(&[0xef, 0xbb, 0xbf]).unwrap_or(bytes);
    String::from_utf8(bytes.to_vec()).map_err(|_| invalid())
}

/// The values of the `Internet Settings` key and of its `Connections`
/// subkey, by name, from `.reg` or `reg query` text.
fn values(text: &str, bad: &mut Vec<Violation>) -> Vec<(bool, String, RegValue)> {
    let mut out = Vec::new();
    let mut key = String::new();
    let mut keyless = false;
    let mut skipped = 0usize;
    let mut lines = text.lines().enumerate().peekable();
    while let Some((n, raw)) = lines.next() {
        let mut line = raw.trim_end_matches('\r').to_owned();
        // `.reg` continues hex data on the next line after a trailing `\`.
        while line.ends_with('\\') {
            line.pop();
            match lines.next() {
                Some((_, next)) => line.push_str(next.trim()),
                None => break,
            }
        }
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with(';') {
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            key = name.to_ascii_lowercase();
            continue;
        }
        if trimmed.to_ascii_uppercase().starts_with("HKEY_") {
            key = trimmed.to_ascii_lowercase();
            continue;
        }
        if trimmed.eq_ignore_ascii_case("Windows Registry Editor Version 5.00")
            || trimmed.eq_ignore_ascii_case("REGEDIT4")
        {
            continue;
        }
        let parsed = if trimmed.starts_with('"') {
            reg_file_value(trimmed)
        } else {
            reg_query_value(&line)
        };
        // Value lines before any key line: a pasted fragment. The names
        // say which key they belong to.
        let connections = if key.is_empty() {
            if parsed.is_some() && !keyless {
                keyless = true;
                bad.push(Violation::new(
                    Origin::setting(format!("registry line {}", n + 1)),
                    None,
                    trimmed,
                    ViolationKind::Note(
                        "value lines without a key line: read as the Internet Settings key \
                         (the Connections blobs by their names)",
                    ),
                ));
            }
            parsed.as_ref().is_some_and(|(name, _)| {
                CONNECTION_VALUES
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(name))
            })
        } else {
            let connections = key.ends_with("internet settings\\connections");
            if !connections && !key.ends_with("internet settings") {
                skipped += usize::from(parsed.is_some());
                continue;
            }
            connections
        };
        match parsed {
            Some((name, Some(value))) => out.push((connections, name, value)),
            Some((_, None)) => {}
            None => bad.push(Violation::new(
                Origin::setting(format!("registry line {}", n + 1)),
                None,
                trimmed,
                ViolationKind::Ignored("not a registry value line"),
            )),
        }
    }
    if out.is_empty() && skipped > 0 {
        bad.push(Violation::new(
            Origin::setting("registry"),
            None,
            &format!("{skipped} values"),
            ViolationKind::Ignored(
                "no value of an Internet Settings key: every value sits under another key",
            ),
        ));
    }
    out
}

/// The values that live in `Internet Settings\Connections`.
const CONNECTION_VALUES: [&str; 3] = [
    "DefaultConnectionSettings",
    "SavedLegacySettings",
    "WinHttpSettings",
];

/// `"Name"=value` as `reg export` writes it; `None` inside when the value's
/// type is one the proxy settings never use.
fn reg_file_value(line: &str) -> Option<(String, Option<RegValue>)> {
    let (name, rest) = quoted(line)?;
    let data = rest.trim_start().strip_prefix('=')?.trim();
    let value = if data.starts_with('"') {
        let (s, after) = quoted(data)?;
        if !after.trim().is_empty() {
            return None;
        }
        Some(RegValue::Str(s))
    } else if let Some(hex) = data.strip_prefix("dword:") {
        Some(RegValue::Dword(u32::from_str_radix(hex.trim(), 16).ok()?))
    } else if let Some(hex) = data.strip_prefix("hex:") {
        Some(RegValue::Binary(hex_bytes(hex, ',')?))
    } else if data.starts_with("hex(") || data == "-" {
        None
    } else {
        return None;
    };
    Some((name, value))
}

/// A `"…"` string with `\\` and `\"` escapes, and the text after it.
fn quoted(text: &str) -> Option<(String, &str)> {
    let body = text.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?.1),
            '"' => return Some((out, &body[i + 1..])),
            c => out.push(c),
        }
    }
    None
}

fn hex_bytes(text: &str, sep: char) -> Option<Vec<u8>> {
    let text = text.trim();
    if text.is_empty() {
        return Some(Vec::new());
    }
    if sep == ',' {
        return text
            .split(',')
            .map(|b| u8::from_str_radix(b.trim(), 16).ok())
            .collect();
    }
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
        })
        .collect()
}

/// `    Name    REG_TYPE    data` as `reg query` prints it (split on the
/// type token: names may hold spaces).
fn reg_query_value(line: &str) -> Option<(String, Option<RegValue>)> {
    const TYPES: [&str; 7] = [
        "REG_SZ",
        "REG_EXPAND_SZ",
        "REG_DWORD",
        "REG_QWORD",
        "REG_BINARY",
        "REG_MULTI_SZ",
        "REG_NONE",
    ];
    let (at, ty) = TYPES
        .iter()
        .filter_map(|ty| line.find(&format!("    {ty}")).map(|at| (at, *ty)))
        .filter(|(at, ty)| {
            let end = at + 4 + ty.len();
            line[end..].is_empty() || line[end..].starts_with("    ")
        })
        .min_by_key(|(at, _)| *at)?;
    let name = line[..at].trim().to_owned();
    let data = line[at + 4 + ty.len()..].trim_start_matches(' ');
    let value = match ty {
        "REG_SZ" | "REG_EXPAND_SZ" => Some(RegValue::Str(data.to_owned())),
        "REG_DWORD" => {
            let hex = data.trim().strip_prefix("0x")?;
            Some(RegValue::Dword(u32::from_str_radix(hex, 16).ok()?))
        }
        "REG_BINARY" => Some(RegValue::Binary(hex_bytes(data, ' ')?)),
        _ => None,
    };
    Some((name, value))
}

/// The `DefaultConnectionSettings` blob: flags, proxy, bypass, PAC URL.
#[derive(Debug, PartialEq, Eq)]
struct Blob {
    flags: u32,
    proxy: String,
    bypass: String,
    pac: String,
}

fn read_blob(bytes: &[u8]) -> Option<Blob> {
    let u32_at = |at: usize| -> Option<u32> {
        Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
    };
    let flags = u32_at(8)?;
    let mut at = 12;
    let text = |at: &mut usize| -> Option<String> {
        let len = usize::try_from(u32_at(*at)?).ok()?;
        let start = *at + 4;
        let s = bytes.get(start..start.checked_add(len)?)?;
        *at = start + len;
        Some(String::from_utf8_lossy(s).into_owned())
    };
    let proxy = text(&mut at)?;
    let bypass = text(&mut at)?;
    let pac = text(&mut at).unwrap_or_default();
    Some(Blob {
        flags,
        proxy,
        bypass,
        pac,
    })
}

/// Reads the settings from `.reg` or `reg query` text; `name` is how
/// sources name the file.
pub fn parse(text: &str, name: &str) -> SystemProxies {
    let mut bad = Vec::new();
    let values = values(text, &mut bad);
    from_values(&values, name, bad)
}

/// The settings from values already read: `(in Connections, name, value)`.
fn from_values(
    values: &[(bool, String, RegValue)],
    name: &str,
    mut bad: Vec<Violation>,
) -> SystemProxies {
    let get = |connections: bool, key: &str| {
        values
            .iter()
            .rev()
            .find(|(c, n, _)| *c == connections && n.eq_ignore_ascii_case(key))
            .map(|(_, _, v)| v)
    };
    let string = |key: &str| match get(false, key) {
        Some(RegValue::Str(s)) => s.trim().to_owned(),
        _ => String::new(),
    };
    let enabled = match get(false, "ProxyEnable") {
        Some(RegValue::Dword(n)) => *n != 0,
        // Very old systems: a 4-byte binary.
        Some(RegValue::Binary(b)) => b.first().is_some_and(|b| *b != 0),
        _ => false,
    };
    let blob = match get(true, "DefaultConnectionSettings") {
        Some(RegValue::Binary(bytes)) => {
            let parsed = read_blob(bytes);
            if parsed.is_none() {
                bad.push(Violation::new(
                    Origin::setting(format!("{name} DefaultConnectionSettings")),
                    None,
                    "",
                    ViolationKind::Ignored(
                        "the blob is truncated; the separate values are read instead",
                    ),
                ));
            }
            parsed
        }
        _ => None,
    };
    let mut detect_then = None;
    let (mode, source, server, bypass, manual_on) = match &blob {
        Some(b) => {
            let source = format!("windows:{name} DefaultConnectionSettings");
            let pac = if b.pac.is_empty() {
                string("AutoConfigURL")
            } else {
                b.pac.clone()
            };
            if b.flags & 0x0C == 0x0C && !pac.is_empty() {
                detect_then = Some(pac.clone());
            }
            let mode = if b.flags & 0x08 != 0 {
                SystemMode::AutoDetect
            } else if b.flags & 0x04 != 0 && !pac.is_empty() {
                SystemMode::AutoConfig(pac.clone())
            } else if b.flags & 0x02 != 0 {
                SystemMode::Manual
            } else {
                SystemMode::Direct
            };
            let manual_on = (b.flags & 0x02 != 0).then(|| source.clone());
            (mode, source, b.proxy.clone(), b.bypass.clone(), manual_on)
        }
        None => {
            let pac = string("AutoConfigURL");
            let (mode, key) = if !pac.is_empty() {
                (SystemMode::AutoConfig(pac.clone()), "AutoConfigURL")
            } else if enabled {
                (SystemMode::Manual, "ProxyEnable")
            } else {
                (SystemMode::Direct, "ProxyEnable")
            };
            let source = format!("windows:{name} {key}");
            let manual_on = enabled.then(|| format!("windows:{name} ProxyEnable"));
            (
                mode,
                source,
                string("ProxyServer"),
                string("ProxyOverride"),
                manual_on,
            )
        }
    };
    let mut out = SystemProxies::new(Store::Windows, source);
    for v in bad {
        out.violation(v);
    }
    let auto = matches!(mode, SystemMode::AutoConfig(_) | SystemMode::AutoDetect);
    out.set_mode(mode);
    if let Some(url) = detect_then {
        out.set_detect_then(url);
    }
    if let (true, Some(source), false) = (auto, manual_on, server.is_empty()) {
        out.set_fallback(AutoFallback::ManualProxies { source });
    }
    if !server.is_empty() {
        let origin = Origin::setting(format!("{name} ProxyServer"));
        let rules = ProxyRules::parse_lenient(&server, origin);
        for v in rules.violations() {
            out.violation(v.clone());
        }
        let src = format!("windows:{name} ProxyServer");
        if let Some(single) = rules.single() {
            for slot in [Slot::Http, Slot::Https, Slot::Ftp, Slot::Socks] {
                out.set_proxy(slot, single.clone(), src.clone());
            }
        } else {
            for (slot, key) in [
                (Slot::Http, "http"),
                (Slot::Https, "https"),
                (Slot::Ftp, "ftp"),
                (Slot::Socks, "socks"),
            ] {
                if let Some(p) = rules.get(key) {
                    out.set_proxy(slot, p.clone(), format!("{src} {key}="));
                }
            }
        }
    }
    let list = override_list::parse(&bypass, Origin::setting(format!("{name} ProxyOverride")));
    out.set_bypass(list, format!("windows:{name} ProxyOverride"));
    // WinHTTP's machine default (`netsh winhttp set proxy`), the same blob
    // layout without a PAC URL: reported, since services use it instead.
    if let Some(RegValue::Binary(bytes)) = get(true, "WinHttpSettings") {
        let origin = Origin::setting(format!("{name} WinHttpSettings"));
        let note = match read_blob(bytes) {
            Some(b) if b.flags & 0x02 != 0 && !b.proxy.is_empty() => {
                let text = if b.bypass.is_empty() {
                    b.proxy
                } else {
                    format!("{} (bypass {})", b.proxy, b.bypass)
                };
                Violation::new(
                    origin,
                    None,
                    &text,
                    ViolationKind::Note(
                        "WinHTTP's machine default (netsh winhttp): services that use WinHTTP \
                         take this proxy, not the settings above",
                    ),
                )
            }
            Some(_) => Violation::new(
                origin,
                None,
                "direct",
                ViolationKind::Note(
                    "WinHTTP's machine default (netsh winhttp) is direct access: services \
                     that use WinHTTP connect directly",
                ),
            ),
            None => Violation::new(
                origin,
                None,
                "",
                ViolationKind::Ignored("the WinHTTP blob is truncated"),
            ),
        };
        out.violation(note);
    }
    out
}

/// The registry path of the settings, under `HKEY_CURRENT_USER` (or
/// `HKEY_LOCAL_MACHINE` when the machine policy says so).
pub const KEY: &str = r"Software\Microsoft\Windows\CurrentVersion\Internet Settings";

/// Reads the live WinINet settings: per user, or per machine when the policy
/// `ProxySettingsPerUser` is 0.
///
/// # Errors
///
/// The `Internet Settings` key cannot be opened, naming the hive.
#[cfg(all(windows, feature = "system-windows"))]
pub fn read() -> Result<SystemProxies, Error> {
    use windows_registry::{CURRENT_USER, LOCAL_MACHINE};
    const POLICY: &str = r"SOFTWARE\Policies\Microsoft\Windows\CurrentVersion\Internet Settings";
    let per_machine = LOCAL_MACHINE
        .open(POLICY)
        .ok()
        .and_then(|k| k.get_u32("ProxySettingsPerUser").ok())
        == Some(0);
    let (hive, name) = if per_machine {
        (LOCAL_MACHINE, "HKLM")
    } else {
        (CURRENT_USER, "HKCU")
    };
    let key = hive.open(KEY).map_err(|e| {
        Error::new(
            ErrorKind::SystemStore(e.to_string()),
            Origin::setting(format!("windows:{name}\\{KEY}")),
            "",
        )
    })?;
    let mut values = Vec::new();
    if let Ok(n) = key.get_u32("ProxyEnable") {
        values.push((false, "ProxyEnable".to_owned(), RegValue::Dword(n)));
    }
    for value in ["ProxyServer", "ProxyOverride", "AutoConfigURL"] {
        if let Ok(text) = key.get_string(value) {
            values.push((false, value.to_owned(), RegValue::Str(text)));
        }
    }
    let machine_connections = format!("{}\\Connections", KEY.replacen("Software", "SOFTWARE", 1));
    if let Ok(connections) = LOCAL_MACHINE.open(machine_connections) {
        if let Ok(blob) = connections.get_value("WinHttpSettings") {
            values.push((
                true,
                "WinHttpSettings".to_owned(),
                RegValue::Binary(blob.to_vec()),
            ));
        }
    }
    if let Ok(connections) = hive.open(format!("{KEY}\\Connections")) {
        if let Ok(blob) = connections.get_value("DefaultConnectionSettings") {
            values.push((
                true,
                "DefaultConnectionSettings".to_owned(),
                RegValue::Binary(blob.to_vec()),
            ));
        }
    }
    Ok(from_values(&values, name, Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_blob_reads_with_bounds() {
        let hex = "460000001C000000030000001B00000070726F78792E636F72702E6578616D706C652E636F6D3A383038301A0000003C6C6F63616C3E3B2A2E636F72702E6578616D706C652E636F6D";
        let bytes = hex_bytes(hex, ' ').unwrap();
        let b = read_blob(&bytes).unwrap();
        assert_eq!(b.flags, 3);
        assert_eq!(b.proxy, "proxy.corp.example.com:8080");
        assert_eq!(b.bypass, "<local>;*.corp.example.com");
        assert_eq!(b.pac, "");
        for cut in 0..bytes.len() - 26 {
            let _ = read_blob(&bytes[..cut]);
        }
        assert!(read_blob(&bytes[..20]).is_none());
        let mut huge = bytes.clone();
        huge[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(read_blob(&huge).is_none());
    }

    #[test]
    fn reg_file_values() {
        let rows = [
            (
                r#""ProxyEnable"=dword:00000001"#,
                Some(("ProxyEnable", Some(RegValue::Dword(1)))),
            ),
            (
                r#""ProxyServer"="proxy:8080""#,
                Some(("ProxyServer", Some(RegValue::Str("proxy:8080".into())))),
            ),
            (
                r#""A\"b"="c\\d""#,
                Some(("A\"b", Some(RegValue::Str("c\\d".into())))),
            ),
            (
                r#""Blob"=hex:46,00,ff"#,
                Some(("Blob", Some(RegValue::Binary(vec![0x46, 0, 0xff])))),
            ),
            (r#""X"=hex(2):41,00"#, Some(("X", None))),
            (r#""X"=dword:zz"#, None),
            (r#""X"="open"#, None),
        ];
        for (line, want) in rows {
            let got = reg_file_value(line);
            let want = want.map(|(n, v)| (n.to_owned(), v));
            assert_eq!(got, want, "{line}");
        }
    }
}
