//! Which reads poll a connection's points: points with the same poll interval, unit and
//! area are sorted by address and merged into as few requests as the limits allow
//! (`max_registers` / `max_bits` per request, at most `max_gap` unused addresses read
//! over between two points).

use std::collections::BTreeMap;
use std::time::Duration;

use super::config::{Area, Connection};

/// One read request and the points it feeds.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub unit: u8,
    pub area: Area,
    pub start: u16,
    pub count: u16,
    /// (device index, point index, offset of the point's first address from `start`).
    pub points: Vec<(usize, usize, u16)>,
}

/// The blocks polled at one interval.
#[derive(Debug, Clone, PartialEq)]
pub struct PollGroup {
    pub interval: Duration,
    pub blocks: Vec<Block>,
}

/// A block being built: first and last address, members.
type Open = (u32, u32, Vec<(usize, usize, u16)>);

/// The poll plan of a checked connection.
pub fn plan(conn: &Connection) -> Vec<PollGroup> {
    // interval → (unit, area) → (address, last address, device, point)
    type Key = (u64, u8, Area);
    let mut by_key: BTreeMap<Key, Vec<(u16, u32, usize, usize)>> = BTreeMap::new();
    for (di, d) in conn.devices.iter().enumerate() {
        for (pi, p) in d.points.iter().enumerate() {
            let ms = p.poll_interval_ms.unwrap_or(conn.poll_interval_ms);
            let last = u32::from(p.address) + u32::from(p.width()) - 1;
            by_key
                .entry((ms, d.unit, p.area))
                .or_default()
                .push((p.address, last, di, pi));
        }
    }
    let mut groups: BTreeMap<u64, Vec<Block>> = BTreeMap::new();
    for ((ms, unit, area), mut pts) in by_key {
        pts.sort_by_key(|(a, last, _, _)| (*a, *last));
        let limit = u32::from(if area.is_bits() {
            conn.max_bits
        } else {
            conn.max_registers
        });
        let gap = u32::from(conn.max_gap);
        let blocks = groups.entry(ms).or_default();
        let mut cur: Option<Open> = None;
        for (addr, last, di, pi) in pts {
            let a = u32::from(addr);
            if let Some((start, end, members)) = &mut cur {
                let joins = a <= *end + 1 + gap && last.max(*end) - *start < limit;
                if joins {
                    *end = (*end).max(last);
                    members.push((di, pi, (a - *start) as u16));
                    continue;
                }
                let (s, e, m) = cur.take().unwrap_or_default();
                blocks.push(block(unit, area, s, e, m));
            }
            cur = Some((a, last, vec![(di, pi, 0)]));
        }
        if let Some((s, e, m)) = cur {
            blocks.push(block(unit, area, s, e, m));
        }
    }
    groups
        .into_iter()
        .map(|(ms, blocks)| PollGroup {
            interval: Duration::from_millis(ms),
            blocks,
        })
        .collect()
}

fn block(unit: u8, area: Area, start: u32, end: u32, points: Vec<(usize, usize, u16)>) -> Block {
    Block {
        unit,
        area,
        start: start as u16,
        count: (end - start + 1) as u16,
        points,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modbus::config::{Device, Point, Transport};
    use crate::modbus::values::DataType;

    fn point(name: &str, area: Area, address: u16, t: DataType) -> Point {
        let mut p: Point = serde_json::from_value(serde_json::json!({
            "name": name, "area": area, "address": address, "type": t,
        }))
        .unwrap();
        if t == DataType::String {
            p.length = Some(10);
        }
        p
    }

    fn conn(points: Vec<Point>, max_gap: u16) -> Connection {
        let mut c: Connection = serde_json::from_value(serde_json::json!({
            "name": "plc", "transport": "tcp", "address": "127.0.0.1:502", "max_gap": max_gap,
        }))
        .unwrap();
        c.devices = vec![Device {
            name: "d".into(),
            product: None,
            unit: 1,
            points,
        }];
        assert_eq!(c.transport, Transport::Tcp);
        assert!(c.check().is_empty(), "{:?}", c.check());
        c
    }

    fn shape(groups: &[PollGroup]) -> Vec<(Area, u16, u16, usize)> {
        groups
            .iter()
            .flat_map(|g| g.blocks.iter())
            .map(|b| (b.area, b.start, b.count, b.points.len()))
            .collect()
    }

    #[test]
    fn adjacent_points_merge_and_gaps_split_unless_allowed() {
        let pts = vec![
            point("a", Area::Holding, 0, DataType::F32),
            point("b", Area::Holding, 2, DataType::U16),
            point("c", Area::Holding, 3, DataType::F64),
            point("d", Area::Holding, 10, DataType::U16),
            point("e", Area::Input, 0, DataType::U16),
            point("f", Area::Coil, 0, DataType::Bool),
            point("g", Area::Coil, 1, DataType::Bool),
        ];
        let g = plan(&conn(pts.clone(), 0));
        assert_eq!(
            shape(&g),
            [
                (Area::Coil, 0, 2, 2),
                (Area::Holding, 0, 7, 3),
                (Area::Holding, 10, 1, 1),
                (Area::Input, 0, 1, 1),
            ]
        );
        // A gap of 3 (addresses 7–9) is read over with max_gap 3.
        let g = plan(&conn(pts, 3));
        assert_eq!(shape(&g)[1], (Area::Holding, 0, 11, 4));
        assert_eq!(g[0].blocks[1].points[3], (0, 3, 10));
    }

    #[test]
    fn requests_stay_within_the_protocol_limit() {
        // 300 consecutive f32 = 600 registers: 125-register reads hold 62 f32 each.
        let pts: Vec<_> = (0..300)
            .map(|i| point(&format!("p{i}"), Area::Holding, i * 2, DataType::F32))
            .collect();
        let g = plan(&conn(pts, 0));
        let blocks = &g[0].blocks;
        assert!(blocks.iter().all(|b| b.count <= 125));
        assert_eq!(blocks.len(), 5); // 62 × 4 + 52
        assert_eq!(blocks.iter().map(|b| b.points.len()).sum::<usize>(), 300);
        assert_eq!(blocks[0].count, 124);
        // Bits: 2000 per read.
        let pts: Vec<_> = (0..4500)
            .map(|i| point(&format!("c{i}"), Area::Coil, i, DataType::Bool))
            .collect();
        let counts: Vec<_> = plan(&conn(pts, 0))[0]
            .blocks
            .iter()
            .map(|b| b.count)
            .collect();
        assert_eq!(counts, [2000, 2000, 500]);
    }

    #[test]
    fn poll_intervals_and_units_make_separate_groups() {
        let mut fast = point("fast", Area::Holding, 1, DataType::U16);
        fast.poll_interval_ms = Some(100);
        let mut c = conn(
            vec![point("slow", Area::Holding, 0, DataType::U16), fast],
            0,
        );
        c.devices.push(Device {
            name: "e".into(),
            product: None,
            unit: 2,
            points: vec![point("x", Area::Holding, 0, DataType::U16)],
        });
        let g = plan(&c);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].interval, Duration::from_millis(100));
        assert_eq!(g[1].blocks.len(), 2);
        assert_eq!(
            g[1].blocks.iter().map(|b| b.unit).collect::<Vec<_>>(),
            [1, 2]
        );
    }
}
