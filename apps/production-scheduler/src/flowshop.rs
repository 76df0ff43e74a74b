//! The permutation flow shop (every job visits machines 1…m in the same order, and every
//! machine processes the jobs in the same sequence; no pre-emption, unlimited buffers):
//!
//! * Johnson's rule (Johnson 1954): optimal makespan on two machines;
//! * NEH (Nawaz, Enscore & Ham 1983): jobs by decreasing total processing time, each
//!   inserted at the position of the partial sequence that is best, with Taillard's (1990)
//!   accelerations for the makespan; for tardiness the jobs are taken in EDD order (NEHedd,
//!   Kim 1993), insertion evaluated with kept heads;
//! * iterated greedy (Ruiz & Stützle 2007): destruction of d random jobs, NEH
//!   reconstruction, local search by insertion and a constant-temperature acceptance,
//!   T = τ·Σp/(n·m·10);
//! * Taillard's (1993) lower bound of the makespan.
//!
//! Work is counted in "cells" (one machine of one job evaluated), so a budget stops the
//! search deterministically: the same problem and seed give the same plan every time.

/// Processing times `p[j*m + i]` (job j, machine i), due dates and weights.
pub struct Instance {
    pub n: usize,
    pub m: usize,
    pub p: Vec<f64>,
    pub due: Vec<Option<f64>>,
    pub weight: Vec<f64>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Objective {
    /// Minimise the makespan C_max.
    Makespan,
    /// Minimise the total weighted tardiness Σ w_j·max(0, C_j − d_j), then the makespan.
    Tardiness,
}

/// A value of the objective: (primary, secondary); lower is better.
pub type Value = (f64, f64);

const EPS: f64 = 1e-9;

pub fn better(a: Value, b: Value) -> bool {
    if !b.0.is_finite() || !b.1.is_finite() {
        return a.0 < b.0 || (a.0 == b.0 && a.1 < b.1);
    }
    let tol0 = EPS * a.0.abs().max(b.0.abs()).max(1.0);
    let tol1 = EPS * a.1.abs().max(b.1.abs()).max(1.0);
    a.0 < b.0 - tol0 || ((a.0 - b.0).abs() <= tol0 && a.1 < b.1 - tol1)
}

/// Counts the work done and says when the budget is spent.
pub struct Work {
    pub cells: u64,
    pub budget: u64,
}

impl Work {
    pub fn spent(&self) -> bool {
        self.cells >= self.budget
    }
}

impl Instance {
    #[inline]
    pub fn pt(&self, j: usize, i: usize) -> f64 {
        self.p[j * self.m + i]
    }

    pub fn total(&self, j: usize) -> f64 {
        (0..self.m).map(|i| self.pt(j, i)).sum()
    }

    /// Start times `s[pos][i]` of the sequence's jobs on each machine (semi-active schedule).
    pub fn starts(&self, seq: &[usize]) -> Vec<Vec<f64>> {
        let mut c = vec![0.0f64; self.m];
        let mut out = Vec::with_capacity(seq.len());
        for &j in seq {
            let mut s = vec![0.0; self.m];
            for i in 0..self.m {
                let ready = if i > 0 { c[i - 1] } else { 0.0 };
                s[i] = c[i].max(ready);
                c[i] = s[i] + self.pt(j, i);
            }
            out.push(s);
        }
        out
    }

    /// Completion times on the last machine, in sequence order.
    pub fn completions(&self, seq: &[usize], work: &mut Work) -> Vec<f64> {
        let mut c = vec![0.0f64; self.m];
        let mut out = Vec::with_capacity(seq.len());
        for &j in seq {
            let mut prev = 0.0f64;
            for (i, ci) in c.iter_mut().enumerate() {
                *ci = ci.max(prev) + self.pt(j, i);
                prev = *ci;
            }
            out.push(prev);
        }
        work.cells += (seq.len() * self.m) as u64;
        out
    }

