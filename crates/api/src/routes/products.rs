//! Products and their thing models: CRUD, import and export as W3C WoT Thing Model or
//! Alibaba TSL JSON.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::params::{double_option, page_request};
use crate::security::random_token;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use ironloom_core::device_kind;
use ironloom_core::entity::{JsonMap, NewProduct, Page, Product, ProductFilter, ProductPatch};
use ironloom_core::error::{Error, FieldError, FieldErrorKind};
use ironloom_core::ids::ProductId;
use ironloom_core::industry::{DeviceCategory, Industry, Protocol};
use ironloom_core::peers::Change;
use ironloom_core::thing_model::ThingModel;
use ironloom_core::validate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_products, create_product))
        .routes(routes!(import_product))
        .routes(routes!(get_product, update_product, delete_product))
        .routes(routes!(export_thing_model, replace_thing_model))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProductQuery {
    /// Substring of name, product key or description.
    q: Option<String>,
    industry: Option<Industry>,
    category: Option<DeviceCategory>,
    /// A device kind code (`pump`, `cnc_lathe` …).
    kind: Option<String>,
    protocol: Option<Protocol>,
    page: Option<u32>,
    page_size: Option<u32>,
    /// `name`, `created_at`, `updated_at`; `-` prefix for descending.
    sort: Option<String>,
}

