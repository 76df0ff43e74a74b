//! A column of points of one series: timestamps, typed values and (optional) quality
//! flags. The memtable buffers points in columns, chunks decode into them, queries merge
//! them.

use ironloom_core::telemetry::{Micros, Quality, Value, ValueType};

#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    F64(Vec<f64>),
    I64(Vec<i64>),
    Bool(Vec<bool>),
    Str(Vec<String>),
}

impl Values {
    pub fn new(t: ValueType) -> Values {
        match t {
            ValueType::F64 => Values::F64(Vec::new()),
            ValueType::I64 => Values::I64(Vec::new()),
            ValueType::Bool => Values::Bool(Vec::new()),
            ValueType::Str => Values::Str(Vec::new()),
        }
    }

    pub fn value_type(&self) -> ValueType {
        match self {
            Values::F64(_) => ValueType::F64,
            Values::I64(_) => ValueType::I64,
            Values::Bool(_) => ValueType::Bool,
            Values::Str(_) => ValueType::Str,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Values::F64(v) => v.len(),
            Values::I64(v) => v.len(),
            Values::Bool(v) => v.len(),
            Values::Str(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Value {
        match self {
            Values::F64(v) => Value::F64(v[i]),
            Values::I64(v) => Value::I64(v[i]),
            Values::Bool(v) => Value::Bool(v[i]),
            Values::Str(v) => Value::Str(v[i].clone()),
        }
    }

    /// The value as a number (booleans 0/1); `None` for strings.
    #[inline]
    pub fn num(&self, i: usize) -> Option<f64> {
        match self {
            Values::F64(v) => Some(v[i]),
            Values::I64(v) => Some(v[i] as f64),
            Values::Bool(v) => Some(v[i] as u8 as f64),
            Values::Str(_) => None,
        }
    }

    /// The value's raw 64-bit form (f64 bits, i64, 0/1); 0 for strings.
    #[inline]
    pub fn raw(&self, i: usize) -> u64 {
        match self {
            Values::F64(v) => v[i].to_bits(),
            Values::I64(v) => v[i] as u64,
            Values::Bool(v) => v[i] as u64,
            Values::Str(_) => 0,
        }
    }

    /// Pushes a value of this column's type (the caller has checked it).
    pub fn push(&mut self, v: Value) -> bool {
        match (self, v) {
            (Values::F64(c), Value::F64(x)) => c.push(x),
            (Values::F64(c), Value::I64(x)) => c.push(x as f64),
            (Values::I64(c), Value::I64(x)) => c.push(x),
            (Values::Bool(c), Value::Bool(x)) => c.push(x),
            (Values::Str(c), Value::Str(x)) => c.push(x),
            _ => return false,
        }
        true
    }

    /// Appends element `i` of `other` (same type).
    pub fn push_from(&mut self, other: &Values, i: usize) {
        match (self, other) {
            (Values::F64(a), Values::F64(b)) => a.push(b[i]),
            (Values::I64(a), Values::I64(b)) => a.push(b[i]),
            (Values::Bool(a), Values::Bool(b)) => a.push(b[i]),
            (Values::Str(a), Values::Str(b)) => a.push(b[i].clone()),
            _ => debug_assert!(false, "column types differ"),
        }
    }

    fn permute(&self, order: &[usize]) -> Values {
        match self {
            Values::F64(v) => Values::F64(order.iter().map(|&i| v[i]).collect()),
            Values::I64(v) => Values::I64(order.iter().map(|&i| v[i]).collect()),
            Values::Bool(v) => Values::Bool(order.iter().map(|&i| v[i]).collect()),
            Values::Str(v) => Values::Str(order.iter().map(|&i| v[i].clone()).collect()),
        }
    }

    fn slice(&self, from: usize, to: usize) -> Values {
        match self {
            Values::F64(v) => Values::F64(v[from..to].to_vec()),
            Values::I64(v) => Values::I64(v[from..to].to_vec()),
            Values::Bool(v) => Values::Bool(v[from..to].to_vec()),
            Values::Str(v) => Values::Str(v[from..to].to_vec()),
        }
    }

    /// Heap bytes held (approximate, for memory accounting).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Values::F64(v) => v.capacity() * 8,
            Values::I64(v) => v.capacity() * 8,
            Values::Bool(v) => v.capacity(),
            Values::Str(v) => v.iter().map(|s| s.capacity() + 24).sum(),
        }
    }
}

/// Columns kept per thread for reuse, and the most points one may have room for.
const SPARE_COLUMNS: usize = 4096;
const SPARE_POINTS: usize = 16;

thread_local! {
    static SPARE: std::cell::RefCell<Vec<Column>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Points of one series. `quality` is `None` while every point is good.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub ts: Vec<Micros>,
    pub values: Values,
    pub quality: Option<Vec<u8>>,
}

impl Column {
    pub fn new(t: ValueType) -> Column {
        Column {
            ts: Vec::new(),
            values: Values::new(t),
            quality: None,
        }
    }

