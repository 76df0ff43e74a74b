//! Transport and warehouse operations: vehicles needed for a delivery schedule, dock
//! doors, the economic order interval, a nearest-neighbour delivery route, and the
//! greenhouse-gas emissions of a transport operation from its fuel (EN 16258 method).

use crate::{Eval, Model, card};
use ironloom_core::model::{Datum, Domain, ModelKind, Port, Reference, Refusal, Text};

const TRANSPORT_INDUSTRIES: &[&str] = &["G54", "G59", "G60", "F51", "C34"];
const MOVE: &[Domain] = &[Domain::Logistics, Domain::SupplyChain];

fn vehicles(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (loads, distance, speed, handling, hours, capacity_factor) =
        (x[0], x[1], x[2], x[3], x[4], x[5]);
    let trip = 2.0 * distance / speed + handling;
    let trips_per_vehicle = (hours * capacity_factor / trip).floor();
    if trips_per_vehicle < 1.0 {
        return Err(Refusal::new(
            "a single round trip takes longer than a vehicle's working time",
            "单次往返时间超过车辆的工作时间",
        ));
    }
    Ok(vec![
        trip,
        trips_per_vehicle,
        (loads / trips_per_vehicle).ceil(),
    ])
}

fn dock_doors(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (trucks, time, hours, utilisation) = (x[0], x[1], x[2], x[3]);
    let n = trucks * time / (hours * utilisation);
    Ok(vec![n, n.ceil()])
}

fn order_interval(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (demand, order_cost, holding) = (x[0], x[1], x[2]);
    let t = (2.0 * order_cost / (demand * holding)).sqrt();
    Ok(vec![
        t,
        t * 365.0,
        demand * t,
        (2.0 * order_cost * demand * holding).sqrt(),
    ])
}

fn nearest_neighbour(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (x, y) = (d[0].series(), d[1].series());
    let n = x.len();
    if n < 2 || n != y.len() || n > 10_000 || x.iter().chain(y).any(|v| v.is_nan()) {
        return Err(Refusal::new(
            "give 2 to 10 000 points as x and y of the same length, none missing (the first is the depot)",
            "请给出 2 至 10 000 个点的 x、y 坐标，长度相同且无缺失（第一个点为配送中心）",
        ));
    }
    let dist = |i: usize, j: usize| (x[i] - x[j]).hypot(y[i] - y[j]);
    let mut visited = vec![false; n];
    visited[0] = true;
    let mut route = vec![1.0];
    let (mut here, mut length) = (0usize, 0.0);
    for _ in 1..n {
        let mut next = usize::MAX;
        let mut best = f64::INFINITY;
        for (j, seen) in visited.iter().enumerate() {
            // Ties go to the lower point number.
            if !seen && dist(here, j) < best {
                best = dist(here, j);
                next = j;
            }
        }
        visited[next] = true;
        length += best;
        route.push((next + 1) as f64);
        here = next;
    }
    length += dist(here, 0);
    route.push(1.0);
    Ok(vec![Datum::Series(route), Datum::Scalar(length)])
}

fn freight_emissions(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (fuel, ttw, wtw, tonne_km) = (x[0], x[1], x[2], x[3]);
    let (e_ttw, e_wtw) = (fuel * ttw / 1000.0, fuel * wtw / 1000.0);
    let intensity = if tonne_km > 0.0 {
        e_wtw * 1e6 / tonne_km
    } else {
        0.0
    };
    Ok(vec![e_ttw, e_wtw, intensity])
}

