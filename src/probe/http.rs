//! Reading an HTTP/1.x response head with hard limits, and the bits of it the
//! diagnosis needs (`Proxy-Authenticate` schemes, an error page's `<title>`).

use std::time::Duration;

use super::diagnosis::{AuthScheme, Malformed, Problem};
use super::net::{self, Stream};

/// The longest status line read.
pub(crate) const MAX_STATUS_LINE: usize = 8 * 1024;
/// The longest head (status line and headers) read.
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// The most header lines read.
pub(crate) const MAX_HEADERS: usize = 128;
/// The most bytes of an error page read to find its title.
const MAX_BODY: usize = 32 * 1024;

/// A response head.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) status: u16,
    pub(crate) reason: String,
    pub(crate) headers: Vec<(String, String)>,
}

impl Head {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The schemes of every `Proxy-Authenticate` challenge, in order, once each.
    pub(crate) fn proxy_auth_schemes(&self) -> Vec<AuthScheme> {
        let mut out = Vec::new();
        for (_, value) in self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("proxy-authenticate"))
        {
            for scheme in challenge_schemes(value) {
                if !out.contains(&scheme) {
                    out.push(scheme);
                }
            }
        }
        out
    }
}

/// The scheme names in one `Proxy-Authenticate` value: the first word of each
/// comma-separated piece that is not an `auth-param` (`name=value`).
fn challenge_schemes(value: &str) -> Vec<AuthScheme> {
    let mut pieces = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                pieces.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    pieces.push(&value[start.min(value.len())..]);
    pieces
        .into_iter()
        .filter_map(|piece| {
            let word = piece.split_whitespace().next()?;
            // `realm="x"` or `nonce=...` continues the previous challenge; a
            // token68 ends in `=` but follows the scheme after a space.
            if word.contains('=') {
                return None;
            }
            Some(AuthScheme::parse(word))
        })
        .collect()
}

