//! One-line JSON for the watcher's reports ([`Change`](super::Change) and
//! [`RouteChange`](super::RouteChange)), for a `--watch --json` display.

/// Appends `text` as a JSON string.
pub(crate) fn string(out: &mut String, text: &str) {
    crate::json::write_string(out, text);
}

/// Appends `"key": "value"` (`null` for `None`), with a leading comma
/// unless it is the first member.
pub(crate) fn member(out: &mut String, key: &str, value: Option<&str>) {
    if !out.ends_with('{') {
        out.push_str(", ");
    }
    string(out, key);
    out.push_str(": ");
    match value {
        Some(v) => string(out, v),
        None => out.push_str("null"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_through_the_crates_reader() {
        for text in [
            "plain",
            "quote \" and \\ back",
            "line\nbreak\ttab\r",
            "\u{1}\u{1f}",
            "é ✓",
        ] {
            let mut out = String::new();
            string(&mut out, text);
            assert_eq!(
                crate::json::parse(&out).unwrap(),
                crate::json::Value::String(text.to_owned()),
                "{out}"
            );
        }
    }
}
