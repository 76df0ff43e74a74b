//! Ironloom's REST API (`/api/v1`): axum routers over the `ironloom_core` repository
//! traits, with authentication, authorisation, localisation of errors and the OpenAPI
//! description generated from the handlers.
//!
//! Layout: `authz` (principal, route policies, the one authorisation middleware), `security`
//! (passwords, tokens, API keys), `error` (error bodies rendered in the caller's language),
//! `extract` (body/path/query extractors with 4xx rejections), `routes/*` (one module per
//! resource), `params` (pagination and sorting parameters shared by lists).
//!
//! Invariants: every route has an access policy (checked by a test against the OpenAPI
//! document); handlers take the tenant from the principal, never from the request, for
//! tenant data; every change goes through a store call that takes the actor and audits.

pub mod authz;
pub mod device_cache;
pub mod error;
pub mod extract;
mod params;
mod routes;

pub use routes::edge_apps::{GatewayAppsPush, plan as plan_gateway_apps};
pub mod security;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use ironloom_core::i18n::Locale;
use ironloom_core::repo::MetaStore;
use std::sync::Arc;
use std::time::{Duration, Instant};
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

pub use authz::{Principal, permissions_markdown};
pub use routes::evaluation::keep_last_month;
pub use routes::identifier_imports::resume_identifier_imports;
pub use routes::identifiers::ship_identifier_templates;
pub use routes::market::{DeveloperCaller, Market, approve_submission, resume_checks, run_checks};
pub use routes::market_catalogue::{Catalogue, CatalogueQuery, Listing};
pub use routes::market_stats::flush_developer_usage;
pub use routes::market_store::{StoreInstall, install_from_store};
pub use routes::market_trade::{PlanInput, expire_due, offer_plan, subscribe_tenant};
pub use security::{TokenSigner, hash_password};

/// Settings of the API.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// How long a session token is valid.
    pub token_ttl: Duration,
    /// Failed log-ins in a row that lock an account.
    pub lockout_threshold: u32,
    /// How long a locked account stays locked.
    pub lockout_duration: Duration,
    /// Largest JSON body accepted.
    pub body_limit: usize,
    /// Largest bulk-import body accepted.
    pub import_body_limit: usize,
    /// Most rows in one bulk import.
    pub import_max_rows: usize,
    /// Where uploaded identifier files wait for their import job (`<data_dir>/
    /// identifier-imports`); none: imports answer 503.
    pub identifier_import_dir: Option<std::path::PathBuf>,
    /// Largest identifier file accepted for an import job.
    pub identifier_import_limit: usize,
    /// Language of error messages when the request does not say.
    pub default_locale: Locale,
    /// Whether the SNMS-compatible hashed log-in (`POST /identity/token/v1`) is served:
    /// it proves an API key with a hash of its stored hash, so whoever reads the
    /// metadata store could log in as any key through it (off unless asked for).
    pub snms_hashed_login: bool,
    /// How old the platform's evaluation figures may be when a report is asked for
    /// (older ones are answered while new ones are gathered).
    pub evaluation_max_age: Duration,
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            token_ttl: Duration::from_secs(12 * 3600),
            lockout_threshold: 5,
            lockout_duration: Duration::from_secs(15 * 60),
            body_limit: 1 << 20,
            import_body_limit: 16 << 20,
            import_max_rows: 10_000,
            identifier_import_dir: None,
            identifier_import_limit: 512 << 20,
            default_locale: Locale::En,
            snms_hashed_login: false,
            evaluation_max_age: Duration::from_secs(60),
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn MetaStore>,
    pub telemetry: Arc<dyn ironloom_core::telemetry::TelemetryStore>,
    pub tokens: TokenSigner,
    pub settings: Arc<ApiSettings>,
    /// Device ownership for telemetry writes (see [`device_cache`]).
    pub devices: device_cache::DeviceCache,
    /// Callers authenticated a moment ago (see [`authz::PrincipalCache`]).
    pub principals: authz::PrincipalCache,
    /// Commands, shared attributes and live status (absent where no device edge runs:
    /// those calls answer 503).
    pub link: Option<Arc<dyn ironloom_core::command::DeviceLink>>,
    /// The running rule engine (absent where none runs: rules are stored but not run).
    pub rules: Option<Arc<dyn ironloom_core::rule::RuleService>>,
    /// Live alarm events (raised by rules, acknowledged and cleared through the API).
    pub alarms_live: tokio::sync::broadcast::Sender<ironloom_core::alarm::AlarmEvent>,
    /// The one ingest path of device data, for writes in device protocols over the API
    /// (the InfluxDB line protocol); absent where no device edge runs (they answer 503).
    pub ingest: Option<Arc<dyn ironloom_bus::Ingest>>,
    /// The bus the device hub announces device events on, for live views (absent where
    /// no device edge runs: the live views answer 503).
    pub bus: Option<Arc<dyn ironloom_bus::EventBus>>,
    /// The model and algorithm library.
    pub models: &'static dyn ironloom_core::model::Catalogue,
    /// Counts every model call per tenant, month and model (stored by the binary).
    pub meter: Arc<ironloom_models::meter::Meter>,
    /// Live model bindings and jobs over history (absent where no runtime runs: bindings
    /// are stored but not run, jobs answer 503).
    pub runs: Option<Arc<dyn ironloom_core::model_run::ModelRuns>>,
    /// The app runtime (absent where none runs: packages and installations are kept, runs
    /// and uploads answer 503).
    pub apps: Option<ironloom_apps::AppHost>,
    /// The marketplace's signing, fixture runs and limits (absent where none runs: its
    /// records can be read, submissions and approvals answer 503).
    pub market: Option<Arc<routes::market::Market>>,
    /// Identifier resolution (REST and the Handle protocol), with its cache and the
    /// resolutions counted per identifier and month (stored every few seconds).
    pub resolver: Arc<ironloom_resolver::Resolver>,
    /// This node's view of the cluster (absent on a single node).
    pub cluster: Option<Arc<dyn ironloom_core::cluster::ClusterView>>,
    /// Draining this node for an upgrade (absent where no device edge runs).
    pub drain: Option<Arc<dyn ironloom_core::cluster::NodeDrain>>,
    /// The platform's evaluation figures, kept between requests.
    pub evaluation: Arc<routes::evaluation_facts::FactsCache>,
}

