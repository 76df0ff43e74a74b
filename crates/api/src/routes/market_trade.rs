//! The marketplace's trading over HTTP: developers' plans for their apps; tenants'
//! subscriptions, orders and invoices; the platform's finance desk (payments confirmed by
//! a platform administrator for the offline provider, refunds, the monthly billing of
//! per-call plans from the metering counters, the ledger and its balances); and the
//! expiry of subscriptions, which pauses the tenant's installations of the app and says
//! why, until a renewal starts them again.

use crate::AppState;
use crate::authz::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::params::page_request;
use crate::routes::market::{DeveloperCaller, field};
use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use chrono::Utc;
use ironloom_core::entity::{Actor, Page, Resource};
use ironloom_core::error::{Error, FieldError, FieldErrorKind};
use ironloom_core::ids::{OrderId, PlanId, TenantId};
use ironloom_core::market::{LocalText, SubmissionFilter};
use ironloom_core::trade::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn register(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_plans, create_plan))
        .routes(routes!(retire_plan))
        .routes(routes!(subscribe))
        .routes(routes!(my_subscriptions))
        .routes(routes!(my_orders))
        .routes(routes!(my_order))
        .routes(routes!(invoice))
        .routes(routes!(cancel_order))
        .routes(routes!(developer_orders))
        .routes(routes!(finance_orders))
        .routes(routes!(confirm_payment))
        .routes(routes!(refund))
        .routes(routes!(usage_billing))
        .routes(routes!(run_expiry))
        .routes(routes!(ledger))
        .routes(routes!(balances))
}

/// An app's plans (retired ones included, marked).
#[utoipa::path(get, path = "/api/v1/market/apps/{app_id}/plans", tag = "market",
    params(("app_id" = String, Path)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<Plan>)))]
