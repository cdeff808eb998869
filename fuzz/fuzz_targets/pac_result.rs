//! `FindProxyForURL` result strings on arbitrary input: parsing never panics,
//! always yields at least one hop, and its text form reads back to the same
//! hops.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxyroute::pac::PacResult;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let r = PacResult::parse(text);
    assert!(!r.hops().is_empty(), "{text:?} gave no hop");
    for v in r.violations() {
        let _ = v.to_string();
    }
    let shown = r.to_string();
    let back = PacResult::parse(&shown);
    assert_eq!(back.hops(), r.hops(), "{text:?} shown as {shown:?}");
    assert!(
        back.violations().is_empty(),
        "{shown:?}: {:?}",
        back.violations()
    );
});
