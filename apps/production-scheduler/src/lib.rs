//! Flow shop production scheduler: sequences the jobs posted to the HTTP trigger
//! (`POST …/http/schedule`) on a line of machines that every job visits in the same order
//! (a permutation flow shop), by Johnson's rule on two machines (optimal makespan), else
//! NEH followed by iterated greedy within a work budget, and reports the makespan, its
//! lower bound (Taillard 1993), each job's start and end on every machine, and the due-date
//! performance (tardiness, tardy jobs, lateness). The plan is the HTTP answer and is kept
//! in the state (`plan:<name>`, list `plans`) for the panel's Gantt chart.
//! `POST …/http/delete` `{"name"}` removes a kept plan.

mod flowshop;

use flowshop::{Instance, Objective, Rng, SearchParams, Work};
use ironloom::{obj, Error, Event, Json, Result};

const MAX_JOBS: usize = 500;
const MAX_MACHINES: usize = 50;
const MAX_OPS: usize = 10_000;
const MAX_TIME: f64 = 1e9;
/// The state keeps a plan with its Gantt data below this size (the state's values are at
/// most 64 KiB).
const KV_LIMIT: usize = 60_000;

struct Job {
    id: String,
    times: Vec<f64>,
    due: Option<f64>,
    weight: f64,
}

struct Request {
    name: String,
    machines: Vec<String>,
    jobs: Vec<Job>,
    rejected: Vec<Json>,
    warnings: Vec<String>,
    objective: Objective,
    method: String,
    iterations: u64,
    seed: u64,
    destruction: usize,
    temperature: f64,
    work_millions: f64,
    time_unit: String,
    start: Option<f64>,
}

fn on_event(event: &Event) -> Result<()> {
    if event.kind() != "http" {
        return Ok(());
    }
    let config = ironloom::config()?;
    match event.path().unwrap_or("") {
        "schedule" => schedule(event.body(), &config),
        "delete" => delete(event.body()),
        other => ironloom::reply(404, obj! {"error" => format!("unknown path {}", other)}),
    }
}

fn bad(status: u16, message: String, problems: Vec<Json>) -> Result<()> {
    ironloom::warn(&message);
    ironloom::reply(status, obj! {"error" => message, "problems" => problems})
}

fn schedule(body: &Json, config: &Json) -> Result<()> {
    if !body.is_object() {
        return bad(
            400,
            "the body must be a JSON object with \"jobs\": [{\"id\", \"times\": [one per machine], \"due\"?, \"weight\"?}] or \"times_by_machine\"".into(),
            vec![],
        );
    }
    let req = match parse(body, config) {
        Ok(r) => r,
        Err((message, problems)) => return bad(400, message, problems),
    };
    for w in &req.warnings {
        ironloom::warn(&format!("{}: {}", req.name, w));
    }
    for r in &req.rejected {
        ironloom::warn(&format!("{}: job left out: {}", req.name, r));
    }
    if req.jobs.is_empty() {
        let problems = req.rejected.clone();
        return bad(422, format!("{}: no job can be scheduled", req.name), problems);
    }
    let plan = solve(&req);
    if let Some(all) = plan["warnings"].as_array() {
        for w in all.iter().skip(req.warnings.len()) {
            ironloom::warn(&format!("{}: {}", req.name, w.as_str().unwrap_or("")));
        }
    }
    ironloom::info(&format!(
        "{}: {} jobs on {} machines by {}: makespan {} (lower bound {}{}), weighted tardiness {}, {} tardy{}",
        req.name,
        req.jobs.len(),
        req.machines.len(),
        plan.text("method").unwrap_or(""),
        fmt_num(plan.number("makespan").unwrap_or(0.0)),
        fmt_num(plan.number("lower_bound").unwrap_or(0.0)),
        if plan["optimal"].as_bool() == Some(true) { ", optimal" } else { "" },
        fmt_num(plan.number("weighted_tardiness").unwrap_or(0.0)),
        plan.number("tardy_jobs").unwrap_or(0.0),
        match plan["search"].number("iterations") {
            Some(it) => format!(
                "; {} iterations, best at {}, stopped by {}; {} evaluations",
                it,
                plan["search"].number("best_found_at").unwrap_or(0.0),
                plan["search"].text("stopped_by").unwrap_or(""),
                plan.number("evaluations").unwrap_or(0.0)
            ),
            None => String::new(),
        },
    ));
    keep(&req, &plan, config)?;
    ironloom::reply(200, plan)
}

