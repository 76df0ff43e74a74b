//! Computed points: a value per sub-device calculated at the edge from its other points
//! with an expression (`ironloom_core::expr`), e.g. `power = voltage * current * 1.732 /
//! 1000`.
//!
//! A computed point is evaluated whenever one of its inputs has a new reading, from the
//! latest reading of every input; its timestamp is the newest input's. An input without
//! a value, or with bad quality, makes the result bad with the reason; an uncertain input
//! makes it uncertain. Computed points may use computed points defined before them, and
//! go through their own preprocessing (`pre`) like any point.

use std::collections::HashMap;
use std::sync::Arc;

pub use ironloom_core::driver_table::computed::{Computed, check};
use ironloom_core::expr::{Expr, ExprValue};
use ironloom_core::telemetry::{Quality, Value};
use ironloom_drivers::Sample;
#[cfg(test)]
use ironloom_drivers::preprocess::Preprocess;

#[derive(Debug)]
struct Compiled {
    device: Arc<str>,
    name: Arc<str>,
    expr: Expr,
    inputs: Vec<String>,
}

/// The latest reading of one point.
#[derive(Debug, Clone)]
struct Latest {
    ts_ms: i64,
    value: Option<Value>,
    quality: Quality,
    reason: Option<Arc<str>>,
}

/// The running computed points of a gateway.
#[derive(Debug, Default)]
pub struct Calculator {
    points: Vec<Compiled>,
    latest: HashMap<(Arc<str>, Arc<str>), Latest>,
}