/// Least-cost shipments from supplies to demands: successive shortest paths
/// (Bellman–Ford on the residual network), exact for any real quantities.
fn transportation(d: &[Datum]) -> Result<Vec<Datum>, Refusal> {
    let (supply, demand, cost) = (d[0].series(), d[1].series(), d[2].series());
    let (m, n) = (supply.len(), demand.len());
    let bad = m == 0
        || n == 0
        || m * n > 10_000
        || cost.len() != m * n
        || supply
            .iter()
            .chain(demand)
            .chain(cost)
            .any(|v| v.is_nan() || *v < 0.0);
    if bad {
        return Err(Refusal::new(
            "give supplies, demands and an m×n cost table row by row (at most 10 000 cells), none negative or missing",
            "请给出供应量、需求量和按行排列的 m×n 运价表（不超过 10 000 格），不能为负或缺失",
        ));
    }
    let total_demand: f64 = demand.iter().sum();
    if supply.iter().sum::<f64>() < total_demand * (1.0 - 1e-12) {
        return Err(Refusal::new(
            "the supplies cannot cover the demands",
            "总供应量不足以满足总需求量",
        ));
    }
    // Nodes: 0 source, 1..=m supplies, m+1..=m+n demands, m+n+1 sink.
    let nodes = m + n + 2;
    let sink = nodes - 1;
    let mut edges: Vec<(usize, usize, f64, f64)> = Vec::new(); // (from, to, capacity, cost)
    let add = |a: usize, b: usize, cap: f64, c: f64, edges: &mut Vec<(usize, usize, f64, f64)>| {
        edges.push((a, b, cap, c));
        edges.push((b, a, 0.0, -c));
    };
    for (i, s) in supply.iter().enumerate() {
        add(0, 1 + i, *s, 0.0, &mut edges);
    }
    for i in 0..m {
        for j in 0..n {
            add(1 + i, 1 + m + j, f64::INFINITY, cost[i * n + j], &mut edges);
        }
    }
    for (j, q) in demand.iter().enumerate() {
        add(1 + m + j, sink, *q, 0.0, &mut edges);
    }
    let mut shipped = 0.0;
    let tolerance = 1e-12 * total_demand.max(1.0);
    while total_demand - shipped > tolerance {
        let mut dist = vec![f64::INFINITY; nodes];
        let mut via = vec![usize::MAX; nodes];
        dist[0] = 0.0;
        for _ in 0..nodes {
            let mut changed = false;
            for (k, &(a, b, cap, c)) in edges.iter().enumerate() {
                if cap > tolerance && dist[a] + c < dist[b] - 1e-12 {
                    dist[b] = dist[a] + c;
                    via[b] = k;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        if !dist[sink].is_finite() {
            break;
        }
        let mut push = total_demand - shipped;
        let mut v = sink;
        while v != 0 {
            let k = via[v];
            push = push.min(edges[k].2);
            v = edges[k].0;
        }
        let mut v = sink;
        while v != 0 {
            let k = via[v];
            edges[k].2 -= push;
            edges[k ^ 1].2 += push;
            v = edges[k].0;
        }
        shipped += push;
    }
    let mut plan = vec![0.0; m * n];
    let mut total = 0.0;
    for k in (0..edges.len()).step_by(2) {
        let (a, b, _, c) = edges[k];
        if (1..=m).contains(&a) && (m + 1..=m + n).contains(&b) {
            // The flow on an edge is the capacity its reverse edge has gained.
            let flow = edges[k + 1].2;
            plan[(a - 1) * n + (b - 1 - m)] = flow;
            total += flow * c;
        }
    }
    Ok(vec![Datum::Series(plan), Datum::Scalar(total)])
}

fn storage_space(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (units, per_pallet, levels, footprint, utilisation) = (x[0], x[1], x[2], x[3], x[4]);
    let pallets = (units / per_pallet).ceil();
    let positions = (pallets / utilisation).ceil();
    let bays = (positions / levels).ceil();
    Ok(vec![pallets, positions, bays * footprint])
}

fn pickers(x: &[f64]) -> Result<Vec<f64>, Refusal> {
    let (lines, rate, hours, utilisation) = (x[0], x[1], x[2], x[3]);
    let hours_needed = lines / rate;
    let n = hours_needed / (hours * utilisation);
    Ok(vec![hours_needed, n, n.ceil()])
}

pub(crate) const MODELS: &[Model] = &[
    Model {
        card: card(
            "logistics.vehicle_requirement",
            Text::new("Vehicles needed for a delivery schedule", "配送所需车辆数"),
            Text::new(
                "Round-trip time, trips a vehicle can make in its working time, and the vehicles needed for the day's loads on one route.",
                "计算往返时间、每车在工作时间内可完成的趟数，以及完成当日运量所需的车辆数。",
            ),
            ModelKind::Process,
            TRANSPORT_INDUSTRIES,
            MOVE,
            &[
                Port::new(
                    "loads",
                    "Loads to deliver per day",
                    "每日需运送车次",
                    "",
                    0.0,
                    1e9,
                ),
                Port::new("distance", "One-way distance", "单程距离", "km", 0.0, 1e5),
                Port::new("speed", "Average speed", "平均车速", "km/h", 1e-3, 300.0),
                Port::new(
                    "handling",
                    "Loading and unloading time per trip",
                    "每趟装卸时间",
                    "h",
                    0.0,
                    100.0,
                ),
                Port::new(
                    "hours",
                    "Working hours per vehicle per day",
                    "每车每日工作时间",
                    "h",
                    1e-3,
                    24.0,
                ),
                Port::new(
                    "availability",
                    "Vehicle availability",
                    "车辆完好率",
                    "",
                    1e-3,
                    1.0,
                )
                .default(1.0),
            ],
            &[
                Port::out("trip", "Round-trip time", "往返时间", "h"),
                Port::out(
                    "trips_per_vehicle",
                    "Trips per vehicle per day",
                    "每车每日趟数",
                    "",
                ),
                Port::out("vehicles", "Vehicles needed", "所需车辆数", ""),
            ],
            Text::new(
                "t = 2d/v + handling; trips = ⌊hours·availability/t⌋; vehicles = ⌈loads/trips⌉.",
                "t = 2d/v + 装卸时间；趟数 = ⌊工作时间·完好率/t⌋；车辆数 = ⌈车次/趟数⌉。",
            ),
            &[Reference {
                source: "Ghiani, G., Laporte, G., Musmanno, R., Introduction to Logistics Systems Management, 2nd ed., Wiley, 2013",
                locator: "fleet sizing for a single route (cycle time and trips per vehicle)",
            }],
        ),
        eval: Eval::Scalar(vehicles),
    },
    Model {
        card: card(
            "warehouse.dock_doors",
            Text::new("Dock doors required", "所需装卸月台数"),
            Text::new(
                "Dock doors a warehouse needs for the trucks of a day from the time each occupies a door and the hours the dock works.",
                "由每日车辆数、每车占用月台时间和月台工作时间计算仓库所需的装卸月台数。",
            ),
            ModelKind::Process,
            TRANSPORT_INDUSTRIES,
            &[Domain::Logistics],
            &[
                Port::new("trucks", "Trucks per day", "每日车辆数", "", 0.0, 1e7),
                Port::new(
                    "time",
                    "Door time per truck",
                    "每车占用月台时间",
                    "h",
                    0.0,
                    100.0,
                ),
                Port::new(
                    "hours",
                    "Dock working hours per day",
                    "月台每日工作时间",
                    "h",
                    1e-3,
                    24.0,
                ),
                Port::new(
                    "utilisation",
                    "Planned door utilisation",
                    "计划月台利用率",
                    "",
                    1e-3,
                    1.0,
                )
                .default(0.8),
            ],
            &[
                Port::out("N_exact", "Doors (exact)", "月台数（精确值）", ""),
                Port::out("N", "Doors", "月台数", ""),
            ],
            Text::new(
                "N = ⌈trucks·time/(hours·utilisation)⌉.",
                "N = ⌈车辆数·占用时间/(工作时间·利用率)⌉。",
            ),
            &[Reference {
                source: "Frazelle, E. H., World-Class Warehousing and Material Handling, 2nd ed., McGraw-Hill, 2016",
                locator: "receiving and shipping: dock door requirements",
            }],
        ),
        eval: Eval::Scalar(dock_doors),
    },
    Model {
        card: card(
            "inventory.economic_order_interval",
            Text::new(
                "Economic order interval (periodic review)",
                "经济订货间隔期（定期订货）",
            ),
            Text::new(
                "Review interval that balances ordering and holding cost for a periodic-review item, with the order quantity it implies and the yearly cost.",
                "求定期订货物品使订货成本与持有成本平衡的订货间隔期，以及相应的订货量和年成本。",
            ),
            ModelKind::Process,
            TRANSPORT_INDUSTRIES,
            MOVE,
            &[
                Port::new("D", "Yearly demand", "年需求量", "", 1e-12, 1e15),
                Port::new("S", "Cost per order", "每次订货成本", "", 0.0, 1e12),
                Port::new(
                    "H",
                    "Holding cost per unit per year",
                    "单位年持有成本",
                    "",
                    1e-12,
                    1e12,
                ),
            ],
            &[
                Port::out("T", "Order interval (years)", "订货间隔（年）", ""),
                Port::out("T_days", "Order interval (days)", "订货间隔（天）", ""),
                Port::out("Q", "Order quantity", "订货量", ""),
                Port::out(
                    "cost",
                    "Yearly ordering and holding cost",
                    "年订货与持有成本",
                    "",
                ),
            ],
            Text::new(
                "T* = √(2S/(DH)); Q = D·T*; cost = √(2SDH).",
                "T* = √(2S/(DH))；Q = D·T*；成本 = √(2SDH)。",
            ),
            &[Reference {
                source: "Silver, E. A., Pyke, D. F., Thomas, D. J., Inventory and Production Management in Supply Chains, 4th ed., CRC Press, 2017",
                locator: "the economic order interval (periodic review, deterministic demand)",
            }],
        ),
        eval: Eval::Scalar(order_interval),
    },
    Model {
        card: card(
            "logistics.nearest_neighbour_route",
            Text::new(
                "Delivery route by the nearest-neighbour rule",
                "最近邻法配送路线",
            ),
            Text::new(
                "A round trip from the depot through every delivery point, each time to the nearest point not yet visited, and its straight-line length.",
                "从配送中心出发，每次前往最近的未访问点，经过全部配送点后返回，并给出直线路程长度。",
            ),
            ModelKind::Process,
            TRANSPORT_INDUSTRIES,
            MOVE,
            &[
                Port::series(
                    "x",
                    "x of each point (the first is the depot)",
                    "各点 x 坐标（第一个为配送中心）",
                    "",
                ),
                Port::series("y", "y of each point", "各点 y 坐标", ""),
            ],
            &[
                Port::series(
                    "route",
                    "Point numbers in visiting order (from 1, back to 1)",
                    "访问顺序（点编号从 1 起，回到 1）",
                    "",
                ),
                Port::out("length", "Route length", "路线长度", ""),
            ],
            Text::new(
                "From the depot, repeatedly go to the nearest unvisited point (ties to the lower number); return to the depot. A heuristic: not always the shortest tour.",
                "自配送中心起，反复前往最近的未访问点（距离相同取编号小者），最后返回。属启发式方法，不保证最短。",
            ),
            &[Reference {
                source: "Rosenkrantz, D. J., Stearns, R. E., Lewis, P. M., An analysis of several heuristics for the traveling salesman problem, SIAM Journal on Computing 6(3), 563–581, 1977",
                locator: "the nearest-neighbour method",
            }],
        ),
        eval: Eval::Data(nearest_neighbour),
    },
    Model {
        card: card(
            "logistics.transport_emissions",
            Text::new(
                "Greenhouse-gas emissions of a transport operation",
                "运输作业温室气体排放",
            ),
            Text::new(
                "Tank-to-wheels and well-to-wheels greenhouse-gas emissions of a transport operation from its fuel used and the fuel's factors, and the emission intensity per tonne-kilometre.",
                "由运输作业的燃料消耗及燃料排放因子计算油箱到车轮与油井到车轮的温室气体排放，以及每吨公里排放强度。",
            ),
            ModelKind::Process,
            TRANSPORT_INDUSTRIES,
            &[Domain::Logistics, Domain::SupplyChain, Domain::Management],
            &[
                Port::new("fuel", "Fuel used", "燃料消耗量", "L", 0.0, 1e12),
                Port::new(
                    "ef_ttw",
                    "Tank-to-wheels factor",
                    "油箱到车轮排放因子",
                    "kg/L",
                    0.0,
                    100.0,
                ),
                Port::new(
                    "ef_wtw",
                    "Well-to-wheels factor",
                    "油井到车轮排放因子",
                    "kg/L",
                    0.0,
                    100.0,
                ),
                Port::new("tkm", "Transport work", "运输周转量", "", 0.0, 1e15).default(0.0),
            ],
            &[
                Port::out("E_ttw", "Tank-to-wheels emissions", "油箱到车轮排放", "t"),
                Port::out("E_wtw", "Well-to-wheels emissions", "油井到车轮排放", "t"),
                Port::out(
                    "intensity",
                    "Well-to-wheels grams per tonne-km (0 without tonne-km)",
                    "每吨公里排放（克，未给周转量为 0）",
                    "",
                ),
            ],
            Text::new(
                "E = F·e (tank-to-wheels and well-to-wheels factors per litre); intensity = E_wtw/tonne-km.",
                "E = F·e（每升燃料的油箱到车轮与油井到车轮因子）；强度 = E_wtw/吨公里。",
            ),
            &[
                Reference {
                    source: "EN 16258:2012, Methodology for calculation and declaration of energy consumption and GHG emissions of transport services",
                    locator: "calculation from fuel consumption (tank-to-wheels and well-to-wheels)",
                },
                Reference {
                    source: "ISO 14083:2023, Greenhouse gases — Quantification and reporting of greenhouse gas emissions arising from transport chain operations",
                    locator: "emission intensity per transport activity",
                },
            ],
        ),
        eval: Eval::Scalar(freight_emissions),
    },
    Model {
        card: card(
            "logistics.transportation_problem",
            Text::new("Least-cost transportation plan", "运输问题最小费用方案"),
            Text::new(
                "Shipments from plants to warehouses that meet every demand within the supplies at the least total cost (the transportation problem, solved exactly).",
                "在供应量约束下满足全部需求且总运费最低的工厂至仓库发运方案（运输问题，精确求解）。",
            ),
            ModelKind::Process,
            TRANSPORT_INDUSTRIES,
            MOVE,
            &[
                Port::series("supply", "Supply of each source", "各供应点供应量", ""),
                Port::series("demand", "Demand of each destination", "各需求点需求量", ""),
                Port::series(
                    "cost",
                    "Unit cost, source by source (row by row)",
                    "单位运价（按供应点逐行排列）",
                    "",
                ),
            ],
            &[
                Port::series(
                    "plan",
                    "Quantity shipped, row by row",
                    "发运量（逐行排列）",
                    "",
                ),
                Port::out("total_cost", "Total cost", "总运费", ""),
            ],
            Text::new(
                "min ΣΣ c_ij·x_ij subject to Σ_j x_ij ≤ s_i, Σ_i x_ij = d_j, x ≥ 0; solved as a minimum-cost flow by successive shortest paths.",
                "min ΣΣ c_ij·x_ij，约束 Σ_j x_ij ≤ s_i，Σ_i x_ij = d_j，x ≥ 0；按最小费用流以逐次最短路法求解。",
            ),
            &[
                Reference {
                    source: "Hitchcock, F. L., The distribution of a product from several sources to numerous localities, Journal of Mathematics and Physics 20, 224–230, 1941",
                    locator: "the transportation problem",
                },
                Reference {
                    source: "Ahuja, R. K., Magnanti, T. L., Orlin, J. B., Network Flows: Theory, Algorithms, and Applications, Prentice Hall, 1993",
                    locator: "ch. 9, the successive shortest path algorithm",
                },
            ],
        ),
        eval: Eval::Data(transportation),
    },
    Model {
        card: card(
            "warehouse.storage_space",
            Text::new(
                "Pallet storage positions and floor area",
                "托盘储位数与仓库面积",
            ),
            Text::new(
                "Pallets to store an inventory, the rack positions needed at a planned utilisation, and the floor area of the rack bays.",
                "由库存量计算所需托盘数、按计划储位利用率所需货架储位数，以及货架占地面积。",
            ),
            ModelKind::Process,
            TRANSPORT_INDUSTRIES,
            &[Domain::Logistics],
            &[
                Port::new("units", "Units to store", "库存数量", "", 0.0, 1e12),
                Port::new(
                    "per_pallet",
                    "Units per pallet",
                    "每托盘数量",
                    "",
                    1e-9,
                    1e9,
                ),
                Port::new("levels", "Rack levels", "货架层数", "", 1.0, 100.0).default(1.0),
                Port::new(
                    "footprint",
                    "Floor area per rack position, aisles included",
                    "每储位占地面积（含通道）",
                    "m2",
                    0.0,
                    1e4,
                ),
                Port::new(
                    "utilisation",
                    "Planned position utilisation",
                    "计划储位利用率",
                    "",
                    1e-3,
                    1.0,
                )
                .default(0.85),
            ],
            &[
                Port::out("pallets", "Pallets", "托盘数", ""),
                Port::out("positions", "Rack positions", "货架储位数", ""),
                Port::out("area", "Floor area", "占地面积", "m2"),
            ],
            Text::new(
                "Pallets = ⌈units/per pallet⌉; positions = ⌈pallets/utilisation⌉; area = ⌈positions/levels⌉·footprint.",
                "托盘数 = ⌈库存/每托盘数量⌉；储位 = ⌈托盘数/利用率⌉；面积 = ⌈储位/层数⌉·每储位面积。",
            ),
            &[Reference {
                source: "Frazelle, E. H., World-Class Warehousing and Material Handling, 2nd ed., McGraw-Hill, 2016",
                locator: "pallet storage: space requirements and storage utilisation",
            }],
        ),
        eval: Eval::Scalar(storage_space),
    },
    Model {
        card: card(
            "warehouse.pickers_required",
            Text::new("Order pickers required", "所需拣货人员数"),
            Text::new(
                "Picker hours and pickers needed for a day's order lines from the pick rate per hour, the shift length and a planned utilisation.",
                "由每日订单行数、每小时拣货行数、班次时长和计划利用率计算所需拣货工时与人数。",
            ),
            ModelKind::Process,
            TRANSPORT_INDUSTRIES,
            &[Domain::Logistics, Domain::Operations],
            &[
                Port::new(
                    "lines",
                    "Order lines per day",
                    "每日订单行数",
                    "",
                    0.0,
                    1e12,
                ),
                Port::new(
                    "rate",
                    "Lines picked per hour per picker",
                    "每人每小时拣货行数",
                    "1/h",
                    1e-9,
                    1e6,
                ),
                Port::new(
                    "hours",
                    "Hours per picker per day",
                    "每人每日工作时间",
                    "h",
                    1e-3,
                    24.0,
                ),
                Port::new(
                    "utilisation",
                    "Planned utilisation",
                    "计划利用率",
                    "",
                    1e-3,
                    1.0,
                )
                .default(0.85),
            ],
            &[
                Port::out("picker_hours", "Picker hours", "拣货工时", "h"),
                Port::out("N_exact", "Pickers (exact)", "拣货人数（精确值）", ""),
                Port::out("N", "Pickers", "拣货人数", ""),
            ],
            Text::new(
                "Hours = lines/rate; N = ⌈hours/(shift·utilisation)⌉.",
                "工时 = 行数/效率；N = ⌈工时/(班次时长·利用率)⌉。",
            ),
            &[Reference {
                source: "Tompkins, J. A., White, J. A., Bozer, Y. A., Tanchoco, J. M. A., Facilities Planning, 4th ed., Wiley, 2010",
                locator: "order picking: labour requirements",
            }],
        ),
        eval: Eval::Scalar(pickers),
    },
];