/// `bytes` with printable ASCII kept and everything else as `\xNN`, at most
/// 32 bytes of it.
fn escaped(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes.iter().take(32) {
        if (0x20..0x7f).contains(&b) && b != b'\\' && b != b'"' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Reads one response head, a byte at a time (so that nothing after it is
/// consumed: a tunnel's first TLS bytes stay in the socket). Interim `1xx`
/// responses are skipped.
pub(crate) fn read_head(stream: &mut dyn Stream, timeout: Duration) -> Result<Head, Problem> {
    for _ in 0..8 {
        let head = read_one(stream, timeout)?;
        if !(100..200).contains(&head.status) || head.status == 101 {
            return Ok(head);
        }
    }
    Err(Problem::Malformed(Malformed::TooManyHeaders {
        limit: MAX_HEADERS,
    }))
}

fn read_one(stream: &mut dyn Stream, timeout: Duration) -> Result<Head, Problem> {
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut lines = 0usize;
    let mut byte = [0u8; 1];
    loop {
        let n = match stream.read(&mut byte) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(net::problem(&e, timeout)),
        };
        if n == 0 {
            if buf.is_empty() || buf.starts_with(b"HTTP/") {
                return Err(Problem::Malformed(Malformed::Closed { after: buf.len() }));
            }
            return Err(not_http(&buf));
        }
        buf.push(byte[0]);
        if buf.len() == 5 && !buf.eq_ignore_ascii_case(b"HTTP/") {
            return Err(not_http(&buf));
        }
        if byte[0] == b'\n' {
            lines += 1;
            if buf.ends_with(b"\r\n\r\n") || buf.ends_with(b"\n\n") {
                break;
            }
            if lines > MAX_HEADERS + 1 {
                return Err(Problem::Malformed(Malformed::TooManyHeaders {
                    limit: MAX_HEADERS,
                }));
            }
        } else if lines == 0 && buf.len() > MAX_STATUS_LINE {
            return Err(Problem::Malformed(Malformed::StatusLineTooLong {
                limit: MAX_STATUS_LINE,
            }));
        }
        if buf.len() > MAX_HEAD {
            return Err(Problem::Malformed(Malformed::HeadTooLarge {
                limit: MAX_HEAD,
            }));
        }
    }
    parse_head(&buf)
}

fn not_http(buf: &[u8]) -> Problem {
    Problem::Malformed(Malformed::NotHttp {
        start: escaped(buf),
    })
}

fn parse_head(buf: &[u8]) -> Result<Head, Problem> {
    let text = String::from_utf8_lossy(buf);
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    let code = parts.next().unwrap_or("");
    let reason = parts.next().unwrap_or("").trim();
    let status = match code.parse::<u16>() {
        Ok(c) if version.starts_with("HTTP/1.") && code.len() == 3 && (100..=999).contains(&c) => c,
        _ => return Err(not_http(status_line.as_bytes())),
    };
    let mut headers = Vec::new();
    for line in lines {
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    Ok(Head {
        status,
        reason: reason.chars().take(200).collect(),
        headers,
    })
}

/// The `<title>` of the body that follows `head`, read within the stream's
/// deadline and at most [`MAX_BODY`] bytes; `None` when there is none.
pub(crate) fn read_title(stream: &mut dyn Stream, head: &Head) -> Option<String> {
    let length = head
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok());
    let want = length.unwrap_or(MAX_BODY).min(MAX_BODY);
    let mut body = Vec::new();
    let mut chunk = [0u8; 4096];
    while body.len() < want {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
        if title_in(&body).is_some() {
            break;
        }
    }
    // In a chunked body a chunk-size line may split the title; the title is
    // then missing, which a diagnosis can live with.
    title_in(&body)
}

fn title_in(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    let title: String = text[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(200)
        .collect();
    (!title.is_empty()).then_some(title)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn head_of(bytes: &[u8]) -> Result<Head, Problem> {
        let mut stream = Cursor::new(bytes.to_vec());
        read_head(&mut stream, Duration::from_secs(1))
    }

    proptest::proptest! {
        /// Any bytes give a head or a problem, never a panic; a head's
        /// status is a three-digit code and it holds at most the limits.
        #[test]
        fn any_bytes_are_a_head_or_a_problem(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            if let Ok(head) = head_of(&bytes) {
                proptest::prop_assert!((100..=999).contains(&head.status));
                proptest::prop_assert!(head.headers.len() <= MAX_HEADERS);
            }
        }

        /// Well-formed heads read back: the status, the reason and each header.
        #[test]
        fn written_heads_read_back(
            status in 200u16..600,
            reason in "[A-Za-z ]{0,20}",
            headers in proptest::collection::vec(("[A-Za-z-]{1,12}", "[ -~]{0,30}"), 0..10),
        ) {
            let mut text = format!("HTTP/1.1 {status} {reason}\r\n");
            for (n, v) in &headers {
                text.push_str(&format!("{n}: {v}\r\n"));
            }
            text.push_str("\r\nbody");
            let head = head_of(text.as_bytes()).unwrap();
            proptest::prop_assert_eq!(head.status, status);
            proptest::prop_assert_eq!(head.reason, reason.trim());
            let want: Vec<(String, String)> = headers
                .iter()
                .map(|(n, v)| (n.clone(), v.trim().to_owned()))
                .collect();
            proptest::prop_assert_eq!(head.headers, want);
        }
    }

    #[test]
    fn limits_are_enforced_on_streams() {
        let rows: &[(&str, Vec<u8>, Problem)] = &[
            (
                "status line",
                [&b"HTTP/1.1 200 "[..], &vec![b'x'; MAX_STATUS_LINE]].concat(),
                Problem::Malformed(Malformed::StatusLineTooLong {
                    limit: MAX_STATUS_LINE,
                }),
            ),
            (
                "one long header",
                [&b"HTTP/1.1 200 OK\r\nX: "[..], &vec![b'x'; MAX_HEAD]].concat(),
                Problem::Malformed(Malformed::HeadTooLarge { limit: MAX_HEAD }),
            ),
            (
                "many headers",
                [
                    &b"HTTP/1.1 200 OK\r\n"[..],
                    &b"A: b\r\n".repeat(MAX_HEADERS + 5),
                ]
                .concat(),
                Problem::Malformed(Malformed::TooManyHeaders { limit: MAX_HEADERS }),
            ),
            (
                "cut short",
                b"HTTP/1.1 200 OK\r\nA: b".to_vec(),
                Problem::Malformed(Malformed::Closed { after: 21 }),
            ),
            (
                "empty",
                Vec::new(),
                Problem::Malformed(Malformed::Closed { after: 0 }),
            ),
        ];
        for (name, bytes, want) in rows {
            assert_eq!(head_of(bytes).unwrap_err(), *want, "{name}");
        }
        // Interim 1xx answers are skipped.
        let head =
            head_of(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n").unwrap();
        assert_eq!(head.status, 204);
    }

    #[test]
    fn challenge_schemes_skip_parameters() {
        let rows: &[(&str, &str, &[&str])] = &[
            ("basic", r#"Basic realm="squid""#, &["Basic"]),
            (
                "digest then basic",
                r#"Digest realm="a, b", nonce="x", qop="auth", Basic realm="c""#,
                &["Digest", "Basic"],
            ),
            ("ntlm bare", "NTLM", &["NTLM"]),
            ("negotiate token68", "Negotiate YII=", &["Negotiate"]),
            ("other", "Bearer realm=x", &["Bearer"]),
        ];
        for (name, value, want) in rows {
            let got: Vec<String> = challenge_schemes(value)
                .iter()
                .map(ToString::to_string)
                .collect();
            assert_eq!(&got, want, "{name}");
        }
    }

    #[test]
    fn titles() {
        assert_eq!(
            title_in(
                b"<html><HEAD><Title>\n ERROR: The requested URL\n could not be retrieved</title>"
            )
            .as_deref(),
            Some("ERROR: The requested URL could not be retrieved")
        );
        assert_eq!(title_in(b"<title></title>"), None);
        assert_eq!(title_in(b"no title"), None);
    }

    #[test]
    fn heads_parse_and_garbage_does_not() {
        let head = parse_head(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\nProxy-Authenticate: NTLM\r\n\r\n").unwrap();
        assert_eq!(head.status, 407);
        assert_eq!(head.reason, "Proxy Authentication Required");
        assert_eq!(
            head.proxy_auth_schemes(),
            vec![AuthScheme::Basic, AuthScheme::Ntlm]
        );
        for bad in [
            &b"HTTP/1.1 2000 OK\r\n\r\n"[..],
            b"HTTP/2 200 OK\r\n\r\n",
            b"HTTP/1.1 abc\r\n\r\n",
        ] {
            assert!(matches!(
                parse_head(bad),
                Err(Problem::Malformed(Malformed::NotHttp { .. }))
            ));
        }
        assert_eq!(
            escaped(b"\x16\x03\x01ab\"\\"),
            "\\x16\\x03\\x01ab\\x22\\x5c"
        );
    }
}
