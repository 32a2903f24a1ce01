//! Connections to the PostgreSQL server behind the APIs, and creating the seeded databases.

use std::path::Path;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use futures_util::TryStreamExt;
use tokio::task::JoinHandle;
use tokio_postgres::{Client, NoTls, RowStream};

use crate::values::{Field, UnsupportedType, read_row};

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("database name `{0}` must be a plain identifier (letters, digits, underscore)")]
    BadName(String),
    #[error("reading seed {path}: {source}")]
    Seed {
        path: String,
        source: std::io::Error,
    },
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("PostgreSQL pool: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
}

/// Where PostgreSQL is; each API database name is a database on this server.
#[derive(Debug, Clone)]
pub struct Postgres {
    base: tokio_postgres::Config,
}

impl Postgres {
    /// `base` names the maintenance database (used to create the others) or defaults to `postgres`.
    pub fn new(mut base: tokio_postgres::Config) -> Self {
        if base.get_dbname().is_none() {
            base.dbname("postgres");
        }
        Self { base }
    }

    pub fn for_database(&self, database: &str) -> tokio_postgres::Config {
        let mut config = self.base.clone();
        config.dbname(database);
        config
    }

    /// A dedicated connection (its own backend) to `database`; the handle ends when it closes.
    pub async fn connect(
        &self,
        database: &str,
    ) -> Result<(Client, JoinHandle<()>), tokio_postgres::Error> {
        let (client, connection) = self.for_database(database).connect(NoTls).await?;
        let driver = tokio::spawn(async move {
            // Errors here are the connection closing; the client sees them on its next call.
            let _ = connection.await;
        });
        Ok((client, driver))
    }

    pub fn pool(&self, database: &str, max_size: usize) -> Pool {
        let manager = Manager::from_config(
            self.for_database(database),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        Pool::builder(manager)
            .max_size(max_size)
            .build()
            .expect("a pool without timeouts needs no runtime choice")
    }

    pub fn maintenance_pool(&self) -> Pool {
        let name = self.base.get_dbname().unwrap_or("postgres").to_string();
        self.pool(&name, 4)
    }
}

/// Drops `name` (closing its sessions) and creates it afresh from the SQL file `seed`.
pub async fn recreate_database(
    maintenance: &Pool,
    postgres: &Postgres,
    name: &str,
    seed: &Path,
) -> Result<(), SetupError> {
    let quoted = quote_identifier(name)?;
    let admin = maintenance.get().await?;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        .await?;
    admin
        .batch_execute(&format!("CREATE DATABASE {quoted}"))
        .await?;
    drop(admin);
    run_seed(postgres, name, seed).await
}

/// Creates `name` if missing and seeds it only while it holds no table of its own, so the data
/// a kept cluster holds is never touched. Returns whether it seeded.
pub async fn seed_if_empty(
    maintenance: &Pool,
    postgres: &Postgres,
    name: &str,
    seed: &Path,
) -> Result<bool, SetupError> {
    let quoted = quote_identifier(name)?;
    let admin = maintenance.get().await?;
    let exists = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await?
        .is_some();
    if !exists {
        admin
            .batch_execute(&format!("CREATE DATABASE {quoted}"))
            .await?;
    }
    drop(admin);
    let (client, driver) = postgres.connect(name).await?;
    let has_tables: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_tables \
             WHERE schemaname NOT IN ('pg_catalog', 'information_schema'))",
            &[],
        )
        .await?
        .get(0);
    drop(client);
    let _ = driver.await;
    if has_tables {
        return Ok(false);
    }
    run_seed(postgres, name, seed).await?;
    Ok(true)
}

/// Runs the seed file as one simple-protocol query, which PostgreSQL runs as one transaction: a
/// seed interrupted by a crash leaves the database empty, to be seeded again.
async fn run_seed(postgres: &Postgres, name: &str, seed: &Path) -> Result<(), SetupError> {
    let seed_sql = std::fs::read_to_string(seed).map_err(|source| SetupError::Seed {
        path: seed.display().to_string(),
        source,
    })?;
    let (client, driver) = postgres.connect(name).await?;
    client.batch_execute(&seed_sql).await?;
    drop(client);
    let _ = driver.await;
    Ok(())
}

/// Whether the server answers at all (a transport failure, not a SQL error, means it is down).
pub async fn reachable(maintenance: &Pool) -> bool {
    match maintenance.get().await {
        Ok(client) => client.simple_query("").await.is_ok(),
        Err(_) => false,
    }
}

/// Quotes an operator-configured database name; anything but a plain identifier is refused.
fn quote_identifier(name: &str) -> Result<String, SetupError> {
    let plain = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        Ok(format!("\"{name}\""))
    } else {
        Err(SetupError::BadName(name.to_string()))
    }
}

/// PostgreSQL's error as the Data APIs show it (`ERROR: relation "x" does not exist`), or a generic
/// line for transport failures, which carry no server text.
pub fn error_text(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => "Database connection failed".to_string(),
    }
}

/// Result sizes a Data API refuses: bytes of one row, bytes of the whole result.
#[derive(Debug, Clone, Copy)]
pub struct SizeLimits {
    pub row_bytes: usize,
    pub result_bytes: usize,
}

/// Why reading a result stopped.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
    #[error(transparent)]
    Unsupported(#[from] UnsupportedType),
    #[error("a row is larger than {0} bytes")]
    RowTooLarge(usize),
    #[error("the result is larger than {0} bytes")]
    ResultTooLarge(usize),
}

/// Every row of a query as `Field`s, and the count from its command tag; stops reading at the first
/// row over a limit, so an oversized result is never held in memory.
pub async fn collect_rows(
    stream: RowStream,
    limits: SizeLimits,
) -> Result<(Vec<Vec<Field>>, Option<u64>), CollectError> {
    let mut stream = std::pin::pin!(stream);
    let mut rows = Vec::new();
    let mut total = 0;
    while let Some(row) = stream.try_next().await? {
        let row = read_row(&row)?;
        let size: usize = row.iter().map(Field::size).sum();
        if size > limits.row_bytes {
            return Err(CollectError::RowTooLarge(limits.row_bytes));
        }
        total += size;
        if total > limits.result_bytes {
            return Err(CollectError::ResultTooLarge(limits.result_bytes));
        }
        rows.push(row);
    }
    Ok((rows, stream.rows_affected()))
}

pub fn sql_state(error: &tokio_postgres::Error) -> Option<&str> {
    error.code().map(|c| c.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_identifiers_are_quoted() {
        assert_eq!(quote_identifier("dev_1").unwrap(), "\"dev_1\"");
        assert!(quote_identifier("x\"; DROP").is_err());
        assert!(quote_identifier("1abc").is_err());
    }
}
