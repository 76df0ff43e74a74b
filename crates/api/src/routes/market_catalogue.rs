//! The marketplace's catalogue: released apps beside the model library's models and
//! algorithms, searched in Chinese and English (`ironloom_core::search`: BM25 over CJK
//! bigrams and folded words), filtered by kind, industry, domain, price and rating; each
//! app's listing page (versions with their changelogs, README, icon and screenshots,
//! permissions, use and ratings); ratings and reviews by tenants that hold the app, one
//! per tenant, editable.
//!
//! The index is built from the store's releases, their use and ratings, and the model
//! library, and kept for a few seconds (an approval drops it at once).

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::params::page_request;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use ironloom_core::entity::{Page, PageRequest, ReleaseSort, Resource, Sort};
use ironloom_core::error::{Error, FieldError, FieldErrorKind};
use ironloom_core::market::*;
use ironloom_core::model::ModelKind;
use ironloom_core::search::{Doc, Index};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(catalogue))
        .routes(routes!(listing))
        .routes(routes!(listing_file))
        .routes(routes!(listing_screenshot))
        .routes(routes!(reviews))
        .routes(routes!(my_review, put_review, delete_review))
}

/// How long a built index serves before it is built again.
const FRESH: Duration = Duration::from_secs(10);

/// One entry of the catalogue: an app, a model or an algorithm.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Listing {
    /// `app`, `model` or `algorithm`.
    pub kind: &'static str,
    pub id: String,
    pub name: LocalText,
    pub description: LocalText,
    pub publisher: String,
    pub first_party: bool,
    pub industries: Vec<String>,
    pub domains: Vec<String>,
    /// The newest version (an app's newest stable release, else its newest beta).
    pub version: String,
    pub channel: Option<Channel>,
    /// `free` (every listing until plans are offered).
    pub price: &'static str,
    #[serde(flatten)]
    pub stats: AppStats,
    pub released_at: Option<DateTime<Utc>>,
}

/// The built catalogue and its index.
#[derive(Debug, Default)]
pub struct Catalogue {
    pub listings: Vec<Listing>,
    index: Index,
}

/// The catalogue cache (in [`crate::Market`]).
#[derive(Debug, Default)]
pub struct CatalogueCache(Mutex<Option<(Instant, Arc<Catalogue>)>>);

