//! Configuration read once at init from the Lambda environment (names fixed in
//! docs/architecture.md).

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_ssm::error::DisplayErrorContext;

use crate::identifier::Identifier;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is required")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("reading SSM parameter {name}: {detail}")]
    Ssm { name: String, detail: String },
}

/// Shared SDK configuration. aws-config honours `AWS_ENDPOINT_URL_REDSHIFT_DATA`,
/// `AWS_ENDPOINT_URL_RDS_DATA` and `AWS_ENDPOINT_URL_SSM`, which is how the local Data API is used.
pub async fn load_aws_config() -> SdkConfig {
    aws_config::load_defaults(BehaviorVersion::latest()).await
}

/// Where the Redshift database name comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseName {
    Direct(String),
    SsmParameter(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedshiftConfig {
    pub workgroup: String,
    pub database: DatabaseName,
    pub allowed_tables: TableAllowList,
}

impl RedshiftConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// `REDSHIFT_DATABASE` (local use) wins over `REDSHIFT_DATABASE_PARAMETER`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let workgroup = required(&lookup, "REDSHIFT_WORKGROUP")?;
        let database = match (
            non_empty(&lookup, "REDSHIFT_DATABASE"),
            non_empty(&lookup, "REDSHIFT_DATABASE_PARAMETER"),
        ) {
            (Some(name), _) => DatabaseName::Direct(name),
            (None, Some(parameter)) => DatabaseName::SsmParameter(parameter),
            (None, None) => return Err(ConfigError::Missing("REDSHIFT_DATABASE_PARAMETER")),
        };
        let allowed_tables =
            TableAllowList::parse(non_empty(&lookup, "ALLOWED_TABLES").as_deref())?;
        Ok(Self {
            workgroup,
            database,
            allowed_tables,
        })
    }

    /// The database name, fetching the SSM parameter if configured so (call once, at init).
    pub async fn resolve_database(&self, ssm: &aws_sdk_ssm::Client) -> Result<String, ConfigError> {
        let parameter = match &self.database {
            DatabaseName::Direct(name) => return Ok(name.clone()),
            DatabaseName::SsmParameter(parameter) => parameter,
        };
        let ssm_error = |detail: String| ConfigError::Ssm {
            name: parameter.clone(),
            detail,
        };
        let output = ssm
            .get_parameter()
            .name(parameter)
            .with_decryption(true)
            .send()
            .await
            .map_err(|error| ssm_error(DisplayErrorContext(error).to_string()))?;
        output
            .parameter()
            .and_then(|parameter| parameter.value())
            .map(str::to_owned)
            .ok_or_else(|| ssm_error("the parameter has no value".to_owned()))
    }
}

/// The optional `ALLOWED_TABLES` list: entries are `table` (any schema) or `schema.table`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableAllowList(Option<Vec<(Option<String>, String)>>);

impl TableAllowList {
    /// Everything is allowed.
    pub fn unrestricted() -> Self {
        Self(None)
    }

    pub fn parse(list: Option<&str>) -> Result<Self, ConfigError> {
        let Some(list) = list else {
            return Ok(Self::unrestricted());
        };
        let invalid = |entry: &str| ConfigError::Invalid {
            name: "ALLOWED_TABLES",
            reason: format!("{entry:?} is not `table` or `schema.table` of plain identifiers"),
        };
        let entries = list
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                let (schema, table) = match entry.split_once('.') {
                    Some((schema, table)) => (Some(schema), table),
                    None => (None, entry),
                };
                let plain = |name: &str| Identifier::parse("ALLOWED_TABLES", name).is_ok();
                if schema.is_none_or(plain) && plain(table) {
                    Ok((schema.map(str::to_owned), table.to_owned()))
                } else {
                    Err(invalid(entry))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self(Some(entries)))
    }

    pub fn allows(&self, schema: &Identifier, table: &Identifier) -> bool {
        let Some(entries) = &self.0 else {
            return true;
        };
        entries.iter().any(|(allowed_schema, allowed_table)| {
            allowed_table == table.as_str()
                && allowed_schema
                    .as_deref()
                    .is_none_or(|allowed| allowed == schema.as_str())
        })
    }
}

/// The RDS Data API target of the staff Lambdas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuroraConfig {
    pub cluster_arn: String,
    pub secret_arn: String,
    pub database: String,
}

impl AuroraConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(Self {
            cluster_arn: required(&lookup, "AURORA_CLUSTER_ARN")?,
            secret_arn: required(&lookup, "AURORA_SECRET_ARN")?,
            database: required(&lookup, "AURORA_DATABASE")?,
        })
    }
}

fn non_empty(lookup: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    lookup(name).filter(|value| !value.trim().is_empty())
}

