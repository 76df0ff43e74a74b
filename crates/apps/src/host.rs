//! The host API: what an app may ask of the platform, as module `ironloom`.
//!
//! Two imports. `log(level, ptr, len)` writes one structured log line.
//! `call(op_ptr, op_len, req_ptr, req_len) -> i64` names an operation (`latest`,
//! `write`, `model` …, see [`HostOp`]) and passes a JSON request; the reply is JSON
//! written into memory the host gets from the app's export `ironloom_alloc(len) -> ptr`,
//! and the return value packs it as `ptr << 32 | len`. The reply is `{"ok": …}` or
//! `{"error": {"code": …, "message": …}}`. Before the platform sees a call, the operation's
//! permission is checked against the installation's grant; the platform then scopes it to
//! the installation's tenant and devices ([`Scope`]).

use crate::engine::State;
use ironloom_core::app::Permission;
use ironloom_core::ids::TenantId;
use serde::Serialize;
use serde_json::{Value, json};
use wasmtime::{Caller, Extern, Linker};

/// Who is calling: the platform answers only within this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub tenant: TenantId,
    /// The installation's id.
    pub installation: String,
    /// The installation's name: its state and logs are kept under it.
    pub name: String,
    /// The app's id and version.
    pub app: String,
    pub version: String,
    /// Product keys whose devices the installation may see.
    pub products: Vec<String>,
    /// The installation's configuration, with the schema's defaults filled in.
    pub config: Value,
}

/// The operations of [`call`](self); each needs the permission [`HostOp::needs`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HostOp {
    /// Latest values of properties of a device of the installation.
    Latest,
    /// Raw history of a property over a time range.
    History,
    /// Aggregates of a property over windows.
    Aggregate,
    /// Derived telemetry, through the platform's ingest path.
    Write,
    AlarmRaise,
    AlarmClear,
    /// A command or parameter write to a device, within the thing model's ranges.
    Command,
    /// A model or algorithm of the library.
    Model,
    /// Outbound HTTP to an allowed host.
    Http,
    /// The installation's own key–value state.
    KvGet,
    KvSet,
    KvDelete,
    /// The installation's configuration.
    Config,
    /// The devices of the installation's products (names, product, status, tags).
    Devices,
    /// The answer to an HTTP-triggered event: `{"status", "body"}`, kept by the runtime.
    Reply,
}

impl HostOp {
    pub const ALL: [HostOp; 15] = [
        HostOp::Latest,
        HostOp::History,
        HostOp::Aggregate,
        HostOp::Write,
        HostOp::AlarmRaise,
        HostOp::AlarmClear,
        HostOp::Command,
        HostOp::Model,
        HostOp::Http,
        HostOp::KvGet,
        HostOp::KvSet,
        HostOp::KvDelete,
        HostOp::Config,
        HostOp::Devices,
        HostOp::Reply,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HostOp::Latest => "latest",
            HostOp::History => "history",
            HostOp::Aggregate => "aggregate",
            HostOp::Write => "write",
            HostOp::AlarmRaise => "alarm.raise",
            HostOp::AlarmClear => "alarm.clear",
            HostOp::Command => "command",
            HostOp::Model => "model",
            HostOp::Http => "http",
            HostOp::KvGet => "kv.get",
            HostOp::KvSet => "kv.set",
            HostOp::KvDelete => "kv.delete",
            HostOp::Config => "config",
            HostOp::Devices => "devices",
            HostOp::Reply => "reply",
        }
    }

    pub fn parse(s: &str) -> Option<HostOp> {
        HostOp::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// The permission kind (see [`Permission::as_str`]) this operation needs, if any.
    pub fn needs(self) -> Option<&'static str> {
        match self {
            HostOp::Latest | HostOp::History | HostOp::Aggregate => Some("read_telemetry"),
            HostOp::Write => Some("write_telemetry"),
            HostOp::AlarmRaise | HostOp::AlarmClear => Some("alarms"),
            HostOp::Command => Some("commands"),
            HostOp::Model => Some("models"),
            HostOp::Http => Some("http"),
            HostOp::KvGet
            | HostOp::KvSet
            | HostOp::KvDelete
            | HostOp::Config
            | HostOp::Devices
            | HostOp::Reply => None,
        }
    }
}

