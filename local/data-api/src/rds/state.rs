//! What rds-data keeps between calls: open transactions (a dedicated connection each, in BEGIN) and
//! a connection pool per database for calls outside a transaction.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;
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
}

impl Transaction {
    pub fn new(database: String, client: Client, driver: JoinHandle<()>) -> Self {
        Self {
            database,
            client: tokio::sync::Mutex::new(client),
            driver,
            last_used: Mutex::new(Instant::now()),
        }
    }
}

#[derive(Debug, Default)]
pub struct Transactions {
    open: Mutex<HashMap<String, Arc<Transaction>>>,
}

impl Transactions {
    pub fn insert(&self, id: String, transaction: Transaction) {
        lock(&self.open).insert(id, Arc::new(transaction));
    }

    pub fn get(&self, id: &str) -> Result<Arc<Transaction>, ServiceError> {
        let transaction = lock(&self.open)
            .get(id)
            .cloned()
            .ok_or_else(|| transaction_not_found(id))?;
        *lock(&transaction.last_used) = Instant::now();
        Ok(transaction)
    }

    pub fn take(&self, id: &str) -> Result<Arc<Transaction>, ServiceError> {
        let transaction = self.get(id)?;
        lock(&self.open).remove(id);
        Ok(transaction)
    }

    /// Drops transactions idle longer than `timeout`; closing the connection rolls them back.
    pub fn expire(&self, timeout: Duration) {
        lock(&self.open).retain(|_, t| {
            let keep = lock(&t.last_used).elapsed() < timeout;
            if !keep {
                t.driver.abort();
            }
            keep
        });
    }

    pub fn clear(&self) {
        for (_, t) in lock(&self.open).drain() {
            t.driver.abort();
        }
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