impl CatalogueCache {
    /// Drops the index: the next search builds it again.
    pub fn invalidate(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

async fn all_releases(state: &AppState) -> Result<Vec<Release>, Error> {
    let mut out = Vec::new();
    for page in 1.. {
        let req = PageRequest::<ReleaseSort> {
            page,
            page_size: 500,
            sort: Sort::default(),
        };
        let p = state.store.list_releases(None, &req).await?;
        let n = p.items.len();
        out.extend(p.items);
        if n < 500 || out.len() as u64 >= p.total {
            break;
        }
    }
    Ok(out)
}

/// The newest stable release of each app, else its newest beta.
fn newest(releases: &[Release]) -> BTreeMap<&str, &Release> {
    let mut by_app: BTreeMap<&str, &Release> = BTreeMap::new();
    for r in releases {
        let better = match by_app.get(r.app_id.as_str()) {
            None => true,
            Some(have) => {
                (r.channel == Channel::Stable, r.released_at)
                    > (have.channel == Channel::Stable, have.released_at)
            }
        };
        if better {
            by_app.insert(&r.app_id, r);
        }
    }
    by_app
}

/// Builds the catalogue from the store and the model library.
pub async fn build(state: &AppState) -> Result<Catalogue, Error> {
    let releases = all_releases(state).await?;
    let stats = state.store.app_stats().await?;
    let mut plans: BTreeMap<String, Vec<ironloom_core::trade::Plan>> = BTreeMap::new();
    for p in state.store.all_plans().await? {
        plans.entry(p.app_id.clone()).or_default().push(p);
    }
    let mut first_party: BTreeMap<String, bool> = BTreeMap::new();
    let mut listings = Vec::new();
    for (_, r) in newest(&releases) {
        let fp = match first_party.get(&r.developer) {
            Some(f) => *f,
            None => {
                let f = state
                    .store
                    .get_developer(r.developer_id)
                    .await
                    .map(|d| d.first_party)
                    .unwrap_or(false);
                first_party.insert(r.developer.clone(), f);
                f
            }
        };
        let m = &r.manifest;
        listings.push(Listing {
            kind: "app",
            id: r.app_id.clone(),
            name: LocalText::new(m.name.en.clone(), m.name.zh.clone()),
            description: LocalText::new(m.description.en.clone(), m.description.zh.clone()),
            publisher: r.developer.clone(),
            first_party: fp,
            industries: m.industries.clone(),
            domains: m.domains.iter().map(|d| d.as_str().to_string()).collect(),
            version: r.version.clone(),
            channel: Some(r.channel),
            price: match plans.get(&r.app_id) {
                Some(p) if ironloom_core::trade::is_paid(p) => "paid",
                _ => "free",
            },
            stats: stats.get(&r.app_id).cloned().unwrap_or_default(),
            released_at: Some(r.released_at),
        });
    }
    for card in state.models.cards() {
        listings.push(Listing {
            kind: if card.kind == ModelKind::Algorithm {
                "algorithm"
            } else {
                "model"
            },
            id: card.id.to_string(),
            name: LocalText::new(card.name.en, card.name.zh),
            description: LocalText::new(card.summary.en, card.summary.zh),
            publisher: "Ironloom".into(),
            first_party: true,
            industries: card.industries.iter().map(|s| (*s).to_string()).collect(),
            domains: card
                .domains
                .iter()
                .map(|d| d.as_str().to_string())
                .collect(),
            version: card.version.to_string(),
            channel: None,
            price: "free",
            stats: AppStats::default(),
            released_at: None,
        });
    }
    Ok(Catalogue::new(listings))
}

impl Catalogue {
    /// Indexes listings: the names weigh three times the descriptions; publisher, id,
    /// industries and domains are searchable too.
    pub fn new(listings: Vec<Listing>) -> Catalogue {
        let docs: Vec<Doc> = listings
            .iter()
            .map(|l| Doc {
                fields: vec![
                    (3.0, format!("{} {}", l.name.en, l.name.zh)),
                    (1.0, format!("{} {}", l.description.en, l.description.zh)),
                    (1.0, format!("{} {} {}", l.publisher, l.id, l.kind)),
                    (
                        1.0,
                        format!("{} {}", l.industries.join(" "), l.domains.join(" ")),
                    ),
                ],
            })
            .collect();
        Catalogue {
            index: Index::build(&docs),
            listings,
        }
    }

    /// The listings matching a query and filters, best first (by name without a query).
    pub fn find(&self, q: &CatalogueQuery) -> Vec<&Listing> {
        let keep = |l: &Listing| {
            q.kind.as_deref().is_none_or(|k| l.kind == k)
                && q.industry
                    .as_deref()
                    .is_none_or(|i| l.industries.iter().any(|x| x.starts_with(i)))
                && q.domain
                    .as_deref()
                    .is_none_or(|d| l.domains.iter().any(|x| x == d))
                && q.price.as_deref().is_none_or(|p| l.price == p)
                && q.min_rating
                    .is_none_or(|r| l.stats.ratings > 0 && l.stats.rating >= r)
                && q.first_party.is_none_or(|f| l.first_party == f)
        };
        let mut hits: Vec<&Listing> = match q.q.as_deref().map(str::trim) {
            Some(text) if !text.is_empty() => self
                .index
                .search(text)
                .into_iter()
                .map(|(i, _)| &self.listings[i])
                .filter(|l| keep(l))
                .collect(),
            _ => {
                let mut all: Vec<&Listing> = self.listings.iter().filter(|l| keep(l)).collect();
                all.sort_by(|a, b| a.name.en.cmp(&b.name.en));
                all
            }
        };
        match q.sort.as_deref() {
            Some("-rating") => hits.sort_by(|a, b| b.stats.rating.total_cmp(&a.stats.rating)),
            Some("-installations") => {
                hits.sort_by_key(|l| std::cmp::Reverse(l.stats.installations))
            }
            Some("-released_at") => hits.sort_by_key(|l| std::cmp::Reverse(l.released_at)),
            Some("name") => hits.sort_by(|a, b| a.name.en.cmp(&b.name.en)),
            _ => {}
        }
        hits
    }
}

/// The catalogue, built at most every few seconds.
pub async fn current(state: &AppState) -> ApiResult<Arc<Catalogue>> {
    let m = super::market::market(state)?;
    if let Some((at, c)) = m
        .catalogue
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        && at.elapsed() < FRESH
    {
        return Ok(c.clone());
    }
    let c = Arc::new(build(state).await?);
    *m.catalogue.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), c.clone()));
    Ok(c)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CatalogueQuery {
    /// Words in Chinese or English; every one must match.
    pub q: Option<String>,
    /// `app`, `model` or `algorithm`.
    pub kind: Option<String>,
    /// A GB/T 4754 code or its start (`C34`, `C3`, `D`).
    pub industry: Option<String>,
    pub domain: Option<String>,
    /// `free` or `paid`.
    pub price: Option<String>,
    pub min_rating: Option<f64>,
    pub first_party: Option<bool>,
    /// Relevance with a query (default), `name`, `-rating`, `-installations`, `-released_at`.
    pub sort: Option<String>,
    pub page: Option<u32>,
    pub page_size: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogueAnswer {
    #[serde(flatten)]
    pub page: Page<Listing>,
    /// How long the search took, in microseconds.
    pub took_us: u64,
}

/// Search the catalogue: apps, models and algorithms.
#[utoipa::path(get, path = "/api/v1/market/catalogue", tag = "market", params(CatalogueQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = CatalogueAnswer), (status = 400, body = ErrorBody)))]
async fn catalogue(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<CatalogueQuery>,
) -> ApiResult<Json<CatalogueAnswer>> {
    if let Some(k) = q.kind.as_deref()
        && !["app", "model", "algorithm"].contains(&k)
    {
        return Err(FieldError::new("kind", FieldErrorKind::NotAllowed).into());
    }
    if let Some(s) = q.sort.as_deref()
        && !["name", "-rating", "-installations", "-released_at"].contains(&s)
    {
        return Err(FieldError::new("sort", FieldErrorKind::NotAllowed).into());
    }
    if q.q.as_ref().is_some_and(|t| t.chars().count() > 200) {
        return Err(FieldError::new("q", FieldErrorKind::TooLong { max: 200 }).into());
    }
    let req = page_request::<ReleaseSort>(q.page, q.page_size, None, None)?;
    let c = current(&state).await?;
    let t = Instant::now();
    let hits = c.find(&q);
    let total = hits.len() as u64;
    let start = ((req.page - 1) as usize).saturating_mul(req.page_size as usize);
    let items: Vec<Listing> = hits
        .into_iter()
        .skip(start)
        .take(req.page_size as usize)
        .cloned()
        .collect();
    Ok(Json(CatalogueAnswer {
        page: Page {
            items,
            total,
            page: req.page,
            page_size: req.page_size,
        },
        took_us: u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX),
    }))
}

