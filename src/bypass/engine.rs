//! The compiled bypass matcher.
//!
//! Rules are sorted by strategy when the matcher is built:
//!
//! - name rules (`Host`, `Domain`, `Subdomains`) go into one hash table keyed
//!   by the name; a query walks the host from its last byte to its first,
//!   extending a hash as it goes, and looks up each suffix that starts on a label
//!   boundary: one lookup per label, whatever the list's length;
//! - text-suffix rules (`HostSuffix`) go into a second table, looked up only at
//!   the suffix lengths that some rule has;
//! - IP and CIDR rules go into one table per address family keyed by the masked
//!   address and prefix length; a query tries each prefix length present
//!   (at most 33 for IPv4, 129 for IPv6);
//! - `*` and the dialect's implicit bypass are flags.
//!
//! The answer is the matching rule with the lowest index, exactly what
//! [`BypassList::find_linear`] returns; queries never allocate.

use std::net::IpAddr;
#[cfg(test)]
use std::net::{Ipv4Addr, Ipv6Addr};

use super::table::{hash_prefix, hash_text, seed, step, Table};
use super::{BypassHit, BypassList, BypassRule, MatchFlags, Pattern};
use crate::target::Target;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Host,
    Domain,
    Subdomains,
}

#[derive(Debug, Clone, Copy)]
struct NameEntry {
    rule: u32,
    mode: Mode,
    port: Option<u16>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    rule: u32,
    port: Option<u16>,
}

/// Prefix lengths present, longest first, and the table of masked prefixes.
#[derive(Debug, Clone)]
struct NetTable {
    lengths: Vec<u8>,
    table: Table<(u128, u8), Entry>,
}

impl NetTable {
    fn build(items: Vec<(u128, u8, Entry)>) -> Self {
        let mut lengths: Vec<u8> = items.iter().map(|(_, len, _)| *len).collect();
        lengths.sort_unstable_by(|a, b| b.cmp(a));
        lengths.dedup();
        let table = Table::build(
            items
                .into_iter()
                .map(|(bits, len, entry)| (hash_prefix(bits, len), (bits, len), entry)),
        );
        NetTable { lengths, table }
    }

    fn find(&self, bits: u128, width: u8, target: &Target, flags: &MatchFlags, best: &mut Best) {
        for &len in &self.lengths {
            let masked = mask(bits, len, width);
            let entries = self
                .table
                .get(hash_prefix(masked, len), |k| *k == (masked, len));
            for entry in entries {
                if flags.port_ok(entry.port, target) {
                    best.offer(entry.rule);
                }
            }
        }
    }
}

fn mask(bits: u128, len: u8, width: u8) -> u128 {
    if len == 0 {
        0
    } else {
        let keep = u128::MAX << (u32::from(width - len) + (128 - u32::from(width)));
        bits & (keep >> (128 - u32::from(width)))
    }
}

/// The lowest rule index seen so far.
#[derive(Debug, Clone, Copy)]
struct Best(u32);

impl Best {
    const NONE: Best = Best(u32::MAX);

    #[inline]
    fn offer(&mut self, rule: u32) {
        if rule < self.0 {
            self.0 = rule;
        }
    }
}

/// A [`BypassList`] compiled for fast queries: no scan of the list, no allocation.
///
/// Made by [`BypassList::compile`]. `Send + Sync`; build once, query from
/// every thread.
#[derive(Debug, Clone)]
pub struct BypassMatcher {
    list: BypassList,
    all: Option<u32>,
    all_names: Option<u32>,
    names: Table<Box<str>, NameEntry>,
    suffixes: Table<Box<str>, Entry>,
    /// `suffix_lengths[n]`: some text-suffix rule is `n` bytes long.
    suffix_lengths: Vec<bool>,
    v4: NetTable,
    v6: NetTable,
}

impl BypassMatcher {
    pub(crate) fn new(list: &BypassList) -> Self {
        let mut all = None;
        let mut all_names = None;
        let mut names = Vec::new();
        let mut suffixes = Vec::new();
        let mut suffix_lengths = Vec::new();
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for (i, rule) in list.rules().iter().enumerate() {
            let rule_id = i as u32;
            let port = rule.port();
            let mut name = |text: &str, mode| {
                names.push((
                    hash_text(text),
                    Box::from(text),
                    NameEntry {
                        rule: rule_id,
                        mode,
                        port,
                    },
                ));
            };
            match rule.pattern() {
                Pattern::All => {
                    all.get_or_insert(rule_id);
                }
                Pattern::AllNames => {
                    all_names.get_or_insert(rule_id);
                }
                Pattern::Host(n) => name(n, Mode::Host),
                Pattern::Domain(n) => name(n, Mode::Domain),
                Pattern::Subdomains(n) => name(n, Mode::Subdomains),
                Pattern::HostSuffix(n) => {
                    if suffix_lengths.len() <= n.len() {
                        suffix_lengths.resize(n.len() + 1, false);
                    }
                    suffix_lengths[n.len()] = true;
                    suffixes.push((
                        hash_text(n),
                        n.clone(),
                        Entry {
                            rule: rule_id,
                            port,
                        },
                    ));
                }
                Pattern::Net(net) => {
                    let entry = Entry {
                        rule: rule_id,
                        port,
                    };
                    match net.network() {
                        IpAddr::V4(a) => {
                            v4.push((u128::from(u32::from(a)), net.prefix_len(), entry))
                        }
                        IpAddr::V6(a) => v6.push((u128::from(a), net.prefix_len(), entry)),
                    }
                }
            }
        }
        BypassMatcher {
            list: list.clone(),
            all,
            all_names,
            names: Table::build(names),
            suffixes: Table::build(suffixes),
            suffix_lengths,
            v4: NetTable::build(v4),
            v6: NetTable::build(v6),
        }
    }

