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
