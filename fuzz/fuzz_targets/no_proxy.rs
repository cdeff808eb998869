//! `NO_PROXY` text under every dialect: parse, compile, then query the hosts
//! the entries name (and any target URLs after the first line), asserting that
//! the compiled engine equals the linear oracle.
//!
//! Input: the list on the first line; each further line a target URL.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxyroute::{BypassList, Dialect, Target};
use proxyroute_fuzz::{check_engine_equals_oracle, fixed_targets, targets_from_list};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (list, rest) = text.split_once('\n').unwrap_or((text, ""));
    let mut targets = fixed_targets();
    targets.extend(rest.lines().filter_map(|l| Target::parse(l).ok()));
    targets.extend(targets_from_list(list, 24));
    for &dialect in Dialect::ALL {
        let parsed = BypassList::parse(list, dialect);
        for v in parsed.violations() {
            let _ = v.to_string();
        }
        let _ = parsed.to_string();
        check_engine_equals_oracle(&parsed, &targets);
    }
});
