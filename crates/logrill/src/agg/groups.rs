//! `… by KEY, …`: aggregate states per group, in a compact radix-partitioned table.
//!
//! A group is found by its key encoded into bytes: [`Groups::push_key`] of each key value
//! into one buffer the caller reuses, or, for one `by` column, [`Groups::add_value`]
//! straight from the value, with no buffer (the same bytes, the same hash), so finding a
//! record's group allocates nothing. The encoding is typed (`3` and `"3"` are different
//! groups), and the key values are read back from it only when the table is finished, so
//! a group holds no `Value`s of its own.
//!
//! # Layout
//!
//! A record's key is hashed at most once (foldhash's quality hasher, seeded at random once
//! per process: the same in every table of a run, so tables built by different threads
//! agree on every hash, yet not guessable by whoever writes the log, which a fixed seed
//! would be); a short key is hashed as its slot image (see [`Key`]), made in registers,
//! and a table of few groups looks it up among the groups found lately first
//! ([`Recent`]), where a hit needs no hash at all. Four bits of the hash choose one of 16
//! **partitions** (bits 53–56, just below the
//! 7 top bits that hashbrown keeps as its tag, so the partition costs the tag nothing).
//! A partition holds:
//!
//! * `index`: a [`hashbrown::HashTable`] of 16-byte slots: the group number and the key
//!   itself when it is short (at most [`INLINE`], 12 bytes: one integer, one string of up
//!   to 10 bytes), or its start and length in the arena. A probe compares hashbrown's tags,
//!   then a short key with the slot's 12 bytes in hand (no arena bytes, nothing more to
//!   fetch), a long one with the arena;
//! * `keys`: one byte buffer, the arena, holding every long key of the partition back to
//!   back;
//! * `states`: the aggregate states of all groups, `width` (the number of aggregates) a
//!   group, one flat `Vec` indexed by group number: `count`, exact `sum`, `min`/`max`,
//!   `avg` live inline there, with no allocation per group.
//!
//! So a group of `count by path` costs its key bytes plus 2 bytes of encoding (type tag,
//! length), an [`AggState`] (64 bytes) and a slot (16 bytes over a load factor of
//! 0.44–0.88), and no heap allocation of its own: about 100 bytes of RSS beyond the key
//! bytes, measured with 5 M groups (`bench/group_tables.sh` and docs/group-tables.md; the
//! first table, a key `SmallVec`, a `Vec` of key values and the states in one hashbrown
//! bucket, cost about 850). A group of a short key costs no arena bytes at all. Why
//! hashbrown's `HashTable` and not a `HashMap`: the table holds slots that hold or point to
//! the key, so the key is hashed once by the caller and compared in place, with no key
//! type of its own.
//!
//! # Merging
//!
//! Tables of parts of the input read in parallel merge **partition by partition**: a
//! group's partition depends on its key only, so partition `i` of one table merges with
//! partition `i` of the other and nothing else. A partition empty on one side is moved
//! whole (the first part merged into an empty total costs nothing), and when both tables
//! are large the partitions are merged by several threads at once, each owning whole
//! partitions. States merge in input order (this table is the earlier part), so the merged
//! table is exactly the single-threaded one.

use std::borrow::Cow;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use foldhash::quality::SeedableRandomState;
use foldhash::SharedSeed;
use hashbrown::HashTable;
use smallvec::SmallVec;

use super::state::{AggFn, AggState, Unusable};
use super::AggKind;
use crate::record::order::{decode_key, encode_key, total_order};
use crate::record::words::{load_le, same_bytes};
use crate::record::Value;

/// The states of one group's aggregates (inline for the common single aggregate).
pub type States = SmallVec<[AggState; 1]>;

/// How many bits of the hash choose a partition.
const PARTITION_BITS: u32 = 4;
/// How many partitions a table has.
const PARTITIONS: usize = 1 << PARTITION_BITS;
/// Where the partition bits start: below hashbrown's 7-bit tag (the hash's top bits).
const PARTITION_SHIFT: u32 = 64 - 7 - PARTITION_BITS;
/// Below this many groups on the smaller side a merge stays on the calling thread (starting
/// threads costs more than it saves).
const PARALLEL_MERGE_MIN: usize = 1 << 15;
/// The per-table part of the hash seed (the per-process part is random).
const SEED: u64 = 0x6c6f_6772_696c_6c21;

/// The longest key held in its slot rather than in the arena: 12 bytes, what a 16-byte slot
/// has beside the group number. A key of one integer (9 bytes) or one string of up to 10
/// bytes fits (see [`Groups::push_key`] for the encoding).
pub(crate) const INLINE: usize = 12;
/// The top 4 bits of [`Slot::meta`]: the length of a key held inline (0 to [`INLINE`]), or
/// this for a key in the arena.
const IN_ARENA: u32 = 0xF;
/// How many bits of [`Slot::meta`] number the groups of a partition (2^28 = 268 M).
const ID_BITS: u32 = 28;
const ID_MASK: u32 = (1 << ID_BITS) - 1;

/// One group in a partition's index: its number, and its key, either held right here
/// (a key of at most [`INLINE`] bytes: no arena bytes, and a lookup compares the probe with
/// the slot it already has in hand) or its start and length in the arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    /// The group number (the low [`ID_BITS`] bits) and where the key is (the top 4 bits:
    /// its length if inline, [`IN_ARENA`] if not).
    meta: u32,
    /// Inline: the key, zero-padded. In the arena: its start and length (4 bytes each,
    /// native endian) and 4 zero bytes.
    bytes: [u8; INLINE],
}

impl Slot {
    /// The slot of a new group `id` whose key is `key`, with `start` where a long key would
    /// go in the arena. `None` when `id`, `start` or `start + key.len()` do not fit.
    #[inline]
    fn new(id: usize, key: Key<'_>, start: usize) -> Option<Slot> {
        let id = u32::try_from(id).ok().filter(|&i| i <= ID_MASK)?;
        let key = match key {
            Key::Inline(probe) => {
                return Some(Slot {
                    meta: probe.meta | id,
                    bytes: probe.bytes,
                })
            }
            Key::Long(key) => key,
        };
        let start = u32::try_from(start).ok()?;
        let len = u32::try_from(key.len()).ok()?;
        start.checked_add(len)?;
        let mut bytes = [0; INLINE];
        bytes[..4].copy_from_slice(&start.to_ne_bytes());
        bytes[4..8].copy_from_slice(&len.to_ne_bytes());
        Some(Slot {
            meta: IN_ARENA << ID_BITS | id,
            bytes,
        })
    }

    /// What an inline slot holding `key` looks like, group number aside (`None` when the
    /// key is too long to be held inline). Read by words ([`load_le`]), not copied.
    #[inline]
    fn probe(key: &[u8]) -> Option<Slot> {
        if key.len() > INLINE {
            return None;
        }
        Some(Slot::image(load_le(key)?, key.len()))
    }

    /// The inline slot (group number aside) of a key of `len` bytes (at most [`INLINE`])
    /// whose bytes, zero-padded, are the little-endian number `image`.
    #[inline(always)]
    fn image(image: u128, len: usize) -> Slot {
        let all = image.to_le_bytes();
        let mut bytes = [0; INLINE];
        bytes.copy_from_slice(&all[..INLINE]);
        Slot {
            meta: (len as u32) << ID_BITS,
            bytes,
        }
    }

    /// The hash of the inline key this slot holds: its 12 bytes and its length, two
    /// words hashed as one number (no pass over bytes of varying length).
    #[inline(always)]
    fn hash_inline(&self, hasher: &SeedableRandomState) -> u64 {
        let mut all = [0u8; 16];
        all[..INLINE].copy_from_slice(&self.bytes);
        let len = u128::from(self.meta >> ID_BITS) << (8 * INLINE);
        hasher.hash_one(u128::from_le_bytes(all) | len)
    }

