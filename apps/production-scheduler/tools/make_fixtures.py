#!/usr/bin/env python3
"""Writes the fixtures of apps/production-scheduler. Expected values are published figures
(cited in each description) or computed here by plain, independent Python: the schedule
recursion C[j][i] = max(C[j-1][i], C[j][i-1]) + p, Johnson's rule, NEH by full
re-evaluation (no accelerations), Taillard's generator and lower bound, and brute force
over all permutations — never taken from the app.
Run: python3 apps/production-scheduler/tools/make_fixtures.py"""
import itertools, json, math, os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")


def completions(p, seq):
    """p[j] = times of job j per machine; completion on the last machine per position."""
    m = len(p[seq[0]]) if seq else 0
    c = [0] * m
    out = []
    for j in seq:
        for i in range(m):
            c[i] = max(c[i], c[i - 1] if i else 0) + p[j][i]
        out.append(c[-1])
    return out


def starts(p, seq):
    m = len(p[seq[0]])
    c = [0] * m
    out = []
    for j in seq:
        s = []
        for i in range(m):
            st = max(c[i], c[i - 1] if i else 0)
            s.append(st)
            c[i] = st + p[j][i]
        out.append(s)
    return out


def cmax(p, seq):
    return completions(p, seq)[-1]


def wtard(p, due, w, seq):
    return sum(w[j] * max(0, c - due[j]) for j, c in zip(seq, completions(p, seq)))


def lower_bound(p):
    n, m = len(p), len(p[0])
    lb = max(sum(r) for r in p)
    for i in range(m):
        lb = max(lb, min(sum(p[j][:i]) for j in range(n)) + sum(p[j][i] for j in range(n))
                 + min(sum(p[j][i + 1:]) for j in range(n)))
    return lb


def neh(p, order):
    seq = [order[0]]
    for j in order[1:]:
        best = None
        for pos in range(len(seq) + 1):
            t = seq[:pos] + [j] + seq[pos:]
            v = cmax(p, t)
            if best is None or v < best[0]:
                best = (v, t)
        seq = best[1]
    return seq


def johnson(p):
    first = sorted([j for j in range(len(p)) if p[j][0] <= p[j][1]], key=lambda j: (p[j][0], j))
    last = sorted([j for j in range(len(p)) if p[j][0] > p[j][1]], key=lambda j: (-p[j][1], j))
    return first + last


def taillard(seed, n, m):
    """Taillard (1993), 'Benchmarks for basic scheduling problems', EJOR 64:278-285:
    the generator unif(seed, 1, 99), machine by machine, job by job."""
    def unif(seed, lo, hi):
        a, b, c, mm = 16807, 127773, 2836, 2147483647
        k = seed // b
        seed = a * (seed % b) - k * c
        if seed < 0:
            seed += mm
        return seed, lo + int(math.floor(seed / mm * (hi - lo + 1)))
    rows = [[0] * n for _ in range(m)]
    for i in range(m):
        for j in range(n):
            seed, rows[i][j] = unif(seed, 1, 99)
    return rows


def http(path, body):
    return {"kind": "http", "path": path, "body": body}


def write(name, fixture):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(fixture, f, indent=1, ensure_ascii=False)
        f.write("\n")


