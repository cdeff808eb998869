//! Proxy URLs: parse; when that works, `url_with_credentials()` parses back to
//! the same proxy, and `Display` shows the password as `***`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxyroute::{Proxy, ProxyScheme};
use proxyroute_fuzz::percent_encode;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match text.parse::<Proxy>() {
        Ok(proxy) => {
            let url = proxy.url_with_credentials();
            let back: Proxy = url
                .parse()
                .unwrap_or_else(|e| panic!("{text:?} -> {url:?} does not parse: {e}"));
            assert_eq!(back, proxy, "{text:?} -> {url:?}");
            // Display is exactly the URL with the password replaced by `***`.
            let userinfo = match proxy.credentials() {
                None => String::new(),
                Some(c) => {
                    let pw = if c.password().is_some() { ":***" } else { "" };
                    format!("{}{pw}@", percent_encode(c.username()))
                }
            };
            let want = format!("{}://{userinfo}{}", proxy.scheme(), proxy.authority());
            assert_eq!(proxy.to_string(), want, "{text:?}");
            assert_eq!(format!("{proxy:?}"), format!("Proxy({want})"));
            if let Some(c) = proxy.credentials() {
                let _ = c.basic_auth();
                if c.password().is_some() {
                    let shown = format!("{c:?}");
                    assert!(shown.ends_with("password: Some(***) }"), "{shown}");
                }
            }
        }
        Err(e) => {
            let _ = (e.to_string(), format!("{e:?}"), e.kind());
        }
    }
    for &scheme in ProxyScheme::ALL {
        if let Ok(p) = Proxy::new(scheme, text, 1080) {
            assert_eq!(
                p.url_with_credentials().parse::<Proxy>().ok(),
                Some(p),
                "host {text:?}"
            );
        }
    }
});