impl AppState {
    /// Metadata changed: the device edge forgets its cached copies (on every node of a
    /// cluster, where the other nodes' engines also read what changed again).
    pub fn changed(&self, change: ironloom_core::peers::Change) {
        if let Some(l) = &self.link {
            l.changed(change);
        }
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("backend", &self.store.backend())
            .finish()
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ironloom API",
        description = "Industrial internet platform: tenants, users, products (thing models), devices.\n\n\
            Authenticate with `POST /api/v1/auth/login` and send the token as `Authorization: Bearer <token>`, \
            or send an API key (`ilk_…`) the same way or in `X-API-Key`. Errors are `{\"code\", \"message\"}` \
            with the message in the language of `Accept-Language` (`zh-CN` or `en`).",
        license(name = "Apache-2.0")
    ),
    modifiers(&SecurityAddon),
    // Types only query and path parameters name: utoipa references them without
    // collecting them, which would leave dangling `$ref`s in the document.
    components(schemas(
        ironloom_core::ids::InstallationId,
        ironloom_core::telemetry::Order,
        routes::telemetry::Layout,
        routes::evaluation::RecordList,
        routes::evaluation::TenantRecordList,
        routes::evaluation_export::ExportFormat,
    )),
    tags(
        (name = "auth", description = "Log-in and one's own account"),
        (name = "tenants", description = "Tenants (platform administrator)"),
        (name = "enterprise", description = "Enterprise profiles of tenants: credit code, industry, size, region, park"),
        (name = "evaluation", description = "The evaluation report: the platform criteria's figures from the platform's own records, criteria and the records behind them"),
        (name = "users", description = "Users and roles"),
        (name = "api-keys", description = "API keys"),
        (name = "products", description = "Products and thing models"),
        (name = "devices", description = "Devices, credentials, attributes, error and event logs, bulk import"),
        (name = "commands", description = "Commands and parameter writes to devices, with their results"),
        (name = "device-groups", description = "Device groups"),
        (name = "audit", description = "Audit log"),
        (name = "catalog", description = "Enumerations for forms"),
        (name = "system", description = "This node's health, device traffic and storage, for the console"),
        (name = "telemetry", description = "Time-series data: write, history, aggregates, latest values, retention"),
        (name = "models", description = "Industrial models and data algorithms: catalogue, cards, evaluation"),
        (name = "apps", description = "Industrial apps: packages, installations, runs, logs and usage"),
        (name = "rules", description = "Rules of the rule engine: versioned documents, checks"),
        (name = "alarms", description = "Alarms: live list, history, counts, acknowledge, clear"),
        (name = "dashboards", description = "Dashboards of widgets bound to devices, their data, read-only links"),
    )
)]
struct ApiDoc;

struct SecurityAddon;

impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
    }
}

/// The API routes (without middleware) and their OpenAPI description.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let router = OpenApiRouter::with_openapi(ApiDoc::openapi());
    let router = routes::auth::register(router);
    let router = routes::tenants::register(router);
    let router = routes::enterprise::register(router);
    let router = routes::evaluation::register(router);
    let router = routes::evaluation_export::register(router);
    let router = routes::users::register(router);
    let router = routes::api_keys::register(router);
    let router = routes::products::register(router);
    let router = routes::devices::register(router);
    let router = routes::device_link::register(router);
    let router = routes::gateway_config::register(router);
    let router = routes::edge_apps::register(router);
    let router = routes::rules::register(router);
    let router = routes::dashboards::register(router);
    let router = routes::alarms::register(router);
    let router = routes::groups::register(router);
    let router = routes::audit::register(router);
    let router = routes::catalog::register(router);
    let router = routes::system::register(router);
    let router = routes::telemetry::register(router);
    let router = routes::models::register(router);
    let router = routes::model_runs::register(router);
    let router = routes::apps::register(router);
    let router = routes::app_panels::register(router);
    let router = routes::market::register(router);
    let router = routes::market_store::register(router);
    let router = routes::market_catalogue::register(router);
    let router = routes::market_trade::register(router);
    let router = routes::market_stats::register(router);
    let router = routes::identifiers::register(router);
    let router = routes::identifier_imports::register(router);
    let router = routes::identifier_carriers::register(router);
    let router = routes::identifier_links::register(router);
    router.split_for_parts()
}

/// The OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().1
}

/// The whole `/api` tree with authorisation, error rendering, limits and metrics.
pub fn router(state: AppState) -> Router {
    let (api, doc) = routes();
    let default_locale = state.settings.default_locale;
    let body_limit = state.settings.body_limit;
    let handles = routes::handles::router(state.clone());
    let snms = routes::snms::router(state.clone());
    let influx = routes::influx::router(state.clone());
    let api = api
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            authz::authorize,
        ))
        .fallback(|| async { error::ApiError::from(error::HttpFailure::NoRoute) })
        .with_state(state);
    Router::new()
        // Serves the browsable docs at /api/docs/ and the document at /api/v1/openapi.json.
        .merge(utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", doc))
        .merge(handles)
        .merge(snms)
        .merge(influx)
        .merge(api)
        .layer(middleware::from_fn(record_metrics))
        .layer(middleware::from_fn(
            move |mut req: Request, next: Next| async move {
                req.extensions_mut().insert(extract::BodyLimit(body_limit));
                next.run(req).await
            },
        ))
        .layer(middleware::from_fn_with_state(
            default_locale,
            error::render_errors,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            error::ApiError::from(ironloom_core::error::Error::storage(
                "handle request",
                "handler panicked",
            ))
            .into_response()
        }))
}

/// Counts requests and their latency per route template (never per id).
async fn record_metrics(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().as_str().to_string();
    let start = Instant::now();
    let res = next.run(req).await;
    if is_write(&method, &route) && res.status().is_success() {
        ironloom_core::load::count(ironloom_core::load::Path::ApiWrites, 1);
    }
    let status = res.status().as_u16().to_string();
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::counter!("ironloom_http_requests_total", &labels).increment(1);
    metrics::histogram!("ironloom_http_request_duration_seconds", &labels[..2])
        .record(start.elapsed().as_secs_f64());
    res
}

/// Whether a request of `method` to `route` changes something: a transaction of the
/// platform's load figures (POST routes that only ask, and model calls, counted as such,
/// are not).
fn is_write(method: &str, route: &str) -> bool {
    const ASKS: &[&str] = &[
        "/check",
        "/dry-run",
        "/identifier-detect",
        "/invoke",
        "/invoke/batch",
        "/telemetry/aggregate",
        "/telemetry/latest",
        "/telemetry/latest/columns",
    ];
    matches!(method, "POST" | "PUT" | "PATCH" | "DELETE")
        && route.starts_with("/api/")
        && !ASKS.iter().any(|a| route.ends_with(a))
}

/// Readiness: the store answers.
pub async fn ready(State(state): State<AppState>) -> Response {
    if state.drain.as_ref().is_some_and(|d| d.draining()) {
        return (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "draining: send requests to another node\n",
        )
            .into_response();
    }
    match state.store.ping().await {
        Ok(()) => (axum::http::StatusCode::OK, "ready\n").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "metadata store not ready");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "metadata store unavailable\n",
            )
                .into_response()
        }
    }
}