# --- 1. Johnson (1954) -------------------------------------------------------------------
A = [4, 4, 30, 6, 2]
B = [5, 1, 4, 30, 3]
pj = [[a, b] for a, b in zip(A, B)]
seq = johnson(pj)
assert [j + 1 for j in seq] == [5, 1, 4, 3, 2]
assert cmax(pj, seq) == 47 and lower_bound(pj) == 47
assert cmax(pj, list(range(5))) == 77
jobs = [{"id": str(j + 1), "times": pj[j]} for j in range(5)]
st = starts(pj, seq)
write("johnson-1954-example.json", {
    "description": "S. M. Johnson, 'Optimal two- and three-stage production schedules with setup times included', Naval Research Logistics Quarterly 1(1):61-68 (1954): the paper's five-item two-stage example, A = (4, 4, 30, 6, 2), B = (5, 1, 4, 30, 3), whose optimal order is 5, 1, 4, 3, 2. Makespan by hand: machine A ends 2, 6, 12, 42, 46; machine B 5, 11 (6+5), 42 (12+30), 46 (42+4), 47 (46+1) = 47, which equals Taillard's lower bound (machine A's load 46 + the shortest B time 1 = 47), so the plan is proven optimal with a gap of 0. Utilisation: A 46/47, B 43/47. The second request evaluates the items in the order given (1, 2, 3, 4, 5), by hand: A ends 4, 8, 38, 44, 46; B ends 9, 10, 42, 74, 77: makespan 77, so Johnson's order is (77 − 47)/77 = 38.96 % shorter. The third request asks for NEH on the same two machines: NEH gives 47 too (order 5 1 4 3 2 by the independent NEH in tools/make_fixtures.py).",
    "devices": {},
    "events": [
        http("schedule", {"name": "johnson-1954", "jobs": jobs}),
        http("schedule", {"name": "johnson-1954-given", "jobs": jobs, "method": "given"}),
        http("schedule", {"name": "johnson-1954-neh", "jobs": jobs, "method": "neh"}),
    ],
    "expect": {
        "results": [0, 0, 0],
        "replies": [
            {"status": 200, "body": {"method": "johnson", "sequence": ["5", "1", "4", "3", "2"], "makespan": 47,
                                     "lower_bound": 47, "gap_pct": 0, "optimal": True,
                                     "utilisation": [46 / 47, 43 / 47],
                                     "input_order": {"makespan": 77}, "improvement_pct": 30 / 77 * 100,
                                     "jobs": [{"id": str(j + 1), "position": k + 1, "start": st[k][0],
                                               "end": st[k][1] + pj[j][1],
                                               "ops": [[st[k][0], st[k][0] + pj[j][0]], [st[k][1], st[k][1] + pj[j][1]]]}
                                              for k, j in enumerate(seq)]}},
            {"status": 200, "body": {"method": "given", "sequence": ["1", "2", "3", "4", "5"], "makespan": 77,
                                     "optimal": False, "improvement_pct": 0}},
            {"status": 200, "body": {"method": "neh", "makespan": cmax(pj, neh(pj, sorted(range(5), key=lambda j: (-sum(pj[j]), j)))),
                                     "neh": {"makespan": 47}}},
        ],
        "kv": {"plans": ["johnson-1954-neh", "johnson-1954-given", "johnson-1954"],
               "plan:johnson-1954": {"makespan": 47, "sequence": ["5", "1", "4", "3", "2"]}},
        "logs": ["johnson-1954: 5 jobs on 2 machines by johnson: makespan 47 (lower bound 47, optimal)"],
    },
})

# --- 2. Taillard ta001 -------------------------------------------------------------------
rows = taillard(873654221, 20, 5)
assert rows[0][:5] == [54, 83, 15, 71, 77]  # the published matrix's first row begins so
pt = [[rows[i][j] for i in range(5)] for j in range(20)]
order = sorted(range(20), key=lambda j: (-sum(pt[j]), j))
neh_seq = neh(pt, order)
neh_cmax = cmax(pt, neh_seq)
lb = lower_bound(pt)
assert lb == 1232 and neh_cmax == 1286
write("taillard-ta001.json", {
    "description": "E. Taillard, 'Benchmarks for basic scheduling problems', European Journal of Operational Research 64(2):278-285 (1993), instance ta001 (20 jobs × 5 machines, seed 873654221, regenerated here by the paper's generator and checked against the published matrix, row 1 = 54 83 15 71 77 …, given as 'times_by_machine' in the paper's layout). Published: upper bound 1278 (the optimum, later proven) and lower bound 1232. The app's lower bound is Taillard's and must give 1232. NEH (first request): 1286, by the independent plain NEH in tools/make_fixtures.py (decreasing total time, ties by input order, first best position; no accelerations), the value usually reported for NEH on ta001; gap (1286 − 1232)/1232 = 4.383 %. Iterated greedy (second request, seed 1, at most 1000 iterations, d = 4, τ = 0.4): must reach the published 1278, gap (1278 − 1232)/1232 = 3.734 %; NEH's 1286 is reported beside it. 'optimal' stays false: 1278 is above the lower bound, so the app cannot prove it.",
    "devices": {},
    "events": [
        http("schedule", {"name": "ta001-neh", "times_by_machine": rows, "method": "neh"}),
        http("schedule", {"name": "ta001", "times_by_machine": rows, "method": "iterated_greedy", "seed": 1}),
    ],
    "expect": {
        "results": [0, 0],
        "replies": [
            {"status": 200, "body": {"method": "neh", "makespan": 1286, "lower_bound": 1232,
                                     "gap_pct": (1286 - 1232) / 1232 * 100, "optimal": False,
                                     "sequence": ["J%d" % (j + 1) for j in neh_seq]}},
            {"status": 200, "body": {"method": "iterated_greedy", "makespan": 1278, "lower_bound": 1232,
                                     "gap_pct": (1278 - 1232) / 1232 * 100, "optimal": False,
                                     "neh": {"makespan": 1286}, "machines": ["M1", "M2", "M3", "M4", "M5"]}},
        ],
    },
    "rel": 1e-6,
})