impl Calculator {
    /// From checked definitions (those that do not parse are left out).
    pub fn new(computed: &[Computed]) -> Calculator {
        let points = computed
            .iter()
            .filter_map(|c| {
                let expr = Expr::parse(&c.expr).ok()?;
                let inputs = expr.variables().into_iter().map(|(v, _)| v).collect();
                Some(Compiled {
                    device: c.device.as_str().into(),
                    name: c.name.as_str().into(),
                    expr,
                    inputs,
                })
            })
            .collect();
        Calculator {
            points,
            latest: HashMap::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Takes a batch of readings; appends the computed points they trigger.
    pub fn apply(&mut self, samples: &mut Vec<Sample>) {
        if self.points.is_empty() {
            return;
        }
        let mut touched: Vec<(Arc<str>, Arc<str>)> = Vec::new();
        for s in samples.iter() {
            let key = (s.device.clone(), s.point.clone());
            self.latest.insert(
                key.clone(),
                Latest {
                    ts_ms: s.ts_ms,
                    value: s.value.clone(),
                    quality: s.quality,
                    reason: s.reason.clone(),
                },
            );
            touched.push(key);
        }
        for c in &self.points {
            let triggered = touched
                .iter()
                .any(|(d, p)| *d == c.device && c.inputs.iter().any(|i| **i == **p));
            if !triggered {
                continue;
            }
            let s = self.evaluate(c);
            touched.push((s.device.clone(), s.point.clone()));
            self.latest.insert(
                (s.device.clone(), s.point.clone()),
                Latest {
                    ts_ms: s.ts_ms,
                    value: s.value.clone(),
                    quality: s.quality,
                    reason: s.reason.clone(),
                },
            );
            samples.push(s);
        }
    }

    fn evaluate(&self, c: &Compiled) -> Sample {
        let mut ts = i64::MIN;
        let mut quality = Quality::Good;
        let mut problem: Option<String> = None;
        for i in &c.inputs {
            match self.latest.get(&(c.device.clone(), Arc::from(i.as_str()))) {
                None => {
                    problem.get_or_insert_with(|| format!("input `{i}` has no reading yet"));
                }
                Some(l) => {
                    ts = ts.max(l.ts_ms);
                    match (l.quality, &l.value) {
                        (Quality::Bad, _) | (_, None) => {
                            problem.get_or_insert_with(|| {
                                format!(
                                    "input `{i}` is bad: {}",
                                    l.reason.as_deref().unwrap_or("no value")
                                )
                            });
                        }
                        (Quality::Uncertain, _) => quality = Quality::Uncertain,
                        (Quality::Good, _) => {}
                    }
                }
            }
        }
        if ts == i64::MIN {
            ts = ironloom_drivers::modbus::client::now_ms();
        }
        if let Some(p) = problem {
            return Sample::bad(&c.device, &c.name, ts, p.into());
        }
        let vars = |name: &str| {
            let l = self.latest.get(&(c.device.clone(), Arc::from(name)))?;
            Some(match l.value.as_ref()? {
                Value::F64(f) => ExprValue::Num(*f),
                Value::I64(i) => ExprValue::Num(*i as f64),
                Value::Bool(b) => ExprValue::Bool(*b),
                Value::Str(s) => ExprValue::Str(s.clone()),
            })
        };
        match c.expr.eval(&vars) {
            Ok(v) => {
                let value = match v {
                    ExprValue::Num(n) => Value::F64(n),
                    ExprValue::Bool(b) => Value::Bool(b),
                    ExprValue::Str(s) => Value::Str(s),
                    ExprValue::Null => {
                        return Sample::bad(
                            &c.device,
                            &c.name,
                            ts,
                            "the expression gave null".into(),
                        );
                    }
                };
                let mut s = Sample::good(&c.device, &c.name, ts, value);
                s.quality = quality;
                s
            }
            Err(e) => Sample::bad(&c.device, &c.name, ts, format!("expression {e}").into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comp(name: &str, expr: &str) -> Computed {
        Computed {
            device: "motor".into(),
            name: name.into(),
            expr: expr.into(),
            pre: Preprocess::default(),
        }
    }

    fn sample(point: &str, ts: i64, v: f64) -> Sample {
        Sample::good(&Arc::from("motor"), &Arc::from(point), ts, Value::F64(v))
    }

    #[test]
    fn definitions_are_checked_with_positions() {
        let points: HashMap<String, Vec<String>> = [(
            "motor".to_string(),
            vec!["voltage".to_string(), "current".to_string()],
        )]
        .into();
        let defs = [
            comp("power", "voltage * current * sqrt(3) / 1000"),
            comp("energy_rate", "power * 2"),
            comp("bad", "voltage * speed"),
            comp("broken", "voltage *"),
            comp("current", "1"),
            comp(
                "eta",
                "model(\"pump.hydraulic_power\", \"eta\", 1000, voltage, current, 1)",
            ),
        ];
        let errs = check(&defs, &points);
        let text: Vec<&str> = errs.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(errs.len(), 4, "{text:#?}");
        assert!(
            text[3].contains("the gateway cannot call models"),
            "{}",
            text[3]
        );
        assert!(
            text[0].contains("position 10: `speed` is not a point of `motor`"),
            "{}",
            text[0]
        );
        assert!(
            text[1].contains("at position 9: the expression ends too early"),
            "{}",
            text[1]
        );
        assert!(text[2].contains("already has a point"), "{}", text[2]);
        let mut other = comp("x", "1");
        other.device = "pump".into();
        assert!(check(&[other], &points)[0].1.contains("no device `pump`"));
    }

    #[test]
    fn computed_points_follow_their_inputs() {
        let mut c = Calculator::new(&[
            comp("power", "voltage * current / 1000"),
            comp("double_power", "power * 2"),
        ]);
        let mut batch = vec![sample("voltage", 100, 400.0)];
        c.apply(&mut batch);
        // current has no reading yet: bad, with the reason.
        assert_eq!(batch.len(), 3);
        assert_eq!(batch[1].quality, Quality::Bad);
        assert!(
            batch[1]
                .reason
                .as_deref()
                .unwrap()
                .contains("`current` has no reading")
        );
        let mut batch = vec![sample("current", 200, 30.0)];
        c.apply(&mut batch);
        assert_eq!(batch[1].point.as_ref(), "power");
        assert_eq!(batch[1].value, Some(Value::F64(12.0)));
        assert_eq!(batch[1].ts_ms, 200);
        assert_eq!(batch[2].value, Some(Value::F64(24.0)));
        // An unrelated point triggers nothing; a bad input makes the result bad.
        let mut batch = vec![sample("speed", 300, 1.0)];
        c.apply(&mut batch);
        assert_eq!(batch.len(), 1);
        let mut batch = vec![Sample::bad(
            &Arc::from("motor"),
            &Arc::from("current"),
            400,
            "timeout".into(),
        )];
        c.apply(&mut batch);
        assert!(
            batch[1]
                .reason
                .as_deref()
                .unwrap()
                .contains("`current` is bad: timeout")
        );
        // Division by zero is a bad reading, not a crash.
        let mut c = Calculator::new(&[comp("ratio", "voltage / current")]);
        let mut batch = vec![sample("voltage", 1, 1.0), sample("current", 1, 0.0)];
        c.apply(&mut batch);
        assert!(
            batch[2]
                .reason
                .as_deref()
                .unwrap()
                .contains("division by zero")
        );
    }
}
