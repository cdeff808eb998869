//! Differential: structured rule lists and hosts drawn from a small alphabet
//! (so that they meet often), compiled engine against the linear oracle under
//! every dialect, and each host's text through the fast and the URL path.
#![no_main]

use std::net::{Ipv4Addr, Ipv6Addr};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use proxyroute::{BypassList, Dialect, Target};
use proxyroute_fuzz::{check_engine_equals_oracle, check_target_text};

const LABELS: &[&str] = &[
    "a",
    "b",
    "x",
    "example",
    "com",
    "corp",
    "localhost",
    "xn--bcher-kva",
    "bücher",
    "Example",
    "10",
    "0",
    "127",
    "ff",
    "a-b",
    "_x",
    "badexample",
];
const OCTETS: &[u8] = &[0, 1, 2, 10, 127, 169, 192, 168, 254, 255];
const SEGMENTS: &[u16] = &[0, 1, 0xff, 0xffff, 0xfe80, 0x2001, 0xdb8, 0xa00, 0x7f00];
const PORTS: &[&str] = &["80", "443", "8080", "0", "65535", "65536", "", "x"];
const SEPARATORS: &[&str] = &[",", ", ", ";", " ", ",,", "\n", " , "];

#[derive(Arbitrary, Debug)]
struct Name(Vec<u8>);

impl Name {
    fn text(&self) -> String {
        let labels: Vec<&str> = self
            .0
            .iter()
            .take(5)
            .map(|&b| LABELS[usize::from(b) % LABELS.len()])
            .collect();
        if labels.is_empty() {
            "a".to_owned()
        } else {
            labels.join(".")
        }
    }
}

fn v4(o: [u8; 4]) -> Ipv4Addr {
    Ipv4Addr::from(o.map(|b| OCTETS[usize::from(b) % OCTETS.len()]))
}

fn v6(s: [u8; 8]) -> Ipv6Addr {
    Ipv6Addr::from(s.map(|b| SEGMENTS[usize::from(b) % SEGMENTS.len()]))
}

#[derive(Arbitrary, Debug)]
enum Entry {
    Name(Name),
    Dot(Name),
    StarDot(Name),
    StarPrefix(Name),
    Star,
    V4([u8; 4]),
    V6([u8; 8]),
    Mapped([u8; 4]),
    Bracketed([u8; 8]),
    Cidr4([u8; 4], u8),
    Cidr6([u8; 8], u8),
    MappedCidr([u8; 4], u8),
    NamePort(Name, u8),
    V4Port([u8; 4], u8),
    V6Port([u8; 8], u8),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
struct Decorated {
    entry: Entry,
    upper: bool,
    trailing_dot: bool,
    pad: u8,
}

impl Decorated {
    fn text(&self) -> String {
        let port = |p: &u8| PORTS[usize::from(*p) % PORTS.len()];
        let mut e = match &self.entry {
            Entry::Name(n) => n.text(),
            Entry::Dot(n) => format!(".{}", n.text()),
            Entry::StarDot(n) => format!("*.{}", n.text()),
            Entry::StarPrefix(n) => format!("*{}", n.text()),
            Entry::Star => "*".to_owned(),
            Entry::V4(o) => v4(*o).to_string(),
            Entry::V6(s) => v6(*s).to_string(),
            Entry::Mapped(o) => v4(*o).to_ipv6_mapped().to_string(),
            Entry::Bracketed(s) => format!("[{}]", v6(*s)),
            Entry::Cidr4(o, n) => format!("{}/{}", v4(*o), n % 40),
            Entry::Cidr6(s, n) => format!("{}/{}", v6(*s), n % 136),
            Entry::MappedCidr(o, n) => format!("{}/{}", v4(*o).to_ipv6_mapped(), 96 + n % 40),
            Entry::NamePort(n, p) => format!("{}:{}", n.text(), port(p)),
            Entry::V4Port(o, p) => format!("{}:{}", v4(*o), port(p)),
            Entry::V6Port(s, p) => format!("[{}]:{}", v6(*s), port(p)),
            Entry::Raw(s) => s.chars().take(32).collect(),
        };
        if self.upper {
            e = e.to_uppercase();
        }
        if self.trailing_dot {
            e.push('.');
        }
        match self.pad % 6 {
            0 => format!(" {e}"),
            1 => format!("{e}\t"),
            _ => e,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Host {
    Name(Name),
    V4([u8; 4]),
    V4Alt([u8; 4], u8),
    V6([u8; 8]),
    Mapped([u8; 4]),
    Zone([u8; 8]),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
struct Request {
    host: Host,
    port: Option<u8>,
    scheme: u8,
}

impl Request {
    fn text(&self) -> String {
        let scheme = ["http", "https", "ws", "ftp", "foo", "HTTP"][usize::from(self.scheme) % 6];
        let host = match &self.host {
            Host::Name(n) => n.text(),
            Host::V4(o) => v4(*o).to_string(),
            Host::V4Alt(o, form) => {
                let a = v4(*o);
                let n = u32::from(a);
                let o = a.octets();
                match form % 4 {
                    0 => n.to_string(),
                    1 => format!("0x{n:x}"),
                    2 => format!("{}.{}", o[0], n & 0xff_ffff),
                    _ => format!("0{:o}.{}.{}.{}", o[0], o[1], o[2], o[3]),
                }
            }
            Host::V6(s) => format!("[{}]", v6(*s)),
            Host::Mapped(o) => format!("[{}]", v4(*o).to_ipv6_mapped()),
            Host::Zone(s) => format!("[{}%25eth0]", v6(*s)),
            Host::Raw(s) => s.chars().take(40).collect(),
        };
        let port = match self.port {
            None => String::new(),
            Some(p) => format!(":{}", PORTS[usize::from(p) % PORTS.len()]),
        };
        format!("{scheme}://{host}{port}/")
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    entries: Vec<(Decorated, u8)>,
    requests: Vec<Request>,
}

fuzz_target!(|input: Input| {
    let mut text = String::new();
    for (i, (entry, sep)) in input.entries.iter().take(64).enumerate() {
        if i > 0 {
            text.push_str(SEPARATORS[usize::from(*sep) % SEPARATORS.len()]);
        }
        text.push_str(&entry.text());
    }
    let mut targets = Vec::new();
    for r in input.requests.iter().take(16) {
        let url = r.text();
        check_target_text(&url);
        if let Ok(t) = Target::parse(&url) {
            targets.push(t);
        }
    }
    for &dialect in Dialect::ALL {
        check_engine_equals_oracle(&BypassList::parse(&text, dialect), &targets);
    }
});
