//! ThingsBoard device-API payloads shared by the MQTT, HTTP and CoAP transports:
//! attribute requests and updates, RPC requests and answers, client-side RPC.

use ironloom_core::command::{
    Command, CommandKind, CommandResult, CommandStatus, SET_PROPERTIES_METHOD,
};
use ironloom_core::entity::JsonMap;
use serde_json::{Value as Json, json};

/// Keys asked for in an attribute request: `clientKeys` / `sharedKeys` as comma-separated
/// text (ThingsBoard) or arrays. `None` for a scope means all of it; when neither is given,
/// both scopes are sent in full.
pub fn attribute_keys(v: &Json) -> (Option<Vec<String>>, Option<Vec<String>>) {
    let keys = |name: &str| -> Option<Vec<String>> {
        match v.get(name)? {
            Json::String(s) => Some(
                s.split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
            Json::Array(a) => Some(
                a.iter()
                    .filter_map(|k| k.as_str().map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        }
    };
    let (client, shared) = (keys("clientKeys"), keys("sharedKeys"));
    match (client, shared) {
        (None, None) => (None, None),
        (c, s) => (Some(c.unwrap_or_default()), Some(s.unwrap_or_default())),
    }
}

/// The answer to an attribute request.
pub fn attribute_response(client: Json, shared: Json) -> Json {
    json!({"client": client, "shared": shared})
}

/// A shared-attribute update as pushed to the device (`deleted` lists removed keys).
pub fn attributes_update(set: &JsonMap, deleted: &[String]) -> Json {
    let mut o = set.clone();
    if !deleted.is_empty() {
        o.insert("deleted".into(), json!(deleted));
    }
    Json::Object(o)
}

/// The method a command is sent as.
pub fn rpc_method(c: &Command) -> &str {
    match c.kind {
        CommandKind::SetProperties => SET_PROPERTIES_METHOD,
        CommandKind::Call => &c.method,
    }
}

/// A server-side RPC request body: `{"method", "params"}` (with `id` over HTTP and CoAP,
/// where the device cannot see it in a topic).
pub fn rpc_request(c: &Command, request_id: Option<u32>) -> Json {
    let mut o = JsonMap::new();
    if let Some(id) = request_id {
        o.insert("id".into(), json!(id));
    }
    o.insert("method".into(), json!(rpc_method(c)));
    o.insert("params".into(), c.params.clone());
    Json::Object(o)
}

/// Reads a device's answer: any JSON is the response, except one reporting an error, which
/// fails the command with it: `{"error": …}`, `{"result": {"error": …}}` (how the
/// connectors of ThingsBoard's IoT gateway report a failed RPC) or `{"success": false}`.
/// JSON text of an object is read as that object (the IoT gateway sends some answers so).
pub fn rpc_answer(v: Json) -> CommandResult {
    let v = match v {
        Json::String(s) => match serde_json::from_str::<Json>(&s) {
            Ok(inner @ Json::Object(_)) => inner,
            _ => Json::String(s),
        },
        v => v,
    };
    match answer_error(&v) {
        Some(e) => CommandResult {
            status: CommandStatus::Failed,
            response: Some(v),
            error: Some(e),
        },
        None => CommandResult::succeeded(Some(v)),
    }
}

/// The error an answer reports, if any.
fn answer_error(v: &Json) -> Option<String> {
    let o = v.as_object()?;
    let text = |e: &Json| match e {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    if let Some(e) = o.get("error") {
        return Some(text(e));
    }
    if let Some(e) = o.get("result").and_then(|r| r.get("error")) {
        return Some(text(e));
    }
    (o.get("success") == Some(&Json::Bool(false))).then(|| "the device reported no success".into())
}

/// Answers a client-side RPC the platform itself handles (`getCurrentTime`); `None` for
/// other methods.
pub fn builtin_client_rpc(method: &str) -> Option<Json> {
    match method {
        "getCurrentTime" => Some(json!({"time": chrono::Utc::now().timestamp_millis()})),
        _ => None,
    }
}

/// The answer to a client-side RPC no one handles.
pub fn unknown_client_rpc(method: &str) -> Json {
    json!({"error": format!("no handler for method {method:?}")})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_requests_accept_text_and_arrays() {
        let (c, s) = attribute_keys(&json!({"clientKeys": "a, b,,c", "sharedKeys": ["x"]}));
        assert_eq!(c.unwrap(), vec!["a", "b", "c"]);
        assert_eq!(s.unwrap(), vec!["x"]);
        // Only one scope named: the other is not sent.
        let (c, s) = attribute_keys(&json!({"sharedKeys": "x"}));
        assert_eq!(c.unwrap(), Vec::<String>::new());
        assert_eq!(s.unwrap(), vec!["x"]);
        assert_eq!(attribute_keys(&json!({})), (None, None));
        assert_eq!(attribute_keys(&json!("junk")), (None, None));
    }

    #[test]
    fn answers_with_error_fail_the_command() {
        assert_eq!(
            rpc_answer(json!({"ok": true})),
            CommandResult::succeeded(Some(json!({"ok": true})))
        );
        let r = rpc_answer(json!({"error": "busy"}));
        assert_eq!(r.status, CommandStatus::Failed);
        assert_eq!(r.error.as_deref(), Some("busy"));
        assert_eq!(rpc_answer(json!(42)).status, CommandStatus::Succeeded);
        // ThingsBoard's IoT gateway: a connector's failure, and answers as JSON text.
        let r = rpc_answer(json!({"result": {"error": "Method not found for reboot"}}));
        assert_eq!(r.status, CommandStatus::Failed);
        assert_eq!(r.error.as_deref(), Some("Method not found for reboot"));
        let r = rpc_answer(json!(r#"{"error": "Request timeout", "code": 408}"#));
        assert_eq!(r.status, CommandStatus::Failed);
        assert_eq!(
            r.response,
            Some(json!({"error": "Request timeout", "code": 408}))
        );
        assert_eq!(
            rpc_answer(json!({"success": false})).status,
            CommandStatus::Failed
        );
        assert_eq!(
            rpc_answer(json!({"success": true, "result": {"value": 3}})).status,
            CommandStatus::Succeeded
        );
        assert_eq!(
            rpc_answer(json!("plain text")),
            CommandResult::succeeded(Some(json!("plain text")))
        );
        assert!(builtin_client_rpc("getCurrentTime").is_some());
        assert!(builtin_client_rpc("reboot").is_none());
    }

    #[test]
    fn updates_list_deleted_keys() {
        let mut set = JsonMap::new();
        set.insert("k".into(), json!(1));
        assert_eq!(
            attributes_update(&set, &["gone".into()]),
            json!({"k": 1, "deleted": ["gone"]})
        );
        assert_eq!(attributes_update(&set, &[]), json!({"k": 1}));
    }
}
