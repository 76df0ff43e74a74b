//! A map keyed by series id, for the tables every write touches (the memtable's columns,
//! the latest values).
//!
//! Series ids are handed out in order as series are created, and a device's series are
//! created together, so a write of many devices touches ids in nearly ascending order. A
//! hash map scatters them: with tens of thousands of series every look-up was a cache
//! miss (a quarter of the write path's time on 40 000 series with one point each). Here an
//! id indexes a slot array (4 bytes per id ever seen) that points into the values, kept
//! densely in insertion order, so such a write walks both arrays forward.

/// Ids below this have a slot (at most 64 MiB of slots); the rest, never seen unless
/// something went wrong, are hashed.
const DENSE: u32 = 1 << 24;

/// A map from series id to `V`.
#[derive(Debug, Clone)]
pub struct IdMap<V> {
    /// Per id below [`DENSE`]: its entry's position + 1, or 0 when absent.
    slots: Vec<u32>,
    /// The positions of larger ids.
    sparse: crate::FastMap<u32, u32>,
    entries: Vec<(u32, V)>,
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        IdMap {
            slots: Vec::new(),
            sparse: Default::default(),
            entries: Vec::new(),
        }
    }
}

impl<V> IdMap<V> {
    fn slot(&self, id: u32) -> Option<usize> {
        if id >= DENSE {
            return self.sparse.get(&id).map(|&i| i as usize);
        }
        match self.slots.get(id as usize) {
            Some(&s) if s > 0 => Some(s as usize - 1),
            _ => None,
        }
    }

    fn set_slot(&mut self, id: u32, at: Option<usize>) {
        if id >= DENSE {
            match at {
                Some(i) => self.sparse.insert(id, i as u32),
                None => self.sparse.remove(&id),
            };
            return;
        }
        let id = id as usize;
        if self.slots.len() <= id {
            // Grown to the id (and a quarter more): ids come nearly in order.
            self.slots.resize((id + 1).max(self.slots.len() * 5 / 4), 0);
        }
        self.slots[id] = at.map_or(0, |i| i as u32 + 1);
    }

    pub fn get(&self, id: &u32) -> Option<&V> {
        self.slot(*id).map(|i| &self.entries[i].1)
    }

    pub fn get_mut(&mut self, id: &u32) -> Option<&mut V> {
        self.slot(*id).map(|i| &mut self.entries[i].1)
    }

    pub fn contains_key(&self, id: &u32) -> bool {
        self.slot(*id).is_some()
    }

    /// The value of `id`, made by `make` when absent.
    pub fn get_or_insert_with(&mut self, id: u32, make: impl FnOnce() -> V) -> &mut V {
        let i = match self.slot(id) {
            Some(i) => i,
            None => self.push(id, make()),
        };
        &mut self.entries[i].1
    }

    /// Sets the value of `id`; returns the previous one.
    pub fn insert(&mut self, id: u32, value: V) -> Option<V> {
        match self.slot(id) {
            Some(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            None => {
                self.push(id, value);
                None
            }
        }
    }

    fn push(&mut self, id: u32, value: V) -> usize {
        let i = self.entries.len();
        self.entries.push((id, value));
        self.set_slot(id, Some(i));
        i
    }

    pub fn remove(&mut self, id: &u32) -> Option<V> {
        let i = self.slot(*id)?;
        self.set_slot(*id, None);
        let (_, v) = self.entries.swap_remove(i);
        if let Some(&(moved, _)) = self.entries.get(i) {
            self.set_slot(moved, Some(i));
        }
        Some(v)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in insertion order (not by id).
    pub fn iter(&self) -> impl Iterator<Item = (&u32, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &u32> {
        self.entries.iter().map(|(k, _)| k)
    }
}

impl<'a, V> IntoIterator for &'a IdMap<V> {
    type Item = (&'a u32, &'a V);
    type IntoIter =
        std::iter::Map<std::slice::Iter<'a, (u32, V)>, fn(&'a (u32, V)) -> (&'a u32, &'a V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl<V> std::ops::Index<&u32> for IdMap<V> {
    type Output = V;

    fn index(&self, id: &u32) -> &V {
        match self.get(id) {
            Some(v) => v,
            None => panic!("no entry for series {id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::collections::HashMap;

    /// Random inserts, replacements and removals agree with a `HashMap` throughout.
    #[test]
    fn agrees_with_a_hash_map() {
        let mut m: IdMap<u64> = IdMap::default();
        let mut h: HashMap<u32, u64> = HashMap::new();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for step in 0..20_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Mostly small ids, some beyond the slots.
            let id = if x.is_multiple_of(7) {
                u32::MAX - (x % 50) as u32
            } else {
                (x % 3000) as u32
            };
            match x % 5 {
                0 => assert_eq!(m.remove(&id), h.remove(&id)),
                1 => *m.get_or_insert_with(id, || step) += 1,
                _ => assert_eq!(m.insert(id, step), h.insert(id, step)),
            }
            if x % 5 == 1 {
                *h.entry(id).or_insert(step) += 1;
            }
            assert_eq!(m.get(&id), h.get(&id));
            assert_eq!(m.contains_key(&id), h.contains_key(&id));
        }
        assert_eq!(m.len(), h.len());
        let mut a: Vec<(u32, u64)> = m.iter().map(|(k, v)| (*k, *v)).collect();
        let mut b: Vec<(u32, u64)> = h.into_iter().collect();
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b);
        assert!(IdMap::<u8>::default().get(&u32::MAX).is_none());
    }
}
