use api_core::config::{AuroraConfig, load_aws_config};
use api_core::lambda::{init_tracing, serve};
use api_core::rds::AuroraDatabase;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let config = AuroraConfig::from_env()?;
    let aws = load_aws_config().await;
    let database = AuroraDatabase::new(aws_sdk_rdsdata::Client::new(&aws), config);
    serve(|event, deadline| staff_post::handle(&database, event, deadline)).await
}
