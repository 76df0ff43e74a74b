//! Distribution and warehouse operations: vehicle routes by the Clarke–Wright savings
//! method and the expected cycle times of a unit-load AS/RS crane (Bozer and White).

use crate::{Eval, Model, card};
use ironloom_core::model::{Datum, Domain, ModelKind, Port, Reference, Refusal, Text};

const LOGISTICS_INDUSTRIES: &[&str] = &["G54", "G59", "F51", "F52", "C14", "C39"];

/// Clarke–Wright parallel savings: routes as 1-based point numbers with the depot (1)
/// between routes, the number of routes and the total length.
fn savings(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (x, y, q) = (d[0].series(), d[1].series(), d[2].series());
    let capacity = d[3].scalar();
    let n = x.len();
    if n < 2 || n != y.len() || n != q.len() || n > 2000 {
        return Err(Refusal::new(
            "give 2 to 2000 points as x, y and demand of the same length (the first is the depot)",
            "请给出 2 至 2000 个点的 x、y 坐标和需求量，长度相同（第一个点为配送中心）",
        ));
    }
    if x.iter().chain(y).chain(q).any(|v| !v.is_finite()) || q[1..].iter().any(|&v| v < 0.0) {
        return Err(Refusal::new(
            "coordinates and demands must be numbers, demands not negative",
            "坐标和需求量须为数值，需求量不能为负",
        ));
    }
    if let Some(i) = (1..n).find(|&i| q[i] > capacity) {
        return Err(Refusal::new(
            format!(
                "point {} needs {} > vehicle capacity {capacity}",
                i + 1,
                q[i]
            ),
            format!("点 {} 的需求量 {} 超过车辆容量 {capacity}", i + 1, q[i]),
        ));
    }
    let dist = |i: usize, j: usize| (x[i] - x[j]).hypot(y[i] - y[j]);
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for i in 1..n {
        for j in i + 1..n {
            let s = dist(0, i) + dist(0, j) - dist(i, j);
            if s > 0.0 {
                pairs.push((s, i, j));
            }
        }
    }
    // Largest saving first; ties to the lower pair of point numbers.
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut routes: Vec<Option<(Vec<usize>, f64)>> =
        (0..n).map(|i| (i > 0).then(|| (vec![i], q[i]))).collect();
    let mut owner: Vec<usize> = (0..n).collect();
    for (_, i, j) in pairs {
        let (ri, rj) = (owner[i], owner[j]);
        if ri == rj {
            continue;
        }
        let (Some((a, la)), Some((b, lb))) = (routes[ri].clone(), routes[rj].clone()) else {
            continue;
        };
        if la + lb > capacity {
            continue;
        }
        let i_end = a.last() == Some(&i);
        let i_start = a.first() == Some(&i);
        let j_start = b.first() == Some(&j);
        let j_end = b.last() == Some(&j);
        if !(i_end || i_start) || !(j_start || j_end) {
            continue;
        }
        let mut a = a;
        let mut b = b;
        if !i_end {
            a.reverse();
        }
        if !j_start {
            b.reverse();
        }
        a.extend(b);
        for &k in &a {
            owner[k] = ri;
        }
        routes[ri] = Some((a, la + lb));
        routes[rj] = None;
    }
    let mut order = vec![1.0];
    let (mut count, mut length) = (0.0, 0.0);
    for (route, _) in routes.into_iter().flatten() {
        count += 1.0;
        let mut here = 0;
        for &k in &route {
            length += dist(here, k);
            order.push((k + 1) as f64);
            here = k;
        }
        length += dist(here, 0);
        order.push(1.0);
    }
    Ok(vec![
        Datum::Series(order),
        Datum::Scalar(count),
        Datum::Scalar(length),
    ])
}

