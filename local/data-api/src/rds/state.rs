//! What rds-data keeps between calls: open transactions (a dedicated connection each, in BEGIN) and
//! a connection pool per database for calls outside a transaction.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;
use tokio::sync::OwnedSemaphorePermit;
use tokio::task::JoinHandle;
use tokio_postgres::Client;

use super::wire::{connect_error, is_missing_database, transaction_not_found};
use crate::db::Postgres;
use crate::error::ServiceError;
use crate::lock::lock;

const POOL_SIZE: usize = 8;

/// A transaction: its own connection, in BEGIN, until commit, rollback or the idle timeout.
#[derive(Debug)]
pub struct Transaction {
    pub database: String,
    pub client: tokio::sync::Mutex<Client>,
    pub driver: JoinHandle<()>,
    last_used: Mutex<Instant>,
    /// One of the `rds_transactions` slots, given back when the transaction is gone.
    _slot: OwnedSemaphorePermit,
}

impl Transaction {
    pub fn new(
        database: String,
        client: Client,
        driver: JoinHandle<()>,
        slot: OwnedSemaphorePermit,
    ) -> Self {
        Self {
            database,
            client: tokio::sync::Mutex::new(client),
            driver,
            last_used: Mutex::new(Instant::now()),
            _slot: slot,
        }
    }
}

/// Why a transaction id no longer answers, in the words of AWS's troubleshooting guide.
#[derive(Debug, Clone, Copy)]
enum Ended {
    Expired,
    Finished,
    Aborted,
}

impl Ended {
    fn cause(self) -> &'static str {
        match self {
            Ended::Expired => "Transaction may be expired",
            Ended::Finished => "One previous call resulted in a termination of your transaction",
            Ended::Aborted => "Transaction has been aborted due to an error from a previous call",
        }
    }
}

#[derive(Debug, Default)]
pub struct Transactions {
    open: Mutex<HashMap<String, Arc<Transaction>>>,
    ended: Mutex<HashMap<String, Ended>>,
}

impl Transactions {
    pub fn insert(&self, id: String, transaction: Transaction) {
        lock(&self.open).insert(id, Arc::new(transaction));
    }

    pub fn get(&self, id: &str) -> Result<Arc<Transaction>, ServiceError> {
        let found = lock(&self.open).get(id).cloned();
        let transaction = found.ok_or_else(|| {
            let cause = lock(&self.ended).get(id).map(|e| e.cause());
            transaction_not_found(id, cause)
        })?;
        *lock(&transaction.last_used) = Instant::now();
        Ok(transaction)
    }

    /// Ends the transaction after an error: closing its connection rolls it back.
    pub fn abort(&self, id: &str) {
        if let Some(transaction) = lock(&self.open).remove(id) {
            transaction.driver.abort();
        }
        lock(&self.ended).insert(id.to_string(), Ended::Aborted);
    }

    pub fn take(&self, id: &str) -> Result<Arc<Transaction>, ServiceError> {
        let transaction = self.get(id)?;
        lock(&self.open).remove(id);
        lock(&self.ended).insert(id.to_string(), Ended::Finished);
        Ok(transaction)
    }

    /// Drops transactions idle longer than `timeout`; closing the connection rolls them back.
    pub fn expire(&self, timeout: Duration) {
        let mut expired = Vec::new();
        lock(&self.open).retain(|id, t| {
            let keep = lock(&t.last_used).elapsed() < timeout;
            if !keep {
                t.driver.abort();
                expired.push(id.clone());
            }
            keep
        });
        let mut ended = lock(&self.ended);
        for id in expired {
            ended.insert(id, Ended::Expired);
        }
    }

    pub fn clear(&self) {
        for (_, t) in lock(&self.open).drain() {
            t.driver.abort();
        }
        lock(&self.ended).clear();
    }
}

/// A connection pool per database name, made on first use.
#[derive(Debug, Default)]
pub struct Pools {
    by_database: Mutex<HashMap<String, Pool>>,
}

impl Pools {
    pub fn clear(&self) {
        lock(&self.by_database).clear();
    }

    pub async fn client(
        &self,
        postgres: &Postgres,
        database: &str,
    ) -> Result<deadpool_postgres::Object, ServiceError> {
        let pool = lock(&self.by_database)
            .entry(database.to_string())
            .or_insert_with(|| postgres.pool(database, POOL_SIZE))
            .clone();
        pool.get().await.map_err(|e| {
            let backend = match &e {
                deadpool_postgres::PoolError::Backend(pg) => Some(pg),
                _ => None,
            };
            if backend.is_some_and(is_missing_database) {
                lock(&self.by_database).remove(database);
            }
            connect_error(backend, database)
        })
    }
}
