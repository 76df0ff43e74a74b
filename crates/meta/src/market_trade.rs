//! The marketplace's trading: plans, subscriptions, orders and the double-entry ledger.
//! Every change of an order writes its postings in the same transaction, so the ledger
//! and the orders never disagree; each transaction's postings are checked to sum to zero
//! before anything is written.

use crate::SqlStore;
use crate::change::*;
use crate::sql::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ironloom_core::entity::*;
use ironloom_core::error::{Error, FieldErrorKind, Result};
use ironloom_core::ids::{OrderId, PlanId, TenantId};
use ironloom_core::repo::TradeRepo;
use ironloom_core::trade::*;
use serde_json::json;
use sqlx::any::AnyRow;

const PLAN_COLUMNS: &str = "id, app_id, name, kind, price, included_calls, \
    price_per_1000_calls, trial_days, active, created_at";

fn plan_from_row(row: &AnyRow) -> Result<Plan> {
    Ok(Plan {
        id: parse(row, "id")?,
        app_id: text(row, "app_id")?,
        name: json(row, "name")?,
        kind: enum_col(row, "kind", PlanKind::parse)?,
        price: int(row, "price")?,
        included_calls: int(row, "included_calls")?,
        price_per_1000_calls: int(row, "price_per_1000_calls")?,
        trial_days: int(row, "trial_days")?,
        active: flag(row, "active")?,
        created_at: ts(row, "created_at")?,
    })
}

const SUB_COLUMNS: &str =
    "tenant_id, app_id, plan_id, status, period_end, trial_used, paused, created_at, updated_at";