async fn list_plans(
    State(state): State<AppState>,
    ApiPath(app_id): ApiPath<String>,
) -> ApiResult<Json<Vec<Plan>>> {
    Ok(Json(state.store.list_plans(&app_id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    pub name: LocalText,
    pub kind: PlanKind,
    /// Per period, in fen (monthly, yearly).
    #[serde(default)]
    pub price: i64,
    #[serde(default)]
    pub included_calls: i64,
    #[serde(default)]
    pub price_per_1000_calls: i64,
    #[serde(default)]
    pub trial_days: i64,
}

/// The app belongs to the calling developer (it submitted it first).
async fn own_app(state: &AppState, dev: &DeveloperCaller, app_id: &str) -> ApiResult<()> {
    let mine = state
        .store
        .list_submissions(
            &SubmissionFilter {
                developer_id: Some(dev.0.id),
                app_id: Some(app_id.to_string()),
                ..Default::default()
            },
            &page_request(Some(1), Some(1), None, None)?,
        )
        .await?;
    if mine.total == 0 {
        return Err(Error::NotFound(Resource::Release).into());
    }
    Ok(())
}

/// Offer a plan for one of the developer's apps.
#[utoipa::path(post, path = "/api/v1/market/apps/{app_id}/plans", tag = "market",
    params(("app_id" = String, Path)), request_body = PlanInput,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = Plan), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_plan(
    State(state): State<AppState>,
    Extension(dev): Extension<DeveloperCaller>,
    p: Principal,
    ApiPath(app_id): ApiPath<String>,
    ApiJson(input): ApiJson<PlanInput>,
) -> ApiResult<(StatusCode, Json<Plan>)> {
    let plan = offer_plan(&state, &dev, &p.actor(), app_id, input).await?;
    Ok((StatusCode::CREATED, Json(plan)))
}

/// A developer offers a plan for one of its apps (what `POST …/plans` does).
pub async fn offer_plan(
    state: &AppState,
    dev: &DeveloperCaller,
    actor: &Actor,
    app_id: String,
    input: PlanInput,
) -> ApiResult<Plan> {
    own_app(state, dev, &app_id).await?;
    for (name, text) in [("name.en", &input.name.en), ("name.zh-CN", &input.name.zh)] {
        ironloom_core::validate::text(name, text, 64)?;
    }
    const MAX: i64 = 10_000_000_000; // fen: 100 million yuan
    for (name, v) in [
        ("price", input.price),
        ("included_calls", input.included_calls),
        ("price_per_1000_calls", input.price_per_1000_calls),
    ] {
        if !(0..=MAX).contains(&v) {
            return Err(
                FieldError::new(name, FieldErrorKind::OutOfRange { min: 0, max: MAX }).into(),
            );
        }
    }
    if !(0..=90).contains(&input.trial_days) {
        return Err(
            FieldError::new("trial_days", FieldErrorKind::OutOfRange { min: 0, max: 90 }).into(),
        );
    }
    let consistent = match input.kind {
        PlanKind::Free => {
            input.price == 0 && input.price_per_1000_calls == 0 && input.trial_days == 0
        }
        PlanKind::Monthly | PlanKind::Yearly => input.price > 0 && input.price_per_1000_calls == 0,
        PlanKind::PerCall => {
            input.price == 0 && input.price_per_1000_calls > 0 && input.trial_days == 0
        }
    };
    if !consistent {
        return Err(field(
            "kind",
            "a free plan has no prices; a monthly or yearly plan has a price (and maybe trial days); a per-call plan has a price per 1000 calls (and maybe included calls)",
            "免费套餐无价格；包月或包年套餐须有价格（可设试用天数）；按次计费套餐须有每千次价格（可设免费次数）",
        ));
    }
    let plan = Plan {
        id: PlanId::new(),
        app_id,
        name: input.name,
        kind: input.kind,
        price: input.price,
        included_calls: input.included_calls,
        price_per_1000_calls: input.price_per_1000_calls,
        trial_days: input.trial_days,
        active: true,
        created_at: Utc::now(),
    };
    let plan = state.store.create_plan(actor, &plan).await?;
    invalidate(state);
    Ok(plan)
}

fn invalidate(state: &AppState) {
    if let Ok(m) = super::market::market(state) {
        m.catalogue.invalidate();
    }
}

/// Retire a plan: it takes no new subscriptions (existing ones run on).
#[utoipa::path(post, path = "/api/v1/market/apps/{app_id}/plans/{plan_id}/retire", tag = "market",
    params(("app_id" = String, Path), ("plan_id" = PlanId, Path)),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Plan), (status = 404, body = ErrorBody)))]
async fn retire_plan(
    State(state): State<AppState>,
    Extension(dev): Extension<DeveloperCaller>,
    p: Principal,
    ApiPath((app_id, plan_id)): ApiPath<(String, PlanId)>,
) -> ApiResult<Json<Plan>> {
    own_app(&state, &dev, &app_id).await?;
    let plan = state.store.get_plan(plan_id).await?;
    if plan.app_id != app_id {
        return Err(Error::NotFound(Resource::Plan).into());
    }
    let plan = state
        .store
        .set_plan_active(&p.actor(), plan_id, false)
        .await?;
    invalidate(&state);
    Ok(Json(plan))
}

/// Whether a tenant may take and run an app now: free without plans or with a free plan;
/// else its subscription must run. The error says what to do.
pub(crate) async fn may_run(state: &AppState, tenant: TenantId, app_id: &str) -> ApiResult<()> {
    if !is_paid(&state.store.list_plans(app_id).await?) {
        return Ok(());
    }
    match state.store.get_subscription(tenant, app_id).await? {
        Some(s) if s.status.runs() => Ok(()),
        Some(s) => Err(field(
            "subscription",
            format!(
                "the subscription to {app_id} is {}: renew it in the store",
                s.status.as_str()
            ),
            format!(
                "{app_id} 的订阅状态为 {}：请在应用市场续订",
                s.status.as_str()
            ),
        )),
        None => Err(field(
            "subscription",
            format!("{app_id} is a paid app: subscribe to one of its plans first"),
            format!("{app_id} 为付费应用：请先订阅其套餐"),
        )),
    }
}