    /// A column for a write's few points of one series, on the buffers of a column given
    /// back with [`recycle`](Self::recycle) on this thread when there is one: a write
    /// groups every point by series, and with one message per device in a write most
    /// groups hold one point, so fresh buffers were two allocations per point.
    pub fn reused(t: ValueType) -> Column {
        match SPARE.with(|s| s.borrow_mut().pop()) {
            Some(mut c) => {
                c.ts.clear();
                c.quality = None;
                match (&mut c.values, t) {
                    (Values::F64(v), ValueType::F64) => v.clear(),
                    (Values::I64(v), ValueType::I64) => v.clear(),
                    (Values::Bool(v), ValueType::Bool) => v.clear(),
                    (Values::Str(v), ValueType::Str) => v.clear(),
                    (values, _) => *values = Values::new(t),
                }
                c
            }
            None => Column::new(t),
        }
    }

    /// Gives the buffers of small columns back for [`reused`](Self::reused).
    pub fn recycle(cols: impl IntoIterator<Item = Column>) {
        SPARE.with(|s| {
            let mut spare = s.borrow_mut();
            for c in cols {
                if spare.len() >= SPARE_COLUMNS {
                    break;
                }
                if c.ts.capacity() <= SPARE_POINTS && !matches!(c.values, Values::Str(_)) {
                    spare.push(c);
                }
            }
        });
    }

    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    pub fn value_type(&self) -> ValueType {
        self.values.value_type()
    }

    #[inline]
    pub fn quality(&self, i: usize) -> Quality {
        match &self.quality {
            None => Quality::Good,
            Some(q) => Quality::from_code(q[i]).unwrap_or(Quality::Bad),
        }
    }

    /// Appends a point; `false` if the value has another type.
    pub fn push(&mut self, ts: Micros, v: Value, q: Quality) -> bool {
        if !self.values.push(v) {
            return false;
        }
        self.ts.push(ts);
        self.push_quality(q);
        true
    }

    fn push_quality(&mut self, q: Quality) {
        match &mut self.quality {
            Some(col) => col.push(q.code()),
            None if q.is_good() => {}
            None => {
                let mut col = vec![0u8; self.ts.len() - 1];
                col.push(q.code());
                self.quality = Some(col);
            }
        }
    }

    /// Appends point `i` of `other` (same type).
    pub fn push_from(&mut self, other: &Column, i: usize) {
        self.ts.push(other.ts[i]);
        self.values.push_from(&other.values, i);
        self.push_quality(other.quality(i));
    }

    pub fn is_sorted_unique(&self) -> bool {
        self.ts.windows(2).all(|w| w[0] < w[1])
    }

    /// Sorts by timestamp; of points with equal timestamps only the last one pushed stays
    /// (last write wins).
    pub fn sort_dedup(&mut self) {
        if self.is_sorted_unique() {
            return;
        }
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.sort_by_key(|&i| self.ts[i]); // stable: equal timestamps keep write order
        let mut keep = Vec::with_capacity(order.len());
        for (k, &i) in order.iter().enumerate() {
            if k + 1 < order.len() && self.ts[order[k + 1]] == self.ts[i] {
                continue;
            }
            keep.push(i);
        }
        self.ts = keep.iter().map(|&i| self.ts[i]).collect();
        self.values = self.values.permute(&keep);
        if let Some(q) = &self.quality {
            self.quality = Some(keep.iter().map(|&i| q[i]).collect());
        }
    }

    /// The points with `from <= ts < to` of a sorted column.
    pub fn range(&self, from: Micros, to: Micros) -> Column {
        let a = self.ts.partition_point(|&t| t < from);
        let b = self.ts.partition_point(|&t| t < to).max(a);
        self.slice(a, b)
    }

    pub fn slice(&self, a: usize, b: usize) -> Column {
        Column {
            ts: self.ts[a..b].to_vec(),
            values: self.values.slice(a, b),
            quality: self.quality.as_ref().map(|q| q[a..b].to_vec()),
        }
    }

    /// Points with `from <= ts < to`, unsorted input allowed (memtable buffers).
    pub fn filter_range(&self, from: Micros, to: Micros) -> Column {
        let mut out = Column::new(self.value_type());
        for i in 0..self.len() {
            if self.ts[i] >= from && self.ts[i] < to {
                out.push_from(self, i);
            }
        }
        out
    }

