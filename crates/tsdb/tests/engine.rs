#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The engine end to end: writes, reads, aggregates against a brute-force model, last write
//! wins across memtable/segments/compaction, recovery, retention, tenancy, bad input,
//! damaged files.

use ironloom_core::ids::{DeviceId, ProductId, TenantId};
use ironloom_core::telemetry::*;
use ironloom_testkit::Rng;
use ironloom_tsdb::engine::now_micros;
use ironloom_tsdb::{Engine, FsyncPolicy, Options};
use std::collections::BTreeMap;
use std::time::Duration;

const MIN: i64 = 60_000_000;

fn opts() -> Options {
    Options {
        fsync: FsyncPolicy::Never,
        background: false,
        ..Options::default()
    }
}

fn pt(property: &str, ts: i64, value: Value) -> PointIn {
    PointIn {
        property: property.into(),
        ts,
        value,
        quality: Quality::Good,
    }
}

fn batch(device: DeviceId, points: Vec<PointIn>) -> Vec<DeviceBatch> {
    vec![DeviceBatch {
        device,
        product: None,
        points,
    }]
}

fn all(e: &Engine, t: TenantId, d: DeviceId, p: &str) -> Vec<(i64, Value)> {
    let page = e
        .history(
            t,
            &HistoryQuery {
                selection: Selection {
                    devices: vec![d],
                    properties: vec![p.into()],
                },
                from: i64::MIN / 2,
                to: i64::MAX / 2,
                order: Order::Asc,
                limit: 10_000,
                cursor: None,
            },
        )
        .unwrap();
    page.points.into_iter().map(|p| (p.ts, p.value)).collect()
}

#[test]
fn last_write_wins_across_memtable_flush_and_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let e = Engine::open(dir.path(), opts()).unwrap();
    let (t, d) = (TenantId::new(), DeviceId::new());
    // Noon yesterday: the 400 s of points stay inside one day's partition whenever the
    // test runs (an hour before now split them across midnight when run just after it).
    let day = 24 * 60 * MIN;
    let base = now_micros() / day * day - 12 * 60 * MIN;
    let mut model: BTreeMap<i64, f64> = BTreeMap::new();
    let mut rng = Rng::new(7);
    for round in 0..6 {
        let mut pts = Vec::new();
        for _ in 0..300 {
            let ts = base + rng.below(400) as i64 * 1_000_000;
            let v = (rng.below(10_000) as f64) / 100.0;
            model.insert(ts, v);
            pts.push(pt("temp", ts, Value::F64(v)));
        }
        e.write_blocking(t, batch(d, pts)).unwrap();
        if round % 2 == 1 {
            e.flush().unwrap();
        }
        if round == 3 {
            e.compact_all().unwrap();
        }
        let got = all(&e, t, d, "temp");
        let want: Vec<(i64, Value)> = model.iter().map(|(t, v)| (*t, Value::F64(*v))).collect();
        assert_eq!(got, want, "round {round}");
    }
    e.compact_all().unwrap();
    assert_eq!(e.version().all_segments().count(), 1);
    let got = all(&e, t, d, "temp");
    assert_eq!(got.len(), model.len());
    e.close().unwrap();
    // And after reopening.
    let e = Engine::open(dir.path(), opts()).unwrap();
    let got = all(&e, t, d, "temp");
    let want: Vec<(i64, Value)> = model.iter().map(|(t, v)| (*t, Value::F64(*v))).collect();
    assert_eq!(got, want);
}

#[test]
fn acknowledged_points_survive_without_close() {
    let dir = tempfile::tempdir().unwrap();
    let (t, d) = (TenantId::new(), DeviceId::new());
    let base = now_micros() - 3600 * 1_000_000;
    {
        let e = Engine::open(
            dir.path(),
            Options {
                fsync: FsyncPolicy::Always,
                ..opts()
            },
        )
        .unwrap();
        for i in 0..50 {
            e.write_blocking(t, batch(d, vec![pt("n", base + i, Value::I64(i))]))
                .unwrap();
            if i == 20 {
                e.flush().unwrap();
            }
        }
        // Dropped without close: the memtable is lost, the log is not.
    }
    let e = Engine::open(dir.path(), opts()).unwrap();
    let got = all(&e, t, d, "n");
    assert_eq!(got.len(), 50);
    assert_eq!(got[49], (base + 49, Value::I64(49)));
    let latest = e.latest(
        t,
        &Selection {
            devices: vec![d],
            properties: vec![],
        },
    );
    assert_eq!(latest[0].value, Value::I64(49));
}

