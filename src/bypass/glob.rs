//! Host-name globs: `*` matches any run of characters (none included), `?` one
//! character. Patterns and hosts are lower case already, so matching is byte
//! equality. The literal text before the first and after the last wildcard lets
//! the engine try a glob only for hosts that could match it.

/// Whether `text` matches `pattern`. Linear in practice: the classic greedy
/// algorithm with one backtrack point, O(|pattern| * |text|) at worst.
pub(crate) fn matches(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == b'?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// The literal text before the first wildcard.
pub(crate) fn literal_prefix(pattern: &str) -> &str {
    &pattern[..pattern.find(['*', '?']).unwrap_or(pattern.len())]
}

/// The literal text after the last wildcard.
pub(crate) fn literal_suffix(pattern: &str) -> &str {
    &pattern[pattern.rfind(['*', '?']).map_or(0, |i| i + 1)..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_rows() {
        let rows = [
            ("*", "", true),
            ("*", "anything", true),
            ("*.example.com", "a.example.com", true),
            ("*.example.com", "example.com", false),
            ("*example.com", "badexample.com", true),
            ("10.*", "10.1.2.3", true),
            ("10.*", "110.1.2.3", false),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
            ("?.x", "a.x", true),
            ("?.x", "ab.x", false),
            ("*a", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", false),
            ("", "", true),
            ("", "a", false),
        ];
        for (pattern, text, want) in rows {
            assert_eq!(matches(pattern, text), want, "{pattern} ~ {text}");
        }
        assert_eq!(literal_prefix("10.*.x"), "10.");
        assert_eq!(literal_suffix("10.*.x"), ".x");
        assert_eq!(literal_suffix("*"), "");
    }
}