/// A refused or failed host call, as the app sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostError {
    /// Stable code: `permission_denied`, `bad_request`, `not_found`, `quota_exhausted`,
    /// `unavailable`, `unknown_op`, `too_large`.
    pub code: &'static str,
    pub message: String,
}

impl HostError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        HostError {
            code,
            message: message.into(),
        }
    }
}

/// The platform behind the host API. Calls are synchronous: the runtime runs apps on
/// blocking threads, and an implementation over async stores blocks on its runtime.
pub trait HostServices: Send + Sync + std::fmt::Debug {
    /// Serves `op` for `scope`; the permission was checked already, the tenant and
    /// device scoping is the implementation's.
    fn call(&self, scope: &Scope, op: HostOp, request: &Value) -> Result<Value, HostError>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

impl LogLevel {
    fn from_i32(l: i32) -> LogLevel {
        match l {
            i32::MIN..=0 => LogLevel::Debug,
            1 => LogLevel::Info,
            2 => LogLevel::Warn,
            _ => LogLevel::Error,
        }
    }
}

/// One line an app logged during an invocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct LogLine {
    pub level: LogLevel,
    pub message: String,
}

/// Reads `len` bytes at `ptr` of the app's memory; `None` when out of bounds.
pub(crate) fn read_guest(caller: &mut Caller<'_, State>, ptr: i32, len: i32) -> Option<Vec<u8>> {
    let Some(Extern::Memory(mem)) = caller.get_export("memory") else {
        return None;
    };
    let (start, len) = (usize::try_from(ptr).ok()?, usize::try_from(len).ok()?);
    mem.data(&caller)
        .get(start..start.checked_add(len)?)
        .map(<[u8]>::to_vec)
}

/// Copies `bytes` into memory the app allocates with `ironloom_alloc`; returns the
/// packed `ptr << 32 | len`.
pub(crate) fn write_guest(caller: &mut Caller<'_, State>, bytes: &[u8]) -> wasmtime::Result<i64> {
    let len = i32::try_from(bytes.len())?;
    let alloc = caller
        .get_export("ironloom_alloc")
        .and_then(Extern::into_func)
        .ok_or_else(|| wasmtime::Error::msg("the app does not export ironloom_alloc"))?
        .typed::<i32, i32>(&caller)?;
    let ptr = alloc.call(&mut *caller, len)?;
    let Some(Extern::Memory(mem)) = caller.get_export("memory") else {
        return Err(wasmtime::Error::msg("the app does not export its memory"));
    };
    let start = usize::try_from(ptr)
        .ok()
        .filter(|_| ptr != 0)
        .ok_or_else(|| wasmtime::Error::msg("ironloom_alloc returned no memory"))?;
    mem.write(&mut *caller, start, bytes)
        .map_err(|_| wasmtime::Error::msg("ironloom_alloc returned memory out of bounds"))?;
    Ok((i64::from(ptr) << 32) | i64::from(len))
}

fn reply(result: Result<Value, HostError>) -> Vec<u8> {
    let v = match result {
        Ok(ok) => json!({ "ok": ok }),
        Err(e) => json!({ "error": { "code": e.code, "message": e.message } }),
    };
    serde_json::to_vec(&v).unwrap_or_default()
}

