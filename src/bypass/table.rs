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
    name.rsplit('.').fold(SEED, |acc, label| {
        combine(acc, label_hash(label.as_bytes()))
    })
}

/// The hash of an IP prefix (address bits masked to `len`).
pub(crate) fn hash_prefix(bits: u128, len: u8) -> u64 {
    let folded = (bits as u64) ^ ((bits >> 64) as u64).rotate_left(29) ^ u64::from(len);
    folded.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (folded >> 31)
}

const EMPTY: u32 = u32::MAX;

/// Keys with a list of values each; lookups by (hash, key).
#[derive(Debug, Clone)]
pub(crate) struct Table<K, V> {
    slots: Box<[u32]>,
    mask: usize,
    keys: Vec<K>,
    hashes: Vec<u64>,
    values: Vec<Vec<V>>,
}

impl<K: Eq, V> Table<K, V> {
    /// Builds the table; values for equal keys are grouped in insertion order.
    pub(crate) fn build(items: impl IntoIterator<Item = (u64, K, V)>) -> Self {
        let mut table = Table {
            slots: Box::new([]),
            mask: 0,
            keys: Vec::new(),
            hashes: Vec::new(),
            values: Vec::new(),
        };
        let items: Vec<(u64, K, V)> = items.into_iter().collect();
        let capacity = (items.len() * 2).max(8).next_power_of_two();
        table.slots = vec![EMPTY; capacity].into_boxed_slice();
        table.mask = capacity - 1;
        for (hash, key, value) in items {
            let mut slot = spread(hash) & table.mask;
            loop {
                let at = table.slots[slot];
                if at == EMPTY {
                    table.slots[slot] = table.keys.len() as u32;
                    table.keys.push(key);
                    table.hashes.push(hash);
                    table.values.push(vec![value]);
                    break;
                }
                let at = at as usize;
                if table.hashes[at] == hash && table.keys[at] == key {
                    table.values[at].push(value);
                    break;
                }
                slot = (slot + 1) & table.mask;
            }
        }
        table
    }

    /// Whether the table holds no keys.
    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The values stored under the key with this `hash` for which `is_key` holds.
    #[inline]
    pub(crate) fn get(&self, hash: u64, is_key: impl Fn(&K) -> bool) -> &[V] {
        if self.keys.is_empty() {
            return &[];
        }
        let mut slot = spread(hash) & self.mask;
        loop {
            let at = self.slots[slot];
            if at == EMPTY {
                return &[];
            }
            let at = at as usize;
            if self.hashes[at] == hash && is_key(&self.keys[at]) {
                return &self.values[at];
            }
            slot = (slot + 1) & self.mask;
        }
    }
}

#[inline]
fn spread(hash: u64) -> usize {
    (hash.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as usize
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