# --- 3. Tardiness and makespan against brute force ---------------------------------------
P3 = [[12, 7, 9], [5, 14, 6], [9, 4, 12], [15, 8, 5], [6, 11, 10], [8, 9, 7], [11, 5, 13]]
DUE = [40, 30, 55, 45, 60, 35, 80]
W = [1, 2, 1, 1, 1, 3, 1]
ids = ["A", "B", "C", "D", "E", "F", "G"]
perms = list(itertools.permutations(range(7)))
best_t = min(wtard(P3, DUE, W, s) for s in perms)
best_c = min(cmax(P3, s) for s in perms)
given_t = wtard(P3, DUE, W, list(range(7)))
edd = sorted(range(7), key=lambda j: (DUE[j], j))
jobs3 = [{"id": ids[j], "times": P3[j], "due": DUE[j], "weight": W[j]} for j in range(7)]
write("tardiness-brute-force.json", {
    "description": "Seven jobs on three machines with due dates and weights (hand-made). Expected values by brute force over all 7! = 5040 sequences in tools/make_fixtures.py: the least total weighted tardiness is %s and the least makespan %s. The first request (objective tardiness, NEHedd start + iterated greedy) must reach %s; the order given has %s. The second (objective makespan, iterated greedy) must reach the makespan %s. Taillard's lower bound of this instance is %s." % (best_t, best_c, best_t, given_t, best_c, lower_bound(P3)),
    "config": {"objective": "tardiness"},
    "devices": {},
    "events": [
        http("schedule", {"name": "tardiness", "jobs": jobs3}),
        http("schedule", {"name": "makespan", "jobs": jobs3, "objective": "makespan", "method": "iterated_greedy"}),
    ],
    "expect": {
        "results": [0, 0],
        "replies": [
            {"status": 200, "body": {"objective": "tardiness", "method": "iterated_greedy", "weighted_tardiness": best_t,
                                     "input_order": {"weighted_tardiness": given_t}, "jobs_with_due": 7}},
            {"status": 200, "body": {"objective": "makespan", "makespan": best_c, "lower_bound": lower_bound(P3)}},
        ],
    },
})

# --- 4. The demo's two machining centres -------------------------------------------------
D = [("WO-101", [35, 50], 240), ("WO-102", [60, 25], 180), ("WO-103", [20, 40], 120),
     ("WO-104", [45, 45], 300), ("WO-105", [70, 30], 360), ("WO-106", [15, 55], 150),
     ("WO-107", [50, 20], 420), ("WO-108", [30, 35], 200)]
pd = [d[1] for d in D]
dseq = johnson(pd)
dc = completions(pd, dseq)
dt = [max(0, c - D[j][2]) for j, c in zip(dseq, dc)]
T0 = 1772524800000  # 2026-03-03T08:00:00Z, the shift's start
write("demo-cnc-line.json", {
    "description": "The demo's machining centres cnc-01 (operation 10) and cnc-02 (operation 20) as a two-stage line, with the app's defaults (makespan, method auto: Johnson's rule on two machines). Eight work orders (minutes, due dates in minutes from the shift start). By hand (tools/make_fixtures.py): jobs with p1 ≤ p2 by increasing p1: WO-106 (15), WO-103 (20), WO-108 (30), WO-101 (35), WO-104 (45, p1 = p2); then by decreasing p2: WO-105 (30), WO-102 (25), WO-107 (20). cnc-01 ends 15, 35, 65, 100, 145, 215, 275, 325; cnc-02 ends 70, 110, 145, 195, 240, 270, 300, 345: makespan %d, equal to the lower bound (cnc-01's load 325 + the shortest cnc-02 time 20 = 345). Due dates: WO-102 ends 300 against 180 (tardy 120), all others on time: total tardiness 120, 1 tardy job, maximum lateness 120. The panel keeps the plan; a second request with max_plans 1 replaces it and deletes the first; the third deletes the second." % cmax(pd, dseq),
    "config": {"max_plans": 1},
    "devices": {},
    "events": [
        http("schedule", {"name": "shift-A", "machines": ["cnc-01", "cnc-02"], "start": T0,
                          "jobs": [{"id": d[0], "times": d[1], "due": d[2]} for d in D]}),
        http("schedule", {"name": "shift-B", "machines": ["cnc-01", "cnc-02"], "start": T0 + 8 * 3600000,
                          "jobs": [{"id": d[0], "times": d[1]} for d in D[:3]]}),
        http("delete", {"name": "shift-B"}),
    ],
    "expect": {
        "results": [0, 0, 0],
        "replies": [
            {"status": 200, "body": {"method": "johnson", "machines": ["cnc-01", "cnc-02"], "start": T0, "time_unit": "min",
                                     "sequence": [D[j][0] for j in dseq], "makespan": cmax(pd, dseq), "lower_bound": 345,
                                     "optimal": True, "total_tardiness": sum(dt), "tardy_jobs": sum(1 for t in dt if t > 0),
                                     "max_lateness": max(c - D[j][2] for j, c in zip(dseq, dc)), "jobs_with_due": 8}},
            {"status": 200, "body": {"name": "shift-B", "jobs_with_due": 0, "max_lateness": None}},
            {"status": 200, "body": {"deleted": "shift-B"}},
        ],
        "kv": {"plans": [], "plan:shift-A": None, "plan:shift-B": None},
        "logs": ["shift-A: 8 jobs on 2 machines by johnson: makespan 345 (lower bound 345, optimal), weighted tardiness 120, 1 tardy"],
    },
})
assert cmax(pd, dseq) == 345 and sum(dt) == 120