    pub fn tardiness(&self, j: usize, completion: f64) -> f64 {
        match self.due[j] {
            Some(d) => self.weight[j] * (completion - d).max(0.0),
            None => 0.0,
        }
    }

    /// The objective's value of a complete or partial sequence.
    pub fn value(&self, objective: Objective, seq: &[usize], work: &mut Work) -> Value {
        let c = self.completions(seq, work);
        let cmax = c.last().copied().unwrap_or(0.0);
        match objective {
            Objective::Makespan => (cmax, 0.0),
            Objective::Tardiness => {
                let t: f64 = seq.iter().zip(&c).map(|(&j, &cj)| self.tardiness(j, cj)).sum();
                (t, cmax)
            }
        }
    }

    /// The best position to insert job `j` into `seq` (the first of equal ones) and the
    /// value of the sequence with it there.
    pub fn best_insertion(&self, objective: Objective, seq: &[usize], j: usize, work: &mut Work) -> (usize, Value) {
        match objective {
            Objective::Makespan => self.best_insertion_makespan(seq, j, work),
            Objective::Tardiness => self.best_insertion_tardiness(seq, j, work),
        }
    }

    /// Taillard's (1990) acceleration: heads e, tails q of the sequence, and for each
    /// position the completion f of the inserted job; C_max = max_i (f_i + q_i).
    fn best_insertion_makespan(&self, seq: &[usize], j: usize, work: &mut Work) -> (usize, Value) {
        let (k, m) = (seq.len(), self.m);
        // e[h*m + i]: completion of the first h+1 jobs on machine i.
        let mut e = vec![0.0f64; k * m];
        for h in 0..k {
            for i in 0..m {
                let up = if h > 0 { e[(h - 1) * m + i] } else { 0.0 };
                let left = if i > 0 { e[h * m + i - 1] } else { 0.0 };
                e[h * m + i] = up.max(left) + self.pt(seq[h], i);
            }
        }
        // q[h*m + i]: time from the start of job h on machine i to the end (jobs h…k-1).
        let mut q = vec![0.0f64; (k + 1) * m];
        for h in (0..k).rev() {
            for i in (0..m).rev() {
                let down = q[(h + 1) * m + i];
                let right = if i + 1 < m { q[h * m + i + 1] } else { 0.0 };
                q[h * m + i] = down.max(right) + self.pt(seq[h], i);
            }
        }
        let mut best = (0, (f64::INFINITY, 0.0));
        let mut f = vec![0.0f64; m];
        for pos in 0..=k {
            let mut cmax = 0.0f64;
            for i in 0..m {
                let up = if pos > 0 { e[(pos - 1) * m + i] } else { 0.0 };
                let left = if i > 0 { f[i - 1] } else { 0.0 };
                f[i] = up.max(left) + self.pt(j, i);
                cmax = cmax.max(f[i] + q[pos * m + i]);
            }
            if better((cmax, 0.0), best.1) {
                best = (pos, (cmax, 0.0));
            }
        }
        work.cells += (3 * (k + 1) * m) as u64;
        best
    }

    /// Tardiness: the heads of the jobs before the position are kept, the rest is
    /// evaluated for each position.
    fn best_insertion_tardiness(&self, seq: &[usize], j: usize, work: &mut Work) -> (usize, Value) {
        let (k, m) = (seq.len(), self.m);
        let mut e = vec![0.0f64; k * m];
        let mut tard_prefix = vec![0.0; k + 1];
        for h in 0..k {
            for i in 0..m {
                let up = if h > 0 { e[(h - 1) * m + i] } else { 0.0 };
                let left = if i > 0 { e[h * m + i - 1] } else { 0.0 };
                e[h * m + i] = up.max(left) + self.pt(seq[h], i);
            }
            tard_prefix[h + 1] = tard_prefix[h] + self.tardiness(seq[h], e[h * m + m - 1]);
        }
        work.cells += (k * m) as u64;
        let mut best = (0, (f64::INFINITY, f64::INFINITY));
        let mut c = vec![0.0f64; m];
        for pos in 0..=k {
            if pos > 0 {
                c.copy_from_slice(&e[(pos - 1) * m..pos * m]);
            } else {
                c.iter_mut().for_each(|x| *x = 0.0);
            }
            let mut t = tard_prefix[pos];
            for &job in std::iter::once(&j).chain(seq[pos..].iter()) {
                let mut prev = 0.0f64;
                for (i, ci) in c.iter_mut().enumerate() {
                    *ci = ci.max(prev) + self.pt(job, i);
                    prev = *ci;
                }
                t += self.tardiness(job, prev);
            }
            work.cells += ((k - pos + 1) * m) as u64;
            let v = (t, c[m - 1]);
            if better(v, best.1) {
                best = (pos, v);
            }
        }
        best
    }