fn fmt_num(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round() as i64)
    } else {
        format!("{:.3}", x)
    }
}

/// A number that is finite and within [lo, hi], or why not.
fn number_in(v: &Json, lo: f64, hi: f64) -> std::result::Result<f64, String> {
    match v.as_f64() {
        Some(x) if x.is_finite() && x >= lo && x <= hi => Ok(x),
        Some(x) => Err(format!("{} is out of range [{}, {}]", x, lo, hi)),
        None => Err(format!("{} is not a number", v)),
    }
}

fn id_of(v: &Json, index: usize) -> Option<String> {
    match v {
        Json::String(s) if !s.trim().is_empty() => Some(s.trim().chars().take(64).collect()),
        Json::Number(x) if x.is_finite() => Some(fmt_num(*x)),
        Json::Null => Some(format!("J{}", index + 1)),
        _ => None,
    }
}

type ParseFailure = (String, Vec<Json>);

fn parse(body: &Json, config: &Json) -> std::result::Result<Request, ParseFailure> {
    let mut warnings = Vec::new();
    let name = match &body["name"] {
        Json::String(s) if !s.trim().is_empty() => s.trim().chars().take(64).collect(),
        Json::Null => "plan".to_string(),
        other => {
            warnings.push(format!("name {} is not a text: the plan is called \"plan\"", other));
            "plan".to_string()
        }
    };
    // Settings: the body's, else the configuration's.
    let setting = |key: &str| -> Json {
        if body[key].is_null() {
            config[key].clone()
        } else {
            body[key].clone()
        }
    };
    let objective = match setting("objective").as_str().unwrap_or("makespan") {
        "makespan" => Objective::Makespan,
        "tardiness" => Objective::Tardiness,
        other => {
            warnings.push(format!("objective {:?} is not makespan or tardiness: makespan", other));
            Objective::Makespan
        }
    };
    let method = match setting("method").as_str().unwrap_or("auto") {
        m @ ("auto" | "johnson" | "neh" | "iterated_greedy" | "given") => m.to_string(),
        other => {
            warnings.push(format!("method {:?} is unknown: auto", other));
            "auto".to_string()
        }
    };
    let int_setting = |key: &str, default: f64, lo: f64, hi: f64, warnings: &mut Vec<String>| -> f64 {
        let v = setting(key);
        if v.is_null() {
            return default;
        }
        match number_in(&v, lo, hi) {
            Ok(x) => x.floor(),
            Err(e) => {
                warnings.push(format!("{}: {}: {}", key, e, default));
                default
            }
        }
    };
    let iterations = int_setting("iterations", 1000.0, 0.0, 1e6, &mut warnings) as u64;
    let seed = int_setting("seed", 1.0, 0.0, 4294967295.0, &mut warnings) as u64;
    let destruction = int_setting("destruction", 4.0, 1.0, 20.0, &mut warnings) as usize;
    let temperature = config.number("temperature").unwrap_or(0.4);
    let work_millions = config.number("work_limit_millions").unwrap_or(25.0);
    let time_unit = match setting("time_unit").as_str() {
        Some(u @ ("s" | "min" | "h" | "d")) => u.to_string(),
        None => "min".to_string(),
        Some(other) => {
            warnings.push(format!("time_unit {:?} is not s, min, h or d: min", other));
            "min".to_string()
        }
    };
    let start = match &body["start"] {
        Json::Null => None,
        v => match number_in(v, 0.0, 1e14) {
            Ok(x) => Some(x),
            Err(e) => {
                warnings.push(format!("start (epoch ms): {}: none", e));
                None
            }
        },
    };

    // Jobs: a list of objects, or Taillard's layout (one row of times per machine).
    let raw: Vec<(Json, Json, Json, Json)> = if let Some(list) = body["jobs"].as_array() {
        list.iter()
            .map(|j| match j {
                Json::Object(_) => (j["id"].clone(), j["times"].clone(), j["due"].clone(), j["weight"].clone()),
                other => (Json::Null, other.clone(), Json::Null, Json::Null),
            })
            .collect()
    } else if let Some(rows) = body["times_by_machine"].as_array() {
        let n = rows.iter().filter_map(|r| r.as_array().map(|a| a.len())).max().unwrap_or(0);
        (0..n)
            .map(|j| {
                let times = Json::Array(rows.iter().map(|r| r[j].clone()).collect());
                (body["job_ids"][j].clone(), times, body["due_dates"][j].clone(), body["weights"][j].clone())
            })
            .collect()
    } else {
        return Err((
            "no \"jobs\" (a list of {\"id\", \"times\", \"due\"?, \"weight\"?}) and no \"times_by_machine\"".into(),
            vec![],
        ));
    };
    if raw.len() > MAX_JOBS {
        return Err((format!("{} jobs: at most {} in one plan", raw.len(), MAX_JOBS), vec![]));
    }

    // Machines: named in the body, else as many as the first job with a list of times has.
    let mut machines: Vec<String> = Vec::new();
    if let Some(list) = body["machines"].as_array() {
        for (i, m) in list.iter().enumerate() {
            match m {
                Json::String(s) if !s.trim().is_empty() => machines.push(s.trim().chars().take(64).collect()),
                other => {
                    warnings.push(format!("machine {} is named {}: M{}", i + 1, other, i + 1));
                    machines.push(format!("M{}", i + 1));
                }
            }
        }
    } else {
        let m = raw.iter().filter_map(|r| r.1.as_array().map(|a| a.len())).find(|&l| l > 0).unwrap_or(0);
        machines = (1..=m).map(|i| format!("M{}", i)).collect();
    }
    let m = machines.len();
    if m == 0 {
        return Err(("no machines: name them in \"machines\" or give each job its \"times\"".into(), vec![]));
    }
    if m > MAX_MACHINES || m * raw.len() > MAX_OPS {
        return Err((
            format!("{} jobs × {} machines: at most {} machines and {} operations", raw.len(), m, MAX_MACHINES, MAX_OPS),
            vec![],
        ));
    }

    let mut jobs: Vec<Job> = Vec::new();
    let mut rejected = Vec::new();
    for (index, (id, times, due, weight)) in raw.into_iter().enumerate() {
        let id = match id_of(&id, index) {
            Some(i) => i,
            None => {
                rejected.push(obj! {"index" => index, "id" => Json::Null, "reason" => format!("id {} is not a text or number", id)});
                continue;
            }
        };
        let reject = |reason: String| obj! {"index" => index, "id" => id.as_str(), "reason" => reason};
        if jobs.iter().any(|j| j.id == id) {
            rejected.push(reject("the same id as an earlier job".into()));
            continue;
        }
        let list = match times.as_array() {
            Some(l) => l,
            None => {
                rejected.push(reject(format!("times {} is not a list of {} numbers", times, m)));
                continue;
            }
        };
        if list.len() != m {
            rejected.push(reject(format!("{} times for {} machines", list.len(), m)));
            continue;
        }
        let mut t = Vec::with_capacity(m);
        let mut problem = None;
        for (i, v) in list.iter().enumerate() {
            match number_in(v, 0.0, MAX_TIME) {
                Ok(x) => t.push(x),
                Err(e) => {
                    problem = Some(format!("time on {}: {}", machines[i], e));
                    break;
                }
            }
        }
        if let Some(p) = problem {
            rejected.push(reject(p));
            continue;
        }
        let due = match &due {
            Json::Null => None,
            v => match number_in(v, 0.0, MAX_TIME * MAX_JOBS as f64) {
                Ok(x) => Some(x),
                Err(e) => {
                    warnings.push(format!("job {}: due {}: no due date", id, e));
                    None
                }
            },
        };
        let weight = match &weight {
            Json::Null => 1.0,
            v => match number_in(v, 0.0, 1e6) {
                Ok(x) => x,
                Err(e) => {
                    warnings.push(format!("job {}: weight {}: 1", id, e));
                    1.0
                }
            },
        };
        jobs.push(Job { id, times: t, due, weight });
    }
    Ok(Request {
        name,
        machines,
        jobs,
        rejected,
        warnings,
        objective,
        method,
        iterations,
        seed,
        destruction,
        temperature,
        work_millions,
        time_unit,
        start,
    })
}

