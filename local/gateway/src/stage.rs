//! The stage file (`infra/stages/<stage>.json`), the one Rust model of it. The CDK app deploys the
//! same file; `infra/stages/stage.schema.json` is its single definition, and [`StageSettings::load`]
//! checks every file against that schema, and makes the checks a schema cannot express (listed in
//! infra/README.md, "Stage files"), before reading it, so the local gateway and the local stack accept
//! exactly the files the CDK app accepts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The schema, compiled in so that the binaries need no repository at run time.
const STAGE_SCHEMA: &str = include_str!("../../../infra/stages/stage.schema.json");

/// The client a stage has when its file names none (as the CDK app deploys it).
pub const DEFAULT_CLIENT: &str = "default";

#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error("cannot read the stage file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the stage file {path} is not valid JSON: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
    #[error("the stage file {path} does not follow infra/stages/stage.schema.json: {}", .problems.join("; "))]
    Schema { path: String, problems: Vec<String> },
    #[error("the stage file {path}: {}", .problems.join("; "))]
    Rules { path: String, problems: Vec<String> },
    #[error("the stage {stage} has no Lambda, Redshift and Aurora settings")]
    NoBackend { stage: String },
}

/// One stage, as its file states it (keys the local cloud does not use are checked by the schema and
/// otherwise ignored).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageSettings {
    pub stage: String,
    /// Stage-level default method throttling (each method has its own bucket).
    pub throttle: ThrottleSettings,
    /// The usage plan of the stage's one client when `clients` is absent.
    pub usage_plan: UsagePlanSettings,
    /// Named clients, each with its own API key and usage plan.
    #[serde(default)]
    pub clients: Option<Vec<ClientSettings>>,
    /// `$stageVariables` in mapping templates.
    #[serde(default)]
    pub stage_variables: BTreeMap<String, String>,
    /// CORS headers and preflight answers; `None` (the default) is off.
    #[serde(default)]
    pub cors: Option<crate::cors::CorsSettings>,
    /// The functions and what they reach. The schema requires them in every file, so whatever
    /// [`StageSettings::load`] returns has them; only settings built in memory (the gateway's own
    /// tests and benchmark) may lack them, which [`StageSettings::backend`] reports.
    #[serde(flatten)]
    backend: Option<BackendSettings>,
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
    /// Each API key's own token bucket.
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

/// One consumer of the API: its own key, its own usage plan.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientSettings {
    pub name: String,
    pub usage_plan: UsagePlanSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BackendSettings {
    pub lambda: LambdaSettings,
    pub redshift: RedshiftSettings,
    pub aurora: AuroraSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LambdaSettings {
    pub timeout_seconds: u64,
    pub log_level: String,
    #[serde(default)]
    pub reserved_concurrency: Option<ReservedConcurrency>,
}

/// Reserved concurrency: one number for every function, or some functions' own.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ReservedConcurrency {
    Every(u32),
    PerFunction(BTreeMap<String, u32>),
}

