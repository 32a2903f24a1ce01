#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    api_core::lambda::serve_with_aurora(staff_post::handle).await
}