fn solve(req: &Request) -> Json {
    let n = req.jobs.len();
    let m = req.machines.len();
    let inst = Instance {
        n,
        m,
        p: req.jobs.iter().flat_map(|j| j.times.iter().copied()).collect(),
        due: req.jobs.iter().map(|j| j.due).collect(),
        weight: req.jobs.iter().map(|j| j.weight).collect(),
    };
    let objective = req.objective;
    let mut warnings = req.warnings.clone();
    let mut work = Work {
        cells: 0,
        budget: (req.work_millions * 1e6) as u64,
    };
    let lb = inst.lower_bound();
    let given: Vec<usize> = (0..n).collect();
    let given_v = inst.value(objective, &given, &mut work);

    let mut method = req.method.as_str();
    if method == "johnson" && m != 2 {
        warnings.push(format!("Johnson's rule is for two machines, not {}: NEH and iterated greedy", m));
        method = "iterated_greedy";
    }
    if method == "auto" {
        method = if m == 2 && objective == Objective::Makespan { "johnson" } else { "iterated_greedy" };
    }
    let mut out = obj! {};
    let mut johnson_v = None;
    let mut neh_v = None;
    let mut search = Json::Null;
    let seq: Vec<usize> = match method {
        "given" => given.clone(),
        "johnson" => {
            let s = inst.johnson();
            johnson_v = Some(inst.value(objective, &s, &mut work));
            s
        }
        _ => {
            let order = match objective {
                Objective::Makespan => inst.neh_order(),
                Objective::Tardiness => inst.edd_order(),
            };
            // NEH takes about 1.5·n²·m evaluations with Taillard's accelerations (makespan),
            // n³·m/6 for tardiness; beyond the work limit the plain order is the start.
            let (nf, mf) = (n as f64, m as f64);
            let neh_cost = match objective {
                Objective::Makespan => 1.5 * nf * nf * mf,
                Objective::Tardiness => nf * nf * nf * mf / 6.0,
            };
            let (s, v) = if neh_cost > work.budget as f64 {
                warnings.push(format!(
                    "{} jobs × {} machines: NEH would take about {:.0} million evaluations, more than the work limit: the {} order is the start",
                    n,
                    m,
                    neh_cost / 1e6,
                    if objective == Objective::Makespan { "decreasing total time" } else { "earliest due date" }
                ));
                let v = inst.value(objective, &order, &mut work);
                (order, v)
            } else {
                let (s, v) = inst.neh(objective, &order, &mut work);
                neh_v = Some(v);
                (s, v)
            };
            if method == "neh" {
                s
            } else {
                let mut rng = Rng::new(req.seed);
                let target = match objective {
                    Objective::Makespan => lb,
                    Objective::Tardiness => 0.0,
                };
                let params = SearchParams {
                    iterations: req.iterations,
                    destruction: req.destruction,
                    temperature: req.temperature,
                    target,
                };
                let o = flowshop::iterated_greedy(&inst, objective, s, v, &params, &mut rng, &mut work);
                if o.stopped_by == "work_limit" {
                    warnings.push(format!(
                        "the work limit ({} million evaluations) stopped the search after {} of {} iterations",
                        req.work_millions, o.iterations, req.iterations
                    ));
                }
                search = obj! {
                    "iterations" => o.iterations,
                    "best_found_at" => o.found_at,
                    "stopped_by" => o.stopped_by,
                    "seed" => req.seed,
                    "destruction" => req.destruction,
                    "temperature" => req.temperature,
                };
                o.seq
            }
        }
    };

    // The schedule of the chosen sequence.
    let starts = inst.starts(&seq);
    let mut makespan = 0.0f64;
    let mut busy = vec![0.0; m];
    let mut total_t = 0.0;
    let mut weighted_t = 0.0;
    let mut tardy = 0usize;
    let mut max_lateness: Option<f64> = None;
    let mut flow = 0.0;
    let mut jobs_out = Vec::with_capacity(n);
    for (pos, &j) in seq.iter().enumerate() {
        let job = &req.jobs[j];
        let ops: Vec<Json> = (0..m)
            .map(|i| {
                busy[i] += inst.pt(j, i);
                Json::Array(vec![starts[pos][i].into(), (starts[pos][i] + inst.pt(j, i)).into()])
            })
            .collect();
        let end = starts[pos][m - 1] + inst.pt(j, m - 1);
        makespan = makespan.max(end);
        flow += end;
        let mut o = obj! {"id" => job.id.as_str(), "position" => pos + 1, "start" => starts[pos][0], "end" => end};
        if let Some(d) = job.due {
            let lateness = end - d;
            let t = lateness.max(0.0);
            total_t += t;
            weighted_t += job.weight * t;
            if t > 0.0 {
                tardy += 1;
            }
            max_lateness = Some(max_lateness.map_or(lateness, |x: f64| x.max(lateness)));
            o.set("due", d);
            o.set("tardiness", t);
        }
        if job.weight != 1.0 {
            o.set("weight", job.weight);
        }
        o.set("ops", ops);
        jobs_out.push(o);
    }
    let with_due = req.jobs.iter().filter(|j| j.due.is_some()).count();
    let optimal = match objective {
        Objective::Makespan => method == "johnson" || makespan <= lb + 1e-9 * lb.max(1.0),
        Objective::Tardiness => with_due > 0 && weighted_t <= 0.0,
    };
    let chosen_primary = match objective {
        Objective::Makespan => makespan,
        Objective::Tardiness => weighted_t,
    };
    let improvement = if given_v.0 > 0.0 { Some((given_v.0 - chosen_primary) / given_v.0 * 100.0) } else { None };

    out.set("name", req.name.as_str());
    out.set("objective", match objective {
        Objective::Makespan => "makespan",
        Objective::Tardiness => "tardiness",
    });
    out.set("method", method);
    out.set("machines", req.machines.clone());
    out.set("time_unit", req.time_unit.as_str());
    out.set("start", req.start);
    out.set("sequence", seq.iter().map(|&j| req.jobs[j].id.clone()).collect::<Vec<String>>());
    out.set("makespan", makespan);
    out.set("lower_bound", lb);
    out.set("gap_pct", if lb > 0.0 { (makespan - lb) / lb * 100.0 } else { 0.0 });
    out.set("optimal", optimal);
    out.set("total_flow_time", flow);
    out.set("jobs_with_due", with_due);
    out.set("total_tardiness", total_t);
    out.set("weighted_tardiness", weighted_t);
    out.set("tardy_jobs", tardy);
    out.set("max_lateness", max_lateness);
    out.set("input_order", obj! {"makespan" => inst.makespan_of(&given), "weighted_tardiness" => inst.weighted_tardiness_of(&given)});
    out.set("improvement_pct", improvement);
    if let Some(v) = johnson_v {
        out.set("johnson", obj! {"makespan" => v_makespan(objective, v), "weighted_tardiness" => v_tardiness(objective, v)});
    }
    if let Some(v) = neh_v {
        out.set("neh", obj! {"makespan" => v_makespan(objective, v), "weighted_tardiness" => v_tardiness(objective, v)});
    }
    out.set("search", search);
    out.set("evaluations", work.cells);
    out.set("utilisation", busy.iter().map(|b| if makespan > 0.0 { b / makespan } else { 0.0 }).collect::<Vec<f64>>());
    out.set("jobs", jobs_out);
    out.set("rejected", req.rejected.clone());
    out.set("warnings", warnings);
    out
}

