//! Reading what the resolution cache misses: misses that arrive together are read from
//! the store in one query (up to `MAX_LOOKUP` handles), at most `CONCURRENT` queries at
//! once; while those run, the next misses gather for the following query. A query per
//! miss would spend most of its time handing the request to the store's thread and
//! back; one per batch spends that once. Repeats of one handle are read once.

use ironloom_core::identifier::{IdentifierRecord, MAX_LOOKUP};
use ironloom_core::repo::IdentifierRepo;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use tokio::sync::{Semaphore, mpsc, oneshot};

/// Queries to the store at once (the SQLite store's pool holds four connections).
const CONCURRENT: usize = 4;

type Answer = Result<Option<IdentifierRecord>, String>;
type Ask = (String, oneshot::Sender<Answer>);

pub(crate) struct Lookups {
    store: Arc<dyn IdentifierRepo>,
    /// Started on the first miss (inside the runtime).
    queue: OnceLock<mpsc::UnboundedSender<Ask>>,
}

impl Lookups {
    pub(crate) fn new(store: Arc<dyn IdentifierRepo>) -> Self {
        Lookups {
            store,
            queue: OnceLock::new(),
        }
    }

    /// The identifier `handle` (canonical), if it exists.
    pub(crate) async fn get(&self, handle: String) -> Answer {
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(run(self.store.clone(), rx));
            tx
        });
        let (tx, rx) = oneshot::channel();
        queue
            .send((handle, tx))
            .map_err(|_| "the identifier lookups stopped".to_string())?;
        rx.await
            .map_err(|_| "the identifier lookups stopped".to_string())?
    }
}

async fn run(store: Arc<dyn IdentifierRepo>, mut asks: mpsc::UnboundedReceiver<Ask>) {
    let slots = Arc::new(Semaphore::new(CONCURRENT));
    while let Some(first) = asks.recv().await {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        // Whatever gathered while the slot was awaited goes into this query.
        let mut batch = vec![first];
        while batch.len() < MAX_LOOKUP {
            match asks.try_recv() {
                Ok(a) => batch.push(a),
                Err(_) => break,
            }
        }
        let store = store.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let mut handles: Vec<String> = batch.iter().map(|(h, _)| h.clone()).collect();
            handles.sort_unstable();
            handles.dedup();
            match store.get_identifiers(&handles).await {
                Ok(records) => {
                    let found: HashMap<String, IdentifierRecord> =
                        records.into_iter().map(|r| (r.handle.clone(), r)).collect();
                    for (h, tx) in batch {
                        let _ = tx.send(Ok(found.get(&h).cloned()));
                    }
                }
                Err(e) => {
                    let e = e.to_string();
                    for (_, tx) in batch {
                        let _ = tx.send(Err(e.clone()));
                    }
                }
            }
        });
    }
}