    /// The list this matcher was compiled from.
    pub fn list(&self) -> &BypassList {
        &self.list
    }

    /// The rules, in list order.
    pub fn rules(&self) -> &[BypassRule] {
        self.list.rules()
    }

    /// Whether `target` bypasses the proxy.
    #[must_use]
    pub fn matches(&self, target: &Target) -> bool {
        self.find(target).is_some()
    }

    /// The first rule (lowest index) that `target` matches, or the dialect's
    /// implicit bypass; the same answer as [`BypassList::find_linear`].
    #[must_use]
    pub fn find(&self, target: &Target) -> Option<BypassHit<'_>> {
        let flags = self.list.flags();
        if let Some(why) = flags.implicit.covers(target) {
            return Some(BypassHit::Implicit(why));
        }
        let mut best = Best::NONE;
        if let Some(rule) = self.all {
            best.offer(rule);
        }
        if let Some(rule) = self.all_names {
            if target.ip().is_none() {
                best.offer(rule);
            }
        }
        if let Some(text) = flags.name_text(target) {
            self.find_name(text, target, &flags, &mut best);
        }
        if let Some(ip) = target.ip() {
            self.find_ip(ip, target, &flags, &mut best);
        }
        self.list.rules().get(best.0 as usize).map(BypassHit::Rule)
    }

    fn find_name(&self, host: &str, target: &Target, flags: &MatchFlags, best: &mut Best) {
        let names = !self.names.is_empty();
        let suffixes = !self.suffixes.is_empty();
        if !names && !suffixes {
            return;
        }
        let bytes = host.as_bytes();
        let mut hash = seed();
        for p in (0..bytes.len()).rev() {
            hash = step(hash, bytes[p]);
            let tail = &host[p..];
            if suffixes
                && self
                    .suffix_lengths
                    .get(tail.len())
                    .copied()
                    .unwrap_or(false)
            {
                for entry in self.suffixes.get(hash, |k| **k == *tail) {
                    if flags.port_ok(entry.port, target) {
                        best.offer(entry.rule);
                    }
                }
            }
            let boundary = p == 0 || bytes[p - 1] == b'.';
            if names && boundary {
                for entry in self.names.get(hash, |k| **k == *tail) {
                    let mode_ok = match entry.mode {
                        Mode::Host => p == 0,
                        Mode::Domain => true,
                        Mode::Subdomains => p > 0,
                    };
                    if mode_ok
                        && flags.port_ok(entry.port, target)
                        && (!flags.first_occurrence || first_occurrence_at_end(host, tail))
                    {
                        best.offer(entry.rule);
                    }
                }
            }
        }
    }

    fn find_ip(&self, ip: IpAddr, target: &Target, flags: &MatchFlags, best: &mut Best) {
        match ip {
            IpAddr::V4(a) => {
                self.v4
                    .find(u128::from(u32::from(a)), 32, target, flags, best);
                if !self.v6.lengths.is_empty() {
                    let mapped = a.to_ipv6_mapped();
                    self.v6.find(u128::from(mapped), 128, target, flags, best);
                }
            }
            IpAddr::V6(a) => {
                self.v6.find(u128::from(a), 128, target, flags, best);
                if let Some(v4) = a.to_ipv4_mapped() {
                    self.v4
                        .find(u128::from(u32::from(v4)), 32, target, flags, best);
                }
            }
        }
    }
}

/// postman-request's test: the first place `.entry` occurs in `.host` is its end.
pub(crate) fn first_occurrence_at_end(host: &str, entry: &str) -> bool {
    let (h, e) = (host.as_bytes(), entry.as_bytes());
    if e.len() > h.len() {
        return false;
    }
    // Positions in ".host" where ".entry" could start; byte j of ".host" is
    // '.' for j == 0 and h[j - 1] otherwise.
    let at = |j: usize| if j == 0 { b'.' } else { h[j - 1] };
    let last = h.len() - e.len();
    (0..=last).find(|&i| at(i) == b'.' && (0..e.len()).all(|k| at(i + 1 + k) == e[k])) == Some(last)
}

/// An IPv4 address as the matcher's IPv4 key would see it, for tests.
#[cfg(test)]
pub(crate) fn v4_bits(a: Ipv4Addr) -> u128 {
    u128::from(u32::from(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        let a = v4_bits("10.1.2.3".parse().unwrap());
        assert_eq!(mask(a, 8, 32), v4_bits("10.0.0.0".parse().unwrap()));
        assert_eq!(mask(a, 32, 32), a);
        assert_eq!(mask(a, 0, 32), 0);
        let b = u128::from("2001:db8::1".parse::<Ipv6Addr>().unwrap());
        assert_eq!(
            mask(b, 32, 128),
            u128::from("2001:db8::".parse::<Ipv6Addr>().unwrap())
        );
        assert_eq!(mask(b, 128, 128), b);
    }

    #[test]
    fn postman_first_occurrence() {
        assert!(first_occurrence_at_end("sub.example.com", "example.com"));
        assert!(first_occurrence_at_end("example.com", "example.com"));
        assert!(!first_occurrence_at_end("a.b.a.b", "a.b"));
        assert!(!first_occurrence_at_end("badexample.com", "example.com"));
    }
}
