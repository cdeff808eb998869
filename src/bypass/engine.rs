//! The compiled bypass matcher.
//!
//! Rules are sorted by strategy when the matcher is built. A kind with at most
//! 16 rules (names, IPv4, IPv6) is scanned in list order over precompiled
//! entries instead (a word compare per name, a mask per address), which is
//! cheaper than hashing the host. Otherwise:
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

use super::glob;
use super::table::{
    combine, hash_forward, hash_name, hash_prefix, hash_text, label_hash, seed, step, Table,
};
use super::{BypassHit, BypassList, BypassRule, ImplicitBypass, MatchFlags, Pattern};
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
    scoped: bool,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    rule: u32,
    port: Option<u16>,
    /// The rule is limited to one request scheme: check it.
    scoped: bool,
    /// The key is only the literal end of a glob: match the whole glob.
    glob: bool,
}

/// The bits of an address, `u32` for IPv4 and `u128` for IPv6.
trait Bits: Copy + Eq + std::ops::BitAnd<Output = Self> {
    /// The mask that keeps the first `len` bits.
    fn mask(len: u8) -> Self;
    /// The table hash of a masked prefix of `len` bits.
    fn hash_with(self, len: u8) -> u64;
}

impl Bits for u32 {
    #[inline]
    fn mask(len: u8) -> u32 {
        u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0)
    }

    /// The prefix and its length side by side: distinct prefixes never
    /// share a hash.
    #[inline]
    fn hash_with(self, len: u8) -> u64 {
        (u64::from(self) << 8) | u64::from(len)
    }
}

impl Bits for u128 {
    #[inline]
    fn mask(len: u8) -> u128 {
        u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0)
    }

    #[inline]
    fn hash_with(self, len: u8) -> u64 {
        hash_prefix(self, len)
    }
}

/// The IP rules of one family, for a long list: the prefix lengths present,
/// longest first, each with its mask, and a table keyed by masked prefix and
/// length.
#[derive(Debug, Clone)]
struct NetTable<T> {
    lengths: Vec<(u8, T)>,
    table: Table<(T, u8), Entry>,
}

impl<T: Bits> NetTable<T> {
    /// From `(network, prefix length, entry)`, networks already masked.
    fn build(items: Vec<(T, u8, Entry)>) -> Self {
        let mut lengths: Vec<u8> = items.iter().map(|(_, len, _)| *len).collect();
        lengths.sort_unstable_by(|a, b| b.cmp(a));
        lengths.dedup();
        let table = Table::build(
            items
                .into_iter()
                .map(|(bits, len, entry)| (bits.hash_with(len), (bits, len), entry)),
        );
        NetTable {
            lengths: lengths.into_iter().map(|len| (len, T::mask(len))).collect(),
            table,
        }
    }

    fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    /// Offers every rule whose block holds `bits`: one lookup per prefix length.
    #[inline]
    fn probe(&self, bits: T, admits: &impl Fn(u32, Option<u16>, bool) -> bool, best: &mut Best) {
        for &(len, mask) in &self.lengths {
            let masked = bits & mask;
            let entries = self
                .table
                .get(masked.hash_with(len), |k| *k == (masked, len));
            if let Some(entry) = entries.iter().find(|e| admits(e.rule, e.port, e.scoped)) {
                best.offer(entry.rule);
            }
        }
    }
}

/// `::ffff:0:0/96`, where IPv4-mapped IPv6 addresses live.
const MAPPED: u128 = 0xffff << 32;

/// Whether the IPv6 block `net/len` holds some IPv4-mapped address.
fn holds_mapped(net: u128, len: u8) -> bool {
    let keep = u128::mask(len.min(96));
    net & keep == MAPPED & keep
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

    fn get(self) -> Option<u32> {
        (self.0 != u32::MAX).then_some(self.0)
    }
}

/// Texts keyed by their hash, with a note of which lengths occur, so that a
/// walk over a host tries only the lengths some key has. The keys' texts sit
/// end to end in one string; a key is its place there.
#[derive(Debug, Clone)]
struct TextTable<V> {
    table: Table<(u32, u32), V>,
    keys: Box<str>,
    /// Bit `n` set: some key is `n` bytes long (keys of 256 bytes or more set bit 255).
    lengths: [u64; 4],
    longest: usize,
}

impl<V: Copy> TextTable<V> {
    fn build(items: Vec<(u64, &str, V)>) -> Self {
        let mut lengths = [0u64; 4];
        let mut longest = 0;
        let mut keys = String::with_capacity(items.iter().map(|(_, key, _)| key.len()).sum());
        let items: Vec<(u64, (u32, u32), V)> = items
            .into_iter()
            .map(|(hash, key, value)| {
                let n = key.len().min(255);
                lengths[n >> 6] |= 1 << (n & 63);
                longest = longest.max(key.len());
                let at = keys.len() as u32;
                keys.push_str(key);
                (hash, (at, keys.len() as u32), value)
            })
            .collect();
        let text = |&(start, end): &(u32, u32)| &keys.as_bytes()[start as usize..end as usize];
        let table = Table::build_by(items, |a, b| text(a) == text(b));
        TextTable {
            table,
            keys: keys.into_boxed_str(),
            lengths,
            longest,
        }
    }