fn required(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<String, ConfigError> {
    non_empty(lookup, name).ok_or(ConfigError::Missing(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ssm::operation::get_parameter::{GetParameterError, GetParameterOutput};
    use aws_sdk_ssm::types::Parameter;
    use aws_sdk_ssm::types::error::ParameterNotFound;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn id(name: &str) -> Identifier {
        Identifier::parse("t", name).unwrap()
    }

    #[test]
    fn redshift_config_prefers_the_direct_database_name() {
        let config = RedshiftConfig::from_lookup(env(&[
            ("REDSHIFT_WORKGROUP", "flights-dev"),
            ("REDSHIFT_DATABASE", "dev"),
            ("REDSHIFT_DATABASE_PARAMETER", "/p"),
        ]))
        .unwrap();
        assert_eq!(config.workgroup, "flights-dev");
        assert_eq!(config.database, DatabaseName::Direct("dev".into()));
        assert_eq!(config.allowed_tables, TableAllowList::unrestricted());
    }

    #[test]
    fn redshift_config_needs_a_workgroup_and_a_database_source() {
        let error = RedshiftConfig::from_lookup(env(&[("REDSHIFT_DATABASE", "dev")])).unwrap_err();
        assert!(matches!(error, ConfigError::Missing("REDSHIFT_WORKGROUP")));
        let error = RedshiftConfig::from_lookup(env(&[("REDSHIFT_WORKGROUP", "w")])).unwrap_err();
        assert!(matches!(
            error,
            ConfigError::Missing("REDSHIFT_DATABASE_PARAMETER")
        ));
    }

    #[test]
    fn allow_list_matches_bare_and_schema_qualified_entries() {
        let list = TableAllowList::parse(Some(" flightdata , audit.events,")).unwrap();
        assert!(list.allows(&id("public"), &id("flightdata")));
        assert!(list.allows(&id("other"), &id("flightdata")));
        assert!(list.allows(&id("audit"), &id("events")));
        assert!(!list.allows(&id("public"), &id("events")));
        assert!(!list.allows(&id("public"), &id("staff")));
        assert!(TableAllowList::unrestricted().allows(&id("public"), &id("staff")));
    }

    #[test]
    fn allow_list_rejects_entries_that_are_not_plain_names() {
        let error = TableAllowList::parse(Some("flightdata, x\"y")).unwrap_err();
        assert!(matches!(
            error,
            ConfigError::Invalid {
                name: "ALLOWED_TABLES",
                ..
            }
        ));
    }

    #[test]
    fn aurora_config_reads_all_three_variables() {
        let config = AuroraConfig::from_lookup(env(&[
            ("AURORA_CLUSTER_ARN", "arn:cluster"),
            ("AURORA_SECRET_ARN", "arn:secret"),
            ("AURORA_DATABASE", "staff"),
        ]))
        .unwrap();
        assert_eq!(config.database, "staff");
        let error = AuroraConfig::from_lookup(env(&[("AURORA_CLUSTER_ARN", "a")])).unwrap_err();
        assert!(matches!(error, ConfigError::Missing("AURORA_SECRET_ARN")));
    }

    #[tokio::test]
    async fn database_name_is_fetched_from_ssm_with_decryption() {
        let rule = mock!(aws_sdk_ssm::Client::get_parameter)
            .match_requests(|req| {
                req.name() == Some("/redshift-select/dev/database-name")
                    && req.with_decryption() == Some(true)
            })
            .then_output(|| {
                GetParameterOutput::builder()
                    .parameter(Parameter::builder().value("dev").build())
                    .build()
            });
        let ssm = mock_client!(aws_sdk_ssm, RuleMode::Sequential, [&rule]);
        let config = RedshiftConfig {
            workgroup: "w".into(),
            database: DatabaseName::SsmParameter("/redshift-select/dev/database-name".into()),
            allowed_tables: TableAllowList::unrestricted(),
        };
        assert_eq!(config.resolve_database(&ssm).await.unwrap(), "dev");
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_missing_ssm_parameter_is_an_init_error() {
        let rule = mock!(aws_sdk_ssm::Client::get_parameter).then_error(|| {
            GetParameterError::ParameterNotFound(ParameterNotFound::builder().build())
        });
        let ssm = mock_client!(aws_sdk_ssm, RuleMode::Sequential, [&rule]);
        let config = RedshiftConfig {
            workgroup: "w".into(),
            database: DatabaseName::SsmParameter("/missing".into()),
            allowed_tables: TableAllowList::unrestricted(),
        };
        let error = config.resolve_database(&ssm).await.unwrap_err();
        assert!(matches!(error, ConfigError::Ssm { ref name, .. } if name == "/missing"));
    }
}
