//! The `chromium` bypass syntax on arbitrary text: engine == oracle, round trip,
//! no planted password in a violation (see `check_syntax`).
//!
//! Input: the list on the first line; each further line a target URL.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxyroute::BypassSyntax;

fuzz_target!(|data: &[u8]| proxyroute_fuzz::check_syntax(data, BypassSyntax::Chromium));
