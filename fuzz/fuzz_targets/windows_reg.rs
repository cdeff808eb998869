//! A Windows registry export (`.reg`, UTF-16 or UTF-8) or `reg query` text
//! on arbitrary input: decoding and reading never panic, the blob reader
//! stays in bounds, and a resolver built from the result answers every fixed
//! target with `resolve` agreeing with `explain`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxyroute::system::windows;
use proxyroute::Resolver;
use proxyroute_fuzz::{check_resolver, fixed_targets};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = windows::decode(data, "fuzz.reg") else {
        return;
    };
    let system = windows::parse(&text, "fuzz.reg");
    for v in system.violations() {
        let _ = v.to_string();
    }
    let resolver = Resolver::builder()
        .system(system)
        .build()
        .expect("system settings alone always build");
    check_resolver(&resolver, &fixed_targets());
});
