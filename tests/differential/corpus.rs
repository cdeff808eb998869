//! The corpus: seeded, reproducible random configurations and URLs.
//!
//! Every case is a set of environment variables and one URL. Proxy hosts are
//! loopback addresses (`127.0.0.N`) or names under `.proxy.test` that resolve
//! nowhere but in the curl probe's private `/etc/hosts` (to `127.0.1.N`), and
//! each variable of a case gets its own host, so the first hop a tool takes
//! names the variable it used.

use std::fmt;

/// A small deterministic PRNG (SplitMix64): the corpus must not change with a
/// dependency's version.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent` / 100.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// One configuration and one URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Case {
    /// The case's index in the corpus (with the seed, it reproduces the case).
    pub(crate) index: usize,
    pub(crate) vars: Vec<(String, String)>,
    pub(crate) url: String,
}

impl Case {
    /// The variable whose value names `host` (a proxy host is unique to one
    /// variable of a case).
    pub(crate) fn variable_of_host(&self, host: &str) -> Option<&str> {
        let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
        self.vars
            .iter()
            .filter(|(name, _)| is_proxy_variable(name))
            .find(|(_, value)| proxy_host_in(value).as_deref() == Some(host.as_str()))
            .map(|(name, _)| name.as_str())
    }
}

/// Whether a variable names a proxy (`*_proxy` but not `no_proxy`).
pub(crate) fn is_proxy_variable(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with("_proxy") && lower != "no_proxy"
}

impl fmt::Display for Case {
    /// A shell line that reproduces the case: `env -i VAR='value' ... URL`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("env -i")?;
        for (name, value) in &self.vars {
            write!(f, " {name}={}", shell_quote(value))?;
        }
        write!(f, " {}", shell_quote(&self.url))
    }
}

pub(crate) fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The proxy host our generator wrote into a value, lower case: `127.0.0.N`
/// or `pN.proxy.test`.
fn proxy_host_in(value: &str) -> Option<String> {
    let lower = value.to_ascii_lowercase();
    if let Some(start) = lower.find("127.0.") {
        let rest = &lower[start..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        return Some(rest[..end].to_owned());
    }
    let end = lower.find(".proxy.test")?;
    let start = lower[..end].rfind('p')?;
    Some(lower[start..end + ".proxy.test".len()].to_owned())
}

/// Maps a proxy host name of the corpus to the loopback address the curl
/// probe's `/etc/hosts` gives it: `pN.proxy.test` is `127.0.1.N`.
pub(crate) fn hosts_file() -> String {
    let mut out = String::from("127.0.0.1 localhost\n::1 localhost\n");
    for n in FIRST_PROXY..=LAST_PROXY {
        out.push_str(&format!("127.0.1.{n} p{n}.proxy.test\n"));
    }
    out
}

/// The address a proxy host connects to, and back.
pub(crate) fn proxy_host_for_address(ip: &str) -> Option<String> {
    if let Some(n) = ip.strip_prefix("127.0.1.") {
        return Some(format!("p{n}.proxy.test"));
    }
    let n: u8 = ip.strip_prefix("127.0.0.")?.parse().ok()?;
    (FIRST_PROXY..=LAST_PROXY)
        .contains(&n)
        .then(|| ip.to_owned())
}

const FIRST_PROXY: u8 = 2;
const LAST_PROXY: u8 = 40;

/// The proxy ports the corpus writes (the curl probe listens on each, and on
/// every scheme's default port).
pub(crate) const PROXY_PORTS: [u16; 5] = [3128, 8080, 1080, 8888, 31280];
/// The ports a proxy without a port may default to, per tool.
pub(crate) const DEFAULT_PROXY_PORTS: [u16; 4] = [21, 80, 443, 1080];

/// Every proxy scheme, and curl's `socks` (SOCKS4 there).
const PROXY_SCHEMES: [&str; 7] = [
    "http", "https", "socks4", "socks4a", "socks5", "socks5h", "socks",
];

/// Target hosts: names and addresses the `NO_PROXY` entries are drawn around.
const NAMES: [&str; 9] = [
    "example.com",
    "www.example.com",
    "api.internal.example.com",
    "example.org",
    "notexample.com",
    "intranet",
    "localhost",
    "bücher.example",
    "xn--bcher-kva.example",
];

const IPV4: [&str; 4] = ["10.1.2.3", "192.168.1.10", "127.0.0.1", "172.16.0.5"];
/// Other spellings of `10.1.2.3` and `127.0.0.1`.
const IPV4_SPELLINGS: [&str; 4] = ["0xa.1.2.3", "167838211", "10.1.515", "0x7f.1"];
const IPV6: [&str; 5] = [
    "::1",
    "2001:db8::5",
    "::ffff:10.1.2.3",
    "fd00::1:2",
    "2001:db8:0:0::5",
];

/// URL schemes, weighted: http and https are what most cases are about.
const URL_SCHEMES: [&str; 10] = [
    "http", "http", "http", "https", "https", "https", "ws", "wss", "ftp", "gopherx",
];

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        "ftp" => Some(21),
        _ => None,
    }
}

