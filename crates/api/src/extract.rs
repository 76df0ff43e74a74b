//! Request extractors whose failures are [`ApiError`]s: a JSON body reader that enforces the
//! size limit before reading, rejects NUL characters anywhere (PostgreSQL cannot store
//! them) and names the path of a bad field; path and query extractors that answer 400.

use crate::error::{ApiError, HttpFailure};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

/// The largest request body accepted, set per router from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON request body.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        if let Some(ct) = &content_type
            && ct != "application/json"
            && !ct.ends_with("+json")
        {
            return Err(HttpFailure::UnsupportedMediaType {
                expected: "application/json",
            }
            .into());
        }
        let bytes = read_body(req).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Refuses a body whose declared length exceeds the limit, before reading any of it.
pub fn refuse_declared_over(headers: &axum::http::HeaderMap, limit: usize) -> Result<(), ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(HttpFailure::PayloadTooLarge { limit }.into());
    }
    Ok(())
}

/// Reads the whole body, refusing it once it exceeds the limit.
pub async fn read_body(req: Request) -> Result<axum::body::Bytes, ApiError> {
    let limit = req.extensions().get::<BodyLimit>().map_or(1 << 20, |l| l.0);
    refuse_declared_over(req.headers(), limit)?;
    axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|e| {
            let too_large =
                std::iter::successors(Some(&e as &dyn std::error::Error), |e| e.source())
                    .any(|e| e.is::<http_body_util::LengthLimitError>());
            if too_large {
                HttpFailure::PayloadTooLarge { limit }.into()
            } else {
                HttpFailure::UnreadableBody(e.to_string()).into()
            }
        })
}

/// Parses JSON into `T`, with the path of the offending field in the error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // A NUL can only be in a JSON string as the escape `\u0000` (raw control characters
    // are a syntax error). Without one, parse straight into `T`; the tree below is only
    // needed to name the field holding a NUL (building it made large bodies, such as
    // telemetry batches, several times slower to parse).
    if !bytes.windows(6).any(|w| w == b"\\u0000") {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let parsed: T = serde_path_to_error::deserialize(&mut de).map_err(|e| -> ApiError {
            if e.inner().is_syntax() || e.inner().is_eof() {
                return HttpFailure::MalformedJson(e.into_inner().to_string()).into();
            }
            let path = e.path().to_string();
            HttpFailure::InvalidBody {
                path: if path == "." { "$".into() } else { path },
                detail: e.into_inner().to_string(),
            }
            .into()
        })?;
        de.end()
            .map_err(|e| ApiError::from(HttpFailure::MalformedJson(e.to_string())))?;
        return Ok(parsed);
    }
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::from(HttpFailure::MalformedJson(e.to_string())))?;
    if let Some(path) = find_nul(&value, &mut String::from("$")) {
        return Err(HttpFailure::InvalidBody {
            path,
            detail: "NUL characters (\\u0000) are not allowed".into(),
        }
        .into());
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        HttpFailure::InvalidBody {
            path: if path == "." { "$".into() } else { path },
            detail: e.into_inner().to_string(),
        }
        .into()
    })
}

fn find_nul(v: &serde_json::Value, path: &mut String) -> Option<String> {
    use serde_json::Value;
    match v {
        Value::String(s) if s.contains('\0') => Some(path.clone()),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = find_nul(item, path);
            path.truncate(len);
            found
        }),
        Value::Object(map) => map.iter().find_map(|(k, item)| {
            let len = path.len();
            path.push('.');
            path.push_str(k);
            let found = if k.contains('\0') {
                Some(path.clone())
            } else {
                find_nul(item, path)
            };
            path.truncate(len);
            found
        }),
        _ => None,
    }
}

/// Path parameters; a malformed id answers 400.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        HttpFailure::InvalidPath {
            detail: r.body_text(),
        }
        .into()
    }
}

/// Query parameters; unknown or malformed ones answer 400.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        let text = r.body_text();
        let detail = text
            .strip_prefix("Failed to deserialize query string: ")
            .unwrap_or(&text);
        HttpFailure::InvalidQuery {
            detail: detail.to_string(),
        }
        .into()
    }
}

/// The client's address, for the audit log.
#[derive(Debug, Clone, Default)]
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(&parts.extensions)))
    }
}

pub fn client_ip(extensions: &axum::http::Extensions) -> Option<String> {
    extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // fields are read by serde only
    struct Body {
        name: String,
        tags: Vec<String>,
    }

    #[test]
    fn names_the_path_of_a_bad_field() {
        let e = parse_json::<Body>(br#"{"name": "a", "tags": ["x", 3]}"#).unwrap_err();
        assert_eq!(e.code(), "invalid_body");
        assert!(
            e.message(ironloom_core::i18n::Locale::En)
                .contains("tags[1]"),
            "{e:?}"
        );
        let e = parse_json::<Body>(br#"{"name": "a", "tags": [], "evil": 1}"#).unwrap_err();
        assert!(
            e.message(ironloom_core::i18n::Locale::En)
                .contains("unknown field")
        );
    }

    #[test]
    fn refuses_nul_and_lone_surrogates() {
        let e = parse_json::<Body>(br#"{"name": "a\u0000b", "tags": []}"#).unwrap_err();
        assert_eq!(e.code(), "invalid_body");
        let e = parse_json::<Body>(br#"{"name": "\ud800", "tags": []}"#).unwrap_err();
        assert_eq!(e.code(), "malformed_json");
        let e = parse_json::<Body>(b"{\"name\": \"\xff\xfe\", \"tags\": []}").unwrap_err();
        assert_eq!(e.code(), "malformed_json");
    }
}

/// The encoding a read is answered in: JSON, or CBOR (RFC 8949) when the request's
/// `Accept` names `application/cbor` — the same document, numbers in binary (no decimal
/// text to print and parse), for clients that read many values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    #[default]
    Json,
    Cbor,
}

impl<S: Send + Sync> FromRequestParts<S> for Encoding {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let cbor = parts
            .headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|m| {
                m.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/cbor"))
            });
        Ok(if cbor { Encoding::Cbor } else { Encoding::Json })
    }
}

/// A read's answer in the [`Encoding`] asked for.
#[derive(Debug)]
pub struct Encoded<T>(pub Encoding, pub T);

impl<T: serde::Serialize> axum::response::IntoResponse for Encoded<T> {
    fn into_response(self) -> axum::response::Response {
        match self.0 {
            Encoding::Json => axum::Json(self.1).into_response(),
            Encoding::Cbor => {
                let mut out = Vec::with_capacity(4096);
                match ciborium::into_writer(&self.1, &mut out) {
                    Ok(()) => (
                        [(header::CONTENT_TYPE, "application/cbor")],
                        axum::body::Bytes::from(out),
                    )
                        .into_response(),
                    Err(e) => ApiError::from(ironloom_core::error::Error::storage(
                        "encode CBOR",
                        e.to_string(),
                    ))
                    .into_response(),
                }
            }
        }
    }
}
