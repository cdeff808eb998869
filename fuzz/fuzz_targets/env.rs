//! An arbitrary environment (`NAME=VALUE` lines, values in any bytes) read by
//! every dialect, through a lookup and as a listed environment; `resolve` and
//! `explain` must agree for every target, and the two readings must agree on
//! every scheme the crate knows by name.
#![no_main]

use std::ffi::OsString;

use libfuzzer_sys::fuzz_target;
use proxyroute::{Dialect, EnvProxies, Resolver};
use proxyroute_fuzz::{check_resolver, fixed_targets, targets_from_list};

#[cfg(unix)]
fn os(bytes: &[u8]) -> OsString {
    use std::os::unix::ffi::OsStringExt;
    OsString::from_vec(bytes.to_vec())
}

#[cfg(not(unix))]
fn os(bytes: &[u8]) -> OsString {
    OsString::from(String::from_utf8_lossy(bytes).into_owned())
}

fuzz_target!(|data: &[u8]| {
    let (mode, data) = data.split_first().unwrap_or((&0, data));
    let mut vars: Vec<(String, OsString)> = Vec::new();
    let mut targets = fixed_targets();
    targets.extend(["foo://example.com/", "git+ssh://example.com:22/"].map(|u| u.parse().unwrap()));
    for line in data.split(|&b| b == b'\n') {
        let Some(eq) = line.iter().position(|&b| b == b'=') else {
            continue;
        };
        let Ok(name) = std::str::from_utf8(&line[..eq]) else {
            continue;
        };
        let value = &line[eq + 1..];
        if name.eq_ignore_ascii_case("no_proxy") {
            targets.extend(targets_from_list(&String::from_utf8_lossy(value), 12));
        }
        vars.push((name.to_owned(), os(value)));
    }
    let lookup = |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    for &dialect in Dialect::ALL {
        let listed = EnvProxies::read_vars(dialect, vars.iter().map(|(k, v)| (k, v)));
        for scheme in ["http", "https", "ws", "wss", "ftp", "gopher", "smtp"] {
            assert_eq!(
                listed.variable_for(scheme),
                EnvProxies::read(dialect, lookup).variable_for(scheme),
                "{dialect} {scheme}"
            );
        }
        let by_name = Resolver::builder()
            .dialect(dialect)
            .env_proxies(listed)
            .build()
            .expect("an environment-only configuration is valid");
        check_resolver(&by_name, &targets);
        let env = EnvProxies::read(dialect, lookup);
        for v in env.violations() {
            let _ = v.to_string();
        }
        let builder = Resolver::builder().dialect(dialect).env_proxies(env);
        let builder = match mode % 4 {
            0 => builder,
            1 => builder.proxy("http://custom:1"),
            2 => builder
                .https_proxy("socks5h://u:p@custom:2")
                .bypass("localhost"),
            _ => builder
                .proxy("http://custom:3")
                .proxy_schemes(["http", "ftp"]),
        };
        let resolver = builder.build().expect("fixed custom settings are valid");
        check_resolver(&resolver, &targets);
    }
});