#[test]
fn aggregates_match_a_brute_force_model() {
    let dir = tempfile::tempdir().unwrap();
    let e = Engine::open(
        dir.path(),
        Options {
            chunk_points: 50,
            ..opts()
        },
    )
    .unwrap();
    let t = TenantId::new();
    let devices: Vec<DeviceId> = (0..3).map(|_| DeviceId::new()).collect();
    let base = now_micros() / (60 * MIN) * (60 * MIN) - 5 * 60 * MIN;
    let mut rng = Rng::new(42);
    let mut model: BTreeMap<(usize, i64), f64> = BTreeMap::new();
    for round in 0..5 {
        for (k, d) in devices.iter().enumerate() {
            let mut pts = Vec::new();
            for _ in 0..400 {
                let ts = base + rng.below(300 * 60) as i64 * 1_000_000;
                let v = rng.below(1000) as f64 / 10.0 - 30.0;
                model.insert((k, ts), v);
                pts.push(pt("x", ts, Value::F64(v)));
            }
            e.write_blocking(t, batch(*d, pts)).unwrap();
        }
        if round < 4 {
            e.flush().unwrap();
        }
        if round == 2 {
            e.compact_all().unwrap();
        }
    }
    let window = 7 * MIN;
    let (from, to) = (base + 13 * MIN, base + 250 * MIN);
    let aggs = [
        "min", "max", "avg", "sum", "count", "first", "last", "stddev", "p90",
    ]
    .map(|a| Aggregation::parse(a).unwrap())
    .to_vec();
    let res = e
        .aggregate(
            t,
            &AggregateQuery {
                selection: Selection {
                    devices: devices.clone(),
                    properties: vec![],
                },
                from,
                to,
                window,
                aggregations: aggs.clone(),
            },
        )
        .unwrap();
    assert_eq!(res.len(), 3);
    check_windows(&res, &model, from, to, window);
    // The 90th percentile, last in the list.
    for (k, series) in res.iter().enumerate() {
        let mut windows: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
        for ((dk, ts), v) in &model {
            if *dk == k && *ts >= from && *ts < to {
                windows
                    .entry(ts.div_euclid(window) * window)
                    .or_default()
                    .push(*v);
            }
        }
        for (w, (_, mut vals)) in series.windows.iter().zip(windows) {
            vals.sort_by(f64::total_cmp);
            let p90 = vals[((0.9 * vals.len() as f64).ceil() as usize).clamp(1, vals.len()) - 1];
            assert_eq!(w.values[8].as_ref().unwrap().as_f64().unwrap(), p90);
        }
    }
}

/// Checks min, max, avg, sum, count, first, last and stddev windows against the model.
fn check_windows(
    res: &[AggregateSeries],
    model: &BTreeMap<(usize, i64), f64>,
    from: i64,
    to: i64,
    window: i64,
) {
    for (k, series) in res.iter().enumerate() {
        let mut windows: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
        for ((dk, ts), v) in model {
            if *dk == k && *ts >= from && *ts < to {
                windows
                    .entry(ts.div_euclid(window) * window)
                    .or_default()
                    .push(*v);
            }
        }
        assert_eq!(series.windows.len(), windows.len());
        for (w, (start, vals)) in series.windows.iter().zip(windows) {
            assert_eq!(w.ts, start);
            let n = vals.len() as f64;
            let mean = vals.iter().sum::<f64>() / n;
            let sd = (vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
            let num = |v: &Option<Value>| v.as_ref().unwrap().as_f64().unwrap();
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + b.abs());
            let min = vals.iter().copied().fold(f64::INFINITY, f64::min);
            let max = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(num(&w.values[0]), min);
            assert_eq!(num(&w.values[1]), max);
            assert!(close(num(&w.values[2]), mean));
            assert!(close(num(&w.values[3]), vals.iter().sum()));
            assert_eq!(w.values[4], Some(Value::I64(vals.len() as i64)));
            assert_eq!(num(&w.values[5]), vals[0]);
            assert_eq!(num(&w.values[6]), *vals.last().unwrap());
            assert!(
                close(num(&w.values[7]), sd),
                "{} vs {sd}",
                num(&w.values[7])
            );
        }
    }
}