    #[inline]
    fn id(&self) -> u32 {
        self.meta & ID_MASK
    }

    /// Whether this slot holds `key` (a long key's bytes in `keys`, the arena).
    #[inline]
    fn holds(&self, key: &Key<'_>, keys: &[u8]) -> bool {
        match key {
            // Length and all 12 bytes (zero-padded alike), the group number aside.
            Key::Inline(p) => self.meta & !ID_MASK == p.meta && self.bytes == p.bytes,
            Key::Long(key) => self.meta >> ID_BITS == IN_ARENA && same_bytes(self.key(keys), key),
        }
    }

    /// The hash of the key this slot holds (in the arena `keys` if it is long), as
    /// [`Key::hash`] gives it.
    #[inline]
    fn hash(&self, keys: &[u8], hasher: &SeedableRandomState) -> u64 {
        if self.meta >> ID_BITS == IN_ARENA {
            hasher.hash_one(self.key(keys))
        } else {
            self.hash_inline(hasher)
        }
    }

    /// The key: in the slot, or in `keys`, the partition's arena.
    #[inline]
    fn key<'k>(&'k self, keys: &'k [u8]) -> &'k [u8] {
        let len = (self.meta >> ID_BITS) as usize;
        if len != IN_ARENA as usize {
            return &self.bytes[..len];
        }
        let word = |i: usize| {
            let mut w = [0; 4];
            w.copy_from_slice(&self.bytes[i..i + 4]);
            u32::from_ne_bytes(w) as usize
        };
        let (start, len) = (word(0), word(4));
        &keys[start..start + len]
    }
}

/// A group key to look up: a short one as the inline slot that would hold it (made in
/// registers, from the key's bytes or straight from a value, see [`Groups::add_value`]),
/// a long one as its bytes.
#[derive(Debug, Clone, Copy)]
enum Key<'k> {
    Inline(Slot),
    Long(&'k [u8]),
}

impl<'k> Key<'k> {
    /// The key of these encoded bytes.
    #[inline]
    fn of(key: &'k [u8]) -> Key<'k> {
        match Slot::probe(key) {
            Some(p) => Key::Inline(p),
            None => Key::Long(key),
        }
    }

    /// The key's hash: a short key's by its slot image, a long key's by its bytes. Every
    /// table of a run hashes alike (the merges rely on it), and a key has one form.
    #[inline]
    fn hash(&self, hasher: &SeedableRandomState) -> u64 {
        match self {
            Key::Inline(p) => p.hash_inline(hasher),
            Key::Long(key) => hasher.hash_one(key),
        }
    }
}

/// Up to this many groups, a table looks a short key up among the groups found lately
/// ([`Recent`]) before hashing it; a larger table would mostly miss there.
const RECENT_GROUPS: usize = 64;
/// Places in [`Recent`] (a power of two): four times the groups it serves, so that few
/// of them share a place.
const RECENT_PLACES: usize = 256;

/// The groups of short keys found lately, by a place computed from the key's slot image
/// with one multiplication: for a table of few groups (`count by status`, `by level`),
/// where nearly every record's key is one of them, a key found here skips the hash and the
/// probe of the partition's index. An entry holds the group's whole slot (its key and
/// number) and its partition, and a key is taken to be there only when all 16 bytes of
/// its slot image agree, so two keys that share a place are never confused; the later one
/// takes the place. Group numbers never change once given (a table only grows, and a
/// partition replaced whole by a merge replaces the whole table's, this included), so an
/// entry stays right for as long as the table lives.
#[derive(Debug, Clone)]
struct Recent {
    /// The slot (key and group number), and the partition (`u32::MAX`: empty place).
    entries: Box<[(Slot, u32)]>,
}

impl Default for Recent {
    fn default() -> Recent {
        let empty = (
            Slot {
                meta: 0,
                bytes: [0; INLINE],
            },
            u32::MAX,
        );
        Recent {
            entries: vec![empty; RECENT_PLACES].into_boxed_slice(),
        }
    }
}

impl Recent {
    /// Where `probe` (an inline key's slot image) would be kept.
    #[inline(always)]
    fn place(probe: &Slot) -> usize {
        let mut lo = [0u8; 8];
        lo.copy_from_slice(&probe.bytes[..8]);
        let mut hi = [0u8; 4];
        hi.copy_from_slice(&probe.bytes[8..]);
        let words = u64::from_le_bytes(lo) ^ u64::from(u32::from_le_bytes(hi)).rotate_left(29);
        let mixed = (words ^ u64::from(probe.meta)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (mixed >> (64 - RECENT_PLACES.trailing_zeros())) as usize
    }

    /// The partition and group number of the key `probe`, if it is kept at `at`.
    #[inline(always)]
    fn find(&self, at: usize, probe: &Slot) -> Option<(usize, usize)> {
        let (slot, part) = self.entries.get(at)?;
        let same =
            *part != u32::MAX && slot.meta & !ID_MASK == probe.meta && slot.bytes == probe.bytes;
        same.then(|| (*part as usize, slot.id() as usize))
    }

    /// Keep group `id` of partition `part`, whose key's slot image is `probe`, at `at`.
    #[inline]
    fn keep(&mut self, at: usize, probe: Slot, part: usize, id: usize) {
        if let Some(e) = self.entries.get_mut(at) {
            let meta = probe.meta | (id as u32 & ID_MASK);
            *e = (
                Slot {
                    meta,
                    bytes: probe.bytes,
                },
                part as u32,
            );
        }
    }
}

/// The groups whose hashes fall in one partition.
#[derive(Debug, Clone, Default)]
struct Partition {
    index: HashTable<Slot>,
    /// The arena: every key of the partition, back to back.
    keys: Vec<u8>,
    /// `width` states a group, by group number.
    states: Vec<AggState>,
}

/// Aggregate states by group key.
#[derive(Debug, Clone)]
pub struct Groups {
    /// [`PARTITIONS`] partitions.
    parts: Vec<Partition>,
    /// States a group (the number of aggregates); known from the first group.
    width: usize,
    /// Whether `width` is known.
    shaped: bool,
    /// Groups in all partitions.
    len: usize,
    /// Kept values beyond one per group (distinct, percentiles, top).
    kept: usize,
    /// A partition outgrew its 32-bit numbering (4 G groups or 4 GiB of keys): the table
    /// reports itself over any state limit rather than panic or miscount.
    overflow: bool,
    /// Made of parts read in parallel ([`Groups::merge`]): sorted on several threads at
    /// the end, as the merges were. A table of one reader (`-j1`) sorts on its own thread.
    from_parts: bool,
    hasher: SeedableRandomState,
    scratch: Vec<u8>,
    /// Groups of short keys found lately (tables of few groups only).
    recent: Recent,
}

impl Default for Groups {
    fn default() -> Groups {
        Groups {
            parts: vec![Partition::default(); PARTITIONS],
            width: 0,
            shaped: false,
            len: 0,
            kept: 0,
            overflow: false,
            from_parts: false,
            hasher: SeedableRandomState::with_seed(SEED, SharedSeed::global_random()),
            scratch: Vec::new(),
            recent: Recent::default(),
        }
    }
}

#[inline]
fn partition_of(hash: u64) -> usize {
    (hash >> PARTITION_SHIFT) as usize & (PARTITIONS - 1)
}

/// A state to leave behind where one was moved out (costs nothing to make or drop).
fn placeholder() -> AggState {
    AggState::new(AggFn::Simple(AggKind::Count), false)
}

impl Partition {
    /// The group of `key` (hashed to `hash`), made with `make` if it is new. `None` when
    /// the partition cannot number another group or place another key.
    #[inline]
    fn find_or_insert(
        &mut self,
        hash: u64,
        key: Key<'_>,
        width: usize,
        hasher: &SeedableRandomState,
        make: impl FnOnce() -> States,
    ) -> Option<(usize, bool)> {
        let Partition {
            index,
            keys,
            states,
        } = self;
        // Found: the common case, a probe small enough to be inlined (hashbrown's `entry`,
        // which also carries the insertion and the growth, was a call per record).
        if let Some(s) = index.find(hash, |s| s.holds(&key, keys)) {
            return Some((s.id() as usize, false));
        }
        let next_id = index.len();
        let slot = Slot::new(next_id, key, keys.len())?;
        if let Key::Long(key) = key {
            keys.extend_from_slice(key);
        }
        let fresh = make();
        debug_assert_eq!(fresh.len(), width);
        states.extend(fresh);
        let keys = &*keys;
        index.insert_unique(hash, slot, |s| s.hash(keys, hasher));
        Some((next_id, true))
    }

