//! A system store's text (`sysconfig`) on arbitrary input: the reader never
//! panics, its violations print, and a resolver built from it answers every
//! fixed target with `resolve` agreeing with `explain`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxyroute::Resolver;
use proxyroute_fuzz::{check_resolver, fixed_targets};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let system = proxyroute::system::sysconfig::parse(text, "proxy");
    for v in system.violations() {
        let _ = v.to_string();
    }
    let _ = (system.mode(), system.proxy_for("https"), system.bypass());
    for first in [false, true] {
        let resolver = Resolver::builder()
            .system(system.clone())
            .system_first(first)
            .build()
            .expect("system settings alone always build");
        check_resolver(&resolver, &fixed_targets());
    }
});