    pub fn heap_bytes(&self) -> usize {
        self.ts.capacity() * 8
            + self.values.heap_bytes()
            + self.quality.as_ref().map_or(0, |q| q.capacity())
    }

    /// Merges sorted, de-duplicated columns into one; on equal timestamps the column later
    /// in `parts` wins.
    pub fn merge(mut parts: Vec<Column>) -> Option<Column> {
        parts.retain(|c| !c.is_empty());
        if parts.is_empty() {
            return None;
        }
        if parts.len() == 1 {
            return parts.pop();
        }
        // Common case: the parts follow each other in time without overlap.
        let mut by_start: Vec<usize> = (0..parts.len()).collect();
        by_start.sort_by_key(|&i| parts[i].ts[0]);
        let disjoint = by_start
            .windows(2)
            .all(|w| parts[w[0]].ts[parts[w[0]].len() - 1] < parts[w[1]].ts[0]);
        let t = parts[0].value_type();
        let mut out = Column::new(t);
        if disjoint {
            for &i in &by_start {
                let p = &parts[i];
                for k in 0..p.len() {
                    out.push_from(p, k);
                }
            }
            return Some(out);
        }
        // General case: a k-way merge; ties go to the highest part index.
        let mut pos = vec![0usize; parts.len()];
        loop {
            let mut best: Option<(Micros, usize)> = None;
            for (i, p) in parts.iter().enumerate() {
                if let Some(&t) = p.ts.get(pos[i])
                    && best.is_none_or(|(bt, _)| t <= bt)
                {
                    best = Some((t, i));
                }
            }
            let Some((t, winner)) = best else { break };
            out.push_from(&parts[winner], pos[winner]);
            for (i, p) in parts.iter().enumerate() {
                if p.ts.get(pos[i]) == Some(&t) {
                    pos[i] += 1;
                }
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(points: &[(i64, f64)]) -> Column {
        let mut c = Column::new(ValueType::F64);
        for &(t, v) in points {
            c.push(t, Value::F64(v), Quality::Good);
        }
        c
    }

    #[test]
    fn a_reused_column_starts_empty_with_the_type_asked_for() {
        let mut c = col(&[(1, 1.0), (2, 2.0)]);
        c.push(3, Value::F64(3.0), Quality::Bad);
        Column::recycle([c]);
        let r = Column::reused(ValueType::I64);
        assert!(r.is_empty());
        assert_eq!(r.value_type(), ValueType::I64);
        assert_eq!(
            r.quality(0),
            Quality::Good,
            "no quality column carried over"
        );
        Column::recycle([r, col(&[(1, 1.0)])]);
        let r = Column::reused(ValueType::F64);
        assert!(r.is_empty() && r.quality.is_none());
        assert_eq!(r.value_type(), ValueType::F64);
        // Columns too large to keep, and strings, are not kept.
        let big = col(&(0..1000).map(|i| (i, 0.0)).collect::<Vec<_>>());
        Column::recycle([big]);
        let r = Column::reused(ValueType::F64);
        assert!(r.ts.capacity() <= SPARE_POINTS);
    }

    #[test]
    fn last_write_wins_within_a_column() {
        let mut c = col(&[(3, 1.0), (1, 2.0), (3, 3.0), (2, 4.0), (1, 5.0)]);
        c.sort_dedup();
        assert_eq!(c.ts, [1, 2, 3]);
        assert_eq!(c.values, Values::F64(vec![5.0, 4.0, 3.0]));
    }

    #[test]
    fn merge_prefers_later_parts() {
        let a = col(&[(1, 1.0), (2, 1.0), (4, 1.0)]);
        let b = col(&[(2, 2.0), (3, 2.0)]);
        let m = Column::merge(vec![a.clone(), b]).unwrap();
        assert_eq!(m.ts, [1, 2, 3, 4]);
        assert_eq!(m.values, Values::F64(vec![1.0, 2.0, 2.0, 1.0]));
        let c = col(&[(5, 3.0)]);
        let m = Column::merge(vec![c, a]).unwrap();
        assert_eq!(m.ts, [1, 2, 4, 5]);
    }

    #[test]
    fn quality_column_appears_on_first_non_good_point() {
        let mut c = Column::new(ValueType::I64);
        c.push(1, Value::I64(1), Quality::Good);
        assert!(c.quality.is_none());
        c.push(2, Value::I64(2), Quality::Bad);
        assert_eq!(c.quality, Some(vec![0, 2]));
        assert!(!c.push(3, Value::Bool(true), Quality::Good));
        assert_eq!(c.len(), 2);
    }
}
