//! Fixtures for the staff handlers' unit tests (feature `test-util`, enabled only by dev-dependencies):
//! an [`AuroraDatabase`] answering from aws-smithy-mocks rules, a deadline, and staff rows shaped as the
//! RDS Data API returns them for `SELECT id, name, age`.

use std::time::Duration;

use aws_sdk_rdsdata::operation::execute_statement::ExecuteStatementOutput;
use aws_sdk_rdsdata::types::Field;
use aws_smithy_mocks::{Rule, RuleMode, mock_client};
use tokio::time::Instant;

use crate::config::AuroraConfig;
use crate::rds::AuroraDatabase;

/// A staff row as `(id, name, age)`.
pub type StaffRow = (&'static str, &'static str, Option<i64>);

/// The three rows `schemas/db/aurora.sql` seeds.
pub const SEED: [StaffRow; 3] = [
    ("0001", "Aurora", Some(12)),
    ("0002", "Lambda", Some(34)),
    ("0003", "Dynamo", Some(56)),
];

/// An Aurora database whose Data API client answers with `rules`, in order.
pub fn mock_aurora(rules: &[&Rule]) -> AuroraDatabase {
    let client = mock_client!(aws_sdk_rdsdata, RuleMode::Sequential, rules);
    let config = AuroraConfig {
        cluster_arn: "arn:cluster".into(),
        secret_arn: "arn:secret".into(),
        database: "staff".into(),
    };
    AuroraDatabase::new(client, config)
}

/// A deadline comfortably beyond any retry in a test (tests run with tokio's paused clock).
pub fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(8)
}

/// An ExecuteStatement answer holding these rows.
pub fn staff_rows(rows: &[StaffRow]) -> ExecuteStatementOutput {
    let records = rows
        .iter()
        .map(|&(id, name, age)| {
            vec![
                Field::StringValue(id.into()),
                Field::StringValue(name.into()),
                age.map_or(Field::IsNull(true), Field::LongValue),
            ]
        })
        .collect();
    ExecuteStatementOutput::builder()
        .set_records(Some(records))
        .build()
}

/// Runs `handler` on `event` as the runtime does (parsed into its request type, then handled),
/// with [`deadline`].
pub async fn invoke<Request, Response, Handler, Answer>(
    handler: Handler,
    event: serde_json::Value,
) -> Result<Response, crate::ApiError>
where
    Request: serde::de::DeserializeOwned,
    Handler: Fn(Request, Instant) -> Answer,
    Answer: std::future::Future<Output = Result<Response, crate::ApiError>>,
{
    crate::lambda::invoke(&handler, event, deadline()).await
}

/// Redshift Data API answers for the runner's and redshift-count's tests.
pub mod redshift {
    use aws_sdk_redshiftdata::Client;
    use aws_sdk_redshiftdata::operation::cancel_statement::CancelStatementOutput;
    use aws_sdk_redshiftdata::operation::describe_statement::DescribeStatementOutput;
    use aws_sdk_redshiftdata::operation::execute_statement::ExecuteStatementOutput;
    use aws_sdk_redshiftdata::operation::get_statement_result::GetStatementResultOutput;
    use aws_sdk_redshiftdata::types::{Field, StatementStatusString, StatusString};
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};

    use crate::redshift::RedshiftRunner;

    /// The id every mocked statement has.
    pub const STATEMENT_ID: &str = "5a1f6c9e-0000-4000-8000-000000000001";

    /// A runner for workgroup `flights-dev`, database `dev`, answering with `rules`.
    pub fn mock_runner(mode: RuleMode, rules: &[&Rule]) -> RedshiftRunner {
        let client = mock_client!(aws_sdk_redshiftdata, mode, rules);
        RedshiftRunner::new(client, "flights-dev", "dev")
    }

    /// ExecuteStatement of exactly `sql` (any SQL when `None`), answering `status`.
    pub fn executed(sql: Option<&'static str>, status: StatementStatusString) -> Rule {
        mock!(Client::execute_statement)
            .match_requests(move |req| sql.is_none() || req.sql() == sql)
            .then_output(move || {
                ExecuteStatementOutput::builder()
                    .id(STATEMENT_ID)
                    .status(status.clone())
                    .has_result_set(true)
                    .build()
            })
    }

    pub fn described(status: StatusString, error: Option<&'static str>) -> Rule {
        mock!(Client::describe_statement)
            .match_requests(|req| req.id() == Some(STATEMENT_ID))
            .then_output(move || {
                DescribeStatementOutput::builder()
                    .id(STATEMENT_ID)
                    .status(status.clone())
                    .has_result_set(true)
                    .set_error(error.map(str::to_owned))
                    .build()
                    .unwrap()
            })
    }

    /// One GetStatementResult page of one field, asked with `token`, pointing to `next`.
    pub fn result_page(
        field: Field,
        token: Option<&'static str>,
        next: Option<&'static str>,
    ) -> Rule {
        mock!(Client::get_statement_result)
            .match_requests(move |req| req.id() == Some(STATEMENT_ID) && req.next_token() == token)
            .then_output(move || {
                GetStatementResultOutput::builder()
                    .records(vec![field.clone()])
                    .set_next_token(next.map(str::to_owned))
                    .build()
                    .unwrap()
            })
    }

    pub fn cancelled() -> Rule {
        mock!(Client::cancel_statement)
            .match_requests(|req| req.id() == Some(STATEMENT_ID))
            .then_output(|| CancelStatementOutput::builder().status(true).build())
    }
}
