//! Ironloom's REST API as the harness needs it: the platform administrator creates a
//! tenant and its administrator, who creates the sub-devices' schemaless product
//! (protocol `modbus_tcp`), the gateway's product (protocol `gateway`) and the gateway
//! device; then the gateway's health telemetry and the sub-devices' latest values are
//! read back.

use std::time::Duration;

use anyhow::{Context, Result};
use ironloom_bench_common::http::json_ok;
use ironloom_bench_common::ironloom::Session;
use serde_json::{Value, json};

const TENANT_ADMIN_PASSWORD: &str = "Gateway-bench-admin-1";

#[derive(Debug, Clone)]
pub struct Api {
    session: Session,
}

/// The gateway device as created.
#[derive(Debug, Clone)]
pub struct GatewayDevice {
    pub id: String,
    pub access_token: String,
}

/// One stored point of a property.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub ts_ms: i64,
    pub value: Value,
}

impl Api {
    /// As the platform administrator: creates tenant `code` and its administrator, then
    /// logs in as that administrator.
    pub async fn new_tenant(base: &str, admin_password: &str, code: &str) -> Result<Api> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        let body = json!({"username": "admin", "password": admin_password});
        let admin = Session::login(&http, base, body).await?;
        let tenant = json_ok(
            admin
                .post("/api/v1/tenants")
                .json(&json!({"code": code, "name": "Gateway bench"})),
            "creating the tenant",
        )
        .await?;
        json_ok(
            admin.post("/api/v1/users").json(
                &json!({"username": "gwbench", "password": TENANT_ADMIN_PASSWORD,
                          "role": "tenant_admin", "tenant_id": tenant["id"]}),
            ),
            "creating the tenant administrator",
        )
        .await?;
        let body =
            json!({"username": "gwbench", "password": TENANT_ADMIN_PASSWORD, "tenant": code});
        let session = Session::login(&http, base, body).await?;
        Ok(Api { session })
    }

    /// Creates a product reached over `protocol`; returns its id. An empty thing model
    /// makes it schemaless (any property accepted).
    pub async fn product(&self, key: &str, protocol: &str, thing_model: Value) -> Result<String> {
        let p = json_ok(
            self.session.post("/api/v1/products").json(&json!({
                "name": key, "product_key": key, "protocol": protocol,
                "thing_model": thing_model,
            })),
            "creating a product",
        )
        .await?;
        Ok(p["id"].as_str().context("product id")?.to_string())
    }

    /// Registers a device and reads its access token back.
    pub async fn device(&self, product_id: &str, name: &str) -> Result<GatewayDevice> {
        let d = json_ok(
            self.session
                .post("/api/v1/devices")
                .json(&json!({"name": name, "product_id": product_id})),
            "creating a device",
        )
        .await?;
        let id = d["id"].as_str().context("device id")?.to_string();
        let creds = json_ok(
            self.session
                .get(&format!("/api/v1/devices/{id}/credentials")),
            "reading credentials",
        )
        .await?;
        Ok(GatewayDevice {
            id,
            access_token: creds["access_token"]
                .as_str()
                .context("access token")?
                .to_string(),
        })
    }

    /// The id of the device called `name`, if it exists.
    pub async fn device_id(&self, name: &str) -> Result<Option<String>> {
        let list = json_ok(
            self.session.get(&format!("/api/v1/devices?q={name}")),
            "listing devices",
        )
        .await?;
        Ok(list["items"].as_array().and_then(|items| {
            items
                .iter()
                .find(|d| d["name"] == name)
                .and_then(|d| d["id"].as_str().map(str::to_string))
        }))
    }

    /// Every stored point of `property` of `device` in `[from, to)` (epoch ms), oldest
    /// first, following the pages.
    pub async fn history(
        &self,
        device: &str,
        property: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<Stored>> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut q = vec![
                ("properties", property.to_string()),
                ("from", from.to_string()),
                ("to", to.to_string()),
                ("limit", "10000".to_string()),
            ];
            if let Some(c) = cursor.take() {
                q.push(("cursor", c));
            }
            let page = json_ok(
                self.session
                    .get(&format!("/api/v1/devices/{device}/telemetry"))
                    .query(&q),
                "reading telemetry",
            )
            .await?;
            for p in page["points"].as_array().context("points")? {
                out.push(Stored {
                    ts_ms: p["ts"].as_i64().context("ts")?,
                    value: p["value"].clone(),
                });
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return Ok(out),
            }
        }
    }

    /// The newest stored value of `property` of `device`.
    pub async fn latest(&self, device: &str, property: &str) -> Result<Option<Stored>> {
        let v = json_ok(
            self.session.get(&format!(
                "/api/v1/devices/{device}/telemetry/latest?properties={property}"
            )),
            "reading the latest value",
        )
        .await?;
        Ok(v.as_array().and_then(|a| {
            a.iter()
                .find(|p| p["property"] == property)
                .map(|p| Stored {
                    ts_ms: p["ts"].as_i64().unwrap_or(0),
                    value: p["value"].clone(),
                })
        }))
    }

    /// `GET /api/v1/telemetry/stats`.
    pub async fn stats(&self) -> Result<Value> {
        json_ok(self.session.get("/api/v1/telemetry/stats"), "storage stats").await
    }
}
