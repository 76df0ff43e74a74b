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
];
