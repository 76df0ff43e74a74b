//! The marketplace's trading: plans a developer offers for an app (free, monthly or yearly
//! subscriptions with an optional trial, per call), tenants' subscriptions, orders with
//! their invoices and refunds, and a double-entry ledger between tenants, developers and
//! the platform that always balances.
//!
//! Money is in fen (分, 1/100 yuan), as integers. Every ledger transaction's postings sum
//! to zero; the accounts are `tenant:{id}` (what a tenant owes: positive is owed),
//! `developer:{id}` (what the platform owes a developer: negative is owed), `platform:fees`
//! (the platform's fee revenue, negative as revenue) and `platform:bank` (money received).

use crate::ids::{DeveloperId, OrderId, PlanId, TenantId};
use crate::market::LocalText;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How a plan charges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanKind {
    Free,
    Monthly,
    Yearly,
    /// Billed after each month for the app's invocations in the tenant beyond
    /// `included_calls` (the metering counters of `app_usage`).
    PerCall,
}

impl PlanKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanKind::Free => "free",
            PlanKind::Monthly => "monthly",
            PlanKind::Yearly => "yearly",
            PlanKind::PerCall => "per_call",
        }
    }

    pub fn parse(s: &str) -> Option<PlanKind> {
        [
            PlanKind::Free,
            PlanKind::Monthly,
            PlanKind::Yearly,
            PlanKind::PerCall,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Paid in advance for a period.
    pub fn is_subscription(self) -> bool {
        matches!(self, PlanKind::Monthly | PlanKind::Yearly)
    }

    fn period_months(self) -> chrono::Months {
        chrono::Months::new(if self == PlanKind::Yearly { 12 } else { 1 })
    }

    /// The end of a paid period that starts at `from`.
    pub fn period_end(self, from: DateTime<Utc>) -> DateTime<Utc> {
        from.checked_add_months(self.period_months())
            .unwrap_or(from)
    }

    /// The start of a paid period that ends at `end` (a refunded period comes off the end).
    pub fn period_start(self, end: DateTime<Utc>) -> DateTime<Utc> {
        end.checked_sub_months(self.period_months()).unwrap_or(end)
    }
}

/// A plan a developer offers for one of its apps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Plan {
    pub id: PlanId,
    pub app_id: String,
    pub name: LocalText,
    pub kind: PlanKind,
    /// Per period (monthly, yearly), in fen.
    pub price: i64,
    /// Per call plans: calls a month that cost nothing, and the price of 1000 more (fen).
    pub included_calls: i64,
    pub price_per_1000_calls: i64,
    /// Subscription plans: days a tenant may try the app first (once per app).
    pub trial_days: i64,
    /// A retired plan takes no new subscriptions.
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

/// Where a tenant's subscription to an app is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    /// Ordered, waiting for the payment.
    Pending,
    Trial,
    Active,
    /// The paid period or trial ended: the tenant's installations of the app are paused.
    Expired,
    Cancelled,
}

impl SubscriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Pending => "pending",
            SubscriptionStatus::Trial => "trial",
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::Expired => "expired",
            SubscriptionStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<SubscriptionStatus> {
        [
            SubscriptionStatus::Pending,
            SubscriptionStatus::Trial,
            SubscriptionStatus::Active,
            SubscriptionStatus::Expired,
            SubscriptionStatus::Cancelled,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// The app may run.
    pub fn runs(self) -> bool {
        matches!(self, SubscriptionStatus::Trial | SubscriptionStatus::Active)
    }
}

/// A tenant's subscription to an app (one per tenant and app).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Subscription {
    pub tenant_id: TenantId,
    pub app_id: String,
    pub plan_id: PlanId,
    pub status: SubscriptionStatus,
    /// The end of the paid period or trial (none for free and per-call plans).
    pub period_end: Option<DateTime<Utc>>,
    /// Whether the tenant has had its trial of the app.
    pub trial_used: bool,
    /// Installations the expiry paused, started again when it is renewed.
    pub paused: Vec<crate::ids::InstallationId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Where an order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Invoiced, waiting for the payment.
    Pending,
    Paid,
    Cancelled,
    Refunded,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Paid => "paid",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<OrderStatus> {
        [
            OrderStatus::Pending,
            OrderStatus::Paid,
            OrderStatus::Cancelled,
            OrderStatus::Refunded,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// An order: a subscription period bought, or a month of calls billed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Order {
    pub id: OrderId,
    pub tenant_id: TenantId,
    pub app_id: String,
    pub plan_id: PlanId,
    pub developer_id: DeveloperId,
    /// `subscription` (a period) or `usage` (a month of calls, `YYYY-MM` in `usage_month`).
    pub kind: String,
    pub usage_month: Option<String>,
    /// What it is for, for the invoice.
    pub description: String,
    pub quantity: i64,
    pub amount: i64,
    pub currency: String,
    /// The platform's share, in fen.
    pub fee: i64,
    pub status: OrderStatus,
    /// The payment provider (`offline`: a bank transfer confirmed by the platform).
    pub provider: String,
    /// What the tenant quotes with its transfer.
    pub reference: String,
    pub invoice_no: Option<String>,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
}

/// One posting of the ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Posting {
    /// The ledger transaction it belongs to (its postings sum to zero).
    pub txn: String,
    pub account: String,
    /// Fen; positive is a debit, negative a credit.
    pub amount: i64,
    pub order_id: Option<OrderId>,
    pub memo: String,
    pub posted_at: DateTime<Utc>,
}

/// An account's balance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Balance {
    pub account: String,
    pub amount: i64,
    pub postings: u64,
}