# --- 5. Bad and missing data -------------------------------------------------------------
good = [[10, 20, 5], [8, 4, 12], [6, 9, 7]]
# Valid jobs: G1 (index 0), G2 (index 6, due as text: no due date), G3 (index 8, weight -2: 1).
gseq_c = [cmax(good, s) for s in itertools.permutations(range(3))]
bad_jobs = [
    {"id": "G1", "times": good[0], "due": 30},
    {"id": "T1", "times": [10, "ten", 5]},
    {"id": "N1", "times": [10, -4, 5]},
    {"id": "S1", "times": [10, 20]},
    {"id": "M1"},
    {"id": {"x": 1}, "times": [1, 2, 3]},
    {"id": "G2", "times": good[1], "due": "tomorrow"},
    {"id": "G1", "times": [1, 1, 1]},
    {"id": "G3", "times": good[2], "weight": -2},
    "not a job",
]
write("bad-and-missing-data.json", {
    "description": "Bad and missing data: an empty body (null) and a body that is a text are answered 400 with the expected form; a request with neither jobs nor times_by_machine 400; unknown objective and method are warned and replaced by makespan and auto. Of ten jobs, seven are left out and listed under 'rejected' with the reason (a text time, a negative time, two times for three machines, no times, an object as id, a repeated id, a job that is not an object), while G1, G2 and G3 are scheduled: G2's due date 'tomorrow' is dropped (warned) and G3's weight −2 becomes 1. The three valid jobs on three machines: brute force over the 6 orders in tools/make_fixtures.py gives the least makespan %d, which NEH + iterated greedy must reach (the lower bound is %d). A request whose every job is bad is 422; deleting an unknown plan is 404 and a path the app does not serve 404; a manual event is ignored. Nothing traps." % (min(gseq_c), lower_bound(good)),
    "devices": {},
    "events": [
        http("schedule", None),
        http("schedule", "jobs please"),
        http("schedule", {"name": "x", "machines": ["a", "b"]}),
        http("schedule", {"name": "mixed", "machines": ["saw", "mill", "drill"], "objective": "profit",
                          "method": "magic", "jobs": bad_jobs}),
        http("schedule", {"name": "all-bad", "jobs": [{"id": "A", "times": ["x", 1]}, {"id": "B", "times": [1]}]}),
        http("delete", {"name": "nope"}),
        http("report", {}),
        {"kind": "manual"},
    ],
    "expect": {
        "results": [0, 0, 0, 0, 0, 0, 0, 0],
        "replies": [
            {"status": 400},
            {"status": 400},
            {"status": 400},
            {"status": 200, "body": {"objective": "makespan", "method": "iterated_greedy", "makespan": min(gseq_c),
                                     "lower_bound": lower_bound(good), "jobs_with_due": 1,
                                     "rejected": [
                                         {"index": 1, "id": "T1"}, {"index": 2, "id": "N1"}, {"index": 3, "id": "S1"},
                                         {"index": 4, "id": "M1"}, {"index": 5, "id": None}, {"index": 7, "id": "G1"},
                                         {"index": 9, "id": "J10"}]}},
            {"status": 422},
            {"status": 404},
            {"status": 404},
        ],
        "kv": {"plans": ["mixed"]},
        "logs": ["objective \"profit\" is not makespan or tardiness", "method \"magic\" is unknown",
                 "job G2: due \"tomorrow\" is not a number", "job G3: weight -2 is out of range",
                 "time on mill: \\\"ten\\\" is not a number", "no job can be scheduled"],
    },
})
print("fixtures written")
