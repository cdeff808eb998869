//! The workload of `benches/resolve.rs`: the generated `NO_PROXY` lists and
//! the URL set resolved per iteration. Shared with `examples/count_resolve.rs`,
//! which resolves the same set under an instruction counter.

pub(crate) const HTTP_PROXY: &str = "http://proxy.corp.example:3128";
pub(crate) const HTTPS_PROXY: &str = "http://alice:s3cret@proxy.corp.example:3129";
/// The number of URLs resolved per iteration in `resolve`, `resolve_from_str`
/// and `explain`.
pub(crate) const URLS_PER_ITER: usize = 15;

/// Entry `i` of a generated `NO_PROXY` list. Kinds rotate with `i % 4`:
/// a domain suffix (`.svcI.example.net`), an exact host name
/// (`hostI.internal.example`), a CIDR block (IPv4 and IPv6 in turn) and an IP
/// address (IPv4 and IPv6 in turn). Every entry reads the same in all three
/// implementations (checked by `check_agreement`).
fn entry(i: usize) -> String {
    let (hi, lo) = ((i >> 8) & 0xff, i & 0xff);
    let v6 = (i / 4) % 2 == 1;
    match (i % 4, v6) {
        (0, _) => format!(".svc{i}.example.net"),
        (1, _) => format!("host{i}.internal.example"),
        (2, false) => format!("10.{hi}.{lo}.0/24"),
        (2, true) => format!("fd00:{i:x}::/32"),
        (_, false) => format!("192.168.{hi}.{lo}"),
        (_, true) => format!("2001:db8:1::{i:x}"),
    }
}

/// The value of `NO_PROXY` with `n` entries, separated as people write them.
pub(crate) fn no_proxy(n: usize) -> String {
    (0..n).map(entry).collect::<Vec<_>>().join(", ")
}

/// The entry index of `kind` (0..4, and the IPv6 variant or not) nearest to
/// `at`, counting down; `None` when the list has none.
fn index_of(n: usize, kind: usize, v6: bool, at: usize) -> Option<usize> {
    (0..=at.min(n - 1))
        .rev()
        .find(|&i| i % 4 == kind && ((i / 4) % 2 == 1) == v6)
}

/// The URL set for a list of `n` entries, with whether each bypasses the
/// proxy. Hits name the entries in the middle and at the end of the list (no
/// early exit for linear scanners); misses scan everything.
pub(crate) fn urls(n: usize) -> Vec<(String, bool)> {
    let mid = |kind, v6| index_of(n, kind, v6, n / 2).expect("every list has kinds 0-3 in IPv4");
    let last = |kind, v6| index_of(n, kind, v6, n - 1).expect("every list has kinds 0-3 in IPv4");
    let v4 = |i: usize| ((i >> 8) & 0xff, i & 0xff);
    let (c_hi, c_lo) = v4(last(2, false));
    let (a_hi, a_lo) = v4(last(3, false));
    let mut set = vec![
        // Hits: subdomains of a suffix (one deep), exact hosts, IPs in a block, an address.
        (
            format!("https://api.svc{}.example.net/v1/items?id=7", mid(0, false)),
            true,
        ),
        (
            format!(
                "https://a.b.c.d.e.f.svc{}.example.net/deep/path",
                last(0, false)
            ),
            true,
        ),
        (
            format!("http://host{}.internal.example:8080/", last(1, false)),
            true,
        ),
        (
            format!("https://HOST{}.Internal.Example/login", mid(1, false)),
            true,
        ),
        (format!("http://10.{c_hi}.{c_lo}.77/metrics"), true),
        (format!("http://192.168.{a_hi}.{a_lo}:8080/"), true),
        // Misses: public names, a deep miss, near misses, IP literals.
        ("https://www.rust-lang.org/learn".to_owned(), false),
        (
            "https://static.crates.io/crates/url/url-2.5.8.crate".to_owned(),
            false,
        ),
        (
            "https://a.b.c.d.e.f.g.h.example.org/deep/path".to_owned(),
            false,
        ),
        (
            format!("https://notsvc{}.example.net/", mid(0, false)),
            false,
        ),
        (
            format!("http://host{}.internal.example.evil.com/", last(1, false)),
            false,
        ),
        ("http://8.8.8.8/".to_owned(), false),
        ("http://172.16.0.1:8080/".to_owned(), false),
        ("http://[2001:db8::1]:8080/".to_owned(), false),
    ];
    // An IPv6 literal in an IPv6 block: a hit where the list has one (n >= 8).
    set.push(match index_of(n, 2, true, n - 1) {
        Some(i) => (format!("http://[fd00:{i:x}::5]/"), true),
        None => ("http://[fd00:ffff::5]/".to_owned(), false),
    });
    assert_eq!(set.len(), URLS_PER_ITER);
    set
}

pub(crate) fn vars(no_proxy: &str) -> [(&'static str, String); 3] {
    [
        ("HTTP_PROXY", HTTP_PROXY.to_owned()),
        ("HTTPS_PROXY", HTTPS_PROXY.to_owned()),
        ("NO_PROXY", no_proxy.to_owned()),
    ]
}