/// One version of an app on its listing page.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionInfo {
    pub version: String,
    pub channel: Channel,
    pub released_at: DateTime<Utc>,
    pub changelog: Option<String>,
    pub key_id: String,
    pub size: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListingPage {
    pub listing: Listing,
    /// Newest first.
    pub versions: Vec<VersionInfo>,
    pub readme: Option<String>,
    /// The icon's path (`icon.svg` or `icon.png`), under `…/files/`.
    pub icon: Option<String>,
    /// Screenshots' paths (`screenshots/…`), under `…/files/`.
    pub screenshots: Vec<String>,
    /// What the app asks for: the install dialog's consent list.
    #[schema(value_type = Vec<Object>)]
    pub permissions: Vec<ironloom_core::app::Permission>,
    #[schema(value_type = Vec<Object>)]
    pub triggers: Vec<ironloom_core::app::Trigger>,
    #[schema(value_type = Object)]
    pub config_schema: serde_json::Value,
    /// The caller's tenant holds the app / its review of it.
    pub held: bool,
    pub my_review: Option<Review>,
}

async fn releases_of(state: &AppState, app_id: &str) -> ApiResult<Vec<Release>> {
    let req = PageRequest::<ReleaseSort> {
        page: 1,
        page_size: 500,
        sort: Sort::parse("-released_at").unwrap_or_default(),
    };
    let list = state.store.list_releases(Some(app_id), &req).await?.items;
    if list.is_empty() {
        return Err(Error::NotFound(Resource::Release).into());
    }
    Ok(list)
}