#[test]
fn rollups_answer_long_ranges_like_the_points() {
    let dir = tempfile::tempdir().unwrap();
    let e = Engine::open(
        dir.path(),
        Options {
            chunk_points: 500,
            ..opts()
        },
    )
    .unwrap();
    let t = TenantId::new();
    // A float series and an integer series, one point per second for 6 hours, written in
    // two flushes and then overwritten in places by a third.
    let devices: Vec<DeviceId> = (0..2).map(|_| DeviceId::new()).collect();
    let base = now_micros() / (60 * MIN) * (60 * MIN) - 8 * 60 * MIN;
    let mut rng = Rng::new(7);
    let mut model: BTreeMap<(usize, i64), f64> = BTreeMap::new();
    let value = |k: usize, rng: &mut Rng| -> Value {
        if k == 0 {
            Value::F64(rng.below(10_000) as f64 / 100.0 - 20.0)
        } else {
            Value::I64(rng.below(5000) as i64 - 100)
        }
    };
    for half in 0..2 {
        for (k, d) in devices.iter().enumerate() {
            let pts: Vec<PointIn> = (half * 3 * 3600..(half + 1) * 3 * 3600)
                .map(|s| {
                    let ts = base + s * 1_000_000;
                    let v = value(k, &mut rng);
                    model.insert((k, ts), v.as_f64().unwrap());
                    pt("x", ts, v)
                })
                .collect();
            e.write_blocking(t, batch(*d, pts)).unwrap();
        }
        e.flush().unwrap();
    }
    let aggs: Vec<Aggregation> = [
        "min", "max", "avg", "sum", "count", "first", "last", "stddev",
    ]
    .map(|a| Aggregation::parse(a).unwrap())
    .to_vec();
    let query = |from: i64, to: i64, window: i64| AggregateQuery {
        selection: Selection {
            devices: devices.clone(),
            properties: vec![],
        },
        from,
        to,
        window,
        aggregations: aggs.clone(),
    };
    let read = || {
        e.counters()
            .rollup_windows_read
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    // Ranges cut through rollup windows at both ends; windows of 1 h (hour rollups) and
    // 5 min (minute rollups); two segments, then one after compaction.
    let cases = [
        (
            base + 17 * MIN + 3_000_000,
            base + 5 * 60 * MIN + 41 * MIN,
            60 * MIN,
        ),
        (
            base + 7 * MIN + 500_000,
            base + 4 * 60 * MIN + 2 * MIN + 1,
            5 * MIN,
        ),
        (base, base + 6 * 60 * MIN, 120 * MIN),
    ];
    for round in 0..2 {
        for &(from, to, window) in &cases {
            let before = read();
            let res = e.aggregate(t, &query(from, to, window)).unwrap();
            assert!(read() > before, "rollups not used for window {window}");
            check_windows(&res, &model, from, to, window);
        }
        if round == 0 {
            e.compact_all().unwrap();
        }
    }
    // Points rewritten in a newer segment and still in memory overlap the rollups: the
    // answers must include them (last write wins) whatever is read.
    for (k, d) in devices.iter().enumerate() {
        let pts: Vec<PointIn> = (0..200)
            .map(|_| {
                let ts = base + rng.below(6 * 3600) as i64 * 1_000_000;
                let v = value(k, &mut rng);
                model.insert((k, ts), v.as_f64().unwrap());
                pt("x", ts, v)
            })
            .collect();
        e.write_blocking(t, batch(*d, pts)).unwrap();
    }
    for flushed in [false, true] {
        for &(from, to, window) in &cases {
            let res = e.aggregate(t, &query(from, to, window)).unwrap();
            check_windows(&res, &model, from, to, window);
        }
        if !flushed {
            e.flush().unwrap();
        }
    }
    // An hour's windows of points a minute apart are too sparse for a minute rollup,
    // and a percentile needs the points: neither reads rollups.
    let before = read();
    let mut q = query(base, base + 6 * 60 * MIN, 60 * MIN);
    q.aggregations = vec![Aggregation::parse("p50").unwrap()];
    e.aggregate(t, &q).unwrap();
    assert_eq!(read(), before);
}

#[test]
fn history_pages_cover_everything_once_in_both_orders() {
    let dir = tempfile::tempdir().unwrap();
    // Small chunks, so a page spans many chunks and several segments.
    let e = Engine::open(
        dir.path(),
        Options {
            chunk_points: 16,
            ..opts()
        },
    )
    .unwrap();
    let t = TenantId::new();
    let devices: Vec<DeviceId> = (0..3).map(|_| DeviceId::new()).collect();
    let base = now_micros() - 3600 * 1_000_000;
    for (k, d) in devices.iter().enumerate() {
        let pts = (0..200)
            .flat_map(|i| {
                [
                    pt("a", base + i * 1000 * (k as i64 + 1), Value::I64(i)),
                    pt("b", base + i * 1000, Value::Bool(i % 2 == 0)),
                ]
            })
            .collect();
        e.write_blocking(t, batch(*d, pts)).unwrap();
        if k == 1 {
            e.flush().unwrap();
        }
    }
    // Every third point of device 0's "a" rewritten: some in a newer segment, some still
    // in memory. Pages must show each point once, with its newest value.
    let rewrite = |from: i64, to: i64| -> Vec<PointIn> {
        (from..to)
            .filter(|i| i % 3 == 0)
            .map(|i| pt("a", base + i * 1000, Value::I64(i + 10_000)))
            .collect()
    };
    e.write_blocking(t, batch(devices[0], rewrite(0, 120)))
        .unwrap();
    e.flush().unwrap();
    e.write_blocking(t, batch(devices[0], rewrite(100, 200)))
        .unwrap();
    for order in [Order::Asc, Order::Desc] {
        let mut cursor = None;
        let mut seen = Vec::new();
        let mut newest = Vec::new();
        loop {
            let q = HistoryQuery {
                selection: Selection {
                    devices: devices.clone(),
                    properties: vec![],
                },
                from: base,
                to: base + 3600 * 1_000_000,
                order,
                limit: 77,
                cursor: cursor.clone(),
            };
            let page = e.history(t, &q).unwrap();
            assert!(page.points.len() <= 77);
            // The same page by series.
            assert_eq!(
                e.history_columns(t, &q).unwrap(),
                ironloom_core::telemetry::HistoryColumns::from_page(page.clone())
            );
            newest.extend(
                page.points
                    .iter()
                    .filter(|p| p.device == devices[0] && p.property == "a")
                    .map(|p| (p.ts, p.value.clone())),
            );
            seen.extend(
                page.points
                    .iter()
                    .map(|p| (p.ts, p.device, p.property.clone())),
            );
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen.len(), 3 * 400);
        newest.sort_by_key(|(ts, _)| *ts);
        let expected: Vec<(i64, Value)> = (0..200)
            .map(|i| {
                let v = if i % 3 == 0 { i + 10_000 } else { i };
                (base + i * 1000, Value::I64(v))
            })
            .collect();
        assert_eq!(newest, expected, "{order:?}");
        let mut sorted = seen.clone();
        sorted.sort();
        if order == Order::Desc {
            sorted.reverse();
        }
        assert_eq!(seen, sorted);
        sorted.dedup();
        assert_eq!(sorted.len(), 1200);
    }
    let bad = e.history(
        t,
        &HistoryQuery {
            selection: Selection::default(),
            from: 0,
            to: 1,
            order: Order::Asc,
            limit: 1,
            cursor: Some("zz".into()),
        },
    );
    assert!(bad.is_err());
}

#[test]
fn bad_points_are_refused_one_by_one() {
    let dir = tempfile::tempdir().unwrap();
    let e = Engine::open(
        dir.path(),
        Options {
            max_string_bytes: 100,
            ..opts()
        },
    )
    .unwrap();
    let (t, d) = (TenantId::new(), DeviceId::new());
    let now = now_micros();
    let out = e
        .write_blocking(
            t,
            batch(
                d,
                vec![
                    pt("f", now, Value::F64(1.5)),
                    pt("f", now + 1, Value::F64(f64::NAN)),
                    pt("f", now + 2, Value::F64(f64::INFINITY)),
                    pt("f", now + 3, Value::I64(7)), // stored as 7.0
                    pt("f", now + 4, Value::Str("x".into())),
                    pt("f", 0, Value::F64(1.0)),
                    pt("f", now + 10 * 86_400_000_000, Value::F64(1.0)),
                    pt("s", now, Value::Str("y".repeat(101))),
                    pt("s", now, Value::Str("y".repeat(100))),
                    pt("", now, Value::Bool(true)),
                    pt("bad\nname", now, Value::Bool(true)),
                ],
            ),
        )
        .unwrap();
    assert_eq!(out.accepted, 3);
    let codes: Vec<(usize, &str)> = out
        .rejected
        .iter()
        .map(|r| (r.index, r.reason.code()))
        .collect();
    assert_eq!(
        codes,
        [
            (1, "not_finite"),
            (2, "not_finite"),
            (5, "timestamp_out_of_window"),
            (6, "timestamp_out_of_window"),
            (7, "string_too_long"),
            (9, "invalid_property"),
            (10, "invalid_property"),
            (4, "type_mismatch"),
        ]
    );
    assert_eq!(
        all(&e, t, d, "f"),
        vec![(now, Value::F64(1.5)), (now + 3, Value::F64(7.0))]
    );
    // A later batch of the wrong type for an existing series.
    let out = e
        .write_blocking(
            t,
            batch(
                d,
                vec![pt("s", now + 5, Value::I64(1)), pt("g", now, Value::I64(1))],
            ),
        )
        .unwrap();
    assert_eq!(out.accepted, 1);
    assert!(matches!(
        out.rejected[0].reason,
        PointRejection::TypeMismatch {
            expected: ValueType::Str,
            got: ValueType::I64
        }
    ));
    assert_eq!(
        e.counters()
            .points_rejected
            .load(std::sync::atomic::Ordering::Relaxed),
        9
    );
    // An integer first, into an existing float series, then a float: both stored as
    // floats, in order (the batch's column is rebuilt with the series' type).
    let out = e
        .write_blocking(
            t,
            batch(
                d,
                vec![
                    pt("f", now + 20, Value::I64(2)),
                    pt("f", now + 21, Value::F64(2.5)),
                ],
            ),
        )
        .unwrap();
    assert_eq!((out.accepted, out.rejected.len()), (2, 0));
    // A new series takes the type of its first point; other types in the same batch are
    // refused with their own index, whatever comes between them.
    let out = e
        .write_blocking(
            t,
            batch(
                d,
                vec![
                    pt("n", now, Value::I64(1)),
                    pt("m", now, Value::Bool(true)),
                    pt("n", now + 1, Value::F64(1.5)),
                    pt("n", now + 2, Value::Str("x".into())),
                    pt("n", now + 3, Value::I64(4)),
                ],
            ),
        )
        .unwrap();
    assert_eq!(out.accepted, 3);
    let codes: Vec<(usize, &str)> = out
        .rejected
        .iter()
        .map(|r| (r.index, r.reason.code()))
        .collect();
    assert_eq!(codes, [(2, "type_mismatch"), (3, "type_mismatch")]);
    assert_eq!(
        all(&e, t, d, "n"),
        vec![(now, Value::I64(1)), (now + 3, Value::I64(4))]
    );
    assert_eq!(
        all(&e, t, d, "f")[2..],
        [(now + 20, Value::F64(2.0)), (now + 21, Value::F64(2.5))]
    );
}

#[test]
fn tenants_never_see_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let e = Engine::open(dir.path(), opts()).unwrap();
    let (a, b, d) = (TenantId::new(), TenantId::new(), DeviceId::new());
    let now = now_micros();
    e.write_blocking(a, batch(d, vec![pt("p", now, Value::I64(1))]))
        .unwrap();
    e.write_blocking(b, batch(d, vec![pt("p", now, Value::Str("b".into()))]))
        .unwrap();
    e.flush().unwrap();
    assert_eq!(all(&e, a, d, "p"), vec![(now, Value::I64(1))]);
    assert_eq!(all(&e, b, d, "p"), vec![(now, Value::Str("b".into()))]);
    let c = TenantId::new();
    assert!(all(&e, c, d, "p").is_empty());
    assert!(e.latest(c, &Selection::default()).is_empty());
    assert_eq!(e.stats(a).series, 1);
    assert_eq!(e.stats(c).series, 0);
    assert_eq!(e.stats(c).bytes, 0);
    // Files are per tenant.
    let dirs: Vec<String> = std::fs::read_dir(dir.path().join("segments"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(dirs.len(), 2);
}

#[test]
fn stats_count_data_still_in_the_write_ahead_log_as_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let e = Engine::open(dir.path(), opts()).unwrap();
    let (a, b, d) = (TenantId::new(), TenantId::new(), DeviceId::new());
    let now = now_micros();
    let points = |n: i64| {
        (0..n)
            .map(|i| pt("p", now + i, Value::F64(i as f64)))
            .collect()
    };
    e.write_blocking(a, batch(d, points(300))).unwrap();
    e.write_blocking(b, batch(d, points(100))).unwrap();
    e.sync().unwrap();
    // Before any flush there are no segments, yet the data is on disk in the log, which
    // the tenants share by their points (3 : 1).
    let (sa, sb) = (e.stats(a), e.stats(b));
    assert_eq!(
        (sa.bytes, sa.unflushed_points, sb.unflushed_points),
        (0, 300, 100)
    );
    assert!(sa.wal_bytes > 0 && sb.wal_bytes > 0, "{sa:?} {sb:?}");
    let ratio = sa.wal_bytes as f64 / sb.wal_bytes as f64;
    assert!((2.9..3.1).contains(&ratio), "{sa:?} {sb:?}");
    assert_eq!(e.stats(TenantId::new()).wal_bytes, 0);
    // Many tenants at once, in one pass, count the same (a tenant without data: zeros).
    let none = TenantId::new();
    assert_eq!(
        e.stats_many(&[b, none, a]),
        vec![sb.clone(), e.stats(none), sa.clone()]
    );
    // Flushed, the data is in segments and the log holds nothing of it.
    e.flush().unwrap();
    let sa = e.stats(a);
    assert!(
        sa.bytes > 0 && sa.unflushed_points == 0 && sa.wal_bytes == 0,
        "{sa:?}"
    );
    assert_eq!(e.stats_many(&[a, b]), vec![sa, e.stats(b)]);
}

#[test]
fn retention_drops_whole_partitions_per_tenant_and_product() {
    let dir = tempfile::tempdir().unwrap();
    let e = Engine::open(
        dir.path(),
        Options {
            partition: 3600 * 1_000_000,
            ..opts()
        },
    )
    .unwrap();
    let (t, other, d) = (TenantId::new(), TenantId::new(), DeviceId::new());
    let (p_short, d2) = (ProductId::new(), DeviceId::new());
    let hour = 3600 * 1_000_000i64;
    let now = now_micros() / hour * hour;
    for h in 0..48 {
        let ts = now - h * hour + 1;
        e.write_blocking(t, batch(d, vec![pt("v", ts, Value::I64(h))]))
            .unwrap();
        e.write_blocking(other, batch(d, vec![pt("v", ts, Value::I64(h))]))
            .unwrap();
        e.write_blocking(
            t,
            vec![DeviceBatch {
                device: d2,
                product: Some(p_short),
                points: vec![pt("v", ts, Value::I64(h))],
            }],
        )
        .unwrap();
    }
    e.flush().unwrap();
    e.set_retention(&RetentionPolicy {
        tenant: t,
        product: None,
        keep: Some(Duration::from_secs(24 * 3600)),
    })
    .unwrap();
    e.set_retention(&RetentionPolicy {
        tenant: t,
        product: Some(p_short),
        keep: Some(Duration::from_secs(6 * 3600)),
    })
    .unwrap();
    let kept = all(&e, t, d, "v").len();
    assert!((24..=25).contains(&kept), "{kept}");
    let kept = all(&e, t, d2, "v").len();
    assert!((6..=7).contains(&kept), "{kept}");
    assert_eq!(all(&e, other, d, "v").len(), 48);
    assert_eq!(e.retention(t).unwrap().len(), 2);
    assert!(e.retention(other).unwrap().is_empty());
    // Removing the policy keeps what is left.
    e.set_retention(&RetentionPolicy {
        tenant: t,
        product: None,
        keep: None,
    })
    .unwrap();
    assert_eq!(e.retention(t).unwrap().len(), 1);
}

#[test]
fn a_damaged_segment_is_named_and_the_rest_stays_usable() {
    let dir = tempfile::tempdir().unwrap();
    let (t, d1, d2) = (TenantId::new(), DeviceId::new(), DeviceId::new());
    let p2 = ProductId::new();
    let now = now_micros();
    {
        let e = Engine::open(dir.path(), opts()).unwrap();
        e.write_blocking(t, batch(d1, vec![pt("v", now, Value::I64(1))]))
            .unwrap();
        e.write_blocking(
            t,
            vec![DeviceBatch {
                device: d2,
                product: Some(p2),
                points: vec![pt("v", now, Value::I64(2))],
            }],
        )
        .unwrap();
        e.close().unwrap();
    }
    let victim = std::fs::read_dir(
        dir.path()
            .join("segments")
            .join(t.to_string())
            .join(p2.to_string()),
    )
    .unwrap()
    .next()
    .unwrap()
    .unwrap()
    .path();
    let len = std::fs::metadata(&victim).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&victim)
        .unwrap()
        .set_len(len - 5)
        .unwrap();
    let e = Engine::open(dir.path(), opts()).unwrap();
    let damaged = e.damaged();
    assert_eq!(damaged.len(), 1);
    assert_eq!(damaged[0].0, victim);
    assert_eq!(all(&e, t, d1, "v"), vec![(now, Value::I64(1))]);
    assert!(all(&e, t, d2, "v").is_empty());
    // Writes go on.
    e.write_blocking(t, batch(d1, vec![pt("v", now + 1, Value::I64(3))]))
        .unwrap();
    assert_eq!(all(&e, t, d1, "v").len(), 2);
}

