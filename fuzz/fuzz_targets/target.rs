//! `Target` from text: the fast path agrees with the URL parser's answer, and
//! the other constructors never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxyroute::Target;
use proxyroute_fuzz::check_target_text;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check_target_text(text);
    for prefix in ["http://", "https://u:p@", "foo://"] {
        check_target_text(&format!("{prefix}{text}"));
    }
    let _ = Target::new("http", text, Some(1));
    if let Ok(uri) = text.parse::<http::Uri>() {
        let _ = Target::from_uri(&uri);
    }
});