    /// Fold in the same partition of a later part of the input. Returns how many kept
    /// values the two had in common (kept once now), and whether a group could not be
    /// placed.
    fn merge(&mut self, other: Partition, width: usize, hasher: &SeedableRandomState) -> Merged {
        let mut merged = Merged::default();
        if other.index.is_empty() {
            return merged;
        }
        if self.index.is_empty() {
            *self = other;
            return merged;
        }
        let Partition {
            index,
            keys: their_keys,
            states: mut their_states,
        } = other;
        for slot in index {
            let key = Key::of(slot.key(&their_keys));
            let theirs = &mut their_states[slot.id() as usize * width..][..width];
            let hash = key.hash(hasher);
            let mut moved = Some(theirs);
            let found = self.find_or_insert(hash, key, width, hasher, || {
                moved
                    .take()
                    .map(|t| {
                        t.iter_mut()
                            .map(|s| std::mem::replace(s, placeholder()))
                            .collect()
                    })
                    .unwrap_or_default()
            });
            match (found, moved) {
                (None, _) => merged.overflow = true,
                // New here: its states were moved in.
                (Some((_, true)), _) => {}
                (Some((id, false)), Some(theirs)) => {
                    let mine = &mut self.states[id * width..][..width];
                    for (m, t) in mine.iter_mut().zip(theirs) {
                        let before = m.kept() + t.kept();
                        m.merge(std::mem::replace(t, placeholder()));
                        merged.common += before.saturating_sub(m.kept());
                    }
                }
                (Some((_, false)), None) => {}
            }
        }
        merged
    }
}

/// A group as the sort at the end sees it: a prefix that orders as its key does where
/// two prefixes differ (see [`Partition::sorting`]), and where its key and states are.
#[derive(Debug, Clone, Copy)]
struct Sorting {
    prefix: u64,
    /// The group's slot: an inline key is compared right here, in the sort entry.
    slot: Slot,
}

impl Partition {
    /// Its groups, to be sorted. When every key starts with a string (the common case:
    /// paths, hosts, agents), `prefix` holds the 8 bytes of that string after the bytes
    /// all of them share (zero-padded, big-endian): strings order by their bytes, so
    /// keys whose prefixes differ order as their prefixes, and the sort compares the keys
    /// themselves (in the arena, a cache miss each) only on equal prefixes. Without it,
    /// sorting 5 M paths that all begin `/static/img/` was a third of the run's CPU.
    fn sorting(&self) -> Vec<Sorting> {
        let mut shared: Option<&[u8]> = None;
        let mut strings = true;
        for s in &self.index {
            let Some((text, _)) = str_column(s.key(&self.keys)) else {
                strings = false;
                break;
            };
            shared = Some(match shared {
                None => text,
                Some(common) => {
                    let n = common.iter().zip(text).take_while(|(a, b)| a == b).count();
                    &common[..n]
                }
            });
        }
        let skip = if strings {
            shared.map_or(0, <[u8]>::len)
        } else {
            0
        };
        self.index
            .iter()
            .map(|s| {
                let prefix = match str_column(s.key(&self.keys)) {
                    Some((text, _)) if strings => {
                        let mut eight = [0u8; 8];
                        let tail = &text[skip..];
                        let n = tail.len().min(8);
                        eight[..n].copy_from_slice(&tail[..n]);
                        u64::from_be_bytes(eight)
                    }
                    _ => 0,
                };
                Sorting { prefix, slot: *s }
            })
            .collect()
    }
}

/// What a partition's merge reports.
#[derive(Debug, Default)]
struct Merged {
    common: usize,
    overflow: bool,
}

impl Groups {
    /// Append one key value to a group key being written (each `by` column in turn):
    /// [`encode_key`]'s typed encoding (`3`, `"3"` and `3.0` are three groups), except that
    /// a string's length takes one byte below 128 (LEB128) rather than eight, so a key of
    /// one string of up to 10 bytes is held in its slot (12 bytes at most), and a long one
    /// takes 7 bytes less in the arena. Tags are [`encode_key`]'s, so keys that order as equal
    /// but are different groups (`404` and `"404"`) come out in the same order as before.
    #[inline]
    pub fn push_key(v: &Value<'_>, out: &mut Vec<u8>) {
        match v {
            Value::Str(text) => {
                out.push(STR_TAG);
                push_len(text.len(), out);
                out.extend_from_slice(text);
            }
            other => encode_key(other, out),
        }
    }

    /// Update the group of `key` (its values written by [`Groups::push_key`]), made by `make` (fresh states, one for each
    /// aggregate, the same number for every group) if it is new, with `update`, which
    /// returns how many values it kept more and whether a value was unusable.
    #[inline]
    pub fn add(
        &mut self,
        key: &[u8],
        make: impl FnOnce() -> States,
        update: impl FnOnce(&mut [AggState], &mut Vec<u8>) -> (usize, Unusable),
    ) -> Unusable {
        self.add_key(Key::of(key), make, update)
    }

    /// [`Groups::add`] for a key of one column, given as its value: the same group as
    /// `add` of the value's [`Groups::push_key`] bytes, but a short key (a number, a
    /// string of up to 10 bytes) is made straight into the slot it is compared with,
    /// without writing its bytes anywhere first. `scratch` holds a long key's bytes.
    #[inline]
    pub fn add_value(
        &mut self,
        value: &Value<'_>,
        scratch: &mut Vec<u8>,
        make: impl FnOnce() -> States,
        update: impl FnOnce(&mut [AggState], &mut Vec<u8>) -> (usize, Unusable),
    ) -> Unusable {
        let key = match inline_value(value) {
            Some(slot) => Key::Inline(slot),
            None => {
                scratch.clear();
                Groups::push_key(value, scratch);
                Key::of(scratch)
            }
        };
        self.add_key(key, make, update)
    }

    /// Find or make the group of `key`, then `update` its states: called in one place
    /// only, so that the compiler inlines the caller's update (the aggregates of a
    /// record) rather than calling it as a function of its own, once per record.
    #[inline]
    fn add_key(
        &mut self,
        key: Key<'_>,
        make: impl FnOnce() -> States,
        update: impl FnOnce(&mut [AggState], &mut Vec<u8>) -> (usize, Unusable),
    ) -> Unusable {
        let Some((part, id)) = self.group_of(key, make) else {
            self.overflow = true;
            return Unusable::No;
        };
        let width = self.width;
        let states = &mut self.parts[part].states[id * width..][..width];
        let (added, unusable) = update(states, &mut self.scratch);
        self.kept += added;
        unusable
    }

