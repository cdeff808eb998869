//! A small open-addressing hash table keyed by a precomputed hash, so that a
//! query can hash a host's suffixes incrementally (right to left) and look each
//! one up without rehashing or allocating.

/// The FNV-1a offset basis and prime; bytes are fed from the end of the text.
const SEED: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// Extends the hash of a suffix by one byte to its left.
#[inline]
pub(crate) fn step(hash: u64, byte: u8) -> u64 {
    (hash ^ u64::from(byte)).wrapping_mul(PRIME)
}

/// The hash `step` reaches after feeding all of `text` from its end.
pub(crate) fn hash_text(text: &str) -> u64 {
    text.bytes().rev().fold(SEED, step)
}

/// The hash `step` reaches after feeding all of `text` from its start (for
/// prefixes, walked left to right).
pub(crate) fn hash_forward(text: &str) -> u64 {
    text.bytes().fold(SEED, step)
}

/// The hash of the empty suffix, where a right-to-left walk starts.
pub(crate) const fn seed() -> u64 {
    SEED
}

/// A hash of one label, eight bytes at a time.
#[inline]
pub(crate) fn label_hash(label: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut hash = label.len() as u64;
    let mut chunks = label.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        hash = (hash ^ word).wrapping_mul(K).rotate_left(23);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = 0u64;
        for (i, &b) in rest.iter().enumerate() {
            word |= u64::from(b) << (8 * i);
        }
        hash = (hash ^ word).wrapping_mul(K).rotate_left(23);
    }
    hash
}

/// Extends the hash of a domain suffix by the label to its left.
#[inline]
pub(crate) fn combine(suffix: u64, label: u64) -> u64 {
    (suffix ^ label)
        .wrapping_mul(0xff51_afd7_ed55_8ccd)
        .rotate_left(29)
}

/// The hash `combine` reaches over a name's labels, right to left.
pub(crate) fn hash_name(name: &str) -> u64 {
    name.as_bytes()
        .rsplit(|&b| b == b'.')
        .fold(SEED, |acc, label| combine(acc, label_hash(label)))
}

/// The hash of an IP prefix (address bits masked to `len`).
pub(crate) fn hash_prefix(bits: u128, len: u8) -> u64 {
    let folded = (bits as u64) ^ ((bits >> 64) as u64).rotate_left(29) ^ u64::from(len);
    folded.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (folded >> 31)
}

const EMPTY: u32 = u32::MAX;

/// A slot of the open-addressing index: a key's full hash and its group.
#[derive(Debug, Clone, Copy)]
struct Slot {
    hash: u64,
    /// Index into `groups`, or [`EMPTY`].
    group: u32,
}

/// A distinct key and where its values sit in the flat `values`.
#[derive(Debug, Clone)]
struct Group<K> {
    key: K,
    start: u32,
    end: u32,
}

/// Keys with a list of values each; lookups by (hash, key).
///
/// The index holds each key's hash, so a miss is settled in the index
/// alone; the values of all keys share one flat vector, grouped by key.
#[derive(Debug, Clone)]
pub(crate) struct Table<K, V> {
    slots: Box<[Slot]>,
    mask: usize,
    /// `64 - log2(slots.len())`, for [`spread`].
    shift: u32,
    groups: Vec<Group<K>>,
    values: Vec<V>,
}

impl<K: Eq, V: Copy> Table<K, V> {
    /// Builds the table; values for equal keys are grouped in insertion order.
    pub(crate) fn build(items: impl IntoIterator<Item = (u64, K, V)>) -> Self {
        Table::build_by(items, |a, b| a == b)
    }
}

impl<K, V: Copy> Table<K, V> {
    /// Builds the table, `same` telling equal keys apart; values for equal
    /// keys are grouped in insertion order.
    pub(crate) fn build_by(
        items: impl IntoIterator<Item = (u64, K, V)>,
        same: impl Fn(&K, &K) -> bool,
    ) -> Self {
        let items = items.into_iter();
        let capacity = (items.size_hint().0 * 2).max(8).next_power_of_two();
        let mut table = Table {
            slots: vec![
                Slot {
                    hash: 0,
                    group: EMPTY,
                };
                capacity
            ]
            .into_boxed_slice(),
            mask: capacity - 1,
            shift: 64 - capacity.trailing_zeros(),
            groups: Vec::new(),
            values: Vec::new(),
        };
        // Each item's group, then the values ordered by group (a counting
        // sort, stable, so insertion order holds within a group).
        let mut placed: Vec<(u32, V)> = Vec::with_capacity(items.size_hint().0);
        for (hash, key, value) in items {
            if table.groups.len() * 2 >= table.slots.len() {
                table.grow();
            }
            let group = table.insert(hash, key, &same);
            table.groups[group as usize].end += 1;
            placed.push((group, value));
        }
        let mut next = 0u32;
        for group in &mut table.groups {
            let count = group.end;
            group.start = next;
            group.end = next;
            next += count;
        }
        let Some(&(_, first)) = placed.first() else {
            return table;
        };
        table.values = vec![first; placed.len()];
        for (group, value) in placed {
            let group = &mut table.groups[group as usize];
            table.values[group.end as usize] = value;
            group.end += 1;
        }
        table
    }

