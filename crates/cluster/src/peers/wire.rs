//! The messages nodes exchange about device sessions, commands and cached metadata: JSON
//! with a format version. A message that is not JSON, has another version, fields this
//! version does not know, is larger than [`MAX_MESSAGE`], or names another tenant than its
//! subject is refused (and counted), never half-applied.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use ironloom_core::command::Command;
use ironloom_core::entity::JsonMap;
use ironloom_core::ids::{CommandId, DeviceId, TenantId};
use ironloom_core::peers::Change;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The format this version writes and reads.
pub const VERSION: u32 = 1;
/// Largest message taken (the servers' default payload limit).
pub const MAX_MESSAGE: usize = 1 << 20;
/// Longest MQTT client id (the protocol's limit).
pub const MAX_CLIENT_ID: usize = 65_535;

/// Where node `node` takes downlink requests for `tenant`'s devices.
pub fn downlink_subject(node: &str, tenant: TenantId) -> String {
    format!("il.dl.{node}.{tenant}")
}

/// Every downlink request for node `node`.
pub fn downlink_filter(node: &str) -> String {
    format!("il.dl.{node}.*")
}

/// Where notices about `tenant` go to every node.
pub fn notice_subject(tenant: TenantId) -> String {
    format!("il.note.{tenant}")
}

/// Every notice.
pub const NOTICE_FILTER: &str = "il.note.*";

/// Where rules' messages to `tenant`'s applications go to every node: the payload as it
/// is, the MQTT topic and the sender in headers.
pub fn apps_subject(tenant: TenantId) -> String {
    format!("il.app.{tenant}")
}

/// Every message to applications.
pub const APPS_FILTER: &str = "il.app.*";
/// The header naming the node that sent a message (which ignores its own).
pub const FROM_HEADER: &str = "Il-From";
/// The header carrying an application message's MQTT topic.
pub const TOPIC_HEADER: &str = "Il-Topic";
/// The header carrying the format version of a message without a JSON body.
pub const VERSION_HEADER: &str = "Il-V";

/// A message to applications: tenant, topic and payload, or why it is refused.
pub fn app_message(
    subject: &str,
    headers: Option<&async_nats::HeaderMap>,
    payload: &[u8],
) -> Result<(TenantId, String), WireError> {
    let tenant = subject_tenant(subject)?;
    let header = |name: &str| headers.and_then(|h| h.get(name)).map(|v| v.as_str());
    match header(VERSION_HEADER).map(str::parse::<u32>) {
        Some(Ok(VERSION)) => {}
        Some(Ok(v)) => return Err(WireError::Version(v)),
        _ => return Err(WireError::Malformed("no format version".into())),
    }
    if payload.len() > MAX_MESSAGE {
        return Err(WireError::TooLarge(payload.len()));
    }
    let topic = header(TOPIC_HEADER).ok_or(WireError::Range("topic"))?;
    // A topic a rule may publish on: under rules/, no wildcards, within MQTT's limit.
    if !topic.starts_with("rules/")
        || topic.len() > MAX_CLIENT_ID
        || topic.contains(['+', '#', '\0'])
    {
        return Err(WireError::Range("topic"));
    }
    Ok((tenant, topic.to_owned()))
}

/// A request to the node that may hold a device's downlink.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DownlinkRequest {
    pub v: u32,
    pub tenant: TenantId,
    pub device: DeviceId,
    pub op: DownlinkOp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum DownlinkOp {
    /// Send the device's queued commands, then `command`.
    Deliver { command: Option<CommandId> },
    /// Push shared-attribute changes.
    Attributes { set: JsonMap, deleted: Vec<String> },
}

/// The answer to a [`DownlinkRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DownlinkReply {
    pub v: u32,
    pub answer: DownlinkAnswer,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case", deny_unknown_fields)]
pub enum DownlinkAnswer {
    /// The device is not connected to this node.
    NotHere,
    /// The commands sent, as they stand now; `online`: the device is connected here.
    Delivered { sent: Vec<Command>, online: bool },
    /// Whether a link took the attribute changes.
    Pushed { taken: bool },
}

/// Something every node hears about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    pub v: u32,
    /// The node that sent it (which ignores its own).
    pub from: String,
    pub tenant: TenantId,
    pub notice: NoticeKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum NoticeKind {
    /// A command ended (answered, timed out, expired, failed).
    CommandEnded { command: CommandId },
    /// A session of the device opened under `client_id` at `at`.
    SessionOpened {
        device: DeviceId,
        client_id: String,
        at: DateTime<Utc>,
    },
    /// Metadata changed.
    Changed { change: Change },
}