fn sub_from_row(row: &AnyRow) -> Result<Subscription> {
    Ok(Subscription {
        tenant_id: parse(row, "tenant_id")?,
        app_id: text(row, "app_id")?,
        plan_id: parse(row, "plan_id")?,
        status: enum_col(row, "status", SubscriptionStatus::parse)?,
        period_end: opt_ts(row, "period_end")?,
        trial_used: flag(row, "trial_used")?,
        paused: json(row, "paused")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

const ORDER_COLUMNS: &str = "id, tenant_id, app_id, plan_id, developer_id, kind, usage_month, \
    description, quantity, amount, currency, fee, status, provider, reference, invoice_no, \
    created_at, paid_at, closed_at, note";

fn order_from_row(row: &AnyRow) -> Result<Order> {
    Ok(Order {
        id: parse(row, "id")?,
        tenant_id: parse(row, "tenant_id")?,
        app_id: text(row, "app_id")?,
        plan_id: parse(row, "plan_id")?,
        developer_id: parse(row, "developer_id")?,
        kind: text(row, "kind")?,
        usage_month: opt_text(row, "usage_month")?,
        description: text(row, "description")?,
        quantity: int(row, "quantity")?,
        amount: int(row, "amount")?,
        currency: text(row, "currency")?,
        fee: int(row, "fee")?,
        status: enum_col(row, "status", OrderStatus::parse)?,
        provider: text(row, "provider")?,
        reference: text(row, "reference")?,
        invoice_no: opt_text(row, "invoice_no")?,
        created_at: ts(row, "created_at")?,
        paid_at: opt_ts(row, "paid_at")?,
        closed_at: opt_ts(row, "closed_at")?,
        note: opt_text(row, "note")?,
    })
}

const POSTING_COLUMNS: &str = "id, txn, account, amount, order_id, memo, posted_at";

fn posting_from_row(row: &AnyRow) -> Result<Posting> {
    Ok(Posting {
        txn: text(row, "txn")?,
        account: text(row, "account")?,
        amount: int(row, "amount")?,
        order_id: opt_parse(row, "order_id")?,
        memo: text(row, "memo")?,
        posted_at: ts(row, "posted_at")?,
    })
}

/// Writes one balanced transaction's postings.
async fn post(
    conn: &mut sqlx::AnyConnection,
    order: Option<OrderId>,
    memo: &str,
    postings: &[(String, i64)],
) -> Result<String> {
    if postings.iter().map(|p| p.1).sum::<i64>() != 0 {
        return Err(Error::storage(
            "post ledger transaction",
            format!("the postings do not balance: {postings:?}"),
        ));
    }
    let txn = uuid::Uuid::now_v7().to_string();
    let at = now();
    let mut sql = Sql::new(&format!(
        "INSERT INTO market_ledger ({POSTING_COLUMNS}) VALUES "
    ));
    for (i, (account, amount)) in postings.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push("(")
            .bind(uuid::Uuid::now_v7().to_string())
            .push(", ")
            .bind(txn.clone())
            .push(", ")
            .bind(account.clone())
            .push(", ")
            .bind(*amount)
            .push(", ")
            .bind(order.map(|o| o.to_string()))
            .push(", ")
            .bind(memo)
            .push(", ")
            .bind(at)
            .push(")");
    }
    sql.query()
        .execute(conn)
        .await
        .map_err(storage("post ledger transaction"))?;
    Ok(txn)
}

async fn write_sub(conn: &mut sqlx::AnyConnection, sub: &Subscription) -> Result<()> {
    let mut del = Sql::new("DELETE FROM market_subscriptions WHERE tenant_id = ");
    del.bind(sub.tenant_id.to_string())
        .and("app_id =", sub.app_id.clone());
    del.query()
        .execute(&mut *conn)
        .await
        .map_err(storage("replace subscription"))?;
    let mut sql = Sql::new(&format!(
        "INSERT INTO market_subscriptions ({SUB_COLUMNS}) VALUES ("
    ));
    sql.bind(sub.tenant_id.to_string())
        .push(", ")
        .bind(sub.app_id.clone())
        .push(", ")
        .bind(sub.plan_id.to_string())
        .push(", ")
        .bind(sub.status.as_str())
        .push(", ")
        .bind(sub.period_end.map(truncate_ms))
        .push(", ")
        .bind(sub.trial_used)
        .push(", ")
        .bind(to_json(&sub.paused)?)
        .push(", ")
        .bind(truncate_ms(sub.created_at))
        .push(", ")
        .bind(truncate_ms(sub.updated_at))
        .push(")");
    sql.query()
        .execute(conn)
        .await
        .map_err(db_err("store subscription", Resource::Subscription))?;
    Ok(())
}

async fn read_sub(
    conn: &mut sqlx::AnyConnection,
    tenant: TenantId,
    app_id: &str,
) -> Result<Option<Subscription>> {
    let mut sql = Sql::new(&format!(
        "SELECT {SUB_COLUMNS} FROM market_subscriptions WHERE tenant_id = "
    ));
    sql.bind(tenant.to_string()).and("app_id =", app_id);
    sql.query()
        .fetch_optional(conn)
        .await
        .map_err(storage("read subscription"))?
        .as_ref()
        .map(sub_from_row)
        .transpose()
}

async fn plan_kind(conn: &mut sqlx::AnyConnection, id: PlanId) -> Result<PlanKind> {
    let mut sql = Sql::new("SELECT kind FROM market_plans WHERE id = ");
    sql.bind(id.to_string());
    let row = sql
        .query()
        .fetch_optional(&mut *conn)
        .await
        .map_err(storage("read plan"))?
        .ok_or(Error::NotFound(Resource::Plan))?;
    enum_col(&row, "kind", PlanKind::parse)
}

async fn read_order(conn: &mut sqlx::AnyConnection, id: OrderId) -> Result<Order> {
    let mut sql = Sql::new(&format!(
        "SELECT {ORDER_COLUMNS} FROM market_orders WHERE id = "
    ));
    sql.bind(id.to_string());
    let row = sql
        .query()
        .fetch_optional(conn)
        .await
        .map_err(storage("read order"))?
        .ok_or(Error::NotFound(Resource::Order))?;
    order_from_row(&row)
}

fn not_now(order: &Order, step: &str) -> Error {
    Error::invalid(
        "status",
        FieldErrorKind::Other {
            en: format!(
                "the order is {}; it cannot be {step}",
                order.status.as_str()
            ),
            zh: format!("订单状态为 {}，不能执行此操作", order.status.as_str()),
        },
    )
}

#[async_trait]
impl TradeRepo for SqlStore {
    async fn create_plan(&self, actor: &Actor, plan: &Plan) -> Result<Plan> {
        let mut tx = self.begin().await?;
        let mut sql = Sql::new(&format!(
            "INSERT INTO market_plans ({PLAN_COLUMNS}) VALUES ("
        ));
        sql.bind(plan.id.to_string())
            .push(", ")
            .bind(plan.app_id.clone())
            .push(", ")
            .bind(to_json(&plan.name)?)
            .push(", ")
            .bind(plan.kind.as_str())
            .push(", ")
            .bind(plan.price)
            .push(", ")
            .bind(plan.included_calls)
            .push(", ")
            .bind(plan.price_per_1000_calls)
            .push(", ")
            .bind(plan.trial_days)
            .push(", ")
            .bind(plan.active)
            .push(", ")
            .bind(truncate_ms(plan.created_at))
            .push(")");
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(db_err("store plan", Resource::Plan))?;
        let details = json!({"app_id": plan.app_id, "kind": plan.kind, "price": plan.price,
            "price_per_1000_calls": plan.price_per_1000_calls, "trial_days": plan.trial_days});
        let entry = audit_entry(None, "create", Resource::Plan, plan.id, details);
        commit_audited(tx, actor, entry).await?;
        Ok(Plan {
            created_at: truncate_ms(plan.created_at),
            ..plan.clone()
        })
    }

    async fn get_plan(&self, id: PlanId) -> Result<Plan> {
        let mut sql = Sql::new(&format!(
            "SELECT {PLAN_COLUMNS} FROM market_plans WHERE id = "
        ));
        sql.bind(id.to_string());
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await
            .map_err(storage("read plan"))?
            .ok_or(Error::NotFound(Resource::Plan))?;
        plan_from_row(&row)
    }

    async fn list_plans(&self, app_id: &str) -> Result<Vec<Plan>> {
        let mut sql = Sql::new(&format!(
            "SELECT {PLAN_COLUMNS} FROM market_plans WHERE app_id = "
        ));
        sql.bind(app_id).push(" ORDER BY created_at, id");
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("list plans"))?;
        rows.iter().map(plan_from_row).collect()
    }

    async fn all_plans(&self) -> Result<Vec<Plan>> {
        let rows = Sql::new(&format!(
            "SELECT {PLAN_COLUMNS} FROM market_plans ORDER BY app_id, created_at, id"
        ))
        .query()
        .fetch_all(self.pool())
        .await
        .map_err(storage("list plans"))?;
        rows.iter().map(plan_from_row).collect()
    }

    async fn set_plan_active(&self, actor: &Actor, id: PlanId, active: bool) -> Result<Plan> {
        let mut tx = self.begin().await?;
        let mut sql = Sql::new("UPDATE market_plans SET active = ");
        sql.bind(active).push(" WHERE id = ").bind(id.to_string());
        let n = sql
            .query()
            .execute(&mut *tx)
            .await
            .map_err(storage("change plan"))?
            .rows_affected();
        if n == 0 {
            return Err(Error::NotFound(Resource::Plan));
        }
        let entry = audit_entry(
            None,
            "update",
            Resource::Plan,
            id,
            json!({"active": active}),
        );
        commit_audited(tx, actor, entry).await?;
        self.get_plan(id).await
    }

    async fn get_subscription(
        &self,
        tenant: TenantId,
        app_id: &str,
    ) -> Result<Option<Subscription>> {
        let mut conn = self
            .pool()
            .acquire()
            .await
            .map_err(storage("read subscription"))?;
        read_sub(&mut conn, tenant, app_id).await
    }

    async fn list_subscriptions(&self, tenant: Option<TenantId>) -> Result<Vec<Subscription>> {
        let mut sql = Sql::new(&format!(
            "SELECT {SUB_COLUMNS} FROM market_subscriptions WHERE 1 = 1"
        ));
        if let Some(t) = tenant {
            sql.and("tenant_id =", t.to_string());
        }
        sql.push(" ORDER BY app_id, tenant_id");
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("list subscriptions"))?;
        rows.iter().map(sub_from_row).collect()
    }

    async fn put_subscription(&self, actor: &Actor, sub: &Subscription) -> Result<Subscription> {
        let mut tx = self.begin().await?;
        write_sub(&mut tx, sub).await?;
        let details = json!({"app_id": sub.app_id, "plan_id": sub.plan_id,
            "status": sub.status, "period_end": sub.period_end});
        let entry = audit_entry(
            Some(sub.tenant_id),
            "subscribe",
            Resource::Subscription,
            &sub.app_id,
            details,
        );
        commit_audited(tx, actor, entry).await?;
        Ok(sub.clone())
    }

    async fn due_subscriptions(&self, now: DateTime<Utc>) -> Result<Vec<Subscription>> {
        let mut sql = Sql::new(&format!(
            "SELECT {SUB_COLUMNS} FROM market_subscriptions \
             WHERE status IN ('trial', 'active') AND period_end IS NOT NULL AND period_end < "
        ));
        sql.bind(now);
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("list due subscriptions"))?;
        rows.iter().map(sub_from_row).collect()
    }

    async fn create_order(
        &self,
        actor: &Actor,
        order: &Order,
        sub: Option<&Subscription>,
    ) -> Result<Order> {
        let mut tx = self.begin().await?;
        let mut sql = Sql::new(&format!(
            "INSERT INTO market_orders ({ORDER_COLUMNS}) VALUES ("
        ));
        sql.bind(order.id.to_string())
            .push(", ")
            .bind(order.tenant_id.to_string())
            .push(", ")
            .bind(order.app_id.clone())
            .push(", ")
            .bind(order.plan_id.to_string())
            .push(", ")
            .bind(order.developer_id.to_string())
            .push(", ")
            .bind(order.kind.clone())
            .push(", ")
            .bind(order.usage_month.clone())
            .push(", ")
            .bind(order.description.clone())
            .push(", ")
            .bind(order.quantity)
            .push(", ")
            .bind(order.amount)
            .push(", ")
            .bind(order.currency.clone())
            .push(", ")
            .bind(order.fee)
            .push(", ")
            .bind(order.status.as_str())
            .push(", ")
            .bind(order.provider.clone())
            .push(", ")
            .bind(order.reference.clone())
            .push(", NULL, ")
            .bind(truncate_ms(order.created_at))
            .push(", NULL, NULL, ")
            .bind(order.note.clone())
            .push(")");
        sql.query().execute(&mut *tx).await.map_err(|e| {
            let e = db_err("store order", Resource::Order)(e);
            with_value(
                e,
                "name",
                &format!("{} {:?}", order.app_id, order.usage_month),
            )
        })?;
        post(
            &mut tx,
            Some(order.id),
            &format!("invoice {}", order.description),
            &invoiced(order),
        )
        .await?;
        if let Some(s) = sub {
            write_sub(&mut tx, s).await?;
        }
        let details = json!({"app_id": order.app_id, "amount": order.amount, "fee": order.fee,
            "kind": order.kind, "usage_month": order.usage_month});
        let entry = audit_entry(
            Some(order.tenant_id),
            "order",
            Resource::Order,
            order.id,
            details,
        );
        let stored = read_order(&mut tx, order.id).await?;
        commit_audited(tx, actor, entry).await?;
        Ok(stored)
    }

    async fn get_order(&self, id: OrderId) -> Result<Order> {
        let mut conn = self.pool().acquire().await.map_err(storage("read order"))?;
        read_order(&mut conn, id).await
    }

    async fn list_orders(
        &self,
        filter: &OrderFilter,
        page: &PageRequest<OrderSort>,
    ) -> Result<Page<Order>> {
        let mut wh = Sql::new(" WHERE 1 = 1");
        if let Some(t) = filter.tenant {
            wh.and("tenant_id =", t.to_string());
        }
        if let Some(d) = filter.developer {
            wh.and("developer_id =", d.to_string());
        }
        if let Some(s) = filter.status {
            wh.and("status =", s.as_str());
        }
        if let Some(a) = &filter.app_id {
            wh.and("app_id =", a.clone());
        }
        list_page(
            self.pool(),
            "market_orders",
            ORDER_COLUMNS,
            wh,
            page,
            order_from_row,
        )
        .await
    }

    async fn pay_order(
        &self,
        actor: &Actor,
        id: OrderId,
        extend: Option<PlanKind>,
    ) -> Result<(Order, Option<Subscription>)> {
        let mut tx = self.begin().await?;
        let mut order = read_order(&mut tx, id).await?;
        if order.status != OrderStatus::Pending {
            return Err(not_now(&order, "paid"));
        }
        let at = now();
        // Invoice numbers run per month: INV-YYYYMM-000001.
        let prefix = format!("INV-{}-", at.format("%Y%m"));
        let mut n = Sql::new("SELECT COUNT(*) AS n FROM market_orders WHERE invoice_no LIKE ");
        n.bind(format!("{prefix}%"));
        let next = count(
            &n.query()
                .fetch_one(&mut *tx)
                .await
                .map_err(storage("number invoice"))?,
        )? + 1;
        let invoice = format!("{prefix}{next:06}");
        let mut sql = Sql::new("UPDATE market_orders SET status = 'paid', paid_at = ");
        sql.bind(at)
            .push(", invoice_no = ")
            .bind(invoice.clone())
            .push(" WHERE id = ")
            .bind(id.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("pay order"))?;
        post(
            &mut tx,
            Some(id),
            &format!("payment {invoice}"),
            &paid(&order),
        )
        .await?;
        let mut sub = read_sub(&mut tx, order.tenant_id, &order.app_id).await?;
        if let (Some(kind), Some(s)) = (extend, sub.as_mut()) {
            let from = match s.period_end {
                Some(end) if end > at && s.status.runs() => end,
                _ => at,
            };
            s.period_end = Some(kind.period_end(from));
            s.status = SubscriptionStatus::Active;
            s.plan_id = order.plan_id;
            s.updated_at = at;
            write_sub(&mut tx, s).await?;
        }
        order.status = OrderStatus::Paid;
        order.paid_at = Some(at);
        order.invoice_no = Some(invoice.clone());
        let details = json!({"invoice_no": invoice, "amount": order.amount,
            "period_end": sub.as_ref().and_then(|s| s.period_end)});
        let entry = audit_entry(Some(order.tenant_id), "pay", Resource::Order, id, details);
        commit_audited(tx, actor, entry).await?;
        Ok((order, sub))
    }

    async fn close_order(
        &self,
        actor: &Actor,
        id: OrderId,
        status: OrderStatus,
        note: Option<String>,
    ) -> Result<(Order, Option<Subscription>)> {
        let mut tx = self.begin().await?;
        let mut order = read_order(&mut tx, id).await?;
        let was_paid = match (order.status, status) {
            (OrderStatus::Pending, OrderStatus::Cancelled) => false,
            (OrderStatus::Paid, OrderStatus::Refunded) => true,
            _ => {
                return Err(not_now(
                    &order,
                    if status == OrderStatus::Refunded {
                        "refunded"
                    } else {
                        "cancelled"
                    },
                ));
            }
        };
        let at = now();
        let mut sql = Sql::new("UPDATE market_orders SET status = ");
        sql.bind(status.as_str())
            .push(", closed_at = ")
            .bind(at)
            .push(", note = ")
            .bind(note.clone())
            .push(" WHERE id = ")
            .bind(id.to_string());
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(storage("close order"))?;
        let memo = if was_paid { "refund" } else { "cancellation" };
        post(
            &mut tx,
            Some(id),
            &format!("{memo} {}", order.description),
            &reversed(&order, was_paid),
        )
        .await?;
        let mut sub = read_sub(&mut tx, order.tenant_id, &order.app_id).await?;
        if let Some(s) = sub.as_mut() {
            let changed = if was_paid && order.kind == "subscription" {
                // The refunded period comes off the end of the subscription; what is
                // left of it runs on, else the subscription ends now.
                let kind = plan_kind(&mut tx, order.plan_id).await?;
                match s.period_end.map(|e| kind.period_start(e)) {
                    Some(e) if e > at && s.status.runs() => s.period_end = Some(e),
                    _ => {
                        s.status = SubscriptionStatus::Expired;
                        s.period_end = Some(at);
                    }
                }
                true
            } else if !was_paid && s.status == SubscriptionStatus::Pending {
                // An unpaid first order cancelled: the subscription never started.
                s.status = SubscriptionStatus::Cancelled;
                s.period_end = Some(at);
                true
            } else {
                false
            };
            if changed {
                s.updated_at = at;
                write_sub(&mut tx, s).await?;
            }
        }
        order.status = status;
        order.closed_at = Some(at);
        order.note = note;
        let details = json!({"status": status, "note": order.note, "amount": order.amount});
        let action = if was_paid { "refund" } else { "cancel" };
        let entry = audit_entry(Some(order.tenant_id), action, Resource::Order, id, details);
        commit_audited(tx, actor, entry).await?;
        Ok((order, sub))
    }

    async fn post_transaction(&self, memo: &str, postings: &[(String, i64)]) -> Result<String> {
        let mut ids = self
            .post_transactions(&[(memo.to_string(), postings.to_vec())])
            .await?;
        ids.pop()
            .ok_or_else(|| Error::storage("post ledger transaction", "nothing posted"))
    }

    async fn post_transactions(
        &self,
        batch: &[(String, Vec<(String, i64)>)],
    ) -> Result<Vec<String>> {
        use sqlx::Connection;
        if let Some((_, p)) = batch
            .iter()
            .find(|(_, p)| p.iter().map(|x| x.1).sum::<i64>() != 0)
        {
            return Err(Error::storage(
                "post ledger transactions",
                format!("the postings do not balance: {p:?}"),
            ));
        }
        let sqlite = self.backend_kind() == crate::Backend::Sqlite;
        let mut conn = self
            .pool()
            .acquire()
            .await
            .map_err(storage("post ledger transactions"))?;
        let sync = |level: &'static str| {
            sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA synchronous = {level}")))
        };
        if sqlite {
            // WAL with NORMAL does not sync each commit; the ledger's are.
            sync("FULL")
                .execute(&mut *conn)
                .await
                .map_err(storage("post ledger transactions"))?;
        }
        let result = async {
            let mut tx = if sqlite {
                conn.begin_with("BEGIN IMMEDIATE").await
            } else {
                conn.begin().await
            }
            .map_err(storage("begin transaction"))?;
            let mut ids = Vec::with_capacity(batch.len());
            for (memo, postings) in batch {
                ids.push(post(&mut tx, None, memo, postings).await?);
            }
            tx.commit().await.map_err(storage("commit"))?;
            Ok(ids)
        }
        .await;
        if sqlite {
            let _ = sync("NORMAL").execute(&mut *conn).await;
        }
        result
    }

    async fn list_postings(
        &self,
        account: Option<&str>,
        page: &PageRequest<PostingSort>,
    ) -> Result<Page<Posting>> {
        let mut wh = Sql::new(" WHERE 1 = 1");
        if let Some(a) = account {
            wh.and("account =", a);
        }
        list_page(
            self.pool(),
            "market_ledger",
            POSTING_COLUMNS,
            wh,
            page,
            posting_from_row,
        )
        .await
    }

    async fn balances(&self) -> Result<Vec<Balance>> {
        let sql = Sql::new(
            "SELECT account, CAST(SUM(amount) AS BIGINT) AS total, COUNT(*) AS n \
             FROM market_ledger GROUP BY account ORDER BY account",
        );
        let rows = sql
            .query()
            .fetch_all(self.pool())
            .await
            .map_err(storage("ledger balances"))?;
        rows.iter()
            .map(|r| {
                Ok(Balance {
                    account: text(r, "account")?,
                    amount: opt_int(r, "total")?.unwrap_or(0),
                    postings: u64::try_from(int(r, "n")?).unwrap_or(0),
                })
            })
            .collect()
    }
}