impl ReservedConcurrency {
    /// The reserved concurrency of the function (crate name), if it has one.
    pub fn of(&self, function: &str) -> Option<u32> {
        match self {
            Self::Every(count) => Some(*count),
            Self::PerFunction(counts) => counts.get(function).copied(),
        }
    }
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
    /// Reads a stage file, checked against the stage schema and the readers' rules; its name must
    /// be `<stage>.json`.
    pub fn load(path: &Path) -> Result<Self, StageError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| StageError::Read {
            path: shown.clone(),
            source,
        })?;
        let stage = Self::parse(&text, &shown)?;
        let file_stem = path.file_stem().map(|stem| stem.to_string_lossy());
        if file_stem.as_deref() != Some(stage.stage.as_str()) {
            return Err(StageError::Rules {
                path: shown,
                problems: vec![format!(
                    "stage is \"{}\", so the file must be named {}.json",
                    stage.stage, stage.stage
                )],
            });
        }
        Ok(stage)
    }

    /// Parses stage file text; `shown` names it in errors.
    pub fn parse(text: &str, shown: &str) -> Result<Self, StageError> {
        let parse_error = |source| StageError::Parse {
            path: shown.to_owned(),
            source,
        };
        let document: serde_json::Value = serde_json::from_str(text).map_err(parse_error)?;
        let problems = schema_problems(&document);
        if !problems.is_empty() {
            return Err(StageError::Schema {
                path: shown.to_owned(),
                problems,
            });
        }
        let problems = rule_problems(&document);
        if !problems.is_empty() {
            return Err(StageError::Rules {
                path: shown.to_owned(),
                problems,
            });
        }
        serde_json::from_value(document).map_err(parse_error)
    }

    /// The stage's clients: those the file names, else one [`DEFAULT_CLIENT`] with the stage's
    /// usage plan.
    pub fn clients(&self) -> Vec<ClientSettings> {
        match &self.clients {
            Some(clients) if !clients.is_empty() => clients.clone(),
            _ => vec![ClientSettings {
                name: DEFAULT_CLIENT.to_owned(),
                usage_plan: self.usage_plan.clone(),
            }],
        }
    }

    pub fn backend(&self) -> Result<&BackendSettings, StageError> {
        self.backend.as_ref().ok_or_else(|| StageError::NoBackend {
            stage: self.stage.clone(),
        })
    }

    /// The region the stage is deployed to, taken from its Aurora cluster ARN
    /// (`arn:aws:rds:<region>:<account>:cluster:<name>`), so it is written down only once.
    pub fn region(&self) -> &str {
        self.backend
            .as_ref()
            .and_then(|backend| backend.aurora.cluster_arn.split(':').nth(3))
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

/// Every way `document` breaks the stage schema, each as `<dotted.path>: <what>`.
fn schema_problems(document: &serde_json::Value) -> Vec<String> {
    let schema: serde_json::Value =
        serde_json::from_str(STAGE_SCHEMA).expect("the stage schema is JSON (checked by a test)");
    let validator =
        jsonschema::draft7::new(&schema).expect("the stage schema compiles (checked by a test)");
    validator
        .iter_errors(document)
        .map(|error| {
            let place = dotted(error.instance_path().as_str());
            let place = if place.is_empty() {
                "(top level)".to_owned()
            } else {
                place
            };
            format!("{place}: {error}")
        })
        .collect()
}

/// What the schema cannot express (infra/README.md, "Stage files", checks 2-4; check 1, the file
/// name, is in [`StageSettings::load`]): every ARN in one account and region, unique client names,
/// no tag key starting with `aws:`.
fn rule_problems(document: &serde_json::Value) -> Vec<String> {
    let mut problems = Vec::new();
    let arn_places = [
        "/redshift/workgroupArn",
        "/aurora/clusterArn",
        "/aurora/secretArn",
        "/alarms/topicArn",
        "/kmsKeyArn",
    ];
    let arns: Vec<(&str, &str)> = arn_places
        .iter()
        .filter_map(|place| Some((*place, document.pointer(place)?.as_str()?)))
        .collect();
    fn account_and_region(arn: &str) -> (Option<&str>, Option<&str>) {
        let mut fields = arn.split(':');
        let region = fields.nth(3);
        (fields.next(), region)
    }
    if let Some((first_place, first)) = arns.first() {
        for (place, arn) in &arns[1..] {
            if account_and_region(arn) != account_and_region(first) {
                problems.push(format!(
                    "{} is in another account or region than {}",
                    dotted(place),
                    dotted(first_place)
                ));
            }
        }
    }
    let names: Vec<&str> = document
        .pointer("/clients")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|client| client.get("name")?.as_str())
        .collect();
    for (index, name) in names.iter().enumerate() {
        if names[..index].contains(name) {
            problems.push(format!("clients: the name \"{name}\" is used twice"));
        }
    }
    let tags = document
        .pointer("/tags")
        .and_then(serde_json::Value::as_object);
    for key in tags.into_iter().flat_map(|tags| tags.keys()) {
        if key.to_ascii_lowercase().starts_with("aws:") {
            problems.push(format!(
                "tags: \"{key}\" starts with aws:, which AWS reserves"
            ));
        }
    }
    problems
}