    /// The partition and number of `key`'s group, made (by `make`) if it is new; `None`
    /// when a partition outgrew its numbering.
    #[inline]
    fn group_of(&mut self, key: Key<'_>, make: impl FnOnce() -> States) -> Option<(usize, usize)> {
        // A table of few groups: a short key is most likely one found lately.
        let recent = match key {
            Key::Inline(probe) if self.len <= RECENT_GROUPS => {
                let at = Recent::place(&probe);
                if let Some(found) = self.recent.find(at, &probe) {
                    return Some(found);
                }
                Some(at)
            }
            _ => None,
        };
        // The first group tells how many states a group has.
        let mut first = None;
        let mut make = Some(make);
        if !self.shaped {
            let fresh = make.take().map(|m| m()).unwrap_or_default();
            self.width = fresh.len();
            self.shaped = true;
            first = Some(fresh);
        }
        let hash = key.hash(&self.hasher);
        let width = self.width;
        let part = &mut self.parts[partition_of(hash)];
        let made = part.find_or_insert(hash, key, width, &self.hasher, || {
            first.or_else(|| make.map(|m| m())).unwrap_or_default()
        });
        let (id, new) = made?;
        self.len += usize::from(new);
        if let (Some(at), Key::Inline(probe)) = (recent, key) {
            self.recent.keep(at, probe, partition_of(hash), id);
        }
        Some((partition_of(hash), id))
    }

    /// Fold in one group given by its key values and states, as a later part of the input
    /// (how a table is rebuilt from groups taken out of another, e.g. one sent over the
    /// wire). `states` must have one state for each aggregate of the table.
    pub fn insert(&mut self, key: &[Value<'_>], states: States) {
        let mut encoded = Vec::new();
        for v in key {
            Groups::push_key(v, &mut encoded);
        }
        if !self.shaped {
            self.width = states.len();
            self.shaped = true;
        }
        let width = self.width;
        let key = Key::of(&encoded);
        let hash = key.hash(&self.hasher);
        let part = &mut self.parts[partition_of(hash)];
        let kept: usize = states.iter().map(AggState::kept).sum();
        let mut moved = Some(states);
        let found = part.find_or_insert(hash, key, width, &self.hasher, || {
            moved.take().unwrap_or_default()
        });
        match (found, moved) {
            (None, _) => self.overflow = true,
            (Some((_, true)), _) => {
                self.len += 1;
                self.kept += kept;
            }
            (Some((id, false)), Some(theirs)) => {
                for (m, t) in part.states[id * width..][..width].iter_mut().zip(theirs) {
                    let before = m.kept();
                    m.merge(t);
                    self.kept = (self.kept + m.kept()).saturating_sub(before);
                }
            }
            (Some((_, false)), None) => {}
        }
    }

    /// How many groups the table holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the table holds no group.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How much state the groups hold: one per group, plus the values kept beyond that
    /// (more than any limit if the table could not place a group).
    pub fn size(&self) -> usize {
        if self.overflow {
            return usize::MAX;
        }
        self.len + self.kept
    }

    /// Fold in the groups of a later part of the input, partition by partition, on as many
    /// threads as the machine has when both tables are large.
    pub fn merge(&mut self, other: Groups) {
        // Asked only when it matters: the answer is read from /proc and /sys (cgroup
        // quotas) each time, and the emitter merges once per piece of a file.
        let threads = if self.len.min(other.len) < PARALLEL_MERGE_MIN {
            1
        } else {
            std::thread::available_parallelism().map_or(1, usize::from)
        };
        self.merge_on(other, threads);
        self.from_parts = true;
    }

    /// [`Groups::merge`] on at most `threads` threads (the calling one included).
    pub fn merge_on(&mut self, other: Groups, threads: usize) {
        self.overflow |= other.overflow;
        if other.len == 0 {
            return;
        }
        if self.len == 0 {
            // Nothing to merge with: take the other table whole (its partitions, keys and
            // states move; nothing is re-inserted).
            let scratch = std::mem::take(&mut self.scratch);
            let (overflow, from_parts) = (self.overflow, self.from_parts);
            *self = other;
            self.scratch = scratch;
            self.overflow |= overflow;
            self.from_parts |= from_parts;
            return;
        }
        let width = self.width;
        let kept = self.kept + other.kept;
        let threads = if self.len.min(other.len) < PARALLEL_MERGE_MIN {
            1
        } else {
            threads.clamp(1, PARTITIONS)
        };
        let work: Vec<(&mut Partition, Partition)> =
            self.parts.iter_mut().zip(other.parts).collect();
        let common = AtomicUsize::new(0);
        let overflow = AtomicBool::new(false);
        let hasher = &self.hasher;
        let queue = Mutex::new(work);
        let drain = || loop {
            let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let Some((mine, theirs)) = next else { break };
            let m = mine.merge(theirs, width, hasher);
            common.fetch_add(m.common, Ordering::Relaxed);
            if m.overflow {
                overflow.store(true, Ordering::Relaxed);
            }
        };
        std::thread::scope(|scope| {
            for _ in 1..threads {
                // A thread that cannot be started leaves its share to the others (the
                // calling thread drains the queue too).
                let _ = std::thread::Builder::new().spawn_scoped(scope, drain);
            }
            drain();
        });
        self.kept = kept.saturating_sub(common.into_inner());
        self.overflow |= overflow.into_inner();
        self.len = self.parts.iter().map(|p| p.index.len()).sum();
    }

    /// The groups in key order, as (key values, states): see [`Groups::into_sorted_iter`].
    pub fn into_sorted(self) -> Vec<(Vec<Value<'static>>, States)> {
        self.into_sorted_iter().collect()
    }

    /// The groups (key values, states) in key order, one at a time (the key values are
    /// read back from the arena as each group is taken, so the table is never held twice).
    /// Keys that order as equal but are different groups (`404` and `"404"` in JSON) come
    /// in the order of their encoded keys, not the hash table's (which is seeded at
    /// random).
    ///
    /// Each partition is sorted on its own (its keys lie together in its arena, a
    /// sixteenth of the table, which the cache holds better than the whole), on several
    /// threads when the table was made of parts read in parallel, and the iterator merges
    /// the 16 sorted runs as it goes. With 5 M groups the sort was most of the CPU of the
    /// run (`bench/group_tables.sh`), all of it on one thread after the reading.
    pub fn into_sorted_iter(self) -> SortedGroups {
        let threads = if self.from_parts && self.len >= PARALLEL_MERGE_MIN {
            std::thread::available_parallelism().map_or(1, usize::from)
        } else {
            1
        };
        self.into_sorted_iter_on(threads)
    }

    /// [`Groups::into_sorted_iter`], the partitions sorted on at most `threads` threads
    /// (the calling one included).
    pub fn into_sorted_iter_on(self, threads: usize) -> SortedGroups {
        let mut runs: Vec<Vec<Sorting>> = vec![Vec::new(); self.parts.len()];
        let parts = &self.parts;
        let sort = |p: usize, run: &mut Vec<Sorting>| {
            let keys = &parts[p].keys;
            *run = parts[p].sorting();
            run.sort_unstable_by(|a, b| {
                a.prefix
                    .cmp(&b.prefix)
                    .then_with(|| key_order(a.slot.key(keys), b.slot.key(keys)))
            });
        };
        let threads = threads.clamp(1, PARTITIONS);
        if threads == 1 {
            for (p, run) in runs.iter_mut().enumerate() {
                sort(p, run);
            }
        } else {
            let queue = Mutex::new(runs.iter_mut().enumerate().collect::<Vec<_>>());
            let drain = || loop {
                let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop();
                let Some((p, run)) = next else { break };
                sort(p, run);
            };
            std::thread::scope(|scope| {
                for _ in 1..threads {
                    // A thread that cannot be started leaves its share to the others.
                    let _ = std::thread::Builder::new().spawn_scoped(scope, drain);
                }
                drain();
            });
        }
        let mut sorted = SortedGroups {
            pos: vec![0; runs.len()],
            heap: (0..runs.len() as u8)
                .filter(|&r| !runs[r as usize].is_empty())
                .collect(),
            left: runs.iter().map(Vec::len).sum(),
            runs,
            parts: self.parts,
            width: self.width,
        };
        for i in (0..sorted.heap.len() / 2).rev() {
            sorted.sift_down(i);
        }
        sorted
    }

    /// Each group as its encoded key ([`Groups::push_key`]'s bytes; read its values with
    /// [`key_values`], order keys with [`key_order`]) and its states, in no particular
    /// order, with where it is ([`Groups::take`] takes it out). For a caller that wants a
    /// few groups chosen by their rows (`sort … | head N` after the table): no key is
    /// sorted or copied.
    pub(crate) fn each<'t>(&'t self, mut f: impl FnMut(GroupAt, &'t [u8], &'t [AggState])) {
        let width = self.width;
        for (part, p) in self.parts.iter().enumerate() {
            for slot in &p.index {
                let states = &p.states[slot.id() as usize * width..][..width];
                f(GroupAt { part, slot: *slot }, slot.key(&p.keys), states);
            }
        }
    }