#[test]
fn a_second_process_cannot_open_the_same_directory() {
    let dir = tempfile::tempdir().unwrap();
    let _e = Engine::open(dir.path(), opts()).unwrap();
    let err = Engine::open(dir.path(), opts()).unwrap_err();
    assert!(err.to_string().contains("in use"), "{err}");
}

#[test]
fn a_write_that_would_wait_for_room_is_handed_back_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let t = TenantId::new();
    let d = DeviceId::new();
    let now = now_micros();
    {
        // With room: written in place, as `write` would.
        let e = Engine::open(dir.path(), opts()).unwrap();
        let (outcome, pending) = e
            .try_write(t, batch(d, vec![pt("x", now, Value::F64(1.0))]))
            .expect("the engine has room")
            .unwrap();
        pending.wait().unwrap();
        assert_eq!(outcome.accepted, 1);
        assert_eq!(all(&e, t, d, "x"), vec![(now, Value::F64(1.0))]);
    }
    // A log backlog at its limit: nothing is written, the batches come back as they were
    // (for a caller that may wait), and `write` still waits and then writes them.
    let e = Engine::open(
        dir.path(),
        Options {
            wal_backlog_bytes: 0,
            write_stall_timeout: Duration::from_millis(50),
            ..opts()
        },
    )
    .unwrap();
    let back = e
        .try_write(t, batch(d, vec![pt("x", now + 1, Value::F64(2.0))]))
        .expect_err("no room: handed back");
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].device, d);
    assert_eq!(back[0].points, vec![pt("x", now + 1, Value::F64(2.0))]);
    assert_eq!(all(&e, t, d, "x"), vec![(now, Value::F64(1.0))]);
    assert!(
        e.write(t, back).is_err(),
        "still no room after the stall timeout"
    );
}
