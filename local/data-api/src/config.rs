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
    /// Bytes of cell data per GetStatementResult page (AWS pages by size; its page size is not
    /// documented, so this one is **inferred**).
    pub result_page_bytes: usize,
    /// A redshift-data result larger than this fails the statement (AWS: 500 MB, "Database response
    /// exceeded size limit"; older editions of the guide said 100 MB).
    pub redshift_result_bytes: usize,
    /// Statements running at once on redshift-data; more wait SUBMITTED for a connection. With the
    /// rds-data pool, the transactions and the maintenance pool this stays under PostgreSQL's default
    /// `max_connections` (100), so a `DATABASE_URL` server is never asked for more.
    pub redshift_connections: usize,
    /// rds-data transactions open at once (one connection each); BeginTransaction waits for a free one.
    pub rds_transactions: usize,
    /// An rds-data call still running after this ends with StatementTimeoutException (AWS: 45 s).
    pub rds_call_timeout: Duration,
    /// rds-data transactions left idle this long are rolled back (AWS: 3 minutes).
    pub transaction_idle_timeout: Duration,
    /// Region used in the ARNs the server reports.
    pub region: String,
    /// At start, create and seed only missing or empty databases and keep the rest (a kept
    /// cluster); otherwise both are dropped and re-created. The reset route always re-creates.
    pub keep_existing_data: bool,
    /// When set, redshift-data serves only this WorkgroupName (another is ResourceNotFoundException).
    pub redshift_workgroup: Option<String>,
    /// When set, redshift-data serves only this ClusterIdentifier.
    pub redshift_cluster: Option<String>,
    /// When set, rds-data serves only this resourceArn.
    pub aurora_cluster_arn: Option<String>,
    /// When set, rds-data serves only this secretArn.
    pub aurora_secret_arn: Option<String>,
    /// When set, only requests SigV4-signed with this key pair reach the services.
    pub access_key: Option<crate::AccessKey>,
    /// When set, admin routes answer only requests carrying `Authorization: Bearer <token>`.
    pub admin_token: Option<String>,
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
            result_page_bytes: 1024 * 1024,
            redshift_result_bytes: 500 * 1000 * 1000,
            redshift_connections: 48,
            rds_transactions: 32,
            rds_call_timeout: Duration::from_secs(45),
            transaction_idle_timeout: Duration::from_secs(180),
            region: "us-east-1".into(),
            keep_existing_data: false,
            admin_token: None,
            access_key: None,
            redshift_workgroup: None,
            redshift_cluster: None,
            aurora_cluster_arn: None,
            aurora_secret_arn: None,
        }
    }
}
