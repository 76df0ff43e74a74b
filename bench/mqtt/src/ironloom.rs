//! Ironloom's REST API as the harness needs it: log in, lift the demo tenant's device
//! quota, create a product whose thing model declares `v0` … `v9`, bulk-import the devices
//! with access tokens chosen here (so the generator knows every device's MQTT user name
//! without reading them back), and count what was stored.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use ironloom_bench_common::http::json_ok;
use ironloom_bench_common::ironloom::{Session, lift_demo_quota};
use serde_json::{Value, json};

use crate::load::VALUES;

/// Most rows one `POST /api/v1/devices/import` takes (`[api] import_max_rows`).
pub const IMPORT_ROWS: usize = 10_000;

#[derive(Debug, Clone)]
pub struct Api {
    session: Session,
}

/// How long the devices took to create.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DevicesCreated {
    pub devices: usize,
    pub requests: usize,
    pub seconds: f64,
    /// Device id per bench device index.
    #[serde(skip)]
    pub ids: Vec<String>,
}

/// The MQTT user name (access token) of bench device `i` of run `run`.
pub fn token(run: &str, i: usize) -> String {
    format!("{run}-tok-{i:06}")
}

impl Api {
    /// Logs in as the demo tenant's administrator and lifts the tenant's device quota
    /// (1000 in the demo) as the platform administrator.
    pub async fn connect(base: &str, password: &str) -> Result<Api> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(600))
            .build()?;
        lift_demo_quota(&http, base, password).await?;
        let demo = json!({"username": "demo", "password": password, "tenant": "demo"});
        let session = Session::login(&http, base, demo).await?;
        Ok(Api { session })
    }

    /// POSTs JSON; the answer's JSON, or an error with the status and body.
    pub async fn post_json(&self, path: &str, body: &Value) -> Result<Value> {
        json_ok(self.session.post(path).json(body), path).await
    }

    pub async fn get_json(&self, path: &str) -> Result<Value> {
        json_ok(self.session.get(path), path).await
    }

    /// The tenant administrator's bearer token.
    pub fn token(&self) -> &str {
        &self.session.token
    }

    /// Creates the product and `n` devices with tokens `token(run, 0..n)`, in requests of
    /// at most [`IMPORT_ROWS`] rows.
    pub async fn create_devices(&self, run: &str, n: usize) -> Result<DevicesCreated> {
        let mut ids = vec![String::new(); n];
        let properties: Vec<Value> = (0..VALUES)
            .map(|k| json!({"identifier": format!("v{k}"), "name": format!("value {k}"), "data_type": {"type": "float"}}))
            .collect();
        let product = json_ok(
            self.session.post("/api/v1/products").json(&json!({
                "name": format!("mqtt bench meter {run}"),
                "category": "operating",
                "industry": "C",
                "thing_model": {"properties": properties},
            })),
            "creating the product",
        )
        .await?;
        let product = product["id"].as_str().context("product id")?.to_string();
        let started = Instant::now();
        let mut requests = 0;
        let mut start = 0;
        while start < n {
            let end = (start + IMPORT_ROWS).min(n);
            let mut csv = String::from("name,product,access_token\n");
            for i in start..end {
                let _ = writeln!(csv, "{run}-dev-{i:06},{product},{}", token(run, i));
            }
            let t = Instant::now();
            let r = json_ok(
                self.session
                    .post("/api/v1/devices/import?mode=atomic")
                    .header("content-type", "text/csv")
                    .body(csv),
                "importing devices",
            )
            .await?;
            requests += 1;
            let imported = r["imported"].as_u64().unwrap_or(0) as usize;
            if imported != end - start {
                bail!("imported {imported} of {} devices: {r}", end - start);
            }
            for d in r["devices"].as_array().context("imported devices")? {
                let (Some(name), Some(id)) = (d["name"].as_str(), d["id"].as_str()) else {
                    bail!("imported device without name or id: {d}");
                };
                let i: usize = name
                    .rsplit('-')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .with_context(|| format!("device name {name}"))?;
                if let Some(slot) = ids.get_mut(i) {
                    *slot = id.to_string();
                }
            }
            eprintln!(
                "  imported devices {start}..{end} in {:.1} s",
                t.elapsed().as_secs_f64()
            );
            start = end;
        }
        if let Some(i) = ids.iter().position(String::is_empty) {
            bail!("no id for device {i} in the import reports");
        }
        Ok(DevicesCreated {
            devices: n,
            requests,
            seconds: started.elapsed().as_secs_f64(),
            ids,
        })
    }

    /// Stored points of `v0` … `v9` of `devices` (ids) from a day ago to two days ahead
    /// (device clocks may run ahead), counted by the engine (`POST
    /// /api/v1/telemetry/aggregate`, `count` per series and day). Returns the points and
    /// the series.
    pub async fn count_points(&self, devices: &[String]) -> Result<(u64, usize)> {
        let properties: Vec<String> = (0..VALUES).map(|k| format!("v{k}")).collect();
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let (from_ms, to_ms) = (now_ms - 86_400_000, now_ms + 2 * 86_400_000);
        let v = json_ok(
            self.session
                .post("/api/v1/telemetry/aggregate")
                .json(&json!({
                    "devices": devices,
                    "properties": properties,
                    "from": from_ms.to_string(),
                    "to": to_ms.to_string(),
                    "interval": "1d",
                    "aggregations": ["count"],
                })),
            "counting stored points",
        )
        .await?;
        let series = v["series"].as_array().context("series")?;
        let mut points = 0u64;
        for s in series {
            for w in s["windows"].as_array().context("windows")? {
                points += w["values"][0].as_u64().unwrap_or(0);
            }
        }
        Ok((points, series.len()))
    }

    /// `GET /api/v1/telemetry/stats` (points of every series of the tenant, including the
    /// devices' `$events` log entries, before compaction removes overwritten duplicates).
    pub async fn stats(&self) -> Result<Value> {
        json_ok(self.session.get("/api/v1/telemetry/stats"), "storage stats").await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_valid_identifiers() {
        let t = token("r1a2", 42);
        assert_eq!(t, "r1a2-tok-000042");
        assert!(t.chars().next().is_some_and(|c| c.is_ascii_alphanumeric()));
        assert!(
            t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.:@".contains(c))
        );
    }
}
