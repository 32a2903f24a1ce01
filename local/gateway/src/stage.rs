//! The part of `infra/stages/<stage>.json` the gateway reads: the stage name, the stage's method
//! throttle and the usage plan. The CDK app reads the same file; other keys are its business.

use std::path::Path;

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error("cannot read the stage file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the stage file {path} is not valid: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
    #[error("the stage file {path}: {field} must be positive")]
    NotPositive { path: String, field: &'static str },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageSettings {
    pub stage: String,
    /// Stage-level default method throttling (each method has its own bucket).
    pub throttle: ThrottleSettings,
    pub usage_plan: UsagePlanSettings,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThrottleSettings {
    /// Tokens added per second.
    pub rate_limit: f64,
    /// Bucket size.
    pub burst_limit: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UsagePlanSettings {
    pub throttle: ThrottleSettings,
    pub quota: Option<QuotaSettings>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct QuotaSettings {
    pub limit: u64,
    pub period: QuotaPeriod,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum QuotaPeriod {
    Day,
    Week,
    Month,
}

impl StageSettings {
    pub fn load(path: &Path) -> Result<Self, StageError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| StageError::Read {
            path: shown.clone(),
            source,
        })?;
        let settings: Self = serde_json::from_str(&text).map_err(|source| StageError::Parse {
            path: shown.clone(),
            source,
        })?;
        settings.check_positive(&shown)?;
        Ok(settings)
    }

    fn check_positive(&self, path: &str) -> Result<(), StageError> {
        let limits = [
            ("throttle.rateLimit", self.throttle.rate_limit > 0.0),
            ("throttle.burstLimit", self.throttle.burst_limit > 0),
            (
                "usagePlan.throttle.rateLimit",
                self.usage_plan.throttle.rate_limit > 0.0,
            ),
            (
                "usagePlan.throttle.burstLimit",
                self.usage_plan.throttle.burst_limit > 0,
            ),
        ];
        match limits.into_iter().find(|(_, positive)| !positive) {
            Some((field, _)) => Err(StageError::NotPositive {
                path: path.to_owned(),
                field,
            }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repository_stage(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../infra/stages/{name}.json"))
    }

    #[test]
    fn reads_the_repository_stage_files() {
        let dev = StageSettings::load(&repository_stage("dev")).unwrap();
        assert_eq!(dev.stage, "dev");
        assert!(dev.usage_plan.throttle.burst_limit > 0);
        let prod = StageSettings::load(&repository_stage("prod")).unwrap();
        assert_eq!(prod.stage, "prod");
        assert!(prod.usage_plan.quota.is_some());
    }

    #[test]
    fn rejects_a_zero_burst() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zero.json");
        std::fs::write(
            &path,
            r#"{"stage":"x","throttle":{"rateLimit":1,"burstLimit":0},
                "usagePlan":{"throttle":{"rateLimit":1,"burstLimit":1}}}"#,
        )
        .unwrap();
        let error = StageSettings::load(&path).unwrap_err();
        assert!(error.to_string().contains("throttle.burstLimit"), "{error}");
    }
}
