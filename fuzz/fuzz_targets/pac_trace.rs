//! The PAC branch tracer's JavaScript tokenizer on arbitrary text: it never
//! panics, marks only `return` keywords (a whole word, outside strings and
//! comments as far as the text before it shows), inserts after each exactly
//! one marker and changes nothing else, so that the marked script returns
//! what the original returns.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// Whether `c` may continue a JavaScript identifier (Unicode letters and
/// digits, `_`, `$`, a `\\u` escape's backslash, ZWNJ and ZWJ).
fn ident(c: Option<char>) -> bool {
    c.is_some_and(|c| {
        c.is_alphanumeric() || matches!(c, '_' | '$' | '\\' | '\u{200c}' | '\u{200d}')
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    // Also as the body of a FindProxyForURL, where the tracer looks.
    let wrapped = format!("function FindProxyForURL(url, host) {{\n{source}\n}}");
    for text in [source, wrapped.as_str()] {
        let Some((marked, hits)) = proxyroute::pac::__trace_insertions(text) else {
            continue;
        };
        assert!(!hits.is_empty());
        let mut rebuilt = String::new();
        let mut copied = 0;
        let mut rest = marked.as_str();
        for (n, &(keyword, at)) in hits.iter().enumerate() {
            // A whole `return` word ends where the marker goes.
            assert_eq!(&text[keyword..at], "return", "{text:?}");
            assert!(!ident(text[..keyword].chars().next_back()), "{text:?}");
            assert!(!ident(text[at..].chars().next()), "{text:?}");
            assert!(at >= copied, "hits in order");
            // The marked text is the original with one marker per hit.
            let before = &text[copied..at];
            assert!(rest.starts_with(before), "{text:?}");
            rest = &rest[before.len()..];
            rebuilt.push_str(before);
            let marker = format!(" __pr_hit({})", n + 1);
            assert!(rest.starts_with(&marker), "{text:?} / {marked:?}");
            rest = &rest[marker.len()..];
            // `,` (an expression follows) or `;` (a statement ends here) may follow.
            if let Some(r) = rest.strip_prefix(',') {
                rest = r;
            } else if rest.starts_with(';') && !text[at..].starts_with(';') {
                rest = &rest[1..];
            }
            copied = at;
        }
        rebuilt.push_str(&text[copied..]);
        assert_eq!(rest, &text[copied..], "{text:?} / {marked:?}");
        assert!(rebuilt == text);
    }
});