    /// The values under the key `text`, whose hash is `hash`.
    #[inline(always)]
    fn get(&self, hash: u64, text: &[u8]) -> &[V] {
        self.table.get(hash, |&(start, end)| {
            &self.keys.as_bytes()[start as usize..end as usize] == text
        })
    }

    #[inline]
    fn has_length(&self, len: usize) -> bool {
        let n = len.min(255);
        (self.lengths[n >> 6] >> (n & 63)) & 1 != 0
    }

    /// The length of the longest key (0 when empty).
    #[inline]
    fn longest(&self) -> usize {
        self.longest
    }
}

/// Kinds with at most this many rules are scanned in list order rather than
/// hashed: a handful of word compares costs less than hashing the host.
const SCAN_MAX: usize = 16;

/// A name rule of a short list, ready for a scan: its last (up to) eight
/// bytes as a word, so that most misses cost one compare.
#[derive(Debug, Clone)]
struct ScanName {
    /// [`tail_word`] of the name.
    word: u64,
    /// The bits of a host's [`tail_word`] that the name covers.
    mask: u64,
    text: Box<str>,
    entry: NameEntry,
}

/// The last (up to) eight bytes of `bytes`, the last byte lowest.
#[inline]
fn tail_word(bytes: &[u8]) -> u64 {
    match bytes.len().checked_sub(8) {
        Some(at) => match <[u8; 8]>::try_from(&bytes[at..]) {
            Ok(word) => u64::from_be_bytes(word),
            Err(_) => 0,
        },
        None => bytes.iter().fold(0, |w, &b| (w << 8) | u64::from(b)),
    }
}

/// An IP rule of a short list: the network and its mask.
#[derive(Debug, Clone, Copy)]
struct ScanNet<T> {
    net: T,
    mask: T,
    entry: Entry,
}

/// A [`BypassList`] compiled for fast queries: no scan of a long list, no allocation.
///
/// Made by [`BypassList::compile`]. `Send + Sync`; build once, query from
/// every thread. Only glob rules are tried one by one, and only those whose
/// literal start or end the host has (or the rare glob with neither).
#[derive(Debug, Clone)]
pub struct BypassMatcher {
    list: BypassList,
    /// `*` rules, lowest first; more than one only when scheme- or
    /// port-scoped ones come before the first unscoped one.
    all: Vec<u32>,
    all_names: Vec<u32>,
    plain_hostnames: Vec<u32>,
    subtract: Option<u32>,
    /// Name rules: scanned when few (`names_scan`), else hashed (`names`);
    /// one of the two is empty.
    names_scan: Vec<ScanName>,
    names: TextTable<NameEntry>,
    /// Some hashed name key could be (a suffix of) an IP literal's text:
    /// only then do IP targets look names up.
    ip_like_names: bool,
    /// Text suffixes, and the literal ends of globs.
    suffixes: TextTable<Entry>,
    /// The literal starts of globs that end in a wildcard.
    prefixes: TextTable<Entry>,
    /// Globs with no literal start or end (`*a*`).
    open_globs: Vec<Entry>,
    /// IP rules, per family: scanned when few, else hashed; one of each pair is empty.
    v4_scan: Vec<ScanNet<u32>>,
    v6_scan: Vec<ScanNet<u128>>,
    v4: NetTable<u32>,
    v6: NetTable<u128>,
    /// Some IPv6 rule holds IPv4-mapped addresses: IPv4 targets try the
    /// IPv6 rules too.
    v6_maps_v4: bool,
    /// Some `*`, `<local>` or hyper-style `*` rule exists.
    flag_rules: bool,
    /// Some text-suffix or glob rule exists.
    text_rules: bool,
    /// No implicit bypass, no `<-loopback>`, not reversed: the answer is the
    /// first matching rule, as found.
    plain: bool,
    /// Some rule matches only hosts written a certain way (a trailing dot,
    /// Unicode): only then is the target's written form checked.
    written_rules: bool,
    /// Some rule is limited to URL paths (Postman patterns).
    path_rules: bool,
}