async fn newest_package(
    state: &AppState,
    app_id: &str,
) -> ApiResult<(Release, ironloom_apps::AppPackage)> {
    let list = releases_of(state, app_id).await?;
    let newest = newest(&list)
        .remove(app_id)
        .cloned()
        .ok_or(Error::NotFound(Resource::Release))?;
    let bytes = state.store.release_bytes(app_id, &newest.version).await?;
    let limits = super::apps::host(state)?.limits();
    let pkg = ironloom_apps::AppPackage::read(&bytes, &limits, None)
        .map_err(|e| Error::storage("read released package", e.to_string()))?;
    Ok((newest, pkg))
}

/// An app's listing page.
#[utoipa::path(get, path = "/api/v1/market/apps/{app_id}", tag = "market",
    params(("app_id" = String, Path)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = ListingPage), (status = 404, body = ErrorBody)))]
async fn listing(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(app_id): ApiPath<String>,
) -> ApiResult<Json<ListingPage>> {
    let all = releases_of(&state, &app_id).await?;
    let (_, pkg) = newest_package(&state, &app_id).await?;
    let c = current(&state).await?;
    let listing = c
        .listings
        .iter()
        .find(|l| l.kind == "app" && l.id == app_id)
        .cloned()
        .ok_or(Error::NotFound(Resource::Release))?;
    let (held, my_review) = match p.tenant_id {
        Some(t) => (
            state.store.tenant_holds_app(t, &app_id).await?,
            state.store.review_of(t, &app_id).await?,
        ),
        None => (false, None),
    };
    let m = &pkg.manifest;
    Ok(Json(ListingPage {
        versions: all
            .iter()
            .map(|r| VersionInfo {
                version: r.version.clone(),
                channel: r.channel,
                released_at: r.released_at,
                changelog: r.changelog.clone(),
                key_id: r.key_id.clone(),
                size: r.size,
            })
            .collect(),
        readme: pkg
            .files
            .get("README.md")
            .map(|b| String::from_utf8_lossy(b).into_owned()),
        icon: ["icon.svg", "icon.png"]
            .into_iter()
            .find(|i| pkg.files.contains_key(*i))
            .map(str::to_string),
        screenshots: pkg
            .files
            .keys()
            .filter(|k| k.starts_with("screenshots/"))
            .cloned()
            .collect(),
        permissions: m.permissions.clone(),
        triggers: m.triggers.clone(),
        config_schema: m.config_schema.clone(),
        held,
        my_review,
        listing,
    }))
}

/// A file of an app's newest release for its listing page: `icon.svg`, `icon.png` or
/// `README.md`.
#[utoipa::path(get, path = "/api/v1/market/apps/{app_id}/files/{name}", tag = "market",
    params(("app_id" = String, Path), ("name" = String, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 404, body = ErrorBody)))]
async fn listing_file(
    State(state): State<AppState>,
    ApiPath((app_id, name)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    if !["icon.svg", "icon.png", "README.md"].contains(&name.as_str()) {
        return Err(Error::NotFound(Resource::Release).into());
    }
    package_file(&state, &app_id, &name).await
}

/// A screenshot of an app's newest release (`screenshots/{name}` in its package).
#[utoipa::path(get, path = "/api/v1/market/apps/{app_id}/screenshots/{name}", tag = "market",
    params(("app_id" = String, Path), ("name" = String, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 404, body = ErrorBody)))]
async fn listing_screenshot(
    State(state): State<AppState>,
    ApiPath((app_id, name)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    package_file(&state, &app_id, &format!("screenshots/{name}")).await
}

async fn package_file(state: &AppState, app_id: &str, path: &str) -> ApiResult<Response> {
    let (_, pkg) = newest_package(state, app_id).await?;
    let bytes = pkg
        .files
        .get(path)
        .cloned()
        .ok_or(Error::NotFound(Resource::Release))?;
    let kind = match path.rsplit('.').next().unwrap_or("") {
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "md" => "text/markdown; charset=utf-8",
        _ => "application/octet-stream",
    };
    Ok(Response::builder()
        .header(header::CONTENT_TYPE, kind)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        // A developer's SVG may hold scripts: never run them.
        .header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        )
        .header(header::CACHE_CONTROL, "private, max-age=300")
        .body(Body::from(bytes))
        .unwrap_or_default())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReviewQuery {
    page: Option<u32>,
    page_size: Option<u32>,
    sort: Option<String>,
}

/// An app's ratings and reviews, newest first.
#[utoipa::path(get, path = "/api/v1/market/apps/{app_id}/reviews", tag = "market",
    params(("app_id" = String, Path), ReviewQuery), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<Review>)))]