/// Why a message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("message of {0} bytes is over the limit")]
    TooLarge(usize),
    #[error("not a valid message: {0}")]
    Malformed(String),
    #[error("format version {0} is not understood (this node reads {VERSION})")]
    Version(u32),
    #[error("the subject names another tenant than the message")]
    Tenant,
    #[error("field {0} is out of range")]
    Range(&'static str),
}

/// The tenant a subject ends with (`il.dl.{node}.{tenant}`, `il.note.{tenant}`).
pub fn subject_tenant(subject: &str) -> Result<TenantId, WireError> {
    subject
        .rsplit('.')
        .next()
        .and_then(|t| t.parse().ok())
        .ok_or(WireError::Tenant)
}

pub fn encode<T: Serialize>(m: &T) -> Bytes {
    // Serialising these types cannot fail (string keys, no maps with other keys).
    Bytes::from(serde_json::to_vec(m).unwrap_or_default())
}

fn parse<T: DeserializeOwned>(data: &[u8]) -> Result<T, WireError> {
    if data.len() > MAX_MESSAGE {
        return Err(WireError::TooLarge(data.len()));
    }
    // The version first, so a newer format is named as such rather than as malformed.
    #[derive(Deserialize)]
    struct Version {
        v: u32,
    }
    let v = serde_json::from_slice::<Version>(data)
        .map_err(|e| WireError::Malformed(e.to_string()))?
        .v;
    if v != VERSION {
        return Err(WireError::Version(v));
    }
    serde_json::from_slice(data).map_err(|e| WireError::Malformed(e.to_string()))
}

/// A downlink request that came on `subject`.
pub fn request(subject: &str, data: &[u8]) -> Result<DownlinkRequest, WireError> {
    let r: DownlinkRequest = parse(data)?;
    if subject_tenant(subject)? != r.tenant {
        return Err(WireError::Tenant);
    }
    Ok(r)
}

/// A reply to a downlink request.
pub fn reply(data: &[u8]) -> Result<DownlinkAnswer, WireError> {
    parse::<DownlinkReply>(data).map(|r| r.answer)
}

