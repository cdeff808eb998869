//! SUSE's `/etc/sysconfig/proxy`: shell-style `KEY="value"` lines that login
//! scripts export. `PROXY_ENABLED` (exactly `yes`, as the scripts test it;
//! default no) switches the rest on; `HTTP_PROXY`, `HTTPS_PROXY`, `FTP_PROXY` are proxies for those
//! schemes, `SOCKS_PROXY` (or `SOCKS5_SERVER`, `host:port`) a SOCKS5 proxy
//! for every other scheme, and `NO_PROXY` the bypass list, read as curl reads
//! `NO_PROXY`. `#` lines are comments; values may be bare, `'…'` or `"…"`.
//!
//! A file without `NO_PROXY` (or with an empty one) has no bypass list:
//! SUSE's login scripts (aaa_base's `/etc/profile.d/profile.sh` and the
//! `proxy.sh` of distributions that copied it) export `no_proxy` only from
//! the file's own `NO_PROXY` line, and libproxy's sysconfig module reads none
//! either. `localhost, 127.0.0.1` is only the value the fillup template
//! writes into a new file (its `## Default:` header), not a list anything
//! adds when the line is missing.

use crate::bypass::BypassList;
use crate::dialect::Dialect;
use crate::error::{Origin, Violation, ViolationKind};

use super::{proxy_value, Slot, Store, SystemMode, SystemProxies};

/// Where the file lives.
pub const PATH: &str = "/etc/sysconfig/proxy";

/// Reads the file's text; `name` is how sources name it.
pub fn parse(text: &str, name: &str) -> SystemProxies {
    let mut vars: Vec<(String, String)> = Vec::new();
    let mut out_violations = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            out_violations.push(Violation::new(
                Origin::setting(format!("{name} line {}", n + 1)),
                None,
                line,
                ViolationKind::Ignored("not a KEY=value line"),
            ));
            continue;
        };
        let value = value.trim();
        let value = ['"', '\'']
            .iter()
            .find_map(|q| value.strip_prefix(*q).and_then(|v| v.strip_suffix(*q)))
            .unwrap_or(value);
        vars.retain(|(k, _)| k != key.trim());
        vars.push((key.trim().to_owned(), value.to_owned()));
    }
    let get = |key: &str| {
        vars.iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let mut out = SystemProxies::new(Store::Sysconfig, format!("sysconfig:{name} PROXY_ENABLED"));
    for v in out_violations {
        out.violation(v);
    }
    // SUSE's login scripts export the proxies only when PROXY_ENABLED is
    // exactly `yes` (`test "$PROXY_ENABLED" = "yes"`); libproxy's module
    // takes any case-blind `yes` prefix. The reader follows the scripts and
    // says when libproxy would read the file otherwise.
    let value = get("PROXY_ENABLED").unwrap_or("");
    let enabled = value == "yes";
    if !enabled && value.to_ascii_lowercase().starts_with("yes") {
        out.violation(Violation::new(
            Origin::setting(format!("{name} PROXY_ENABLED")),
            None,
            value,
            ViolationKind::Ignored(
                "not exactly yes: SUSE's login scripts export no proxy (libproxy would read it \
                 as yes)",
            ),
        ));
    }
    if !enabled {
        out.set_mode(SystemMode::Direct);
        return out;
    }
    out.set_mode(SystemMode::Manual);
    let socks = get("SOCKS_PROXY")
        .map(|v| ("SOCKS_PROXY", v.replacen("socks://", "socks5://", 1)))
        .or_else(|| get("SOCKS5_SERVER").map(|v| ("SOCKS5_SERVER", format!("socks5://{v}"))));
    let entries = [
        (
            Slot::Http,
            get("HTTP_PROXY").map(|v| ("HTTP_PROXY", v.to_owned())),
        ),
        (
            Slot::Https,
            get("HTTPS_PROXY").map(|v| ("HTTPS_PROXY", v.to_owned())),
        ),
        (
            Slot::Ftp,
            get("FTP_PROXY").map(|v| ("FTP_PROXY", v.to_owned())),
        ),
        (Slot::Socks, socks),
    ];
    for (slot, entry) in entries {
        let Some((key, value)) = entry else { continue };
        let source = format!("sysconfig:{name} {key}");
        match proxy_value(&value, &format!("{name} {key}")) {
            Ok(p) => out.set_proxy(slot, p, source),
            Err(e) => out.violation(Violation::from_error(e)),
        }
    }
    if let Some(no_proxy) = get("NO_PROXY") {
        let list = BypassList::parse_from(
            no_proxy,
            Dialect::Curl,
            Origin::setting(format!("{name} NO_PROXY")),
        );
        out.set_bypass(list, format!("sysconfig:{name} NO_PROXY"));
    }
    out
}

/// Reads the file at `path`.
///
/// # Errors
///
/// The file exists but cannot be read, naming it.
#[cfg(feature = "system-sysconfig")]
pub fn read(path: &std::path::Path) -> Result<SystemProxies, crate::Error> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        crate::Error::new(
            crate::ErrorKind::SystemStore(e.to_string()),
            Origin::setting(format!("sysconfig:{}", path.display())),
            "",
        )
    })?;
    Ok(parse(&text, &path.display().to_string()))
}
