//! What a server instance serves: names, seeds, limits.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// PostgreSQL database behind the Redshift side (seeded from `redshift.sql`).
    pub redshift_database: String,
    /// PostgreSQL database behind the Aurora side (seeded from `aurora.sql`).
    pub aurora_database: String,
    /// SSM parameters present at start and after a reset.
    pub ssm_parameters: Vec<(String, String)>,
    /// Directory holding `redshift.sql` and `aurora.sql`.
    pub schemas_dir: PathBuf,
    /// Rows per GetStatementResult page (AWS pages by size, ~100 MB; a row count keeps paging testable).
    pub result_page_rows: usize,
    /// rds-data transactions left idle this long are rolled back (AWS: 3 minutes).
    pub transaction_idle_timeout: Duration,
    /// Region used in the ARNs the server reports.
    pub region: String,
}

impl Config {
    /// Defaults matching the architecture notes: port 4010, `dev` and `staff`.
    pub fn new(schemas_dir: impl Into<PathBuf>) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 4010)),
            redshift_database: "dev".into(),
            aurora_database: "staff".into(),
            ssm_parameters: Vec::new(),
            schemas_dir: schemas_dir.into(),
            result_page_rows: 1000,
            transaction_idle_timeout: Duration::from_secs(180),
            region: "us-east-1".into(),
        }
    }
}