    /// The groups at `at` (given by [`Groups::each`]), as (key values, states), in that
    /// order; the rest of the table is dropped.
    pub(crate) fn take(mut self, at: &[GroupAt]) -> Vec<(Vec<Value<'static>>, States)> {
        let width = self.width;
        at.iter()
            .map(|g| {
                let part = &mut self.parts[g.part];
                let values = decode_values(g.slot.key(&part.keys));
                let states = part.states[g.slot.id() as usize * width..][..width]
                    .iter_mut()
                    .map(|s| std::mem::replace(s, placeholder()))
                    .collect();
                (values, states)
            })
            .collect()
    }

    /// The groups (key values, states) in no particular order, without taking the table
    /// apart.
    pub fn iter(&self) -> impl Iterator<Item = (Vec<Value<'static>>, &[AggState])> + '_ {
        let width = self.width;
        self.parts.iter().flat_map(move |p| {
            p.index.iter().map(move |s| {
                let states = &p.states[s.id() as usize * width..][..width];
                (decode_values(s.key(&p.keys)), states)
            })
        })
    }
}

/// Where a group is in its table (see [`Groups::each`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct GroupAt {
    part: usize,
    slot: Slot,
}

/// The order of the rows: by the keys' values ([`compare_keys`]), then (keys that compare
/// equal but are different groups) by their encoded bytes. The order of
/// [`Groups::into_sorted_iter`], for encoded keys given by [`Groups::each`].
pub(crate) fn key_order(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    compare_keys(a, b).then_with(|| a.cmp(b))
}

/// The tag of a string in [`encode_key`]'s encoding, and in a group key's.
const STR_TAG: u8 = 4;

/// The inline slot (group number aside) of the one-column key of `v`, made from the value
/// in registers: exactly [`Slot::probe`] of its [`Groups::push_key`] bytes (a test checks
/// it value by value); `None` when that key is longer than [`INLINE`] (a string over 10
/// bytes, a time).
#[inline(always)]
fn inline_value(v: &Value<'_>) -> Option<Slot> {
    // A tag and 8 bytes (an integer, a float's bits).
    let word = |tag: u8, w: u64| Slot::image(u128::from(tag) | u128::from(w) << 8, 9);
    Some(match v {
        Value::Str(text) => {
            let len = text.len();
            // The tag, a one-byte length (below 128), the bytes.
            if len + 2 > INLINE {
                return None;
            }
            let image = u128::from(STR_TAG) | (len as u128) << 8 | load_le(text)? << 16;
            Slot::image(image, len + 2)
        }
        Value::Int(i) => word(2, *i as u64),
        Value::Float(x) => word(3, x.to_bits()),
        Value::Null => Slot::image(0, 1),
        Value::Bool(b) => Slot::image(1 | u128::from(*b) << 8, 2),
        Value::Time(_) => return None,
    })
}

/// A string's length in a group key: LEB128 (7 bits a byte, the high bit set on all but
/// the last), one byte below 128. Written here rather than taken from a crate: it is these
/// eight lines, on the path of every record.
#[inline]
fn push_len(mut n: usize, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A length written by [`push_len`] at the start of `bytes`, and the bytes after it.
#[inline]
fn read_len(bytes: &[u8]) -> Option<(usize, &[u8])> {
    let mut n: usize = 0;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        n |= usize::from(b & 0x7f).checked_shl(7 * i as u32)?;
        if b & 0x80 == 0 {
            return Some((n, &bytes[i + 1..]));
        }
    }
    None
}

/// A string column at the start of a group key: its bytes and the rest of the key.
#[inline]
fn str_column(key: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&STR_TAG, rest) = key.split_first()? else {
        return None;
    };
    let (len, rest) = read_len(rest)?;
    Some((rest.get(..len)?, rest.get(len..)?))
}

/// One value written by [`Groups::push_key`] at the start of `key`, and the rest of the key.
#[inline]
fn decode_column(key: &[u8]) -> Option<(Value<'_>, &[u8])> {
    match str_column(key) {
        Some((text, rest)) => Some((Value::Str(Cow::Borrowed(text)), rest)),
        None if key.first() == Some(&STR_TAG) => None,
        None => decode_key(key),
    }
}

/// Order two encoded keys by their values ([`total_order`], column by column).
fn compare_keys(mut a: &[u8], mut b: &[u8]) -> std::cmp::Ordering {
    loop {
        // Two strings order by their bytes (as `total_order` orders them): compared in
        // place, without making values (the common case, and most of the sort's time).
        if let (Some((x, ra)), Some((y, rb))) = (str_column(a), str_column(b)) {
            let o = x.cmp(y);
            if o.is_ne() {
                return o;
            }
            (a, b) = (ra, rb);
            continue;
        }
        match (decode_column(a), decode_column(b)) {
            (Some((x, ra)), Some((y, rb))) => {
                let o = total_order(&x, &y);
                if o.is_ne() {
                    return o;
                }
                (a, b) = (ra, rb);
            }
            (x, y) => return x.is_some().cmp(&y.is_some()),
        }
    }
}

/// The key values of an encoded key (given by [`Groups::each`]), borrowed from it.
pub(crate) fn key_values(mut key: &[u8]) -> SmallVec<[Value<'_>; 2]> {
    let mut values = SmallVec::new();
    while let Some((v, rest)) = decode_column(key) {
        values.push(v);
        key = rest;
    }
    values
}

/// The key values of an encoded key, owned.
fn decode_values(key: &[u8]) -> Vec<Value<'static>> {
    key_values(key).into_iter().map(Value::into_owned).collect()
}

/// The groups of a finished table in key order (see [`Groups::into_sorted_iter`]): the
/// partitions' sorted runs, merged through a binary heap of their next groups.
pub struct SortedGroups {
    /// Per partition: its groups, sorted.
    runs: Vec<Vec<Sorting>>,
    /// Per partition: the next group of its run.
    pos: Vec<usize>,
    /// The partitions with groups left, the one whose next key is smallest first.
    heap: Vec<u8>,
    left: usize,
    parts: Vec<Partition>,
    width: usize,
}

impl SortedGroups {
    /// The key of the next group of partition `r`'s run.
    #[inline]
    fn head(&self, r: u8) -> &[u8] {
        self.runs[r as usize][self.pos[r as usize]]
            .slot
            .key(&self.parts[r as usize].keys)
    }

    fn less(&self, a: usize, b: usize) -> bool {
        key_order(self.head(self.heap[a]), self.head(self.heap[b])).is_lt()
    }

    fn sift_down(&mut self, mut i: usize) {
        loop {
            let (l, r) = (2 * i + 1, 2 * i + 2);
            let mut least = i;
            if l < self.heap.len() && self.less(l, least) {
                least = l;
            }
            if r < self.heap.len() && self.less(r, least) {
                least = r;
            }
            if least == i {
                return;
            }
            self.heap.swap(i, least);
            i = least;
        }
    }
}