/// Which orders to list: a tenant's, a developer's, or all; of one status and app.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub tenant: Option<TenantId>,
    pub developer: Option<DeveloperId>,
    pub status: Option<OrderStatus>,
    pub app_id: Option<String>,
}

/// Whether an app with these plans is paid: it has plans and none of them is an active
/// free plan (a tenant must then subscribe before taking or running it).
pub fn is_paid(plans: &[Plan]) -> bool {
    !plans.is_empty() && !plans.iter().any(|p| p.active && p.kind == PlanKind::Free)
}

/// The platform's fee, in basis points of an order (2000: 20 %).
pub const DEFAULT_FEE_BP: i64 = 2000;

/// The postings of an order invoiced: the tenant owes the amount; the developer is owed
/// it less the platform's fee; the fee is the platform's revenue.
pub fn invoiced(order: &Order) -> Vec<(String, i64)> {
    vec![
        (format!("tenant:{}", order.tenant_id), order.amount),
        (
            format!("developer:{}", order.developer_id),
            -(order.amount - order.fee),
        ),
        ("platform:fees".into(), -order.fee),
    ]
}

/// The postings of an order paid: the money is in the bank; the tenant owes nothing.
pub fn paid(order: &Order) -> Vec<(String, i64)> {
    vec![
        ("platform:bank".into(), order.amount),
        (format!("tenant:{}", order.tenant_id), -order.amount),
    ]
}

/// The postings that undo an order: a refund of a paid one (money back, the developer's
/// share and the fee reversed) or the cancellation of an unpaid one (the invoice reversed).
pub fn reversed(order: &Order, was_paid: bool) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = invoiced(order).into_iter().map(|(a, v)| (a, -v)).collect();
    if was_paid {
        out.extend(paid(order).into_iter().map(|(a, v)| (a, -v)));
    }
    out
}

/// The fee on an amount, rounded half up to the fen.
pub fn fee_of(amount: i64, fee_bp: i64) -> i64 {
    (amount * fee_bp + 5000).div_euclid(10_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(amount: i64) -> Order {
        Order {
            id: OrderId::new(),
            tenant_id: TenantId::new(),
            app_id: "acme.oee".into(),
            plan_id: PlanId::new(),
            developer_id: DeveloperId::new(),
            kind: "subscription".into(),
            usage_month: None,
            description: "OEE, 1 month".into(),
            quantity: 1,
            amount,
            currency: "CNY".into(),
            fee: fee_of(amount, DEFAULT_FEE_BP),
            status: OrderStatus::Pending,
            provider: "offline".into(),
            reference: "R".into(),
            invoice_no: None,
            created_at: Utc::now(),
            paid_at: None,
            closed_at: None,
            note: None,
        }
    }

    #[test]
    fn every_transaction_balances() {
        for amount in [0, 1, 99, 9_900, 123_457] {
            let o = order(amount);
            for postings in [
                invoiced(&o),
                paid(&o),
                reversed(&o, true),
                reversed(&o, false),
            ] {
                assert_eq!(postings.iter().map(|p| p.1).sum::<i64>(), 0, "{postings:?}");
            }
        }
        // 20 % of 99.99 yuan is 20.00 (19.998 rounded).
        assert_eq!(fee_of(9_999, 2000), 2000);
        assert_eq!(fee_of(1, 2000), 0);
        assert_eq!(fee_of(3, 2000), 1);
    }

    #[test]
    fn periods_end_a_month_or_a_year_later() {
        let from = "2026-01-31T10:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            PlanKind::Monthly.period_end(from).to_rfc3339(),
            "2026-02-28T10:00:00+00:00"
        );
        assert_eq!(
            PlanKind::Yearly.period_end(from).to_rfc3339(),
            "2027-01-31T10:00:00+00:00"
        );
    }
}
