//! Alarms: the live list and history, counts by severity, acknowledge and clear with a
//! comment. Rules raise and clear them (see `ironloom_core::alarm`).

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::params::page_request;
use axum::Json;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use ironloom_core::alarm::{Alarm, AlarmChange, AlarmCounts, AlarmEvent, AlarmFilter};
use ironloom_core::entity::{AlarmSort, Page};
use ironloom_core::ids::{AlarmId, DeviceId};
use ironloom_core::rule::Severity;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_alarms))
        .routes(routes!(alarm_counts))
        .routes(routes!(alarm_stream))
        .routes(routes!(get_alarm))
        .routes(routes!(ack_alarm))
        .routes(routes!(clear_alarm))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AlarmQuery {
    /// Only active (true) or cleared (false) alarms.
    active: Option<bool>,
    acknowledged: Option<bool>,
    severity: Option<Severity>,
    device_id: Option<DeviceId>,
    alarm_type: Option<String>,
    page: Option<u32>,
    page_size: Option<u32>,
    /// `last_ts` (default, newest first), `start_ts`, `severity`; `-` for descending.
    sort: Option<String>,
}

/// List alarms: the live list (`active=true`) or the history.
#[utoipa::path(get, path = "/api/v1/alarms", tag = "alarms", params(AlarmQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<Alarm>), (status = 400, body = ErrorBody)))]
async fn list_alarms(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<AlarmQuery>,
) -> ApiResult<Json<Page<Alarm>>> {
    let page = page_request::<AlarmSort>(q.page, q.page_size, q.sort.as_deref(), Some("-last_ts"))?;
    let filter = AlarmFilter {
        active: q.active,
        acknowledged: q.acknowledged,
        severity: q.severity,
        device_id: q.device_id,
        alarm_type: q.alarm_type,
    };
    Ok(Json(
        state.store.list_alarms(p.tenant()?, &filter, &page).await?,
    ))
}

/// Active alarms by severity, and how many are not acknowledged (for badges).
#[utoipa::path(get, path = "/api/v1/alarms/counts", tag = "alarms",
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = AlarmCounts)))]
async fn alarm_counts(State(state): State<AppState>, p: Principal) -> ApiResult<Json<AlarmCounts>> {
    Ok(Json(state.store.alarm_counts(p.tenant()?).await?))
}

/// One alarm.
#[utoipa::path(get, path = "/api/v1/alarms/{id}", tag = "alarms", params(("id" = AlarmId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Alarm), (status = 404, body = ErrorBody)))]
async fn get_alarm(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<AlarmId>,
) -> ApiResult<Json<Alarm>> {
    Ok(Json(state.store.get_alarm(p.tenant()?, id).await?))
}

/// A comment on acknowledging or clearing.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlarmComment {
    #[serde(default)]
    pub comment: Option<String>,
}

/// Acknowledge an alarm (again: no change).
#[utoipa::path(post, path = "/api/v1/alarms/{id}/ack", tag = "alarms", params(("id" = AlarmId, Path)),
    request_body = AlarmComment, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Alarm), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn ack_alarm(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<AlarmId>,
    ApiJson(c): ApiJson<AlarmComment>,
) -> ApiResult<Json<Alarm>> {
    let alarm = state
        .store
        .ack_alarm(&p.actor(), p.tenant()?, id, c.comment)
        .await?;
    let _ = state.alarms_live.send(AlarmEvent {
        change: AlarmChange::Acknowledged,
        alarm: alarm.clone(),
    });
    Ok(Json(alarm))
}

/// Clear an alarm (again: no change).
#[utoipa::path(post, path = "/api/v1/alarms/{id}/clear", tag = "alarms", params(("id" = AlarmId, Path)),
    request_body = AlarmComment, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Alarm), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn clear_alarm(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<AlarmId>,
    ApiJson(c): ApiJson<AlarmComment>,
) -> ApiResult<Json<Alarm>> {
    let alarm = state
        .store
        .clear_alarm(&p.actor(), p.tenant()?, id, c.comment)
        .await?;
    let _ = state.alarms_live.send(AlarmEvent {
        change: AlarmChange::Cleared,
        alarm: alarm.clone(),
    });
    Ok(Json(alarm))
}

/// Live alarm events of the tenant as server-sent events: `raised`, `updated`,
/// `acknowledged` and `cleared`, each with the alarm as JSON; `lagged` when this reader
/// fell behind and missed events (reload the list then). A comment line every 15 s keeps
/// proxies from closing the stream.
#[utoipa::path(get, path = "/api/v1/alarms/stream", tag = "alarms",
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, description = "`text/event-stream`: each event named by the change, its data the alarm", body = Alarm, content_type = "text/event-stream")))]
async fn alarm_stream(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, std::convert::Infallible>>>> {
    let tenant = p.tenant()?;
    let rx = state.alarms_live.subscribe();
    let stream = futures_util::stream::unfold(rx, move |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(ev) if ev.alarm.tenant_id == tenant => {
                    let name = match ev.change {
                        AlarmChange::Raised => "raised",
                        AlarmChange::Updated => "updated",
                        AlarmChange::Acknowledged => "acknowledged",
                        AlarmChange::Cleared => "cleared",
                    };
                    let data = serde_json::to_string(&ev.alarm).unwrap_or_default();
                    return Some((Ok(Event::default().event(name).data(data)), rx));
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    let ev = Event::default().event("lagged").data(n.to_string());
                    return Some((Ok(ev), rx));
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(15))))
}