/// A notice that came on `subject`.
pub fn notice(subject: &str, data: &[u8]) -> Result<Notice, WireError> {
    let n: Notice = parse(data)?;
    if subject_tenant(subject)? != n.tenant {
        return Err(WireError::Tenant);
    }
    match &n.notice {
        NoticeKind::Changed { change } if change.tenant() != n.tenant => {
            return Err(WireError::Tenant);
        }
        NoticeKind::SessionOpened { client_id, .. } if client_id.len() > MAX_CLIENT_ID => {
            return Err(WireError::Range("client_id"));
        }
        _ => {}
    }
    if n.from.is_empty() || !crate::config::is_name(&n.from) {
        return Err(WireError::Range("from"));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn tenant() -> TenantId {
        TenantId::new()
    }

    #[test]
    fn messages_survive_the_wire() {
        let t = tenant();
        let req = DownlinkRequest {
            v: VERSION,
            tenant: t,
            device: DeviceId::new(),
            op: DownlinkOp::Attributes {
                set: json!({"a": 1}).as_object().unwrap().clone(),
                deleted: vec!["b".into()],
            },
        };
        let subject = downlink_subject("n1", t);
        assert_eq!(request(&subject, &encode(&req)).unwrap(), req);
        let note = Notice {
            v: VERSION,
            from: "n1".into(),
            tenant: t,
            notice: NoticeKind::Changed {
                change: Change::Device {
                    tenant: t,
                    device: DeviceId::new(),
                    close: true,
                },
            },
        };
        assert_eq!(notice(&notice_subject(t), &encode(&note)).unwrap(), note);
        let r = DownlinkReply {
            v: VERSION,
            answer: DownlinkAnswer::Pushed { taken: true },
        };
        assert_eq!(reply(&encode(&r)).unwrap(), r.answer);
    }

    #[test]
    fn malformed_messages_are_refused() {
        let t = tenant();
        let subject = notice_subject(t);
        let ok = json!({"v": 1, "from": "n1", "tenant": t,
            "notice": {"kind": "command_ended", "command": CommandId::new()}});
        assert!(notice(&subject, ok.to_string().as_bytes()).is_ok());
        let bad = |v: serde_json::Value| notice(&subject, v.to_string().as_bytes()).unwrap_err();
        // Not JSON, truncated, empty, binary.
        for raw in [&b""[..], b"{", b"\xff\xfe", b"null", b"[1,2]"] {
            assert!(matches!(
                notice(&subject, raw),
                Err(WireError::Malformed(_))
            ));
        }
        let mut v = ok.clone();
        v["v"] = json!(2);
        assert_eq!(bad(v), WireError::Version(2));
        let mut v = ok.clone();
        v["v"] = json!(-1);
        assert!(matches!(bad(v), WireError::Malformed(_)));
        let mut v = ok.clone();
        v["extra"] = json!(1);
        assert!(matches!(bad(v), WireError::Malformed(_)));
        let mut v = ok.clone();
        v["notice"]["kind"] = json!("reboot");
        assert!(matches!(bad(v), WireError::Malformed(_)));
        let mut v = ok.clone();
        v["notice"]["command"] = json!("not-an-id");
        assert!(matches!(bad(v), WireError::Malformed(_)));
        let mut v = ok.clone();
        v["from"] = json!("a.b");
        assert_eq!(bad(v), WireError::Range("from"));
        // Another tenant than the subject's, in the body or in the change.
        let mut v = ok.clone();
        v["tenant"] = json!(tenant());
        assert_eq!(bad(v), WireError::Tenant);
        let v = json!({"v": 1, "from": "n1", "tenant": t, "notice": {"kind": "changed",
            "change": {"what": "product", "tenant": tenant(), "product": DeviceId::new()}}});
        assert_eq!(bad(v), WireError::Tenant);
        assert_eq!(
            notice("il.note.x", ok.to_string().as_bytes()).unwrap_err(),
            WireError::Tenant
        );
        let v = json!({"v": 1, "from": "n1", "tenant": t, "notice": {"kind": "session_opened",
            "device": DeviceId::new(), "client_id": "x".repeat(MAX_CLIENT_ID + 1),
            "at": "2026-01-01T00:00:00Z"}});
        assert_eq!(bad(v), WireError::Range("client_id"));
        let huge = vec![b' '; MAX_MESSAGE + 1];
        assert_eq!(
            notice(&subject, &huge).unwrap_err(),
            WireError::TooLarge(MAX_MESSAGE + 1)
        );
        // Requests and replies likewise.
        let req = json!({"v": 1, "tenant": t, "device": DeviceId::new(),
            "op": {"op": "deliver", "command": null}});
        let dl = downlink_subject("n1", t);
        assert!(request(&dl, req.to_string().as_bytes()).is_ok());
        let mut r = req.clone();
        r["op"]["op"] = json!("format_disk");
        assert!(matches!(
            request(&dl, r.to_string().as_bytes()),
            Err(WireError::Malformed(_))
        ));
        assert_eq!(
            request(
                &downlink_subject("n1", tenant()),
                req.to_string().as_bytes()
            )
            .unwrap_err(),
            WireError::Tenant
        );
        assert!(matches!(
            reply(br#"{"v":1,"answer":{"answer":"delivered","sent":[{}],"online":true}}"#),
            Err(WireError::Malformed(_))
        ));
        assert_eq!(
            reply(br#"{"v":1,"answer":{"answer":"not_here"}}"#).unwrap(),
            DownlinkAnswer::NotHere
        );
    }

    #[test]
    fn application_messages_are_checked() {
        let t = tenant();
        let headers = |v: &str, topic: &str| {
            let mut h = async_nats::HeaderMap::new();
            h.insert(VERSION_HEADER, v);
            h.insert(TOPIC_HEADER, topic);
            h
        };
        let ok = headers("1", "rules/mixer/fast");
        assert_eq!(
            app_message(&apps_subject(t), Some(&ok), b"{}").unwrap(),
            (t, "rules/mixer/fast".to_string())
        );
        assert_eq!(
            app_message(&apps_subject(t), Some(&headers("2", "rules/a")), b"").unwrap_err(),
            WireError::Version(2)
        );
        assert!(matches!(
            app_message(&apps_subject(t), None, b""),
            Err(WireError::Malformed(_))
        ));
        for bad in ["mixer/fast", "rules/+", "rules/#", "rules/a\0b", ""] {
            assert_eq!(
                app_message(&apps_subject(t), Some(&headers("1", bad)), b"").unwrap_err(),
                WireError::Range("topic"),
                "{bad:?}"
            );
        }
        assert_eq!(
            app_message("il.app.nobody", Some(&ok), b"").unwrap_err(),
            WireError::Tenant
        );
        assert_eq!(
            app_message(&apps_subject(t), Some(&ok), &vec![0; MAX_MESSAGE + 1]).unwrap_err(),
            WireError::TooLarge(MAX_MESSAGE + 1)
        );
    }
}
