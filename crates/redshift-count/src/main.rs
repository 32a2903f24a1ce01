use api_core::config::{RedshiftConfig, load_aws_config};
use api_core::lambda::{init_tracing, serve};
use api_core::redshift::RedshiftRunner;
use redshift_count::{Counter, handle};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let config = RedshiftConfig::from_env()?;
    let aws = load_aws_config().await;
    let database = config
        .resolve_database(&aws_sdk_ssm::Client::new(&aws))
        .await?;
    let counter = Counter {
        runner: RedshiftRunner::new(
            aws_sdk_redshiftdata::Client::new(&aws),
            config.workgroup,
            database,
        ),
        allowed_tables: config.allowed_tables,
    };
    serve(|request, deadline| handle(&counter, request, deadline)).await
}
