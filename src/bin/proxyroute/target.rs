//! A URL from the command line as a [`Target`].
//!
//! Text with `://` is a URL. Text without a scheme is read as `http://`, as
//! curl reads it (`example.com:8080/x`), but only when it starts with a host:
//! `/path`, `//host` and `http:` are refused rather than read as hosts named
//! `path` or `http`.

use proxyroute::Target;

/// The target `text` names, or why it names none.
pub(crate) fn parse(text: &str) -> Result<Target, String> {
    if text.contains("://") {
        return Target::parse(text).map_err(|e| e.to_string());
    }
    scheme_less(text)?;
    Target::parse(&format!("http://{text}")).map_err(|e| e.to_string())
}

/// Refuses scheme-less text that does not start with `host` or `host:port`.
fn scheme_less(text: &str) -> Result<(), String> {
    let refuse = |why: &str| Err(format!("input {text:?}: {why}"));
    if text.is_empty() {
        return refuse("empty URL");
    }
    if text.starts_with("//") {
        return refuse("a scheme-relative URL; write http:// or https:// before the host");
    }
    if text.starts_with('/') {
        return refuse("a path without a host; write a URL such as http://HOST/path");
    }
    // `[v6]:port` has its colon after the bracket; elsewhere the first colon
    // before any `/`, `?` or `#` ends the host.
    let authority_end = text.find(['/', '?', '#']).unwrap_or(text.len());
    let authority = &text[..authority_end];
    let after_host = match authority.strip_prefix('[') {
        Some(rest) => match rest.find(']') {
            Some(i) => &rest[i + 1..],
            None => return Ok(()), // the URL parser names the bad host
        },
        None => authority.find(':').map_or("", |i| &authority[i..]),
    };
    let host = &authority[..authority.len() - after_host.len()];
    if host.is_empty() {
        return refuse("no host; write a URL such as http://HOST/");
    }
    if let Some(port) = after_host.strip_prefix(':') {
        if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            return refuse(&format!(
                "{host:?} followed by {after_host:?} is neither a scheme (write {host}://HOST/) \
                 nor a port"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn scheme_less_text() {
        let rows: &[(&str, &str, Result<&str, &str>)] = &[
            ("host", "example.com", Ok("http://example.com/")),
            (
                "host and port",
                "example.com:8080",
                Ok("http://example.com:8080/"),
            ),
            (
                "host and path",
                "example.com/a?b",
                Ok("http://example.com/"),
            ),
            ("ipv6 with port", "[::1]:8080", Ok("http://[::1]:8080/")),
            ("url", "https://example.com/", Ok("https://example.com/")),
            ("path", "/path", Err("a path without a host")),
            ("scheme only", "http:", Err("neither a scheme")),
            ("scheme and path", "http:/x", Err("neither a scheme")),
            ("scheme relative", "//x", Err("scheme-relative")),
            ("mailto", "mailto:a@b", Err("neither a scheme")),
            ("port only", ":80", Err("no host")),
            ("empty", "", Err("empty URL")),
        ];
        for (name, text, want) in rows {
            match (parse(text), want) {
                (Ok(t), Ok(want)) => assert_eq!(t.to_string(), *want, "{name}"),
                (Err(e), Err(want)) => assert!(e.contains(want), "{name}: {e}"),
                (got, want) => panic!("{name}: {got:?}, want {want:?}"),
            }
        }
    }
}