    /// NEH: the jobs of `order` inserted one by one at their best position.
    pub fn neh(&self, objective: Objective, order: &[usize], work: &mut Work) -> (Vec<usize>, Value) {
        let mut seq: Vec<usize> = Vec::with_capacity(order.len());
        let mut value = (0.0, 0.0);
        for &j in order {
            let (pos, v) = self.best_insertion(objective, &seq, j, work);
            seq.insert(pos, j);
            value = v;
        }
        (seq, value)
    }

    /// NEH's order for the makespan: decreasing total processing time, ties by input order.
    pub fn neh_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.n).collect();
        let totals: Vec<f64> = (0..self.n).map(|j| self.total(j)).collect();
        order.sort_by(|&a, &b| totals[b].partial_cmp(&totals[a]).unwrap_or(std::cmp::Ordering::Equal).then(a.cmp(&b)));
        order
    }

    /// Earliest due date first (jobs without one last), ties by input order (NEHedd).
    pub fn edd_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.n).collect();
        order.sort_by(|&a, &b| {
            let da = self.due[a].unwrap_or(f64::INFINITY);
            let db = self.due[b].unwrap_or(f64::INFINITY);
            da.partial_cmp(&db).unwrap_or(std::cmp::Ordering::Equal).then(a.cmp(&b))
        });
        order
    }

    /// Johnson's rule for two machines: jobs with p1 ≤ p2 first by increasing p1, then the
    /// others by decreasing p2 (ties by input order).
    pub fn johnson(&self) -> Vec<usize> {
        let (mut first, mut last): (Vec<usize>, Vec<usize>) =
            (0..self.n).partition(|&j| self.pt(j, 0) <= self.pt(j, 1));
        first.sort_by(|&a, &b| self.pt(a, 0).partial_cmp(&self.pt(b, 0)).unwrap_or(std::cmp::Ordering::Equal).then(a.cmp(&b)));
        last.sort_by(|&a, &b| self.pt(b, 1).partial_cmp(&self.pt(a, 1)).unwrap_or(std::cmp::Ordering::Equal).then(a.cmp(&b)));
        first.extend(last);
        first
    }

    /// Taillard's (1993) lower bound of the makespan: the largest of each machine's load
    /// plus the shortest head before it and the shortest tail after it, and each job's total.
    pub fn lower_bound(&self) -> f64 {
        let mut lb = (0..self.n).map(|j| self.total(j)).fold(0.0, f64::max);
        for i in 0..self.m {
            let load: f64 = (0..self.n).map(|j| self.pt(j, i)).sum();
            let head = (0..self.n)
                .map(|j| (0..i).map(|k| self.pt(j, k)).sum::<f64>())
                .fold(f64::INFINITY, f64::min);
            let tail = (0..self.n)
                .map(|j| (i + 1..self.m).map(|k| self.pt(j, k)).sum::<f64>())
                .fold(f64::INFINITY, f64::min);
            if self.n > 0 {
                lb = lb.max(head + load + tail);
            }
        }
        lb
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014): a small, seeded, portable generator, so a plan
/// is reproducible from its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn below(&mut self, k: usize) -> usize {
        (self.next_u64() % k as u64) as usize
    }
    pub fn shuffle(&mut self, v: &mut [usize]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

pub struct SearchParams {
    pub iterations: u64,
    pub destruction: usize,
    pub temperature: f64,
    /// Stop as soon as the primary value reaches this (a lower bound): nothing better exists.
    pub target: f64,
}

pub struct SearchOutcome {
    pub seq: Vec<usize>,
    pub value: Value,
    pub iterations: u64,
    /// The iteration that found the best sequence (0: the local search of the start).
    pub found_at: u64,
    pub stopped_by: &'static str,
}

/// Local search by insertion (Ruiz & Stützle 2007, Fig. 3): each job, in a random order,
/// removed and inserted at its best position while that improves the sequence.
pub fn local_search(
    inst: &Instance,
    objective: Objective,
    mut seq: Vec<usize>,
    mut value: Value,
    rng: &mut Rng,
    work: &mut Work,
) -> (Vec<usize>, Value) {
    let mut improve = true;
    while improve && !work.spent() {
        improve = false;
        let mut jobs = seq.clone();
        rng.shuffle(&mut jobs);
        for job in jobs {
            if work.spent() {
                break;
            }
            let at = match seq.iter().position(|&x| x == job) {
                Some(a) => a,
                None => continue,
            };
            seq.remove(at);
            let (pos, v) = inst.best_insertion(objective, &seq, job, work);
            if better(v, value) {
                seq.insert(pos, job);
                value = v;
                improve = true;
            } else {
                seq.insert(at, job);
            }
        }
    }
    (seq, value)
}

/// Iterated greedy (Ruiz & Stützle 2007) from a start sequence.
pub fn iterated_greedy(
    inst: &Instance,
    objective: Objective,
    start: Vec<usize>,
    start_value: Value,
    params: &SearchParams,
    rng: &mut Rng,
    work: &mut Work,
) -> SearchOutcome {
    let (mut cur, mut cur_v) = local_search(inst, objective, start, start_value, rng, work);
    let (mut best, mut best_v) = (cur.clone(), cur_v);
    let total: f64 = inst.p.iter().sum();
    let temp = params.temperature * total / (inst.n * inst.m * 10).max(1) as f64;
    let d = params.destruction.min(inst.n.saturating_sub(1));
    let mut it = 0u64;
    let mut found_at = 0u64;
    let reached = |v: Value| v.0 <= params.target + EPS * params.target.abs().max(1.0);
    let stopped_by;
    loop {
        if reached(best_v) {
            stopped_by = "lower_bound";
            break;
        }
        if it >= params.iterations {
            stopped_by = "iterations";
            break;
        }
        if work.spent() {
            stopped_by = "work_limit";
            break;
        }
        if d == 0 {
            stopped_by = "single_job";
            break;
        }
        it += 1;
        // Destruction: d jobs drawn at random, kept in the order drawn.
        let mut partial = cur.clone();
        let mut removed = Vec::with_capacity(d);
        for _ in 0..d {
            let at = rng.below(partial.len());
            removed.push(partial.remove(at));
        }
        // Construction: each re-inserted at its best position.
        let mut v = (0.0, 0.0);
        for job in removed {
            let (pos, val) = inst.best_insertion(objective, &partial, job, work);
            partial.insert(pos, job);
            v = val;
        }
        let (cand, cand_v) = local_search(inst, objective, partial, v, rng, work);
        if better(cand_v, cur_v) {
            cur = cand;
            cur_v = cand_v;
            if better(cur_v, best_v) {
                best = cur.clone();
                best_v = cur_v;
                found_at = it;
            }
        } else if temp > 0.0 && rng.unit() <= (-(cand_v.0 - cur_v.0) / temp).exp() {
            cur = cand;
            cur_v = cand_v;
        }
    }
    SearchOutcome {
        seq: best,
        value: best_v,
        iterations: it,
        found_at,
        stopped_by,
    }
}