impl Iterator for SortedGroups {
    type Item = (Vec<Value<'static>>, States);

    fn next(&mut self) -> Option<Self::Item> {
        let r = *self.heap.first()? as usize;
        let Sorting { slot, .. } = self.runs[r][self.pos[r]];
        self.pos[r] += 1;
        if self.pos[r] == self.runs[r].len() {
            self.heap.swap_remove(0);
        }
        if !self.heap.is_empty() {
            self.sift_down(0);
        }
        self.left -= 1;
        let part = &mut self.parts[r];
        let values = decode_values(slot.key(&part.keys));
        let states = part.states[slot.id() as usize * self.width..][..self.width]
            .iter_mut()
            .map(|s| std::mem::replace(s, placeholder()))
            .collect();
        Some((values, states))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for SortedGroups {}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::collections::HashMap;

    use super::*;
    use crate::record::Timestamp;

    #[test]
    fn a_count_state_is_64_bytes() {
        // The memory per group of the common tables depends on it (see the module docs).
        assert!(
            std::mem::size_of::<AggState>() <= 64,
            "{}",
            std::mem::size_of::<AggState>()
        );
    }

    fn text(s: &str) -> Value<'static> {
        Value::Str(Cow::Owned(s.as_bytes().to_vec()))
    }

    /// A key as the table writes it.
    fn encode(key: &[Value<'_>]) -> Vec<u8> {
        let mut out = Vec::new();
        for v in key {
            Groups::push_key(v, &mut out);
        }
        out
    }

    /// A key in [`encode_key`]'s encoding (the truth's order of ties and groups, computed
    /// without the table's own encoding).
    fn plain(key: &[Value<'_>]) -> Vec<u8> {
        let mut out = Vec::new();
        for v in key {
            encode_key(v, &mut out);
        }
        out
    }

    /// The aggregates the tests keep per group: count, sum of the value, first value, and
    /// count_distinct of the value (which keeps values, so merges must count them once).
    fn fresh() -> States {
        [
            AggState::new(AggFn::Simple(AggKind::Count), false),
            AggState::new(AggFn::Simple(AggKind::Sum), true),
            AggState::new(AggFn::First, true),
            AggState::new(AggFn::CountDistinct, true),
        ]
        .into_iter()
        .collect()
    }

    /// Add a record: a one-column key by its value ([`Groups::add_value`]) when `x` is
    /// even and by its bytes ([`Groups::add`]) when odd, so that both ways meet in every
    /// table and a key they made differently would be two groups.
    fn add(g: &mut Groups, key: &[Value<'_>], x: i64) {
        let v = Value::Int(x);
        let update = |states: &mut [AggState], scratch: &mut Vec<u8>| {
            let mut kept = 0;
            for (i, s) in states.iter_mut().enumerate() {
                kept += s.add((i > 0).then_some(&v), scratch).0;
            }
            (kept, Unusable::No)
        };
        match key {
            [one] if x % 2 == 0 => g.add_value(one, &mut Vec::new(), fresh, update),
            _ => g.add(&encode(key), fresh, update),
        };
    }

    /// The finished table as (key values, aggregate values), in the table's order.
    fn answer(g: Groups) -> Vec<(Vec<Value<'static>>, Vec<Value<'static>>)> {
        g.into_sorted_iter()
            .map(|(k, s)| (k, s.iter().map(AggState::value).collect()))
            .collect()
    }

    /// The truth for records (key, x) in order, computed without the table: count, sum,
    /// first x, distinct x, by key; ordered as the table promises (key values by
    /// `total_order`, then encoded bytes).
    fn truth(
        records: &[(Vec<Value<'static>>, i64)],
    ) -> Vec<(Vec<Value<'static>>, Vec<Value<'static>>)> {
        // By encoded key: (key values, count, sum, first, distinct values).
        type Truth = (Vec<Value<'static>>, i64, i64, i64, Vec<i64>);
        let mut by: HashMap<Vec<u8>, Truth> = HashMap::new();
        for (k, x) in records {
            let e = by
                .entry(plain(k))
                .or_insert_with(|| (k.clone(), 0, 0, *x, Vec::new()));
            e.1 += 1;
            e.2 += x;
            if !e.4.contains(x) {
                e.4.push(*x);
            }
        }
        let mut rows: Vec<_> = by.into_iter().collect();
        rows.sort_by(|(ea, a), (eb, b)| {
            a.0.iter()
                .zip(&b.0)
                .map(|(x, y)| total_order(x, y))
                .find(|o| o.is_ne())
                .unwrap_or_else(|| ea.cmp(eb))
        });
        rows.into_iter()
            .map(|(_, (k, n, sum, first, d))| {
                let vals = vec![
                    Value::Int(n),
                    Value::Int(sum),
                    Value::Int(first),
                    Value::Int(d.len() as i64),
                ];
                (k, vals)
            })
            .collect()
    }

    /// Records with `groups` distinct keys of two columns (a path-like string of varying
    /// length, up to a few KiB, and a small integer), in a fixed pseudo-random order.
    fn records(n: usize, groups: u64) -> Vec<(Vec<Value<'static>>, i64)> {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        (0..n)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let g = if (i as u64) < groups {
                    i as u64
                } else {
                    x % groups
                };
                let long = if g % 97 == 0 {
                    "x".repeat((g % 4000) as usize)
                } else {
                    String::new()
                };
                let key = vec![text(&format!("/p/{g}{long}")), Value::Int((g % 7) as i64)];
                (key, (x % 5) as i64)
            })
            .collect()
    }

    fn table(records: &[(Vec<Value<'static>>, i64)]) -> Groups {
        let mut g = Groups::default();
        for (k, x) in records {
            add(&mut g, k, *x);
        }
        g
    }

    #[test]
    fn typed_keys_stay_apart_and_come_back_unchanged() {
        let time = Timestamp::from_parts(1_700_000_000_123_456, None);
        let zoned = Timestamp::from_parts(1_700_000_000_123_456, Some(-6 * 3600));
        let keys: Vec<Vec<Value<'static>>> = vec![
            vec![Value::Int(3), text("a")],
            vec![text("3"), text("a")],
            vec![Value::Float(3.0), text("a")],
            vec![Value::Int(3), text("a\0b")],
            vec![Value::Null, text("")],
            vec![Value::Bool(true), text("")],
            vec![Value::Bool(false), text("")],
            vec![Value::Time(time), text("t")],
            vec![Value::Time(zoned), text("t")],
            vec![Value::Int(-4), text(&"long".repeat(100))],
            vec![Value::Int(i64::MIN), text("é")],
        ];
        let mut records = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            for j in 0..=i {
                records.push((k.clone(), j as i64));
            }
        }
        // Mixed types do not order transitively (`"3"` = `3` as numbers, `3` < a time <
        // `"3"` by type), so the groups are compared as sets here; the order is tested below.
        let by_encoding = |mut rows: Vec<(Vec<Value<'static>>, Vec<Value<'static>>)>| {
            rows.sort_by_key(|(k, _)| plain(k));
            rows
        };
        let want = by_encoding(truth(&records));
        assert_eq!(want.len(), keys.len());
        let got = by_encoding(answer(table(&records)));
        assert_eq!(got, want);
        // Int 3 and Str "3" are two groups, each counted alone.
        let three: Vec<_> = got.iter().filter(|(k, _)| k[1] == text("a")).collect();
        assert_eq!(three.len(), 3);
    }

    #[test]
    fn groups_come_in_key_order() {
        let keys = [
            vec![text("b"), Value::Int(2)],
            vec![Value::Int(10), Value::Int(1)],
            vec![text("a"), Value::Int(2)],
            vec![Value::Int(9), Value::Int(5)],
            vec![text("b"), Value::Int(1)],
            vec![Value::Null, Value::Int(1)],
        ];
        let records: Vec<_> = keys.iter().map(|k| (k.clone(), 1)).collect();
        let got: Vec<_> = answer(table(&records))
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        let want = [5, 3, 1, 2, 4, 0].map(|i| keys[i].clone());
        assert_eq!(got, want);
    }

    #[test]
    fn many_groups_of_short_and_long_keys() {
        let records = records(120_000, 70_000);
        let g = table(&records);
        assert_eq!(g.len(), 70_000);
        // Every partition was used and grew past its first allocations.
        assert!(g.parts.iter().all(|p| p.index.len() > 3000));
        assert_eq!(answer(g), truth(&records));
    }

    #[test]
    fn partials_merge_into_the_one_table_answer() {
        // Overlapping parts (the same keys in each), disjoint parts, empty parts; on one
        // thread and on several (parts large enough for the parallel merge).
        let records = records(
            3 * PARALLEL_MERGE_MIN + 5_000,
            PARALLEL_MERGE_MIN as u64 * 2,
        );
        let want = truth(&records);
        let n = records.len();
        for cuts in [
            vec![0, n / 3, 2 * n / 3, n],
            vec![0, 0, n / 2, n, n],
            vec![0, 10, n],
        ] {
            for threads in [1, 4] {
                let mut total = Groups::default();
                for w in cuts.windows(2) {
                    total.merge_on(table(&records[w[0]..w[1]]), threads);
                }
                assert_eq!(total.len(), want.len());
                assert_eq!(answer(total), want, "cuts {cuts:?} threads {threads}");
            }
        }
        // Disjoint key sets: every group of the later part is new to the earlier one.
        let (evens, odds): (Vec<_>, Vec<_>) = records
            .iter()
            .cloned()
            .partition(|(k, _)| matches!(k[1], Value::Int(i) if i % 2 == 0));
        let mut total = table(&evens);
        total.merge_on(table(&odds), 2);
        let mut both = evens.clone();
        both.extend(odds);
        assert_eq!(answer(total), truth(&both));
    }

    #[test]
    fn partitions_sorted_on_several_threads_and_merged_give_the_key_order() {
        // Two string columns (the in-place comparison) and string-then-integer keys, some
        // strings prefixes of others; sorted on 1 and 4 threads; a table made of parts
        // (sorted on several threads by itself) and one made by one reader.
        let mut records = records(50_000, PARALLEL_MERGE_MIN as u64 + 9_000);
        for (i, (k, _)) in records.iter_mut().enumerate().take(20_000) {
            let s = format!("/p/{}", i % 5_000);
            k[1] = text(&s[..s.len() - i % 3]);
        }
        let want = truth(&records);
        for threads in [1, 4] {
            let got: Vec<_> = table(&records)
                .into_sorted_iter_on(threads)
                .map(|(k, s)| (k, s.iter().map(AggState::value).collect::<Vec<_>>()))
                .collect();
            assert_eq!(got, want, "{threads} threads");
        }
        let mut parts = Groups::default();
        parts.merge(table(&records[..25_000]));
        parts.merge(table(&records[25_000..]));
        assert!(parts.from_parts);
        let sorted = parts.into_sorted_iter();
        assert_eq!(sorted.len(), want.len());
        let got: Vec<_> = sorted
            .map(|(k, s)| (k, s.iter().map(AggState::value).collect::<Vec<_>>()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn kept_values_are_counted_once_after_a_merge() {
        // count_distinct keeps its values: the same value in both parts is kept once.
        let records = records(40_000, 1_000);
        let whole = table(&records);
        let mut merged = table(&records[..20_000]);
        merged.merge_on(table(&records[20_000..]), 2);
        assert_eq!(merged.size(), whole.size());
        let recount: usize = whole.iter().flat_map(|(_, s)| s).map(AggState::kept).sum();
        assert_eq!(whole.size(), whole.len() + recount);
    }

    /// Keys around the inline length: at it, one byte below and above, the empty key and
    /// the empty string, multi-column keys, keys of one length that differ in one byte only
    /// (the last inline byte, or past the inline length), zero bytes at the end, and ints
    /// and strings of the same bytes. Key `i` comes `i + 1` times, so two keys wrongly
    /// taken for one (a comparison of lengths only, or of a part of the bytes) change the
    /// counts.
    fn around_the_inline_length() -> Vec<Vec<Value<'static>>> {
        let ten = "abcdefghij";
        let eight = i64::from_le_bytes(*b"abcdefgh");
        let mut keys: Vec<Vec<Value<'static>>> = vec![
            vec![],
            vec![text("")],
            vec![text("\0")],
            vec![text("\0\0")],
            vec![Value::Null],
            vec![Value::Null, Value::Null],
            vec![Value::Bool(false)],
            vec![Value::Int(0)],
            vec![Value::Int(256)],
            vec![Value::Int(eight)],
            vec![text("abcdefgh")],
            vec![Value::Float(f64::from_bits(eight as u64))],
            // Int and a one-byte string: 9 + 3 = 12 bytes, inline; two bytes: 13, not.
            vec![Value::Int(7), text("a")],
            vec![Value::Int(7), text("b")],
            vec![Value::Int(7), text("ab")],
            vec![Value::Int(7), text("ac")],
            vec![text("a"), Value::Int(7)],
            vec![Value::Int(7), Value::Bool(true)],
            vec![Value::Int(7), Value::Bool(false)],
            // One column split in two: the lengths keep them apart.
            vec![text("ab"), text("c")],
            vec![text("a"), text("bc")],
        ];
        for n in 0..=ten.len() + 3 {
            for last in ["x", "y"] {
                // 10 bytes of string: 12 of key, inline; 11 and up: in the arena, and
                // these differ only past the inline length.
                keys.push(vec![text(&format!("{}{last}", &ten[..n.min(10)]))]);
                keys.push(vec![text(&format!("{ten}{}{last}", "z".repeat(n)))]);
            }
        }
        let mut seen = std::collections::HashSet::new();
        keys.retain(|k| seen.insert(plain(k)));
        keys
    }

    #[test]
    fn keys_at_below_and_above_the_inline_length_are_groups_of_their_own() {
        let keys = around_the_inline_length();
        let mut inline = 0;
        for k in &keys {
            let n = encode(k).len();
            inline += usize::from(n <= INLINE);
            if k.len() == 1 && matches!(&k[0], Value::Str(s) if s.len() == 10) {
                assert_eq!(n, INLINE, "a 10-byte string is a key of the inline length");
            }
        }
        assert!(inline > 20 && inline + 10 < keys.len(), "{inline}");
        let mut records = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            for j in 0..=i {
                records.push((k.clone(), j as i64));
            }
        }
        let g = table(&records);
        assert_eq!(g.len(), keys.len());
        // Keys held inline take no arena bytes; the others all of theirs.
        let arena: usize = g.parts.iter().map(|p| p.keys.len()).sum();
        let long: usize = keys
            .iter()
            .map(|k| encode(k).len())
            .filter(|&n| n > INLINE)
            .sum();
        assert_eq!(arena, long);
        let by_encoding = |mut rows: Vec<(Vec<Value<'static>>, Vec<Value<'static>>)>| {
            rows.sort_by_key(|(k, _)| plain(k));
            rows
        };
        assert_eq!(by_encoding(answer(g.clone())), by_encoding(truth(&records)));
        // Looked up again (found, not made anew), every key counts on.
        let mut again = g;
        for (k, x) in &records {
            add(&mut again, k, *x);
        }
        assert_eq!(again.len(), keys.len());
        let doubled: Vec<_> = records.iter().chain(&records).cloned().collect();
        assert_eq!(by_encoding(answer(again)), by_encoding(truth(&doubled)));
    }

    /// Keys that share a place among the recent groups take it in turn and are never
    /// taken for each other: counted against the test's own tally, with the table small
    /// (the recent groups in use) and grown past [`RECENT_GROUPS`] (not in use) alike.
    #[test]
    fn keys_sharing_a_recent_place_stay_apart() {
        let place = |v: &Value<'_>| inline_value(v).map(|p| Recent::place(&p));
        // Integers and short strings that fall on the place of `Int(0)`.
        let target = place(&Value::Int(0));
        let mut same: Vec<Value<'static>> = vec![Value::Int(0)];
        let mut i = 1i64;
        while same.len() < 4 {
            for v in [Value::Int(i), text(&i.to_string())] {
                if place(&v) == target {
                    same.push(v);
                }
            }
            i += 1;
        }
        for extra in [0usize, 100] {
            let mut records: Vec<(Vec<Value<'static>>, i64)> = Vec::new();
            for round in 0..50 {
                for (k, v) in same.iter().enumerate() {
                    for _ in 0..=k {
                        records.push((vec![v.clone()], round));
                    }
                }
            }
            // Many other groups first, or none.
            let others: Vec<_> = (0..extra)
                .map(|n| (vec![text(&format!("other{n}"))], 1))
                .collect();
            let all: Vec<_> = others.into_iter().chain(records).collect();
            assert_eq!(answer(table(&all)), truth(&all), "{extra} other groups");
        }
    }

    #[test]
    fn an_inline_key_compares_all_its_bytes() {
        // Same length, other bytes: another group, in every position of the slot.
        let key = [
            4u8, 10, b'a', b'b', b'c', b'd', b'e', b'f', b'g', b'h', b'i', b'j',
        ];
        let slot = Slot::new(5, Key::of(&key), 0).unwrap();
        assert_eq!(slot.id(), 5);
        assert_eq!(slot.key(&[]), key);
        assert!(slot.holds(&Key::of(&key), &[]));
        for i in 0..key.len() {
            let mut other = key;
            other[i] ^= 1;
            assert!(!slot.holds(&Key::of(&other), &[]), "byte {i}");
        }
        // A prefix padded with zeros is not the key it pads to.
        let short = [4u8, 1, 0];
        let slot = Slot::new(1, Key::of(&short), 0).unwrap();
        assert!(!slot.holds(&Key::of(&short[..2]), &[]));
        assert!(!slot.holds(&Key::of(&[4, 1, 0, 0]), &[]));
        // A long key is in the arena, found there, and never equal to an inline one.
        let long: Vec<u8> = (0..13).collect();
        let arena: Vec<u8> = [&[9u8, 9][..], &long].concat();
        let slot = Slot::new(2, Key::of(&long), 2).unwrap();
        assert_eq!(slot.key(&arena), long);
        assert!(slot.holds(&Key::of(&long), &arena));
        assert!(!slot.holds(&Key::of(&long[..12]), &arena));
        // Numbers past what a slot can hold are refused, not wrapped.
        assert!(Slot::new(ID_MASK as usize + 1, Key::of(&key), 0).is_none());
        assert!(Slot::new(0, Key::of(&long), u32::MAX as usize).is_none());
    }

    /// The key made straight from a value is the slot of its bytes, with the same hash
    /// (the slot's own hash, used when the index grows, too), for every kind of value and
    /// every string length around the inline limit; a key too long for a slot is none.
    #[test]
    fn a_key_made_from_a_value_is_the_key_of_its_bytes() {
        let hasher = Groups::default().hasher;
        let mut values = vec![
            Value::Null,
            Value::Bool(false),
            Value::Bool(true),
            Value::Int(0),
            Value::Int(-1),
            Value::Int(200),
            Value::Int(i64::MIN),
            Value::Int(i64::MAX),
            Value::Float(0.0),
            Value::Float(-0.0),
            Value::Float(200.0),
            Value::Float(f64::NAN),
            Value::Time(Timestamp::from_unix_micros(1_700_000_000_000_000, 3600)),
        ];
        let alphabet = "0123456789abcdefghij\0\u{ff}";
        for n in 0..=14 {
            values.push(text(&alphabet[..n]));
            values.push(text(&"\0".repeat(n)));
        }
        values.push(text("200"));
        for v in &values {
            let bytes = encode(std::slice::from_ref(v));
            let from_value = inline_value(v);
            let from_bytes = Slot::probe(&bytes);
            assert_eq!(from_value, from_bytes, "{v:?}");
            assert_eq!(from_value.is_some(), bytes.len() <= INLINE, "{v:?}");
            if let Some(slot) = from_value {
                assert_eq!(
                    Key::Inline(slot).hash(&hasher),
                    Key::of(&bytes).hash(&hasher)
                );
                let stored = Slot::new(3, Key::Inline(slot), 0).unwrap();
                assert_eq!(stored.hash(&[], &hasher), Key::of(&bytes).hash(&hasher));
                assert_eq!(stored.key(&[]), bytes);
            }
        }
    }

    #[test]
    fn string_lengths_read_back_as_written() {
        for n in [
            0,
            1,
            127,
            128,
            255,
            16_383,
            16_384,
            1 << 21,
            u32::MAX as usize,
        ] {
            let mut out = vec![];
            push_len(n, &mut out);
            out.push(0xAA);
            assert_eq!(read_len(&out), Some((n, &[0xAA][..])), "{n}");
        }
        assert_eq!(read_len(&[0x80, 0x80]), None);
        // A string column: its length and bytes, then the next column.
        let key = encode(&[text(&"s".repeat(300)), Value::Int(-2)]);
        assert_eq!(key.len(), 1 + 2 + 300 + 9);
        assert_eq!(
            decode_values(&key),
            vec![text(&"s".repeat(300)), Value::Int(-2)]
        );
        // Cut short: no value made up from the rest.
        assert_eq!(decode_values(&key[..100]), Vec::<Value<'static>>::new());
    }

    #[test]
    fn tables_whose_keys_are_inline_on_both_sides_merge_into_the_one_table_answer() {
        // Both parts hold the same short keys (inline on both sides) and some long ones;
        // the later part has keys of its own too. Large enough for the parallel merge.
        let short = around_the_inline_length();
        let records: Vec<_> = (0..3 * PARALLEL_MERGE_MIN + 1_000)
            .map(|i| {
                let k = if i % 3 == 0 {
                    short[i % short.len()].clone()
                } else {
                    // Keys of 2 + 2..=6 bytes: all inline. (Not numbers: a table of
                    // numbers and strings that read as numbers has no total order.)
                    vec![text(&format!("k{:x}", i % (PARALLEL_MERGE_MIN * 2)))]
                };
                (k, (i % 11) as i64)
            })
            .collect();
        let want = truth(&records);
        let n = records.len();
        for threads in [1, 4] {
            let mut total = Groups::default();
            for w in [0, n / 2, n].windows(2) {
                total.merge_on(table(&records[w[0]..w[1]]), threads);
            }
            assert_eq!(total.len(), want.len());
            let got = answer(total);
            let by_encoding = |mut rows: Vec<(Vec<Value<'static>>, Vec<Value<'static>>)>| {
                rows.sort_by_key(|(k, _)| plain(k));
                rows
            };
            assert_eq!(
                by_encoding(got),
                by_encoding(want.clone()),
                "{threads} threads"
            );
        }
    }

    #[test]
    fn a_table_rebuilt_group_by_group_is_the_same() {
        let records = records(30_000, 9_000);
        let original = table(&records);
        let mut rebuilt = Groups::default();
        for (k, states) in original.iter() {
            rebuilt.insert(&k, states.iter().cloned().collect());
        }
        // Inserting a group again merges it as a later part would.
        let mut twice = rebuilt.clone();
        for (k, states) in original.iter() {
            twice.insert(&k, states.iter().cloned().collect());
        }
        assert_eq!(rebuilt.size(), original.size());
        let doubled: Vec<_> = records.iter().chain(&records).cloned().collect();
        assert_eq!(answer(twice), truth(&doubled));
        assert_eq!(answer(rebuilt), truth(&records));
    }
}