/// List products.
#[utoipa::path(get, path = "/api/v1/products", tag = "products", params(ProductQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<Product>), (status = 400, body = ErrorBody)))]
async fn list_products(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<ProductQuery>,
) -> ApiResult<Json<Page<Product>>> {
    let page = page_request(q.page, q.page_size, q.sort.as_deref(), None)?;
    let filter = ProductFilter {
        q: q.q,
        industry: q.industry,
        category: q.category,
        kind: q.kind,
        protocol: q.protocol,
    };
    Ok(Json(
        state
            .store
            .list_products(p.tenant()?, &filter, &page)
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    pub name: String,
    /// Generated when left out.
    #[serde(default)]
    pub product_key: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// GB/T 4754 section letter, e.g. `C` (manufacturing).
    #[serde(default)]
    pub industry: Option<Industry>,
    /// Default: the device kind's category, else `other`.
    #[serde(default)]
    pub category: Option<DeviceCategory>,
    /// The device kind, one of the catalogue's codes (`GET /api/v1/catalog`).
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub protocol: Option<Protocol>,
    #[serde(default)]
    pub thing_model: Option<ThingModel>,
}

/// Checks a device kind; its category is the product's unless one is given.
fn check_kind(kind: Option<&str>) -> ApiResult<Option<DeviceCategory>> {
    let Some(k) = kind else { return Ok(None) };
    device_kind::kind(k)
        .map(|k| Some(k.category))
        .ok_or_else(|| {
            Error::invalid(
                "kind",
                FieldErrorKind::OneOf {
                    allowed: device_kind::KINDS
                        .iter()
                        .map(|k| k.code.to_owned())
                        .collect(),
                },
            )
            .into()
        })
}

fn check_fields(name: Option<&str>, description: Option<&str>) -> ApiResult<()> {
    if let Some(n) = name {
        validate::text("name", n, validate::MAX_NAME_LEN)?;
    }
    if let Some(d) = description {
        validate::free_text("description", d, validate::MAX_DESCRIPTION_LEN)?;
    }
    Ok(())
}

fn product_key(given: Option<String>) -> ApiResult<String> {
    match given {
        Some(k) => {
            validate::identifier("product_key", &k, 64)?;
            Ok(k)
        }
        None => Ok(format!("pk{}", random_token(14))),
    }
}

/// Create a product.
#[utoipa::path(post, path = "/api/v1/products", tag = "products", request_body = ProductInput,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = Product), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_product(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(input): ApiJson<ProductInput>,
) -> ApiResult<(StatusCode, Json<Product>)> {
    check_fields(Some(&input.name), input.description.as_deref())?;
    let kind_category = check_kind(input.kind.as_deref())?;
    let thing_model = input.thing_model.unwrap_or_default();
    thing_model.validate().map_err(Error::from)?;
    let new = NewProduct {
        name: input.name,
        product_key: product_key(input.product_key)?,
        description: input.description,
        industry: input.industry,
        category: input.category.or(kind_category).unwrap_or_default(),
        kind: input.kind,
        protocol: input.protocol.unwrap_or_default(),
        thing_model,
        tm_extensions: JsonMap::new(),
    };
    let product = state
        .store
        .create_product(&p.actor(), p.tenant()?, new)
        .await?;
    Ok((StatusCode::CREATED, Json(product)))
}

/// A thing-model document format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TmFormat {
    /// W3C WoT Thing Model (or Thing Description, on import).
    #[default]
    Wot,
    /// Alibaba Cloud IoT TSL.
    Tsl,
    /// Ironloom's own JSON (`{"properties": [...], "events": [...], "services": [...]}`).
    Ironloom,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportInput {
    pub format: TmFormat,
    /// The document to import.
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
    /// Product name; default: the document's title or TSL product key.
    #[serde(default)]
    pub name: Option<String>,
    /// Default: the document's product key, else generated.
    #[serde(default)]
    pub product_key: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub industry: Option<Industry>,
    #[serde(default)]
    pub category: Option<DeviceCategory>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub protocol: Option<Protocol>,
}

/// What a document says about the product besides the model.
struct Decoded {
    model: ThingModel,
    title: Option<String>,
    description: Option<String>,
    product_key: Option<String>,
    industry: Option<Industry>,
    category: Option<DeviceCategory>,
    kind: Option<String>,
    protocol: Option<Protocol>,
    extensions: JsonMap,
}

fn decode(format: TmFormat, doc: &serde_json::Value) -> ApiResult<Decoded> {
    match format {
        TmFormat::Wot => {
            let (model, meta) = ThingModel::from_wot(doc).map_err(Error::from)?;
            let mut ext = meta.extensions;
            let take = |ext: &mut JsonMap, k: &str| {
                ext.remove(k).and_then(|v| v.as_str().map(str::to_string))
            };
            let product_key = take(&mut ext, "ironloom:productKey");
            let industry = take(&mut ext, "ironloom:industry")
                .as_deref()
                .and_then(Industry::from_code);
            let category = take(&mut ext, "ironloom:category")
                .as_deref()
                .and_then(DeviceCategory::parse);
            let kind = take(&mut ext, "ironloom:kind");
            let protocol = take(&mut ext, "ironloom:protocol")
                .as_deref()
                .and_then(Protocol::parse);
            Ok(Decoded {
                model,
                title: Some(meta.title).filter(|t| !t.is_empty()),
                description: meta.description,
                product_key,
                industry,
                category,
                kind,
                protocol,
                extensions: ext,
            })
        }
        TmFormat::Tsl => {
            let (model, product_key) = ThingModel::from_tsl(doc).map_err(Error::from)?;
            Ok(Decoded {
                model,
                title: None,
                description: None,
                product_key,
                industry: None,
                category: None,
                kind: None,
                protocol: None,
                extensions: JsonMap::new(),
            })
        }
        TmFormat::Ironloom => {
            let model: ThingModel = serde_json::from_value(doc.clone()).map_err(|e| {
                Error::invalid(
                    "document",
                    FieldErrorKind::Other {
                        en: e.to_string(),
                        zh: format!("物模型格式错误（{e}）"),
                    },
                )
            })?;
            model.validate().map_err(Error::from)?;
            Ok(Decoded {
                model,
                title: None,
                description: None,
                product_key: None,
                industry: None,
                category: None,
                kind: None,
                protocol: None,
                extensions: JsonMap::new(),
            })
        }
    }
}

/// Create a product from a WoT Thing Model / Thing Description or an Alibaba TSL document.
#[utoipa::path(post, path = "/api/v1/products/import", tag = "products", request_body = ImportInput,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = Product), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import_product(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(input): ApiJson<ImportInput>,
) -> ApiResult<(StatusCode, Json<Product>)> {
    let d = decode(input.format, &input.document)?;
    let name = input
        .name
        .or(d.title)
        .or_else(|| d.product_key.clone())
        .ok_or_else(|| FieldError::new("name", FieldErrorKind::Required))?;
    let description = input.description.or(d.description);
    check_fields(Some(&name), description.as_deref())?;
    let kind = input.kind.or(d.kind);
    let kind_category = check_kind(kind.as_deref())?;
    let new = NewProduct {
        name,
        product_key: product_key(input.product_key.or(d.product_key))?,
        description,
        industry: input.industry.or(d.industry),
        category: input
            .category
            .or(d.category)
            .or(kind_category)
            .unwrap_or_default(),
        kind,
        protocol: input.protocol.or(d.protocol).unwrap_or_default(),
        thing_model: d.model,
        tm_extensions: d.extensions,
    };
    let product = state
        .store
        .create_product(&p.actor(), p.tenant()?, new)
        .await?;
    Ok((StatusCode::CREATED, Json(product)))
}

