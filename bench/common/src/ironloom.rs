//! `ironloom serve` as the harnesses run it: a private data directory and every listener
//! (HTTP, MQTT, CoAP) on port 0, so the server picks free ports and a harness runs beside
//! any other instance (one on the default 8080, 1883 and 5683 included); the addresses it
//! bound are read from its log. Also the REST API's log-ins.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use serde_json::{Value, json};
use tokio::process::Command;

use crate::http::json_ok;
use crate::process::Proc;

/// `ironloom serve` on `data_dir` with HTTP, MQTT and CoAP on free loopback ports, logging
/// at `log_level` (a `tracing` filter such as `warn`) but always the addresses it binds,
/// and with `--demo` (when added) creating the demo tenant without its simulated
/// equipment, whose data would mix with the benchmark's. Add `--demo`, environment
/// settings and the like before starting it with [`IronloomServer::start`].
pub fn serve_command(bin: &Path, data_dir: &Path, log_level: &str) -> Command {
    let mut cmd = Command::new(bin);
    cmd.arg("serve")
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--http", "127.0.0.1:0"])
        .args(["--mqtt", "127.0.0.1:0"])
        .args(["--coap", "127.0.0.1:0"])
        // RUST_LOG wins over `[log] level`; the listeners are logged by `ironloom::serve`.
        .env("RUST_LOG", format!("{log_level},ironloom::serve=info"))
        .env("IRONLOOM_DEMO_EQUIPMENT", "off");
    cmd
}

/// A running `ironloom serve`, killed on drop.
#[derive(Debug)]
pub struct IronloomServer {
    pub proc: Proc,
    /// The HTTP base URL, `http://127.0.0.1:PORT`.
    pub http: String,
    pub mqtt: SocketAddr,
    pub coap: SocketAddr,
}

impl IronloomServer {
    /// Starts `cmd` (made by [`serve_command`]) logging to `log`, and waits until it
    /// listens and its metadata store answers (`/readyz`).
    pub async fn start(name: &str, cmd: Command, log: &Path) -> Result<IronloomServer> {
        let mut proc = Proc::spawn(name, cmd, log)?;
        let wait = Duration::from_secs(120);
        let mut bound = Vec::new();
        for scheme in ["mqtt", "coap", "http"] {
            let marker = format!("listening on {scheme}://");
            let addr = proc.wait_for_word(&marker, wait).await?;
            let addr: SocketAddr = addr
                .parse()
                .with_context(|| format!("{name}'s {scheme} address {addr:?}"))?;
            bound.push(addr);
        }
        let http = format!("http://{}", bound[2]);
        proc.wait_http_ok(&format!("{http}/readyz"), wait).await?;
        Ok(IronloomServer {
            proc,
            http,
            mqtt: bound[0],
            coap: bound[1],
        })
    }
}

/// The password of the tenant administrators [`Session::new_tenant_admin`] makes.
pub const TENANT_ADMIN_PASSWORD: &str = "Bench-ta-pass-1";

/// A user logged in to the REST API: requests to its server with its bearer token.
#[derive(Debug, Clone)]
pub struct Session {
    /// The HTTP base URL.
    pub base: String,
    pub http: reqwest::Client,
    pub token: String,
}

impl Session {
    /// Logs in (`POST /api/v1/auth/login` with `body`: `username`, `password` and, for a
    /// tenant's user, `tenant`).
    pub async fn login(http: &reqwest::Client, base: &str, body: Value) -> Result<Session> {
        let v = json_ok(
            http.post(format!("{base}/api/v1/auth/login")).json(&body),
            "log-in",
        )
        .await?;
        let token = v["token"]
            .as_str()
            .ok_or_else(|| anyhow!("no token in {v}"))?;
        Ok(Session {
            base: base.to_string(),
            http: http.clone(),
            token: token.to_string(),
        })
    }

    /// As the platform administrator: makes tenant `code` (named `name`) and its
    /// administrator `{code}-ta`, and logs that one in.
    pub async fn new_tenant_admin(&self, code: &str, name: &str) -> Result<Session> {
        let tenant = json_ok(
            self.post("/api/v1/tenants")
                .json(&json!({"code": code, "name": name})),
            "create the tenant",
        )
        .await?;
        let user = format!("{code}-ta");
        json_ok(
            self.post("/api/v1/users")
                .json(&json!({"username": user, "password": TENANT_ADMIN_PASSWORD,
                "role": "tenant_admin", "tenant_id": tenant["id"]})),
            "create the tenant's administrator",
        )
        .await?;
        Session::login(
            &self.http,
            &self.base,
            json!({"username": user, "password": TENANT_ADMIN_PASSWORD, "tenant": code}),
        )
        .await
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    pub fn patch(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .patch(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }
}

/// As the platform administrator (`admin`, `admin_password`), lifts the demo tenant's
/// device quota (1000 in the demo).
pub async fn lift_demo_quota(
    http: &reqwest::Client,
    base: &str,
    admin_password: &str,
) -> Result<()> {
    let body = json!({"username": "admin", "password": admin_password});
    let admin = Session::login(http, base, body).await?;
    let tenants = json_ok(
        admin.get("/api/v1/tenants?page_size=500"),
        "listing tenants",
    )
    .await?;
    let demo = tenants["items"]
        .as_array()
        .and_then(|a| a.iter().find(|t| t["code"] == "demo"))
        .and_then(|t| t["id"].as_str())
        .context("the demo tenant")?;
    json_ok(
        admin
            .patch(&format!("/api/v1/tenants/{demo}"))
            .json(&json!({"max_devices": null})),
        "lifting the device quota",
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn serve_listens_on_free_ports_without_demo_equipment() {
        let cmd = serve_command(Path::new("ironloom"), Path::new("/d"), "warn");
        let args: Vec<String> = cmd
            .as_std()
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        for flag in ["--http", "--mqtt", "--coap"] {
            let i = args.iter().position(|a| a == flag).unwrap();
            assert_eq!(args[i + 1], "127.0.0.1:0", "{flag}");
        }
        let equipment = cmd
            .as_std()
            .get_envs()
            .find(|(k, _)| *k == "IRONLOOM_DEMO_EQUIPMENT");
        assert_eq!(
            equipment,
            Some(("IRONLOOM_DEMO_EQUIPMENT".as_ref(), Some("off".as_ref())))
        );
    }
}
