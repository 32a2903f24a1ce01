//! The per-stage settings file (`infra/stages/<stage>.json`), reduced to what the local stack needs.
//! The CDK app and the local gateway read the same file; unknown keys are ignored here.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::StackError;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageSettings {
    pub stage: String,
    pub lambda: LambdaSettings,
    pub redshift: RedshiftSettings,
    pub aurora: AuroraSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LambdaSettings {
    pub timeout_seconds: u64,
    pub log_level: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedshiftSettings {
    pub workgroup_name: String,
    pub database_name_parameter: String,
    #[serde(default)]
    pub allowed_tables: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuroraSettings {
    pub cluster_arn: String,
    pub secret_arn: String,
    pub database: String,
}

impl StageSettings {
    pub fn load(path: &Path) -> Result<Self, StackError> {
        let text = std::fs::read_to_string(path).map_err(|source| StackError::StageRead {
            path: path.to_path_buf(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| StackError::StageParse {
            path: path.to_path_buf(),
            source,
        })
    }

    /// The region the stage is deployed to, taken from its Aurora cluster ARN
    /// (`arn:aws:rds:<region>:<account>:cluster:<name>`), so it is written down only once.
    pub fn region(&self) -> &str {
        self.aurora
            .cluster_arn
            .split(':')
            .nth(3)
            .filter(|region| !region.is_empty())
            .unwrap_or("us-east-1")
    }
}

/// `infra/stages/<stage>.json` under the workspace root.
pub fn stage_file(root: &Path, stage: &str) -> PathBuf {
    root.join("infra")
        .join("stages")
        .join(format!("{stage}.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_dev_stage() {
        let dev = StageSettings::load(&stage_file(&crate::workspace_root(), "dev")).unwrap();
        assert_eq!(dev.stage, "dev");
        assert_eq!(dev.region(), "us-east-1");
        assert!(dev.lambda.timeout_seconds > 0);
        assert!(dev.redshift.database_name_parameter.starts_with('/'));
    }
}
