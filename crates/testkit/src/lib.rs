//! Test support shared by the crates' test suites (a dev-dependency only, never in a
//! build of the platform): [`Rng`], a small deterministic random generator, and
//! [`Mutator`], which derives damaged inputs from valid ones the way a fuzzer does, so that
//! every test run exercises the fuzz entry points (`fuzzing` modules) and parsers with
//! thousands of reproducible mutations.
//!
//! Invariants: the same seed gives the same sequence on every machine and in every run (a
//! failure reproduces from the test's seed alone); nothing here reads the clock, the
//! environment or the operating system's randomness. A crate of its own rather than a
//! feature of `ironloom-core`: a feature that only tests enable would give test builds a
//! different core, and so a second build of every crate above it.
//!
//! Feature `tls`: [`tls`], certificate authorities and certificates made on the spot for the
//! TLS listeners' tests (here, not in `ironloom-tls`, for the same reason). Keys are random
//! and certificates dated now: what the invariants above promise does not extend to it.
//!
//! Feature `peers`: [`peers`], a NATS JetStream cluster and an S3 server (SeaweedFS) started
//! on loopback for the cluster tests. It reads `PATH` and the clock and starts processes,
//! so the invariants above do not extend to it either.

#[cfg(feature = "peers")]
pub mod peers;
#[cfg(feature = "tls")]
pub mod tls;

/// splitmix64: fast, statistically good enough for test inputs, and deterministic.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`; 0 when `n` is 0.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn byte(&mut self) -> u8 {
        self.next_u64() as u8
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }

    /// One of `items` (which must not be empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// One kind of change a [`Mutator`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// Flips one bit.
    FlipBit,
    /// Sets one byte to a random value.
    SetByte,
    /// Cuts the input short (possibly to nothing).
    Truncate,
    /// Inserts one to eight random bytes.
    Insert,
    /// Copies a slice of the input to another place in it.
    Duplicate,
    /// Swaps two neighbouring bytes.
    Swap,
    /// Inserts a word of the dictionary.
    Splice,
    /// Writes a word of the dictionary over the bytes at a place.
    Overwrite,
    /// Replaces the whole input with random bytes (at most `max_random`).
    Random,
}

impl Edit {
    /// Every kind of edit.
    pub const ALL: [Edit; 9] = [
        Edit::FlipBit,
        Edit::SetByte,
        Edit::Truncate,
        Edit::Insert,
        Edit::Duplicate,
        Edit::Swap,
        Edit::Splice,
        Edit::Overwrite,
        Edit::Random,
    ];
}

/// Makes damaged copies of valid inputs: one to `max_edits` edits each, of the kinds in
/// `edits`, with words of the format (`dictionary`: markers, delimiters, length bytes)
/// spliced in or written over, so that mutations reach past a parser's first checks.
#[derive(Debug, Clone)]
pub struct Mutator {
    edits: Vec<Edit>,
    dictionary: Vec<Vec<u8>>,
    max_edits: usize,
    max_random: usize,
}

impl Default for Mutator {
    fn default() -> Self {
        Mutator::new()
    }
}

impl Mutator {
    /// Every kind of edit, up to four per mutation, no dictionary.
    pub fn new() -> Mutator {
        Mutator {
            edits: Edit::ALL.to_vec(),
            dictionary: Vec::new(),
            max_edits: 4,
            max_random: 64,
        }
    }

    /// Only these kinds of edits (at least one).
    pub fn edits(mut self, edits: &[Edit]) -> Mutator {
        assert!(
            !edits.is_empty(),
            "a mutator needs at least one kind of edit"
        );
        self.edits = edits.to_vec();
        self
    }

    /// Words of the input's format, for [`Edit::Splice`] and [`Edit::Overwrite`].
    pub fn dictionary<W: AsRef<[u8]>>(mut self, words: &[W]) -> Mutator {
        self.dictionary = words.iter().map(|w| w.as_ref().to_vec()).collect();
        self
    }

    /// At most this many edits per mutation (at least one is always made).
    pub fn max_edits(mut self, n: usize) -> Mutator {
        self.max_edits = n.max(1);
        self
    }

    /// Longest input an [`Edit::Random`] makes.
    pub fn max_random(mut self, n: usize) -> Mutator {
        self.max_random = n;
        self
    }