/// How to pay an order with the offline provider.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentInstructions {
    pub provider: &'static str,
    pub en: String,
    #[serde(rename = "zh-CN")]
    pub zh: String,
}

fn instructions(order: &Order) -> PaymentInstructions {
    let yuan = format!("{}.{:02}", order.amount / 100, order.amount % 100);
    PaymentInstructions {
        provider: "offline",
        en: format!(
            "Transfer CNY {yuan} to the platform operator's bank account quoting the reference {}. A platform administrator confirms the payment; the invoice and the subscription follow.",
            order.reference
        ),
        zh: format!(
            "请向平台运营方银行账户转账人民币 {yuan} 元，附言填写 {}。平台管理员确认到账后，开具发票并开通订阅。",
            order.reference
        ),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscribeInput {
    pub plan_id: PlanId,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Subscribed {
    pub subscription: Subscription,
    /// The order to pay, if any (none for free plans, trials and per-call plans).
    pub order: Option<Order>,
    pub payment: Option<PaymentInstructions>,
}

fn reference() -> String {
    format!("IL{}", ironloom_core::auth::random_token(10).to_uppercase())
}

/// What an order is for: its kind, usage month, quantity, amount and description.
struct OrderFor {
    kind: &'static str,
    usage_month: Option<String>,
    quantity: i64,
    amount: i64,
    description: String,
}

async fn new_order(
    state: &AppState,
    tenant: TenantId,
    plan: &Plan,
    what: OrderFor,
) -> ApiResult<Order> {
    let OrderFor {
        kind,
        usage_month,
        quantity,
        amount,
        description,
    } = what;
    let release = state
        .store
        .list_releases(
            Some(&plan.app_id),
            &page_request(Some(1), Some(1), None, None)?,
        )
        .await?
        .items
        .into_iter()
        .next()
        .ok_or(Error::NotFound(Resource::Release))?;
    let fee_bp = super::market::market(state).map_or(DEFAULT_FEE_BP, |m| m.fee_bp);
    Ok(Order {
        id: OrderId::new(),
        tenant_id: tenant,
        app_id: plan.app_id.clone(),
        plan_id: plan.id,
        developer_id: release.developer_id,
        kind: kind.into(),
        usage_month,
        description,
        quantity,
        amount,
        currency: "CNY".into(),
        fee: fee_of(amount, fee_bp),
        status: OrderStatus::Pending,
        provider: "offline".into(),
        reference: reference(),
        invoice_no: None,
        created_at: Utc::now(),
        paid_at: None,
        closed_at: None,
        note: None,
    })
}

/// Subscribe the tenant to a plan of an app: a free or per-call plan starts at once; a
/// subscription plan starts its trial (once per app) or makes an order to pay; an order
/// renews a running or expired subscription.
#[utoipa::path(post, path = "/api/v1/market/apps/{app_id}/subscribe", tag = "market",
    params(("app_id" = String, Path)), request_body = SubscribeInput,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 201, body = Subscribed), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn subscribe(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(app_id): ApiPath<String>,
    ApiJson(input): ApiJson<SubscribeInput>,
) -> ApiResult<(StatusCode, Json<Subscribed>)> {
    let done = subscribe_tenant(&state, &p, app_id, input.plan_id).await?;
    Ok((StatusCode::CREATED, Json(done)))
}

/// Subscribes the caller's tenant to a plan (what `POST …/subscribe` does).
pub async fn subscribe_tenant(
    state: &AppState,
    p: &Principal,
    app_id: String,
    plan_id: PlanId,
) -> ApiResult<Subscribed> {
    let tenant = p.tenant()?;
    let plan = state.store.get_plan(plan_id).await?;
    if plan.app_id != app_id {
        return Err(Error::NotFound(Resource::Plan).into());
    }
    if !plan.active {
        return Err(field("plan_id", "the plan is retired", "该套餐已下架"));
    }
    let now = Utc::now();
    let current = state.store.get_subscription(tenant, &app_id).await?;
    let mut sub = current.clone().unwrap_or(Subscription {
        tenant_id: tenant,
        app_id: app_id.clone(),
        plan_id: plan.id,
        status: SubscriptionStatus::Pending,
        period_end: None,
        trial_used: false,
        paused: vec![],
        created_at: now,
        updated_at: now,
    });
    sub.updated_at = now;
    let actor = p.actor();
    match plan.kind {
        PlanKind::Free | PlanKind::PerCall => {
            sub.plan_id = plan.id;
            sub.status = SubscriptionStatus::Active;
            sub.period_end = None;
            let s = state.store.put_subscription(&actor, &sub).await?;
            resume(state, &actor, &s).await?;
            return Ok(Subscribed {
                subscription: state
                    .store
                    .get_subscription(tenant, &app_id)
                    .await?
                    .unwrap_or(s),
                order: None,
                payment: None,
            });
        }
        PlanKind::Monthly | PlanKind::Yearly => {}
    }
    if plan.trial_days > 0 && !sub.trial_used && current.is_none() {
        sub.plan_id = plan.id;
        sub.status = SubscriptionStatus::Trial;
        sub.trial_used = true;
        sub.period_end = Some(now + chrono::Duration::days(plan.trial_days));
        let s = state.store.put_subscription(&actor, &sub).await?;
        return Ok(Subscribed {
            subscription: s,
            order: None,
            payment: None,
        });
    }
    // An order for this app still waiting for its payment is the answer again (for the
    // same plan), or must be cancelled first (for another).
    let waiting = state
        .store
        .list_orders(
            &OrderFilter {
                tenant: Some(tenant),
                status: Some(OrderStatus::Pending),
                app_id: Some(app_id.clone()),
                ..Default::default()
            },
            &page_request(Some(1), Some(100), None, Some("-created_at"))?,
        )
        .await?
        .items
        .into_iter()
        .find(|o| o.kind == "subscription");
    if let Some(order) = waiting {
        if order.plan_id != plan.id {
            return Err(field(
                "plan_id",
                format!(
                    "order {} for {app_id} is waiting for its payment: cancel it before ordering another plan",
                    order.reference
                ),
                format!(
                    "{app_id} 的订单 {} 正在等待付款：请先取消该订单再订购其他套餐",
                    order.reference
                ),
            ));
        }
        return Ok(Subscribed {
            subscription: current.unwrap_or(sub),
            payment: Some(instructions(&order)),
            order: Some(order),
        });
    }
    let period = if plan.kind == PlanKind::Yearly {
        "1 year / 1 年"
    } else {
        "1 month / 1 个月"
    };
    let order = new_order(
        state,
        tenant,
        &plan,
        OrderFor {
            kind: "subscription",
            usage_month: None,
            quantity: 1,
            amount: plan.price,
            description: format!("{app_id} — {} / {} ({period})", plan.name.en, plan.name.zh),
        },
    )
    .await?;
    if current.is_none() {
        sub.plan_id = plan.id;
    }
    let order = state.store.create_order(&actor, &order, Some(&sub)).await?;
    Ok(Subscribed {
        subscription: sub,
        payment: Some(instructions(&order)),
        order: Some(order),
    })
}

/// The tenant's subscriptions.
#[utoipa::path(get, path = "/api/v1/market/subscriptions", tag = "market",
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<Subscription>)))]
async fn my_subscriptions(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<Json<Vec<Subscription>>> {
    Ok(Json(
        state.store.list_subscriptions(Some(p.tenant()?)).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrderQuery {
    page: Option<u32>,
    page_size: Option<u32>,
    /// `created_at` (default `-created_at`), `amount`, with `-` for descending.
    sort: Option<String>,
    /// Only orders of this status (`pending`, `paid`, `cancelled`, `refunded`).
    status: Option<String>,
    /// Only orders of this app.
    app_id: Option<String>,
}

impl OrderQuery {
    /// The filter asked for, within `scope` (a tenant's or a developer's orders).
    fn filter(&self, scope: OrderFilter) -> ApiResult<OrderFilter> {
        let status = match self.status.as_deref() {
            None => None,
            Some(s) => Some(OrderStatus::parse(s).ok_or_else(|| {
                FieldError::new(
                    "status",
                    FieldErrorKind::OneOf {
                        allowed: ["pending", "paid", "cancelled", "refunded"]
                            .map(String::from)
                            .to_vec(),
                    },
                )
            })?),
        };
        Ok(OrderFilter {
            status,
            app_id: self.app_id.clone(),
            ..scope
        })
    }
}

/// The tenant's orders, newest first.
#[utoipa::path(get, path = "/api/v1/market/orders", tag = "market", params(OrderQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<Order>)))]
async fn my_orders(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<OrderQuery>,
) -> ApiResult<Json<Page<Order>>> {
    let page = page_request(q.page, q.page_size, q.sort.as_deref(), Some("-created_at"))?;
    Ok(Json(
        state
            .store
            .list_orders(
                &q.filter(OrderFilter {
                    tenant: Some(p.tenant()?),
                    ..Default::default()
                })?,
                &page,
            )
            .await?,
    ))
}

async fn tenant_order(state: &AppState, p: &Principal, id: OrderId) -> ApiResult<Order> {
    let o = state.store.get_order(id).await?;
    if Some(o.tenant_id) != p.tenant_id {
        return Err(Error::NotFound(Resource::Order).into());
    }
    Ok(o)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    #[serde(flatten)]
    pub order: Order,
    pub payment: Option<PaymentInstructions>,
}

/// One of the tenant's orders (with how to pay it while it is pending).
#[utoipa::path(get, path = "/api/v1/market/orders/{id}", tag = "market",
    params(("id" = OrderId, Path)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)))]
async fn my_order(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<OrderId>,
) -> ApiResult<Json<OrderView>> {
    let order = tenant_order(&state, &p, id).await?;
    Ok(Json(OrderView {
        payment: (order.status == OrderStatus::Pending).then(|| instructions(&order)),
        order,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceLine {
    pub description: String,
    pub quantity: i64,
    pub amount: i64,
}

/// An invoice: what was bought, from whom, by whom, paid when.
#[derive(Debug, Serialize, ToSchema)]
pub struct Invoice {
    pub invoice_no: String,
    pub issued_at: chrono::DateTime<Utc>,
    /// The developer (seller) and the platform (which collects).
    pub seller: String,
    pub collected_by: String,
    pub buyer: String,
    pub lines: Vec<InvoiceLine>,
    pub total: i64,
    pub currency: String,
    pub payment_reference: String,
    pub status: OrderStatus,
}

/// The invoice of a paid (or refunded) order.
#[utoipa::path(get, path = "/api/v1/market/orders/{id}/invoice", tag = "market",
    params(("id" = OrderId, Path)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Invoice), (status = 404, body = ErrorBody)))]
async fn invoice(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<OrderId>,
) -> ApiResult<Json<Invoice>> {
    let o = tenant_order(&state, &p, id).await?;
    let (Some(no), Some(paid_at)) = (o.invoice_no.clone(), o.paid_at) else {
        return Err(field(
            "status",
            "the order is not paid: it has no invoice yet",
            "订单尚未支付，还没有发票",
        ));
    };
    let seller = state.store.get_developer(o.developer_id).await?;
    let buyer = state.store.get_tenant(o.tenant_id).await?;
    Ok(Json(Invoice {
        invoice_no: no,
        issued_at: paid_at,
        seller: seller.organisation.unwrap_or(seller.name),
        collected_by: "Ironloom marketplace".into(),
        buyer: buyer.name,
        lines: vec![InvoiceLine {
            description: o.description.clone(),
            quantity: o.quantity,
            amount: o.amount,
        }],
        total: o.amount,
        currency: o.currency,
        payment_reference: o.reference,
        status: o.status,
    }))
}

/// Cancel a pending order.
#[utoipa::path(post, path = "/api/v1/market/orders/{id}/cancel", tag = "market",
    params(("id" = OrderId, Path)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Order), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn cancel_order(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<OrderId>,
) -> ApiResult<Json<Order>> {
    tenant_order(&state, &p, id).await?;
    let (o, _) = state
        .store
        .close_order(&p.actor(), id, OrderStatus::Cancelled, None)
        .await?;
    Ok(Json(o))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeveloperOrders {
    #[serde(flatten)]
    pub page: Page<Order>,
    /// What the platform owes the developer (fen): its share of paid orders less refunds,
    /// from the ledger (invoiced but unpaid orders are included while they stand).
    pub balance: i64,
}

/// Orders of the calling developer's apps, and its balance.
#[utoipa::path(get, path = "/api/v1/market/developer/orders", tag = "market", params(OrderQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = DeveloperOrders)))]
async fn developer_orders(
    State(state): State<AppState>,
    Extension(DeveloperCaller(d)): Extension<DeveloperCaller>,
    ApiQuery(q): ApiQuery<OrderQuery>,
) -> ApiResult<Json<DeveloperOrders>> {
    let page = page_request(q.page, q.page_size, q.sort.as_deref(), Some("-created_at"))?;
    let account = format!("developer:{}", d.id);
    let balance = state
        .store
        .balances()
        .await?
        .into_iter()
        .find(|b| b.account == account)
        .map_or(0, |b| -b.amount);
    Ok(Json(DeveloperOrders {
        page: state
            .store
            .list_orders(
                &q.filter(OrderFilter {
                    developer: Some(d.id),
                    ..Default::default()
                })?,
                &page,
            )
            .await?,
        balance,
    }))
}

/// Every order, newest first (the finance desk).
#[utoipa::path(get, path = "/api/v1/market/finance/orders", tag = "market", params(OrderQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<Order>)))]
async fn finance_orders(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<OrderQuery>,
) -> ApiResult<Json<Page<Order>>> {
    let page = page_request(q.page, q.page_size, q.sort.as_deref(), Some("-created_at"))?;
    Ok(Json(
        state
            .store
            .list_orders(&q.filter(OrderFilter::default())?, &page)
            .await?,
    ))
}

/// Starts again the installations an expiry paused (after a renewal).
async fn resume(state: &AppState, actor: &Actor, sub: &Subscription) -> ApiResult<()> {
    if sub.paused.is_empty() || !sub.status.runs() {
        return Ok(());
    }
    for id in &sub.paused {
        let why = format!(
            "started again: the subscription to {} runs{}",
            sub.app_id,
            sub.period_end
                .map(|e| format!(" until {}", e.format("%Y-%m-%d %H:%M UTC")))
                .unwrap_or_default()
        );
        match super::apps::set_enabled(state, actor, sub.tenant_id, *id, true, &why).await {
            Ok(_) | Err(Error::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let mut s = sub.clone();
    s.paused.clear();
    state.store.put_subscription(actor, &s).await?;
    Ok(())
}

/// Pauses the tenant's installations of an app whose subscription ended, saying why.
pub async fn pause(state: &AppState, actor: &Actor, sub: &Subscription) -> ApiResult<()> {
    let mut s = sub.clone();
    if s.status.runs() {
        s.status = SubscriptionStatus::Expired;
    }
    let why = format!(
        "paused: the subscription to {} ended{}; renew it in the store (the app's data is kept)",
        s.app_id,
        s.period_end
            .map(|e| format!(" on {}", e.format("%Y-%m-%d %H:%M UTC")))
            .unwrap_or_default()
    );
    for i in state.store.list_installations(s.tenant_id).await? {
        if i.spec.app_id != s.app_id {
            continue;
        }
        if super::apps::set_enabled(state, actor, s.tenant_id, i.id, false, &why).await?
            && !s.paused.contains(&i.id)
        {
            s.paused.push(i.id);
        }
    }
    s.updated_at = Utc::now();
    state.store.put_subscription(actor, &s).await?;
    Ok(())
}

/// Ends every subscription whose period is over (run every minute by the server).
pub async fn expire_due(state: &AppState) -> ApiResult<usize> {
    let actor = Actor::system("marketplace billing");
    let due = state.store.due_subscriptions(Utc::now()).await?;
    for s in &due {
        pause(state, &actor, s).await?;
    }
    Ok(due.len())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExpiryRun {
    /// Subscriptions ended now.
    pub expired: usize,
}

/// End every subscription whose period is over now (the server does it every minute).
#[utoipa::path(post, path = "/api/v1/market/finance/expire-due", tag = "market",
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = ExpiryRun)))]
async fn run_expiry(State(state): State<AppState>) -> ApiResult<Json<ExpiryRun>> {
    Ok(Json(ExpiryRun {
        expired: expire_due(&state).await?,
    }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseInput {
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Settled {
    pub order: Order,
    pub subscription: Option<Subscription>,
}

/// Confirm that a pending order's bank transfer arrived (the offline provider): the order
/// is paid and invoiced, and a subscription runs for its period (paused installations
/// start again).
#[utoipa::path(post, path = "/api/v1/market/finance/orders/{id}/confirm-payment", tag = "market",
    params(("id" = OrderId, Path)), security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Settled), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn confirm_payment(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<OrderId>,
) -> ApiResult<Json<Settled>> {
    let order = state.store.get_order(id).await?;
    let plan = state.store.get_plan(order.plan_id).await?;
    let extend = (order.kind == "subscription").then_some(plan.kind);
    let actor = p.actor();
    let (order, sub) = state.store.pay_order(&actor, id, extend).await?;
    if let Some(s) = &sub {
        resume(&state, &actor, s).await?;
    }
    let subscription = state
        .store
        .get_subscription(order.tenant_id, &order.app_id)
        .await?;
    Ok(Json(Settled {
        order,
        subscription,
    }))
}

/// Refund a paid order: the money goes back (reversing postings); a refunded period ends
/// the subscription now and pauses the app.
#[utoipa::path(post, path = "/api/v1/market/finance/orders/{id}/refund", tag = "market",
    params(("id" = OrderId, Path)), request_body = CloseInput,
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Settled), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn refund(
    State(state): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<OrderId>,
    ApiJson(input): ApiJson<CloseInput>,
) -> ApiResult<Json<Settled>> {
    let note = input
        .note
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    if note.is_none() {
        return Err(FieldError::new("note", FieldErrorKind::Required).into());
    }
    let actor = p.actor();
    let (order, sub) = state
        .store
        .close_order(&actor, id, OrderStatus::Refunded, note)
        .await?;
    if let Some(s) = &sub
        && !s.status.runs()
    {
        pause(&state, &actor, s).await?;
    }
    let subscription = state
        .store
        .get_subscription(order.tenant_id, &order.app_id)
        .await?;
    Ok(Json(Settled {
        order,
        subscription,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BillingInput {
    /// `YYYY-MM`, a month that has ended.
    pub month: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BillingRun {
    pub month: String,
    /// Orders made now (a tenant, app and month is billed once).
    pub orders: Vec<Order>,
    /// Per-call subscriptions whose calls stayed within the included calls.
    pub within_included: u64,
}

/// Bill a month of per-call plans from the metering counters (the apps' invocations in
/// each tenant): calls beyond the included ones at the plan's price per 1000, rounded up
/// to whole thousands.
#[utoipa::path(post, path = "/api/v1/market/finance/usage-billing", tag = "market",
    request_body = BillingInput, security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = BillingRun), (status = 422, body = ErrorBody)))]
async fn usage_billing(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(input): ApiJson<BillingInput>,
) -> ApiResult<Json<BillingRun>> {
    let month = chrono::NaiveDate::parse_from_str(&format!("{}-01", input.month), "%Y-%m-%d")
        .map_err(|_| field("month", "must be YYYY-MM", "格式须为 YYYY-MM"))?;
    let this_month = Utc::now().date_naive().format("%Y-%m").to_string();
    if input.month.len() != 7 || input.month >= this_month {
        return Err(field(
            "month",
            "must be a month that has ended",
            "必须是已结束的月份",
        ));
    }
    let _ = month;
    let mut orders = Vec::new();
    let mut within = 0;
    for sub in state.store.list_subscriptions(None).await? {
        let plan = state.store.get_plan(sub.plan_id).await?;
        if plan.kind != PlanKind::PerCall || sub.status == SubscriptionStatus::Cancelled {
            continue;
        }
        let calls: u64 = state
            .store
            .app_usage(sub.tenant_id, &input.month, &input.month)
            .await?
            .iter()
            .filter(|r| r.app_id == sub.app_id)
            .map(|r| r.invocations)
            .sum();
        let billable = i64::try_from(calls).unwrap_or(i64::MAX) - plan.included_calls;
        if billable <= 0 {
            within += 1;
            continue;
        }
        let thousands = (billable + 999) / 1000;
        let order = new_order(
            &state,
            sub.tenant_id,
            &plan,
            OrderFor {
                kind: "usage",
                usage_month: Some(input.month.clone()),
                quantity: thousands,
                amount: thousands * plan.price_per_1000_calls,
                description: format!(
                    "{} — {} calls in {} ({} included), {} × 1000 / {} 共 {} 次调用（含 {} 次免费），计 {} 个千次",
                    sub.app_id,
                    calls,
                    input.month,
                    plan.included_calls,
                    thousands,
                    input.month,
                    calls,
                    plan.included_calls,
                    thousands
                ),
            },
        )
        .await?;
        match state.store.create_order(&p.actor(), &order, None).await {
            Ok(o) => orders.push(o),
            // Billed already.
            Err(Error::AlreadyExists { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Json(BillingRun {
        month: input.month,
        orders,
        within_included: within,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LedgerQuery {
    account: Option<String>,
    page: Option<u32>,
    page_size: Option<u32>,
    sort: Option<String>,
}

/// The ledger's postings (of one account with `account`), newest first.
#[utoipa::path(get, path = "/api/v1/market/finance/ledger", tag = "market", params(LedgerQuery),
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Page<Posting>)))]
async fn ledger(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<LedgerQuery>,
) -> ApiResult<Json<Page<Posting>>> {
    let page = page_request(q.page, q.page_size, q.sort.as_deref(), Some("-posted_at"))?;
    Ok(Json(
        state
            .store
            .list_postings(q.account.as_deref(), &page)
            .await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Balances {
    pub accounts: Vec<Balance>,
    /// The sum of every account: zero when the ledger balances.
    pub total: i64,
    pub balanced: bool,
}

/// Every account's balance, and whether the ledger balances.
#[utoipa::path(get, path = "/api/v1/market/finance/balances", tag = "market",
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Balances)))]
async fn balances(State(state): State<AppState>) -> ApiResult<Json<Balances>> {
    let accounts = state.store.balances().await?;
    let total = accounts.iter().map(|a| a.amount).sum();
    Ok(Json(Balances {
        accounts,
        total,
        balanced: total == 0,
    }))
}