async fn reviews(
    State(state): State<AppState>,
    ApiPath(app_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ReviewQuery>,
) -> ApiResult<Json<Page<Review>>> {
    let page = page_request(q.page, q.page_size, q.sort.as_deref(), Some("-updated_at"))?;
    Ok(Json(state.store.list_reviews(&app_id, &page).await?))
}

/// The caller's tenant's review of an app.
#[utoipa::path(get, path = "/api/v1/market/apps/{app_id}/review", tag = "market",
    params(("app_id" = String, Path)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Review), (status = 404, body = ErrorBody)))]
async fn my_review(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(app_id): ApiPath<String>,
) -> ApiResult<Json<Review>> {
    Ok(Json(
        state
            .store
            .review_of(p.tenant()?, &app_id)
            .await?
            .ok_or(Error::NotFound(Resource::Review))?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// 1 to 5.
    pub rating: u8,
    pub title: Option<String>,
    pub body: Option<String>,
}

/// Rate and review an app the tenant holds (a second review replaces the first).
#[utoipa::path(put, path = "/api/v1/market/apps/{app_id}/review", tag = "market",
    params(("app_id" = String, Path)), request_body = ReviewInput,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Review), (status = 422, body = ErrorBody)))]
async fn put_review(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(app_id): ApiPath<String>,
    ApiJson(input): ApiJson<ReviewInput>,
) -> ApiResult<Json<Review>> {
    let tenant = p.tenant()?;
    if !(1..=5).contains(&input.rating) {
        return Err(
            FieldError::new("rating", FieldErrorKind::OutOfRange { min: 1, max: 5 }).into(),
        );
    }
    let clean = |name: &str, v: Option<String>, max: usize| -> ApiResult<Option<String>> {
        match v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
            Some(s) if s.chars().count() > max => {
                Err(FieldError::new(name, FieldErrorKind::TooLong { max }).into())
            }
            other => Ok(other),
        }
    };
    let title = clean("title", input.title, MAX_REVIEW_TITLE)?;
    let body = clean("body", input.body, MAX_REVIEW_BODY)?;
    if !state.store.tenant_holds_app(tenant, &app_id).await? {
        return Err(FieldError::new(
            "app_id",
            FieldErrorKind::Other {
                en: "only a tenant that installed the app may review it".into(),
                zh: "只有安装过该应用的租户才能评价".into(),
            },
        )
        .into());
    }
    // The version the tenant runs (its newest installation's), else the one it holds.
    let installed = state
        .store
        .list_installations(tenant)
        .await?
        .into_iter()
        .filter(|i| i.spec.app_id == app_id)
        .max_by_key(|i| i.updated_at)
        .map(|i| i.spec.version);
    let version = match installed {
        Some(v) => v,
        None => state
            .store
            .list_app_packages(tenant)
            .await?
            .into_iter()
            .filter(|p| p.app_id == app_id)
            .max_by_key(|p| p.uploaded_at)
            .map(|p| p.version)
            .unwrap_or_default(),
    };
    let review = Review {
        app_id,
        tenant_id: tenant,
        rating: input.rating,
        title,
        body,
        author: p.username.clone(),
        version,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    };
    let r = state.store.put_review(&p.actor(), &review).await?;
    if let Ok(m) = super::market::market(&state) {
        m.catalogue.invalidate();
    }
    Ok(Json(r))
}

/// Take the tenant's review back.
#[utoipa::path(delete, path = "/api/v1/market/apps/{app_id}/review", tag = "market",
    params(("app_id" = String, Path)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_review(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(app_id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    state
        .store
        .delete_review(&p.actor(), p.tenant()?, &app_id)
        .await?;
    if let Ok(m) = super::market::market(&state) {
        m.catalogue.invalidate();
    }
    Ok(StatusCode::NO_CONTENT)
}