/// Builds the corpus: `count` cases from `seed`. The same seed and index give
/// the same case whatever the count.
pub(crate) fn corpus(seed: u64, count: usize) -> Vec<Case> {
    (0..count).map(|i| case(seed, i)).collect()
}

pub(crate) fn case(seed: u64, index: usize) -> Case {
    let mut rng = Rng::new(seed ^ (index as u64).wrapping_mul(0xd6e8_feb8_6659_fd93));
    let url_scheme = *rng.pick(&URL_SCHEMES);
    let mut vars = Vec::new();
    let mut next_host = FIRST_PROXY;

    let mut bases: Vec<&str> = vec!["http", "https", "all"];
    match url_scheme {
        "ws" | "wss" | "ftp" | "gopherx" => bases.push(url_scheme),
        _ => {}
    }
    if rng.chance(10) {
        bases.push(*rng.pick(&["ftp", "ws", "wss", "gopherx"]));
    }
    bases.dedup();
    for base in bases {
        let lower = format!("{base}_proxy");
        let upper = lower.to_ascii_uppercase();
        let (p_lower, p_upper) = if base == "all" { (30, 20) } else { (45, 35) };
        for (name, p) in [(lower, p_lower), (upper, p_upper)] {
            if rng.chance(p) && !vars.iter().any(|(n, _): &(String, String)| n == &name) {
                let value = proxy_value(&mut rng, next_host);
                next_host += 1;
                vars.push((name, value));
            }
        }
    }
    for name in ["no_proxy", "NO_PROXY"] {
        if rng.chance(45) {
            vars.push((name.to_owned(), no_proxy_value(&mut rng)));
        }
    }
    if rng.chance(8) {
        vars.push(("REQUEST_METHOD".to_owned(), "GET".to_owned()));
    }
    // A variable order of its own, as the environment would give it.
    for i in (1..vars.len()).rev() {
        let j = rng.below(i + 1);
        vars.swap(i, j);
    }
    let url = url(&mut rng, url_scheme);
    Case { index, vars, url }
}

fn proxy_host(rng: &mut Rng, n: u8) -> String {
    match rng.below(10) {
        0..=5 => format!("127.0.0.{n}"),
        6..=8 => format!("p{n}.proxy.test"),
        _ => format!("P{n}.Proxy.TEST"),
    }
}

fn proxy_value(rng: &mut Rng, n: u8) -> String {
    let host = proxy_host(rng, n);
    let port = if rng.chance(80) {
        format!(":{}", rng.pick(&PROXY_PORTS))
    } else {
        String::new()
    };
    let scheme = *rng.pick(&PROXY_SCHEMES);
    match rng.below(20) {
        0 => String::new(),
        1 => format!(" {scheme}://{host}{port}"),
        2 => format!("{scheme}://{host}{port} "),
        3..=5 => format!("{host}{port}"),
        6 => format!("{}://{host}{port}", scheme.to_ascii_uppercase()),
        7 => format!("{scheme}://{host}{port}/"),
        8 => format!("{scheme}://user:pw@{host}{port}"),
        9 => format!("ftp://{host}{port}"),
        _ => format!("{scheme}://{host}{port}"),
    }
}