/// Whether the grant allows `op` (and for HTTP, the request's host).
fn allowed(grant: &[Permission], op: HostOp, request: &Value) -> Result<(), HostError> {
    let Some(kind) = op.needs() else {
        return Ok(());
    };
    let Some(p) = grant.iter().find(|p| p.as_str() == kind) else {
        return Err(HostError::new(
            "permission_denied",
            format!(
                "{} needs the permission {kind}, which this installation was not granted",
                op.as_str()
            ),
        ));
    };
    if let Permission::Http { hosts } = p {
        let url = request.get("url").and_then(Value::as_str).unwrap_or("");
        let host = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .and_then(|rest| rest.split(['/', ':', '?', '#']).next())
            .unwrap_or("");
        if !hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
            return Err(HostError::new(
                "permission_denied",
                format!(
                    "http to '{host}' is not granted (granted: {})",
                    hosts.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

pub(crate) fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    linker.func_wrap(
        "ironloom",
        "log",
        |mut caller: Caller<'_, State>, level: i32, ptr: i32, len: i32| -> wasmtime::Result<()> {
            let bytes = read_guest(&mut caller, ptr, len)
                .ok_or_else(|| wasmtime::Error::msg("log: message out of bounds"))?;
            caller
                .data_mut()
                .push_log(LogLevel::from_i32(level), &String::from_utf8_lossy(&bytes));
            Ok(())
        },
    )?;
    linker.func_wrap(
        "ironloom",
        "call",
        |mut caller: Caller<'_, State>,
         op_ptr: i32,
         op_len: i32,
         req_ptr: i32,
         req_len: i32|
         -> wasmtime::Result<i64> {
            let max = caller.data().max_call_bytes;
            if usize::try_from(req_len).is_ok_and(|l| l > max) || op_len > 64 {
                let r = reply(Err(HostError::new(
                    "too_large",
                    format!("a request may have at most {max} bytes"),
                )));
                return write_guest(&mut caller, &r);
            }
            let op = read_guest(&mut caller, op_ptr, op_len)
                .ok_or_else(|| wasmtime::Error::msg("call: operation out of bounds"))?;
            let req = read_guest(&mut caller, req_ptr, req_len)
                .ok_or_else(|| wasmtime::Error::msg("call: request out of bounds"))?;
            caller.data_mut().host_calls += 1;
            let op_name = String::from_utf8_lossy(&op).into_owned();
            let result = match HostOp::parse(&op_name) {
                None => Err(HostError::new(
                    "unknown_op",
                    format!("no host operation '{op_name}'"),
                )),
                Some(op) => match serde_json::from_slice::<Value>(&req) {
                    Err(e) => Err(HostError::new(
                        "bad_request",
                        format!("{}: the request is not JSON: {e}", op.as_str()),
                    )),
                    Ok(request) if op == HostOp::Reply => {
                        caller.data_mut().reply = Some(request);
                        Ok(Value::Null)
                    }
                    Ok(request) => {
                        let state = caller.data();
                        match allowed(&state.grant, op, &request) {
                            Ok(()) => state.services.call(&state.scope, op, &request),
                            Err(e) => {
                                let denied = &mut caller.data_mut().denied;
                                if !denied.iter().any(|d| d == op.as_str()) {
                                    denied.push(op.as_str().to_string());
                                }
                                Err(e)
                            }
                        }
                    }
                },
            };
            let mut r = reply(result);
            if r.len() > max {
                r = reply(Err(HostError::new(
                    "too_large",
                    format!("the reply would have more than {max} bytes; ask for less"),
                )));
            }
            write_guest(&mut caller, &r)
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_round_trip_and_name_their_permission() {
        for op in HostOp::ALL {
            assert_eq!(HostOp::parse(op.as_str()), Some(op));
        }
        assert_eq!(HostOp::Write.needs(), Some("write_telemetry"));
        assert_eq!(HostOp::KvSet.needs(), None);
        assert_eq!(HostOp::parse("rm -rf"), None);
    }

    #[test]
    fn http_is_allowed_only_to_granted_hosts() {
        let grant = [Permission::Http {
            hosts: vec!["api.example.com".into()],
        }];
        let ok = json!({"url": "https://API.example.com/v1?x=1"});
        assert!(allowed(&grant, HostOp::Http, &ok).is_ok());
        for bad in [
            "https://api.example.com.evil.net/",
            "https://evil.net/api.example.com",
            "file:///etc/passwd",
            "",
        ] {
            let e = allowed(&grant, HostOp::Http, &json!({ "url": bad })).err();
            assert_eq!(e.map(|e| e.code), Some("permission_denied"), "{bad}");
        }
        let e = allowed(&grant, HostOp::Write, &json!({})).err();
        assert_eq!(e.map(|e| e.code), Some("permission_denied"));
    }
}
