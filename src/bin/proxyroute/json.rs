//! The JSON output: one object per URL, one per line. The members and their
//! order are a contract (docs/cli.md); members may be added at the end.

use std::fmt::Write as _;

use crate::answer::Answer;

/// The object for one URL.
pub(crate) fn answer(a: &Answer) -> String {
    let d = &a.decision;
    let mut out = String::from("{\"url\": ");
    string(&mut out, &a.url);
    out.push_str(", \"route\": ");
    array(&mut out, a.hops.iter().map(String::as_str));
    out.push_str(", \"source\": ");
    string(&mut out, d.source());
    out.push_str(", \"reason\": ");
    string(&mut out, d.reason());
    out.push_str(", \"rule\": ");
    match d.rule() {
        None => out.push_str("null"),
        Some(rule) => {
            out.push_str("{\"text\": ");
            string(&mut out, rule.text());
            out.push_str(", \"index\": ");
            match rule.index() {
                Some(i) => {
                    let _ = write!(out, "{i}");
                }
                None => out.push_str("null"),
            }
            out.push_str(", \"source\": ");
            string(&mut out, rule.source());
            out.push('}');
        }
    }
    let violations: Vec<String> = d.violations().iter().map(ToString::to_string).collect();
    out.push_str(", \"violations\": ");
    array(&mut out, violations.iter().map(String::as_str));
    if let Some(e) = &a.error {
        out.push_str(", \"error\": ");
        string(&mut out, e);
    }
    out.push_str(", \"layer\": ");
    string(&mut out, d.layer().as_str());
    out.push_str(", \"dialect\": ");
    string(&mut out, a.dialect.as_str());
    let hints = d.hints();
    out.push_str(", \"hints\": ");
    array(&mut out, hints.iter().map(String::as_str));
    if let Some(curl) = &a.curl {
        out.push_str(", \"curl\": ");
        string(&mut out, curl);
    }
    if let Some(explained) = &a.explained_route {
        out.push_str(", \"explained_route\": ");
        string(&mut out, explained);
    }
    out.push('}');
    out
}

/// `{"url": ..., "error": ...}` for a URL that is not one.
pub(crate) fn bad_url(url: &str, error: &str) -> String {
    let mut out = String::from("{\"url\": ");
    string(&mut out, url);
    out.push_str(", \"error\": ");
    string(&mut out, error);
    out.push('}');
    out
}

fn string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn array<'a>(out: &mut String, items: impl IntoIterator<Item = &'a str>) {
    out.push('[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        string(out, item);
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    #[test]
    fn strings_are_escaped() {
        let mut out = String::new();
        super::string(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(out, r#""a\"b\\c\nd\u0001é""#);
    }
}