    /// A mutated copy of `seed`.
    pub fn mutate(&self, rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
        let mut b = seed.to_vec();
        for _ in 0..1 + rng.below(self.max_edits) {
            let edit = *rng.pick(&self.edits);
            self.edit(rng, &mut b, edit);
        }
        b
    }

    fn edit(&self, rng: &mut Rng, b: &mut Vec<u8>, edit: Edit) {
        match edit {
            Edit::FlipBit if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
            Edit::SetByte if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] = rng.byte();
            }
            Edit::Truncate => b.truncate(rng.below(b.len() + 1)),
            Edit::Insert => {
                let at = rng.below(b.len() + 1);
                let n = 1 + rng.below(8);
                let bytes = rng.bytes(n);
                b.splice(at..at, bytes);
            }
            Edit::Duplicate if !b.is_empty() => {
                let from = rng.below(b.len());
                let to = (from + 1 + rng.below(64)).min(b.len());
                let chunk = b[from..to].to_vec();
                let at = rng.below(b.len() + 1);
                b.splice(at..at, chunk);
            }
            Edit::Swap if b.len() > 1 => {
                let i = rng.below(b.len() - 1);
                b.swap(i, i + 1);
            }
            Edit::Splice if !self.dictionary.is_empty() => {
                let word = rng.pick(&self.dictionary).clone();
                let at = rng.below(b.len() + 1);
                b.splice(at..at, word);
            }
            Edit::Overwrite if !self.dictionary.is_empty() && !b.is_empty() => {
                let word = rng.pick(&self.dictionary);
                let at = rng.below(b.len());
                let end = (at + word.len()).min(b.len());
                b[at..end].copy_from_slice(&word[..end - at]);
            }
            Edit::Random => {
                let n = rng.below(self.max_random + 1);
                *b = rng.bytes(n);
            }
            // The edit does not apply to this input (empty, or no dictionary): insert.
            _ => self.edit(rng, b, Edit::Insert),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_inputs() {
        let m = Mutator::new().dictionary(&[b"PAR1".as_slice(), b"\r\n"]);
        let seed = b"{\"a\":[1,2,3],\"b\":\"text\"}";
        let run = |s| {
            let mut rng = Rng::new(s);
            (0..200)
                .map(|_| m.mutate(&mut rng, seed))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = Rng::new(1);
        let mut seen = [false; 10];
        for _ in 0..1000 {
            let n = rng.below(10);
            seen[n] = true;
        }
        assert!(seen.iter().all(|s| *s));
        assert_eq!(rng.below(0), 0);
    }

    #[test]
    fn each_edit_changes_the_input_as_it_says() {
        let mut rng = Rng::new(3);
        let seed = b"0123456789abcdef".to_vec();
        let one = |e: Edit| Mutator::new().edits(&[e]).max_edits(1).dictionary(&[b"XY"]);
        for _ in 0..200 {
            let m = one(Edit::FlipBit).mutate(&mut rng, &seed);
            let diff: u32 = m.iter().zip(&seed).map(|(a, b)| (a ^ b).count_ones()).sum();
            assert_eq!((m.len(), diff), (seed.len(), 1));
            let m = one(Edit::Truncate).mutate(&mut rng, &seed);
            assert!(seed.starts_with(&m));
            let m = one(Edit::Insert).mutate(&mut rng, &seed);
            assert!((seed.len() + 1..=seed.len() + 8).contains(&m.len()));
            let m = one(Edit::Splice).mutate(&mut rng, &seed);
            assert_eq!(m.len(), seed.len() + 2);
            assert!(m.windows(2).any(|w| w == b"XY"));
            let m = one(Edit::Overwrite).mutate(&mut rng, &seed);
            assert_eq!(m.len(), seed.len());
            assert!(m.contains(&b'X'));
            let m = one(Edit::Swap).mutate(&mut rng, &seed);
            let mut sorted = m.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, seed);
            let m = one(Edit::Random).max_random(10).mutate(&mut rng, &seed);
            assert!(m.len() <= 10);
        }
        // Edits that need bytes or a dictionary still change an empty input.
        let m = Mutator::new().edits(&[Edit::FlipBit]).mutate(&mut rng, b"");
        assert!(!m.is_empty());
    }
}