fn no_proxy_value(rng: &mut Rng) -> String {
    if rng.chance(4) {
        return String::new();
    }
    if rng.chance(5) {
        return "*".to_owned();
    }
    let n = 1 + rng.below(4);
    let entries: Vec<String> = (0..n).map(|_| no_proxy_entry(rng)).collect();
    let sep = *rng.pick(&[",", ",", ",", ", ", " ", ",,"]);
    entries.join(sep)
}

fn no_proxy_entry(rng: &mut Rng) -> String {
    let name = *rng.pick(&NAMES);
    let base = name.split_once('.').map_or(name, |(_, rest)| rest);
    match rng.below(26) {
        0..=2 => name.to_owned(),
        3 | 4 => format!(".{base}"),
        5 | 6 => format!("*.{base}"),
        7 => "*".to_owned(),
        8 => format!("{name}:{}", rng.pick(&[80u16, 443, 8080, 21])),
        9 => {
            (*rng.pick(&["10.0.0.0/8", "10.1.2.0/24", "192.168.0.0/16", "127.0.0.0/8"])).to_owned()
        }
        10 => (*rng.pick(&[
            "2001:db8::/32",
            "::1/128",
            "fd00::/8",
            "::ffff:10.0.0.0/104",
        ]))
        .to_owned(),
        11 => (*rng.pick(&IPV6)).to_owned(),
        12 => format!("[{}]", rng.pick(&IPV6)),
        13 => "::ffff:10.1.2.3".to_owned(),
        14 => "localhost".to_owned(),
        15 => name.to_ascii_uppercase(),
        16 => format!("{name}."),
        17 => format!(" {name} "),
        18 => String::new(),
        19 => {
            (*rng.pick(&["bücher.example", "BÜCHER.example", "xn--bcher-kva.example"])).to_owned()
        }
        20 => (*rng.pick(&["ample.com", "example.com", "le.org"])).to_owned(),
        21 | 22 => (*rng.pick(&IPV4)).to_owned(),
        23 => format!("{}:{}", rng.pick(&IPV4), rng.pick(&[80u16, 8080])),
        24 => format!("[{}]:{}", rng.pick(&IPV6), rng.pick(&[80u16, 443])),
        _ => "127.0.0.1".to_owned(),
    }
}

fn url(rng: &mut Rng, scheme: &str) -> String {
    let host = match rng.below(20) {
        0..=8 => (*rng.pick(&NAMES)).to_owned(),
        9 => format!("{}.", rng.pick(&NAMES)),
        10 => rng.pick(&NAMES).to_ascii_uppercase(),
        11 => (*rng.pick(&[
            "LocalHost",
            "localhost.",
            "Bücher.Example",
            "WWW.Example.COM.",
        ]))
        .to_owned(),
        12..=14 => (*rng.pick(&IPV4)).to_owned(),
        15 => (*rng.pick(&IPV4_SPELLINGS)).to_owned(),
        16..=18 => format!("[{}]", rng.pick(&IPV6)),
        _ => format!("sub.{}", rng.pick(&NAMES)),
    };
    let port = match (rng.below(10), default_port(scheme)) {
        (0..=5, _) => String::new(),
        (6 | 7, Some(p)) => format!(":{p}"),
        _ => format!(":{}", rng.pick(&[8080u16, 443, 80, 21])),
    };
    format!("{scheme}://{host}{port}/p")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corpus_is_reproducible_and_independent_of_its_length() {
        let a = corpus(7, 50);
        let b = corpus(7, 80);
        assert_eq!(a[..], b[..50]);
        assert_ne!(corpus(8, 50), a);
    }

    #[test]
    fn proxy_hosts_are_found_back_in_their_variable() {
        for case in corpus(1, 300) {
            for (name, value) in &case.vars {
                if !is_proxy_variable(name) || value.is_empty() {
                    continue;
                }
                let host = proxy_host_in(value).unwrap_or_else(|| panic!("{name}={value}"));
                assert_eq!(case.variable_of_host(&host), Some(name.as_str()), "{case}");
            }
        }
    }
}