fn asrs(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (l, h, vx, vy, tpd) = (x[0], x[1], x[2], x[3], x[4]);
    let (tx, ty) = (l / vx, h / vy);
    let t = tx.max(ty);
    let b = tx.min(ty) / t;
    let sc = t * (1.0 + b * b / 3.0) + 2.0 * tpd;
    let dc = t / 30.0 * (40.0 + 15.0 * b * b - b.powi(3)) + 4.0 * tpd;
    Ok(vec![t, b, sc, dc, 3600.0 / sc, 2.0 * 3600.0 / dc])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "logistics.clarke_wright_routes",
            Text::new(
                "Delivery routes by the savings method (Clarke–Wright)",
                "节约法配送路线（Clarke–Wright）",
            ),
            Text::new(
                "Vehicle routes from one depot to customers with demands and a vehicle capacity, built by merging routes in order of the distance saved (parallel savings method), with the number of vehicles and the total distance.",
                "从一个配送中心向有需求量的客户送货，在车辆容量限制下按节约距离从大到小合并路线（并行节约法），给出路线、车辆数和总里程。",
            ),
            ModelKind::Process,
            LOGISTICS_INDUSTRIES,
            &[Domain::Logistics, Domain::SupplyChain],
            &[
                Port::series(
                    "x",
                    "x of each point (the depot first)",
                    "各点 x 坐标（首个为配送中心）",
                    "",
                ),
                Port::series("y", "y of each point", "各点 y 坐标", ""),
                Port::series(
                    "q",
                    "Demand of each point (the depot's is ignored)",
                    "各点需求量（配送中心的不计）",
                    "",
                ),
                Port::new("Q", "Vehicle capacity", "车辆容量", "", 1e-9, 1e12),
            ],
            &[
                Port::series(
                    "routes",
                    "Routes as point numbers, the depot (1) between routes",
                    "路线（点号，路线之间以配送中心 1 分隔）",
                    "",
                ),
                Port::out("vehicles", "Number of routes", "路线数（车辆数）", ""),
                Port::out("length", "Total distance", "总里程", ""),
            ],
            Text::new(
                "s_ij = d_0i + d_0j − d_ij; in decreasing s_ij, join the route ending in i to the route starting with j when both are route ends, in different routes, and the load stays within Q.",
                "s_ij = d_0i + d_0j − d_ij；按 s_ij 从大到小，若 i、j 分属不同路线且均为路线端点、合并后载重不超过 Q，则合并两条路线。",
            ),
            &[Reference {
                source: "Clarke, G., Wright, J. W., Scheduling of vehicles from a central depot to a number of delivery points, Operations Research 12(4), 568–581, 1964",
                locator: "the savings method",
            }],
        ),
        eval: Eval::Data(savings),
    },
    Model {
        card: card(
            "warehouse.asrs_cycle_time",
            Text::new(
                "AS/RS crane cycle time (Bozer–White)",
                "自动化立体库堆垛机作业周期（Bozer–White）",
            ),
            Text::new(
                "Expected single- and dual-command cycle times of a unit-load automated storage/retrieval crane with simultaneous horizontal and vertical travel and random storage, and the resulting throughput of an aisle.",
                "在水平与垂直同时运行、随机存储条件下，计算单元货物自动化立体库堆垛机的单指令和复合指令期望作业周期，以及巷道的吞吐能力。",
            ),
            ModelKind::Process,
            LOGISTICS_INDUSTRIES,
            &[Domain::Logistics, Domain::Operations],
            &[
                Port::new("L", "Rack length", "货架长度", "m", 0.1, 1000.0),
                Port::new("H", "Rack height", "货架高度", "m", 0.1, 100.0),
                Port::new("v_x", "Horizontal speed", "水平运行速度", "m/s", 0.01, 20.0),
                Port::new("v_y", "Vertical speed", "垂直提升速度", "m/s", 0.01, 10.0),
                Port::new(
                    "T_pd",
                    "Pick-up or deposit time",
                    "取货或存货时间",
                    "s",
                    0.0,
                    600.0,
                ),
            ],
            &[
                Port::out(
                    "T",
                    "Travel time to the far end (longer axis)",
                    "至最远端运行时间（较长轴）",
                    "s",
                ),
                Port::out("b", "Shape factor", "形状系数", ""),
                Port::out(
                    "E_sc",
                    "Expected single-command cycle",
                    "单指令期望周期",
                    "s",
                ),
                Port::out(
                    "E_dc",
                    "Expected dual-command cycle",
                    "复合指令期望周期",
                    "s",
                ),
                Port::out("sc_per_h", "Single commands per hour", "每小时单指令数", ""),
                Port::out(
                    "ops_dc_per_h",
                    "Storages plus retrievals per hour in dual command",
                    "复合指令下每小时存取次数",
                    "",
                ),
            ],
            Text::new(
                "T = max(L/v_x, H/v_y), b = min(L/v_x, H/v_y)/T; E(SC) = T(1 + b²/3) + 2T_pd; E(DC) = (T/30)(40 + 15b² − b³) + 4T_pd.",
                "T = max(L/v_x, H/v_y)，b = min(L/v_x, H/v_y)/T；E(SC) = T(1 + b²/3) + 2T_pd；E(DC) = (T/30)(40 + 15b² − b³) + 4T_pd。",
            ),
            &[Reference {
                source: "Bozer, Y. A., White, J. A., Travel-time models for automated storage/retrieval systems, IIE Transactions 16(4), 329–338, 1984",
                locator: "expected single- and dual-command travel times for a normalised rack",
            }],
        ),
        eval: Eval::Scalar(asrs),
    },
];
