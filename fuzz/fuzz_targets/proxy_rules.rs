//! Manual proxy rules (WinINet `ProxyServer` / Chromium `ProxyRules`): strict
//! and lenient parses agree, the canonical text form reads back equal, and a
//! planted password never shows in a violation, an error, `Display` or
//! `Debug`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxyroute::{Origin, ProxyRules};
use proxyroute_fuzz::PLANTED_PASSWORD;

const SCHEMES: &[&str] = &["http", "https", "ftp", "ws", "wss", "gopher", "foo"];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lenient = ProxyRules::parse_lenient(text, Origin::setting("fuzz"));
    match ProxyRules::parse(text) {
        Ok(strict) => {
            assert!(lenient.violations().is_empty());
            assert_eq!(strict, lenient);
        }
        Err(e) => {
            assert!(
                !lenient.violations().is_empty(),
                "strict error {e} but no violation"
            );
        }
    }
    for scheme in SCHEMES {
        let _ = lenient.proxy_for(scheme);
    }
    let has_password = SCHEMES
        .iter()
        .filter_map(|s| lenient.proxy_for(s))
        .chain(lenient.single())
        .chain(lenient.fallback())
        .any(|p| p.credentials().is_some_and(|c| c.password().is_some()));
    if !has_password && !lenient.is_empty() && lenient.violations().is_empty() {
        let shown = lenient.to_string();
        let back = ProxyRules::parse(&shown)
            .unwrap_or_else(|e| panic!("{text:?} shown as {shown:?} does not parse: {e}"));
        assert_eq!(back, lenient, "{text:?} shown as {shown:?}");
    }

    if text.contains(PLANTED_PASSWORD) {
        return;
    }
    for planted in [
        format!("{text};https=u:{PLANTED_PASSWORD}@{text}"),
        format!("socks5://u:{PLANTED_PASSWORD}@{text}"),
        format!("http=http://u:{PLANTED_PASSWORD}@h:1;{text}"),
    ] {
        let rules = ProxyRules::parse_lenient(&planted, Origin::Text);
        let mut shown = format!("{rules} {rules:?}");
        for v in rules.violations() {
            shown.push_str(&format!(" {v} {v:?}"));
        }
        if let Err(e) = ProxyRules::parse(&planted) {
            shown.push_str(&format!(" {e} {e:?}"));
        }
        assert!(!shown.contains(PLANTED_PASSWORD), "password shown: {shown}");
    }
});
