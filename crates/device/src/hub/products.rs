//! Short-lived caches of what the hub reads for every message: products (their thing
//! models), and the identity of devices the platform writes data for.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ironloom_core::entity::Product;
use ironloom_core::ids::{DeviceId, ProductId, TenantId};
use ironloom_core::sync::lock;
use tracing::warn;

use super::{DeviceCtx, DeviceHub, ctx_of};

pub(super) struct CachedProduct {
    product: Arc<Product>,
    at: Instant,
    /// A caller is reading it again since then; others keep using this copy meanwhile.
    refreshing: Option<Instant>,
}

pub(super) struct CachedCtx {
    ctx: DeviceCtx,
    at: Instant,
}

impl DeviceHub {
    /// The device's product: taken from the cache without waiting when it is fresh there;
    /// a read of the metadata store waits on a future of its own (boxed, so that this
    /// future, part of every message's, stays small).
    pub(crate) async fn product_of(
        &self,
        ctx: &DeviceCtx,
    ) -> Result<Arc<Product>, ironloom_core::error::Error> {
        let cached = lock(&self.products)
            .get(&ctx.product)
            .filter(|c| c.at.elapsed() < self.config.product_ttl.0)
            .map(|c| c.product.clone());
        match cached {
            Some(p) => Ok(p),
            None => Box::pin(self.product(ctx.tenant, ctx.product)).await,
        }
    }

    /// The device's product, from a short-lived cache. When an entry expires, one caller
    /// reads it again while the others keep using the old copy (thousands of devices of
    /// one product would otherwise all query the store at once); products never seen are
    /// read by one caller at a time.
    pub async fn product(
        &self,
        tenant: TenantId,
        id: ProductId,
    ) -> Result<Arc<Product>, ironloom_core::error::Error> {
        const REFRESH_GRACE: Duration = Duration::from_secs(5);
        let stale = {
            let mut cache = lock(&self.products);
            match cache.get_mut(&id) {
                Some(c) if c.at.elapsed() < self.config.product_ttl.0 => {
                    return Ok(c.product.clone());
                }
                Some(c) if c.refreshing.is_some_and(|r| r.elapsed() < REFRESH_GRACE) => {
                    return Ok(c.product.clone());
                }
                Some(c) => {
                    c.refreshing = Some(Instant::now());
                    Some(c.product.clone())
                }
                None => None,
            }
        };
        let _first_read = match stale {
            Some(_) => None,
            None => {
                let guard = self.product_loads.lock().await;
                if let Some(c) = lock(&self.products).get(&id)
                    && c.at.elapsed() < self.config.product_ttl.0
                {
                    return Ok(c.product.clone());
                }
                Some(guard)
            }
        };
        match self.meta.get_product(tenant, id).await {
            Ok(p) => {
                let p = Arc::new(p);
                lock(&self.products).insert(
                    id,
                    CachedProduct {
                        product: p.clone(),
                        at: Instant::now(),
                        refreshing: None,
                    },
                );
                Ok(p)
            }
            Err(e) => match stale {
                // Keep serving the last copy; the next expiry tries again.
                Some(old) => {
                    if let Some(c) = lock(&self.products).get_mut(&id) {
                        c.refreshing = None;
                        c.at = Instant::now();
                    }
                    warn!(product = %id, error = %e, "could not re-read a product; using the cached copy");
                    Ok(old)
                }
                None => Err(e),
            },
        }
    }

    /// Forgets a cached product (after it changed).
    pub fn forget_product(&self, id: ProductId) {
        lock(&self.products).remove(&id);
    }

    /// The identity of a device of `tenant` that the platform writes data for (rules,
    /// later models and apps), from a short-lived cache.
    pub async fn device_ctx(
        &self,
        tenant: TenantId,
        device: DeviceId,
    ) -> Result<DeviceCtx, ironloom_core::error::Error> {
        if let Some(c) = lock(&self.contexts).get(&device)
            && c.ctx.tenant == tenant
            && c.at.elapsed() < self.config.product_ttl.0
        {
            return Ok(c.ctx.clone());
        }
        let d = self.meta.get_device(tenant, device).await?;
        let product = self.product(tenant, d.product_id).await?;
        let ctx = ctx_of(&d, &product.product_key);
        let mut cache = lock(&self.contexts);
        // Bounded: a burst of distinct devices starts the cache afresh.
        if cache.len() >= 100_000 {
            cache.clear();
        }
        cache.insert(
            device,
            CachedCtx {
                ctx: ctx.clone(),
                at: Instant::now(),
            },
        );
        Ok(ctx)
    }
}