/// Get a product.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "products", params(("id" = ProductId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Product), (status = 404, body = ErrorBody)))]
async fn get_product(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<ProductId>,
) -> ApiResult<Json<Product>> {
    Ok(Json(state.store.get_product(p.tenant()?, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductPatchInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Industry>)]
    pub industry: Option<Option<Industry>>,
    #[serde(default)]
    pub category: Option<DeviceCategory>,
    /// A device kind code; `null` removes it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub kind: Option<Option<String>>,
    #[serde(default)]
    pub protocol: Option<Protocol>,
    #[serde(default)]
    pub thing_model: Option<ThingModel>,
    /// Apply only if the product is still at this version (else 409).
    #[serde(default)]
    pub version: Option<i64>,
}

/// Change a product or its thing model.
#[utoipa::path(patch, path = "/api/v1/products/{id}", tag = "products", params(("id" = ProductId, Path)),
    request_body = ProductPatchInput, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Product), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_product(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<ProductId>,
    ApiJson(input): ApiJson<ProductPatchInput>,
) -> ApiResult<Json<Product>> {
    check_fields(
        input.name.as_deref(),
        input.description.clone().flatten().as_deref(),
    )?;
    if let Some(m) = &input.thing_model {
        m.validate().map_err(Error::from)?;
    }
    if let Some(k) = &input.kind {
        check_kind(k.as_deref())?;
    }
    let patch = ProductPatch {
        name: input.name,
        description: input.description,
        industry: input.industry,
        category: input.category,
        kind: input.kind,
        protocol: input.protocol,
        thing_model: input.thing_model,
        tm_extensions: None,
        expected_version: input.version,
    };
    let changes_model = patch.thing_model.is_some();
    let tenant = p.tenant()?;
    let updated = state
        .store
        .update_product(&p.actor(), tenant, id, patch)
        .await?;
    state.changed(Change::Product {
        tenant,
        product: id,
    });
    if changes_model {
        thing_model_changed(&state).await;
    }
    Ok(Json(updated))
}

/// Model bindings are planned against the thing model: a changed one is planned again
/// before the change returns (a binding that no longer fits stops, with the reason).
async fn thing_model_changed(state: &AppState) {
    if let Some(r) = &state.runs
        && let Err(e) = r.reload_bindings().await
    {
        tracing::warn!(error = %e, "model bindings not re-planned after a thing-model change");
    }
}

/// Delete a product; refused (409) while devices use it.
#[utoipa::path(delete, path = "/api/v1/products/{id}", tag = "products", params(("id" = ProductId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete_product(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<ProductId>,
) -> ApiResult<StatusCode> {
    let tenant = p.tenant()?;
    state.store.delete_product(&p.actor(), tenant, id).await?;
    state.changed(Change::Product {
        tenant,
        product: id,
    });
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FormatQuery {
    /// `wot` (default), `tsl` or `ironloom`.
    #[serde(default)]
    format: TmFormat,
    /// For `PUT`: apply only if the product is still at this version.
    version: Option<i64>,
}

/// Export the thing model as a WoT Thing Model, Alibaba TSL or Ironloom JSON.
#[utoipa::path(get, path = "/api/v1/products/{id}/thing-model", tag = "products",
    params(("id" = ProductId, Path), FormatQuery), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, description = "the document", body = Object), (status = 404, body = ErrorBody)))]
async fn export_thing_model(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<ProductId>,
    ApiQuery(q): ApiQuery<FormatQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let product = state.store.get_product(p.tenant()?, id).await?;
    Ok(Json(match q.format {
        TmFormat::Wot => product.wot_document(),
        TmFormat::Tsl => product.thing_model.to_tsl(&product.product_key),
        TmFormat::Ironloom => serde_json::to_value(&product.thing_model).unwrap_or_default(),
    }))
}

/// Replace the thing model from a document in any supported format.
#[utoipa::path(put, path = "/api/v1/products/{id}/thing-model", tag = "products",
    params(("id" = ProductId, Path), FormatQuery), request_body(content = Object, description = "the document"),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Product), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn replace_thing_model(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<ProductId>,
    ApiQuery(q): ApiQuery<FormatQuery>,
    ApiJson(doc): ApiJson<serde_json::Value>,
) -> ApiResult<Json<Product>> {
    let d = decode(q.format, &doc)?;
    let patch = ProductPatch {
        thing_model: Some(d.model),
        tm_extensions: (q.format == TmFormat::Wot).then_some(d.extensions),
        expected_version: q.version,
        ..Default::default()
    };
    let updated = state
        .store
        .update_product(&p.actor(), p.tenant()?, id, patch)
        .await?;
    thing_model_changed(&state).await;
    Ok(Json(updated))
}
