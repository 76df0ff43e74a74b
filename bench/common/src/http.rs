//! HTTP requests whose failure says what was being done, with the answer's status and the
//! start of its body.

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// Sends `req` and fails with the status and body when the status is not a success.
pub async fn send_ok(req: reqwest::RequestBuilder, what: &str) -> Result<reqwest::Response> {
    let resp = req
        .send()
        .await
        .with_context(|| format!("{what}: request failed"))?;
    let status = resp.status();
    if !status.is_success() {
        let body = resp.text().await.unwrap_or_default();
        bail!(
            "{what}: HTTP {status}: {}",
            body.chars().take(500).collect::<String>()
        );
    }
    Ok(resp)
}

/// Sends `req` and returns its JSON answer (`null` for an empty one).
pub async fn json_ok(req: reqwest::RequestBuilder, what: &str) -> Result<Value> {
    let body = send_ok(req, what).await?.text().await.unwrap_or_default();
    if body.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&body).with_context(|| format!("{what}: answer is not JSON"))
}