impl BypassMatcher {
    pub(crate) fn new<'l>(list: &'l BypassList) -> Self {
        let mut all = Vec::new();
        let mut all_names = Vec::new();
        let mut plain_hostnames = Vec::new();
        let mut subtract = None;
        // A flag rule matters only until the first one without a scope.
        let flag = |ids: &mut Vec<u32>, rule_id: u32| {
            let unscoped = |id: &u32| {
                let r = &list.rules()[*id as usize];
                r.port().is_none()
                    && r.scheme().is_none()
                    && r.need == super::Need::ANY
                    && !r.has_path()
            };
            if !ids.last().is_some_and(unscoped) {
                ids.push(rule_id);
            }
        };
        let mut names: Vec<(u64, &str, NameEntry)> = Vec::new();
        let mut suffixes: Vec<(u64, &str, Entry)> = Vec::new();
        let mut prefixes: Vec<(u64, &str, Entry)> = Vec::new();
        let mut open_globs = Vec::new();
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for (i, rule) in list.rules().iter().enumerate() {
            let rule_id = i as u32;
            let port = rule.port();
            let scoped = rule.scheme().is_some();
            let entry = Entry {
                rule: rule_id,
                port,
                scoped,
                glob: false,
            };
            let mut name = |text: &'l str, mode| {
                let entry = NameEntry {
                    rule: rule_id,
                    mode,
                    port,
                    scoped,
                };
                names.push((hash_name(text), text, entry));
            };
            match rule.pattern() {
                Pattern::All => flag(&mut all, rule_id),
                Pattern::AllNames => flag(&mut all_names, rule_id),
                Pattern::PlainHostnames => flag(&mut plain_hostnames, rule_id),
                Pattern::SubtractImplicit => {
                    subtract.get_or_insert(rule_id);
                }
                Pattern::Host(n) => name(n, Mode::Host),
                Pattern::Domain(n) => name(n, Mode::Domain),
                Pattern::Subdomains(n) => name(n, Mode::Subdomains),
                Pattern::HostSuffix(n) => suffixes.push((hash_text(n), &**n, entry)),
                Pattern::Glob(g) => {
                    let entry = Entry {
                        glob: true,
                        ..entry
                    };
                    let (start, end) = (glob::literal_prefix(g), glob::literal_suffix(g));
                    if !end.is_empty() {
                        suffixes.push((hash_text(end), end, entry));
                    } else if !start.is_empty() {
                        prefixes.push((hash_forward(start), start, entry));
                    } else {
                        open_globs.push(entry);
                    }
                }
                Pattern::Net(net) => {
                    let len = net.prefix_len();
                    match net.network() {
                        IpAddr::V4(a) => v4.push((u32::from(a) & u32::mask(len), len, entry)),
                        IpAddr::V6(a) => v6.push((u128::from(a) & u128::mask(len), len, entry)),
                    }
                }
            }
        }
        let names_scan = if names.len() <= SCAN_MAX {
            names
                .drain(..)
                .map(|(_, text, entry): (u64, &str, NameEntry)| {
                    let bytes = text.as_bytes();
                    ScanName {
                        word: tail_word(bytes),
                        mask: match bytes.len() {
                            n if n >= 8 => u64::MAX,
                            n => (1u64 << (8 * n)) - 1,
                        },
                        entry,
                        text: text.into(),
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        let v6_maps_v4 = v6.iter().any(|&(net, len, _)| holds_mapped(net, len));
        let v4_scan = scan_or_keep(&mut v4);
        let v6_scan = scan_or_keep(&mut v6);
        // An IP literal's text (no zone) holds only these bytes.
        let ip_like_names = names.iter().any(|(_, key, _)| {
            key.bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f' | b'.' | b':' | b'[' | b']'))
        });
        let text_rules = !(suffixes.is_empty() && prefixes.is_empty() && open_globs.is_empty());
        BypassMatcher {
            written_rules: list.rules().iter().any(|r| r.need != super::Need::ANY),
            path_rules: list.rules().iter().any(BypassRule::has_path),
            flag_rules: !(all.is_empty() && all_names.is_empty() && plain_hostnames.is_empty()),
            text_rules,
            plain: list.flags().implicit == ImplicitBypass::None
                && subtract.is_none()
                && !list.is_reversed(),
            list: list.clone(),
            all,
            all_names,
            plain_hostnames,
            subtract,
            names_scan,
            names: TextTable::build(names),
            ip_like_names,
            suffixes: TextTable::build(suffixes),
            prefixes: TextTable::build(prefixes),
            open_globs,
            v4_scan,
            v6_scan,
            v4: NetTable::build(v4),
            v6: NetTable::build(v6),
            v6_maps_v4,
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

    /// Why `target` bypasses the proxy, if it does: the first rule (lowest
    /// index) it matches, or the dialect's implicit bypass; the same answer as
    /// [`BypassList::find_linear`].
    #[must_use]
    pub fn find(&self, target: &Target) -> Option<BypassHit<'_>> {
        let best = self.first_rule(target);
        if self.plain {
            return best
                .get()
                .map(|rule| BypassHit::Rule(&self.list.rules()[rule as usize]));
        }
        self.finish(target, best)
    }

    /// The matching rule with the lowest index, `<-loopback>` aside.
    #[inline]
    fn first_rule(&self, target: &Target) -> Best {
        let flags = self.list.flags();
        let rules = self.list.rules();
        let mut best = Best::NONE;
        let admits = |rule: u32, port: Option<u16>, scoped: bool| {
            flags.port_ok(port, target)
                && (!self.written_rules || rules[rule as usize].admits_written(target))
                && (!self.path_rules || rules[rule as usize].admits_path(target))
                && (!scoped || rules[rule as usize].scheme() == Some(target.scheme()))
        };
        if self.flag_rules {
            if let Some(&rule) = self
                .all
                .iter()
                .find(|&&r| flags.rule_ok(&rules[r as usize], target))
            {
                best.offer(rule);
            }
            if target.ip().is_none() {
                if let Some(&rule) = self
                    .all_names
                    .iter()
                    .find(|&&r| flags.rule_ok(&rules[r as usize], target))
                {
                    best.offer(rule);
                }
            }
        }
        match target.ip() {
            // A name is never bracketed, and has no zone: it is the name
            // text, unless the tool sees its spelling.
            None => {
                let host = match target.spelled() {
                    Some(spelled) if target.written().bits() & flags.as_written != 0 => spelled,
                    _ => target.host_in_url(),
                };
                self.find_name(host, target, &flags, &admits, &mut best);
            }
            Some(ip) => {
                if let Some(text) = flags.name_text(target) {
                    self.find_name(&text, target, &flags, &admits, &mut best);
                }
                if !(flags.v6_as_text && ip.is_ipv6()) {
                    self.find_ip(ip, flags.ip_families_apart, &admits, &mut best);
                }
            }
        }
        best
    }

    /// The implicit bypass, `<-loopback>` and reversal applied to the first rule.
    fn finish(&self, target: &Target, mut best: Best) -> Option<BypassHit<'_>> {
        let rules = self.list.rules();
        let implicit = match self.list.flags().implicit {
            ImplicitBypass::None => None,
            other => other.covers(target),
        };
        if let (Some(rule), Some(_)) = (self.subtract, implicit) {
            best.offer(rule);
        }
        let found = match (implicit, best.get()) {
            (Some(_), Some(rule)) if self.subtract == Some(rule) => None,
            (Some(why), _) if self.subtract.is_none() => Some(BypassHit::Implicit(why)),
            (_, Some(rule)) => Some(BypassHit::Rule(&rules[rule as usize])),
            (_, None) => None,
        };
        match (self.list.is_reversed(), found) {
            (false, found) => found,
            // A reversed list still never proxies the implicit hosts, unless
            // it names them (Chromium's `Matches(url, reverse)`).
            (true, Some(BypassHit::Implicit(why))) if best.get().is_none() => {
                Some(BypassHit::Implicit(why))
            }
            (true, None) => Some(BypassHit::NotListed),
            (true, Some(_)) => None,
        }
    }

    /// Name rules, then (when the list has any) text rules and `<local>`.
    #[inline]
    fn find_name(
        &self,
        host: &str,
        target: &Target,
        flags: &MatchFlags,
        admits: &impl Fn(u32, Option<u16>, bool) -> bool,
        best: &mut Best,
    ) {
        let bytes = host.as_bytes();
        if !self.names_scan.is_empty() {
            // Few rules: each in list order, the first that admits the target wins.
            let word = tail_word(bytes);
            for name in &self.names_scan {
                if word & name.mask != name.word || name.text.len() > bytes.len() {
                    continue;
                }
                let start = bytes.len() - name.text.len();
                let dot = start > 0 && bytes[start - 1] == b'.';
                let mode_ok = match name.entry.mode {
                    Mode::Host => start == 0,
                    Mode::Domain => start == 0 || dot,
                    Mode::Subdomains => dot,
                };
                let head = name.text.len().saturating_sub(8);
                if mode_ok
                    && bytes[start..start + head] == name.text.as_bytes()[..head]
                    && admits(name.entry.rule, name.entry.port, name.entry.scoped)
                    && (!flags.first_occurrence || first_occurrence_at_end(host, &name.text))
                {
                    best.offer(name.entry.rule);
                    break;
                }
            }
        } else if !self.names.table.is_empty()
            && (target.ip().is_none() || self.ip_like_names || target.spelled().is_some())
        {
            self.find_hashed_name(host, target, flags, admits, best);
        }
        if self.text_rules || !self.plain_hostnames.is_empty() {
            self.find_text(host, target, flags, admits, best);
        }
    }

    /// Name rules of a long list, by hash: one lookup per label suffix whose
    /// length some key has, stopping past the longest key.
    #[inline]
    fn find_hashed_name(
        &self,
        host: &str,
        target: &Target,
        flags: &MatchFlags,
        admits: &impl Fn(u32, Option<u16>, bool) -> bool,
        best: &mut Best,
    ) {
        let longest = self.names.longest();
        // Where the walk goes on: the whole host, from the empty suffix.
        let (mut hash, mut end) = (seed(), host.len());
        if target.ip().is_none() && host.as_ptr() == target.host_in_url().as_ptr() {
            // A host name's suffixes come hashed from the target (not those
            // of a spelling the tool sees instead).
            let prehashed = target.suffixes();
            for (&suffix, &start) in prehashed.hashes().iter().zip(prehashed.starts()) {
                let start = usize::from(start);
                let len = host.len() - start;
                if len > longest {
                    return;
                }
                if self.names.has_length(len) {
                    self.probe_name(suffix, start, host, flags, admits, best);
                }
                let Some(before) = start.checked_sub(1) else {
                    return; // the whole host
                };
                (hash, end) = (suffix, before);
            }
        }
        // IP text, or labels beyond the prehashed ones: hashed here.
        let walk = LabelWalk::resume(host.as_bytes(), longest, hash, end);
        self.walk_names(walk, host, flags, admits, best);
    }

    /// [`find_hashed_name`](Self::find_hashed_name) past the prehashed
    /// suffixes: hashes each label on the way.
    #[inline(never)]
    fn walk_names(
        &self,
        mut walk: LabelWalk<'_>,
        host: &str,
        flags: &MatchFlags,
        admits: &impl Fn(u32, Option<u16>, bool) -> bool,
        best: &mut Best,
    ) {
        while let Some((hash, start)) = walk.next() {
            if self.names.has_length(host.len() - start) {
                self.probe_name(hash, start, host, flags, admits, best);
            }
        }
    }

    /// The name rules keyed by `host[start..]`, whose hash is `hash`.
    #[inline(always)]
    fn probe_name(
        &self,
        hash: u64,
        start: usize,
        host: &str,
        flags: &MatchFlags,
        admits: &impl Fn(u32, Option<u16>, bool) -> bool,
        best: &mut Best,
    ) {
        let tail = &host.as_bytes()[start..];
        let entries = self.names.get(hash, tail);
        // In rule order: the first admitted is the lowest.
        if let Some(entry) = entries.iter().find(|entry| {
            let mode_ok = match entry.mode {
                Mode::Host => start == 0,
                Mode::Domain => true,
                Mode::Subdomains => start > 0,
            };
            mode_ok
                && admits(entry.rule, entry.port, entry.scoped)
                && (!flags.first_occurrence || first_occurrence_at_end(host, &host[start..]))
        }) {
            best.offer(entry.rule);
        }
    }

    /// `<local>`, text suffixes and globs.
    fn find_text(
        &self,
        host: &str,
        target: &Target,
        flags: &MatchFlags,
        admits: &impl Fn(u32, Option<u16>, bool) -> bool,
        best: &mut Best,
    ) {
        if !self.plain_hostnames.is_empty() && target.ip().is_none() && !host.contains('.') {
            if let Some(&rule) = self
                .plain_hostnames
                .iter()
                .find(|&&r| flags.rule_ok(&self.list.rules()[r as usize], target))
            {
                best.offer(rule);
            }
        }
        let rules = self.list.rules();
        let glob_ok = |entry: &Entry| {
            !entry.glob
                || matches!(rules[entry.rule as usize].pattern(), Pattern::Glob(g) if glob::matches(g, host))
        };
        let bytes = host.as_bytes();
        if !self.suffixes.table.is_empty() {
            // Text suffixes and glob ends: every length, byte by byte.
            let stop = bytes.len().saturating_sub(self.suffixes.longest());
            let mut hash = seed();
            for p in (stop..bytes.len()).rev() {
                hash = step(hash, bytes[p]);
                if self.suffixes.has_length(bytes.len() - p) {
                    let tail = &host[p..];
                    for entry in self.suffixes.get(hash, tail.as_bytes()) {
                        if admits(entry.rule, entry.port, entry.scoped) && glob_ok(entry) {
                            best.offer(entry.rule);
                        }
                    }
                }
            }
        }
        if !self.prefixes.table.is_empty() {
            let mut hash = seed();
            for end in 1..=bytes.len().min(self.prefixes.longest()) {
                hash = step(hash, bytes[end - 1]);
                if !self.prefixes.has_length(end) {
                    continue;
                }
                let head = &host[..end];
                for entry in self.prefixes.get(hash, head.as_bytes()) {
                    if admits(entry.rule, entry.port, entry.scoped) && glob_ok(entry) {
                        best.offer(entry.rule);
                    }
                }
            }
        }
        for entry in &self.open_globs {
            if admits(entry.rule, entry.port, entry.scoped) && glob_ok(entry) {
                best.offer(entry.rule);
            }
        }
    }

    fn find_ip(
        &self,
        ip: IpAddr,
        families_apart: bool,
        admits: &impl Fn(u32, Option<u16>, bool) -> bool,
        best: &mut Best,
    ) {
        // IPv4-mapped IPv6 addresses meet the rules of both families, unless
        // the tool keeps the families apart.
        let v4 = match ip {
            IpAddr::V4(a) => Some(a),
            IpAddr::V6(_) if families_apart => None,
            IpAddr::V6(a) => a.to_ipv4_mapped(),
        };
        if let Some(a) = v4 {
            let bits = u32::from(a);
            if !self.v4_scan.is_empty() {
                if let Some(rule) = scan_nets(&self.v4_scan, bits, admits) {
                    best.offer(rule);
                }
            } else if !self.v4.is_empty() {
                self.v4.probe(bits, admits, best);
            }
            if !self.v6_maps_v4 || families_apart && ip.is_ipv4() {
                // No IPv6 rule holds a mapped address, or the tool keeps an
                // IPv4 host away from IPv6 rules: no IPv6 form to try.
                return;
            }
        }
        let bits = match ip {
            IpAddr::V4(a) => u128::from(a.to_ipv6_mapped()),
            IpAddr::V6(a) => u128::from(a),
        };
        if !self.v6_scan.is_empty() {
            if let Some(rule) = scan_nets(&self.v6_scan, bits, admits) {
                best.offer(rule);
            }
        } else if !self.v6.is_empty() {
            self.v6.probe(bits, admits, best);
        }
    }
}

/// The rules of a short list, ready for a scan, taking them out of `items`;
/// nothing for a long list, whose items stay for a table.
fn scan_or_keep<T: Bits>(items: &mut Vec<(T, u8, Entry)>) -> Vec<ScanNet<T>> {
    if items.len() > SCAN_MAX {
        return Vec::new();
    }
    items
        .drain(..)
        .map(|(net, len, entry)| ScanNet {
            net,
            mask: T::mask(len),
            entry,
        })
        .collect()
}

/// The first rule of a short IP list that holds `bits` and admits the target.
#[inline]
fn scan_nets<T>(
    nets: &[ScanNet<T>],
    bits: T,
    admits: &impl Fn(u32, Option<u16>, bool) -> bool,
) -> Option<u32>
where
    T: Copy + Eq + std::ops::BitAnd<Output = T>,
{
    nets.iter()
        .find(|n| bits & n.mask == n.net && admits(n.entry.rule, n.entry.port, n.entry.scoped))
        .map(|n| n.entry.rule)
}

/// A host's suffixes that start on a label boundary, shortest first, each
/// with its name hash ([`hash_name`]), hashed label by label until the
/// suffix is longer than the longest key.
#[derive(Debug, Clone, Copy)]
struct LabelWalk<'a> {
    bytes: &'a [u8],
    /// The hash of the last suffix given.
    hash: u64,
    /// The end of the next label.
    end: usize,
    /// A suffix starting before this is longer than any key.
    floor: usize,
    done: bool,
}

impl<'a> LabelWalk<'a> {
    /// The suffixes of `bytes` that start before `end + 1`; the suffix that
    /// starts there has hash `hash` ([`seed`] when `end` is the length).
    #[inline]
    fn resume(bytes: &'a [u8], longest: usize, hash: u64, end: usize) -> Self {
        LabelWalk {
            bytes,
            hash,
            end,
            floor: bytes.len().saturating_sub(longest),
            done: false,
        }
    }

    fn next(&mut self) -> Option<(u64, usize)> {
        if self.done {
            return None;
        }
        let mut start = self.end;
        while start > self.floor && self.bytes[start - 1] != b'.' {
            start -= 1;
        }
        if start > 0 && self.bytes[start - 1] != b'.' {
            return None; // longer than any key
        }
        self.hash = combine(self.hash, label_hash(&self.bytes[start..self.end]));
        match start.checked_sub(1) {
            Some(end) => self.end = end,
            None => self.done = true,
        }
        Some((self.hash, start))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        let a = u32::from("10.1.2.3".parse::<Ipv4Addr>().unwrap());
        assert_eq!(a & u32::mask(8), u32::from(Ipv4Addr::new(10, 0, 0, 0)));
        assert_eq!(a & u32::mask(32), a);
        assert_eq!(a & u32::mask(0), 0);
        let b = u128::from("2001:db8::1".parse::<Ipv6Addr>().unwrap());
        assert_eq!(
            b & u128::mask(32),
            u128::from("2001:db8::".parse::<Ipv6Addr>().unwrap())
        );
        assert_eq!(b & u128::mask(128), b);
        assert_eq!(b & u128::mask(0), 0);
    }

    #[test]
    fn blocks_that_hold_mapped_addresses() {
        let v6 = |s: &str| u128::from(s.parse::<Ipv6Addr>().unwrap());
        assert!(holds_mapped(0, 0));
        assert!(holds_mapped(v6("::"), 80));
        assert!(holds_mapped(v6("::ffff:0:0"), 96));
        assert!(holds_mapped(v6("::ffff:10.0.0.0"), 104));
        assert!(holds_mapped(v6("::ffff:10.1.2.3"), 128));
        assert!(!holds_mapped(v6("::"), 96));
        assert!(!holds_mapped(v6("2001:db8::"), 32));
        assert!(!holds_mapped(v6("::1"), 128));
    }

    #[test]
    fn postman_first_occurrence() {
        assert!(first_occurrence_at_end("sub.example.com", "example.com"));
        assert!(first_occurrence_at_end("example.com", "example.com"));
        assert!(!first_occurrence_at_end("a.b.a.b", "a.b"));
        assert!(!first_occurrence_at_end("badexample.com", "example.com"));
    }
}

#[cfg(test)]
mod syntax_feature_tests {
    use super::*;
    use crate::Dialect;

    fn list(rules: Vec<BypassRule>, implicit: ImplicitBypass) -> BypassList {
        let flags = MatchFlags {
            names_see_ips: true,
            bracket_ipv6: true,
            implicit,
            ..MatchFlags::PLAIN
        };
        BypassList::from_parts(rules, Vec::new(), flags, Dialect::Chromium)
    }

    fn rule(pattern: Pattern, index: usize) -> BypassRule {
        BypassRule::new(pattern, None, "rule", index)
    }

    fn hit_index(l: &BypassList, url: &str) -> Option<Option<usize>> {
        let t: Target = url.parse().unwrap();
        let compiled = l.compile().find(&t).map(|h| match h {
            BypassHit::Rule(r) => Some(r.index()),
            _ => None,
        });
        let linear = l.find_linear(&t).map(|h| match h {
            BypassHit::Rule(r) => Some(r.index()),
            _ => None,
        });
        assert_eq!(compiled, linear, "engine and oracle disagree on {url}");
        compiled
    }

    #[test]
    fn globs_by_literal_end_start_and_neither() {
        let l = list(
            vec![
                rule(Pattern::Glob("*.corp.*.example".into()), 0),
                rule(Pattern::Glob("10.*".into()), 1),
                rule(Pattern::Glob("*intra*".into()), 2),
                rule(Pattern::Glob("w?w.test".into()), 3),
            ],
            ImplicitBypass::None,
        );
        let rows = [
            ("http://a.corp.x.example/", Some(Some(0))),
            ("http://corp.x.example/", None),
            ("http://10.1.2.3/", Some(Some(1))),
            ("http://110.1.2.3/", None),
            ("http://myintranet.test/", Some(Some(2))),
            ("http://www.test/", Some(Some(3))),
            ("http://wwww.test/", None),
        ];
        for (url, want) in rows {
            assert_eq!(hit_index(&l, url), want, "{url}");
        }
    }

    /// More than [`SCAN_MAX`] rules of every kind, so that every table is
    /// hashed; with and without an IPv6 rule that holds IPv4-mapped
    /// addresses, and with and without names that read like IP text.
    #[test]
    fn long_lists_of_every_kind_agree_with_the_oracle() {
        for (mapped, ip_like) in [(false, false), (true, false), (false, true), (true, true)] {
            let mut patterns = Vec::new();
            for i in 0..20 {
                patterns.push(Pattern::Host(format!("h{i}.example").into()));
                patterns.push(Pattern::Domain(format!("d{i}.example").into()));
                patterns.push(Pattern::Subdomains(format!("s{i}.example").into()));
                patterns.push(Pattern::HostSuffix(format!("x{i}.test").into()));
                patterns.push(Pattern::Net(format!("10.{i}.0.0/16").parse().unwrap()));
                patterns.push(Pattern::Net(format!("192.168.1.{i}/32").parse().unwrap()));
                patterns.push(Pattern::Net(
                    format!("2001:db8:{i:x}::/48").parse().unwrap(),
                ));
                if ip_like {
                    patterns.push(Pattern::Host(format!("{i}.3.2.1").into()));
                    patterns.push(Pattern::Domain(format!("2.{i}").into()));
                }
            }
            if mapped {
                patterns.push(Pattern::Net("::ffff:10.3.0.0/112".parse().unwrap()));
                patterns.push(Pattern::Net("::/0".parse().unwrap()));
            }
            let rules = patterns
                .into_iter()
                .enumerate()
                .map(|(i, p)| rule(p, i))
                .collect();
            let l = list(rules, ImplicitBypass::None);
            for url in [
                "http://h5.example/",
                "http://x.h5.example/",
                "http://d3.example/",
                "http://a.b.d3.example/",
                "http://s7.example/",
                "http://q.s7.example/",
                "http://a.b.c.d.e.f.g.h.i.s7.example/",
                "http://fox12.test/",
                "http://d30.example/",
                "http://10.5.1.1/",
                "http://10.25.1.1/",
                "http://10.3.0.9/",
                "http://192.168.1.7/",
                "http://192.168.1.77/",
                "http://[2001:db8:5::1]/",
                "http://[2001:db8:50::1]/",
                "http://[::ffff:10.3.0.1]/",
                "http://[::ffff:192.168.1.3]/",
                "http://1.3.2.1/",
                "http://7.3.2.1/",
                "http://9.9.2.4/",
                "http://8.8.8.8/",
            ] {
                hit_index(&l, url);
            }
        }
    }

    #[test]
    fn scheme_scoped_rules_and_plain_hostnames() {
        let l = list(
            vec![
                rule(Pattern::Host("example.com".into()), 0).with_scheme("https"),
                rule(Pattern::PlainHostnames, 1),
            ],
            ImplicitBypass::None,
        );
        assert_eq!(hit_index(&l, "https://example.com/"), Some(Some(0)));
        assert_eq!(hit_index(&l, "http://example.com/"), None);
        assert_eq!(hit_index(&l, "http://intranet/"), Some(Some(1)));
        assert_eq!(hit_index(&l, "http://10.0.0.1/"), None);
        assert_eq!(hit_index(&l, "http://[::1]/"), None);
    }

    #[test]
    fn subtract_implicit_is_order_sensitive() {
        let l = list(
            vec![
                rule(Pattern::Host("localhost".into()), 0),
                rule(Pattern::SubtractImplicit, 1),
                rule(Pattern::Net("127.0.0.0/8".parse().unwrap()), 2),
            ],
            ImplicitBypass::LocalAndLinkLocal,
        );
        // Before <-loopback>: still bypassed; after it: proxied.
        assert_eq!(hit_index(&l, "http://localhost/"), Some(Some(0)));
        assert_eq!(hit_index(&l, "http://127.0.0.1/"), None);
        assert_eq!(hit_index(&l, "http://169.254.1.1/"), None);
        assert_eq!(hit_index(&l, "http://example.com/"), None);
        let plain = list(vec![], ImplicitBypass::LocalAndLinkLocal);
        assert_eq!(hit_index(&plain, "http://127.0.0.1/"), Some(None));
    }

    #[test]
    fn scoped_flag_rules_are_all_kept() {
        // Only the first `*` was kept once; scoped ones must not hide later ones.
        let l = list(
            vec![
                rule(Pattern::All, 0).with_scheme("https"),
                BypassRule::new(Pattern::All, Some(8080), "rule", 1),
                rule(Pattern::All, 2).with_scheme("ws"),
                rule(Pattern::PlainHostnames, 3).with_scheme("ftp"),
                rule(Pattern::PlainHostnames, 4).with_scheme("http"),
            ],
            ImplicitBypass::None,
        );
        assert_eq!(hit_index(&l, "https://a.example/"), Some(Some(0)));
        assert_eq!(hit_index(&l, "http://a.example:8080/"), Some(Some(1)));
        assert_eq!(hit_index(&l, "ws://a.example/"), Some(Some(2)));
        assert_eq!(hit_index(&l, "http://a.example/"), None);
        assert_eq!(hit_index(&l, "http://intranet/"), Some(Some(4)));
    }

    #[test]
    fn reversed_lists_keep_the_implicit_bypass() {
        let l = list(
            vec![rule(Pattern::Host("localhost".into()), 0)],
            ImplicitBypass::LocalAndLinkLocal,
        )
        .reversed(true);
        // Named: uses the proxy. Implicit but not named: still direct.
        assert_eq!(hit_index(&l, "http://localhost/"), None);
        assert_eq!(hit_index(&l, "http://127.0.0.1/"), Some(None));
        let t: Target = "http://127.0.0.1/".parse().unwrap();
        assert!(matches!(l.compile().find(&t), Some(BypassHit::Implicit(_))));
    }

    #[test]
    fn reversed_lists_name_the_proxied_hosts() {
        let l = list(
            vec![rule(Pattern::Domain("corp".into()), 0)],
            ImplicitBypass::None,
        )
        .reversed(true);
        let m = l.compile();
        let t = |u: &str| u.parse::<Target>().unwrap();
        assert!(!m.matches(&t("http://a.corp/")));
        assert_eq!(
            m.find(&t("http://example.com/")),
            Some(BypassHit::NotListed)
        );
        assert_eq!(
            l.find_linear(&t("http://example.com/")),
            Some(BypassHit::NotListed)
        );
    }
}