    /// The group of `key`, made if new (with `end` counting its values).
    fn insert(&mut self, hash: u64, key: K, same: impl Fn(&K, &K) -> bool) -> u32 {
        let mut slot = spread(hash, self.shift);
        loop {
            let at = self.slots[slot];
            if at.group == EMPTY {
                let group = self.groups.len() as u32;
                self.slots[slot] = Slot { hash, group };
                self.groups.push(Group {
                    key,
                    start: 0,
                    end: 0,
                });
                return group;
            }
            if at.hash == hash && same(&self.groups[at.group as usize].key, &key) {
                return at.group;
            }
            slot = (slot + 1) & self.mask;
        }
    }

    /// Doubles the index (when an iterator's size hint fell short).
    fn grow(&mut self) {
        let capacity = self.slots.len() * 2;
        let old = std::mem::replace(
            &mut self.slots,
            vec![
                Slot {
                    hash: 0,
                    group: EMPTY,
                };
                capacity
            ]
            .into_boxed_slice(),
        );
        self.mask = capacity - 1;
        self.shift = 64 - capacity.trailing_zeros();
        for at in old.iter().filter(|at| at.group != EMPTY) {
            let mut slot = spread(at.hash, self.shift);
            while self.slots[slot].group != EMPTY {
                slot = (slot + 1) & self.mask;
            }
            self.slots[slot] = *at;
        }
    }
}

impl<K, V> Table<K, V> {
    /// Whether the table holds no keys.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The values stored under the key with this `hash` for which `is_key` holds.
    #[inline(always)]
    pub(crate) fn get(&self, hash: u64, is_key: impl Fn(&K) -> bool) -> &[V] {
        let mut slot = spread(hash, self.shift);
        loop {
            let at = self.slots[slot];
            if at.group == EMPTY {
                return &[];
            }
            if at.hash == hash {
                let group = &self.groups[at.group as usize];
                if is_key(&group.key) {
                    return &self.values[group.start as usize..group.end as usize];
                }
            }
            slot = (slot + 1) & self.mask;
        }
    }
}

/// The home slot of `hash` in an index of `1 << (64 - shift)` slots: the top
/// bits of a multiplicative hash, which depend on every bit of `hash`.
#[inline]
fn spread(hash: u64, shift: u32) -> usize {
    (hash.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> shift) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incremental_hash_equals_whole_hash() {
        let host = "a.b.example.com";
        let mut hash = seed();
        for p in (0..host.len()).rev() {
            hash = step(hash, host.as_bytes()[p]);
            assert_eq!(hash, hash_text(&host[p..]), "suffix {}", &host[p..]);
        }
    }

    #[test]
    fn label_wise_hash_equals_whole_name_hash() {
        let host = "a.bb.example-with-a-long-label.com";
        let mut hash = seed();
        let mut end = host.len();
        loop {
            let start = host[..end].rfind('.').map_or(0, |i| i + 1);
            hash = combine(hash, label_hash(&host.as_bytes()[start..end]));
            assert_eq!(hash, hash_name(&host[start..]), "suffix {}", &host[start..]);
            if start == 0 {
                break;
            }
            end = start - 1;
        }
    }

    #[test]
    fn groups_values_and_misses_cleanly() {
        let words = ["a", "b", "a", "c"];
        let table = Table::build(
            words
                .iter()
                .enumerate()
                .map(|(i, w)| (hash_text(w), w.to_string(), i)),
        );
        assert_eq!(table.get(hash_text("a"), |k| k == "a"), &[0, 2]);
        assert_eq!(table.get(hash_text("c"), |k| k == "c"), &[3]);
        assert!(table.get(hash_text("d"), |k| k == "d").is_empty());
    }
}