fn v_makespan(objective: Objective, v: flowshop::Value) -> Json {
    match objective {
        Objective::Makespan => v.0.into(),
        Objective::Tardiness => v.1.into(),
    }
}

fn v_tardiness(objective: Objective, v: flowshop::Value) -> Json {
    match objective {
        Objective::Makespan => Json::Null,
        Objective::Tardiness => v.0.into(),
    }
}

impl Instance {
    fn makespan_of(&self, seq: &[usize]) -> f64 {
        let mut w = Work { cells: 0, budget: u64::MAX };
        self.completions(seq, &mut w).last().copied().unwrap_or(0.0)
    }
    fn weighted_tardiness_of(&self, seq: &[usize]) -> f64 {
        let mut w = Work { cells: 0, budget: u64::MAX };
        let c = self.completions(seq, &mut w);
        seq.iter().zip(&c).map(|(&j, &cj)| self.tardiness(j, cj)).sum()
    }
}

/// Keeps the plan for the panel: `plan:<name>` (with the Gantt data when it fits) and the
/// list `plans`, newest first, at most `max_plans` (older plans are deleted).
fn keep(req: &Request, plan: &Json, config: &Json) -> Result<()> {
    let mut kept = plan.clone();
    // The panel needs no per-job positions; the Gantt data stays when it fits.
    let text_len = kept.to_string().len();
    if text_len > KV_LIMIT {
        kept.remove("jobs");
        kept.set("gantt_omitted", true);
        ironloom::warn(&format!(
            "{}: the plan ({} bytes) is too large for the panel's Gantt chart; the HTTP answer has it all",
            req.name, text_len
        ));
    }
    ironloom::kv_set(&format!("plan:{}", req.name), &kept)?;
    let max = config.number("max_plans").unwrap_or(20.0).max(1.0) as usize;
    let mut names: Vec<String> = ironloom::kv_get("plans")?
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
        .unwrap_or_default();
    names.retain(|n| n != &req.name);
    names.insert(0, req.name.clone());
    while names.len() > max {
        if let Some(old) = names.pop() {
            ironloom::kv_delete(&format!("plan:{}", old))?;
        }
    }
    ironloom::kv_set("plans", &Json::from(names))
}

fn delete(body: &Json) -> Result<()> {
    let name = match body["name"].as_str() {
        Some(n) if !n.trim().is_empty() => n.trim().to_string(),
        _ => return bad(400, "delete needs {\"name\": the plan's name}".into(), vec![]),
    };
    let mut names: Vec<String> = ironloom::kv_get("plans")?
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
        .unwrap_or_default();
    if !names.iter().any(|n| n == &name) {
        return bad(404, format!("no plan {:?}", name), vec![]);
    }
    names.retain(|n| n != &name);
    ironloom::kv_delete(&format!("plan:{}", name))?;
    ironloom::kv_set("plans", &Json::from(names))?;
    ironloom::info(&format!("{}: deleted", name));
    ironloom::reply(200, obj! {"deleted" => name})
}

fn handle(event: &Event) -> Result<()> {
    on_event(event).map_err(|e| Error::new(&e.code, format!("production-scheduler: {}", e.message)))
}

ironloom::app!(handle);