/// A JSON pointer as the dotted path the messages use (`/usagePlan/quota` -> `usagePlan.quota`).
fn dotted(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repository_stage(name: &str) -> PathBuf {
        stage_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."), name)
    }

    fn dev_document() -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(repository_stage("dev")).unwrap()).unwrap()
    }

    fn parse(document: &serde_json::Value) -> Result<StageSettings, StageError> {
        StageSettings::parse(&document.to_string(), "test.json")
    }

    #[test]
    fn the_schema_compiles() {
        let schema: serde_json::Value = serde_json::from_str(STAGE_SCHEMA).unwrap();
        assert!(jsonschema::draft7::new(&schema).is_ok());
    }

    #[test]
    fn reads_the_repository_stage_files() {
        let dev = StageSettings::load(&repository_stage("dev")).unwrap();
        assert_eq!(dev.stage, "dev");
        assert!(dev.usage_plan.throttle.burst_limit > 0);
        assert_eq!(dev.region(), "us-east-1");
        let backend = dev.backend().unwrap();
        assert!(backend.lambda.timeout_seconds > 0);
        assert!(backend.redshift.database_name_parameter.starts_with('/'));
        let prod = StageSettings::load(&repository_stage("prod")).unwrap();
        assert_eq!(prod.stage, "prod");
        assert!(prod.usage_plan.quota.is_some());
    }

    #[test]
    fn rejects_a_zero_burst() {
        let mut document = dev_document();
        document["throttle"]["burstLimit"] = 0.into();
        let error = parse(&document).unwrap_err();
        assert!(error.to_string().contains("throttle.burstLimit"), "{error}");
    }

    #[test]
    fn rejects_what_the_schema_rejects_and_names_every_place() {
        let mut document = dev_document();
        document["usagePlan"]["quota"]["period"] = "YEAR".into();
        document["unknownSetting"] = true.into();
        document.as_object_mut().unwrap().remove("aurora");
        let error = parse(&document).unwrap_err().to_string();
        for expected in ["usagePlan.quota.period", "unknownSetting", "aurora"] {
            assert!(error.contains(expected), "{expected} in {error}");
        }
    }

    #[test]
    fn the_rules_beyond_the_schema_are_checked() {
        let mut document = dev_document();
        document["aurora"]["secretArn"] =
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf".into();
        let plan = document["usagePlan"].clone();
        document["clients"] = serde_json::json!([
            {"name": "mobile", "usagePlan": plan},
            {"name": "mobile", "usagePlan": plan}
        ]);
        document["tags"] = serde_json::json!({"AWS:owner": "x"});
        let error = parse(&document).unwrap_err().to_string();
        for expected in ["aurora.secretArn", "\"mobile\" is used twice", "AWS:owner"] {
            assert!(error.contains(expected), "{expected} in {error}");
        }
    }

    #[test]
    fn the_file_name_must_be_the_stage_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("staging.json");
        std::fs::write(&path, dev_document().to_string()).unwrap();
        let error = StageSettings::load(&path).unwrap_err().to_string();
        assert!(error.contains("must be named dev.json"), "{error}");
    }

    #[test]
    fn clients_and_stage_variables_are_read() {
        let mut document = dev_document();
        let plan = |burst: u32| {
            serde_json::json!({"throttle": {"rateLimit": 1, "burstLimit": burst},
                               "quota": {"limit": 5, "period": "DAY"}})
        };
        document["clients"] = serde_json::json!([
            {"name": "mobile", "usagePlan": plan(2)},
            {"name": "partner", "usagePlan": plan(7)}
        ]);
        document["stageVariables"] = serde_json::json!({"backend": "v2", "greeting": "hello"});
        document["lambda"]["reservedConcurrency"] = serde_json::json!({"staff-get": 3});
        let stage = parse(&document).unwrap();
        let clients = stage.clients();
        assert_eq!(clients.len(), 2);
        assert_eq!(clients[1].name, "partner");
        assert_eq!(clients[1].usage_plan.throttle.burst_limit, 7);
        assert_eq!(stage.stage_variables["backend"], "v2");
        let reserved = stage
            .backend()
            .unwrap()
            .lambda
            .reserved_concurrency
            .clone()
            .unwrap();
        assert_eq!(reserved.of("staff-get"), Some(3));
        assert_eq!(reserved.of("staff-put"), None);
        assert_eq!(ReservedConcurrency::Every(4).of("staff-put"), Some(4));

        document["stageVariables"] = serde_json::json!({"bad name": "v"});
        assert!(
            parse(&document).is_err(),
            "the schema limits variable names"
        );
    }

    #[test]
    fn a_stage_without_clients_has_one_default_client_with_its_usage_plan() {
        let dev = StageSettings::load(&repository_stage("dev")).unwrap();
        let [client] = dev.clients().try_into().unwrap();
        assert_eq!(client.name, DEFAULT_CLIENT);
        assert_eq!(
            client.usage_plan.throttle.burst_limit,
            dev.usage_plan.throttle.burst_limit
        );
    }

    #[test]
    fn settings_built_in_memory_without_backend_say_so() {
        let stage: StageSettings = serde_json::from_value(serde_json::json!({
            "stage": "bare",
            "throttle": {"rateLimit": 1, "burstLimit": 1},
            "usagePlan": {"throttle": {"rateLimit": 1, "burstLimit": 1}, "quota": null}
        }))
        .unwrap();
        assert!(stage.backend().unwrap_err().to_string().contains("bare"));
        assert_eq!(stage.region(), "us-east-1");
    }

    #[test]
    fn unreadable_and_malformed_files_are_clear_errors() {
        let missing = StageSettings::load(Path::new("/nonexistent/stage.json")).unwrap_err();
        assert!(missing.to_string().contains("cannot read"), "{missing}");
        let malformed = StageSettings::parse("{", "broken.json").unwrap_err();
        assert!(
            malformed.to_string().contains("not valid JSON"),
            "{malformed}"
        );
    }
}
