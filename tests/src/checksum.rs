//! A checksum of every user table of both databases, read through the local Data API's real wire
//! protocols (rds-data restJson1, redshift-data awsJson1_1), so "unchanged" covers rows and tables.
//! Requests are SigV4-signed (by `aws-sigv4`, as the SDKs sign) with the stack's local key pair,
//! because the stack's Data API refuses unsigned ones.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use serde_json::{Value, json};

use crate::E2eError;
use local_stack::stage::BackendSettings;

/// One row, one column: md5 over each table's name and its rows (ordered by the first column).
const CHECKSUM_SQL: &str = "
SELECT md5(coalesce(string_agg(
    t.table_schema || '.' || t.table_name || '=' || md5(query_to_xml(
        format('SELECT * FROM %I.%I ORDER BY 1', t.table_schema, t.table_name), true, false, '')::text),
    ',' ORDER BY t.table_schema, t.table_name), ''))
FROM information_schema.tables t
WHERE t.table_schema NOT IN ('pg_catalog', 'information_schema')";

/// Checksums of both databases at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseChecksums {
    pub aurora: String,
    pub redshift: String,
}

pub struct DataApiClient {
    url: String,
    backend: BackendSettings,
    redshift_database: String,
    /// Where the stage is deployed: part of every signature's scope.
    region: String,
    client: reqwest::Client,
}

impl DataApiClient {
    pub fn new(url: &str, backend: BackendSettings, redshift_database: &str, region: &str) -> Self {
        Self {
            url: url.trim_end_matches('/').to_owned(),
            backend,
            redshift_database: redshift_database.to_owned(),
            region: region.to_owned(),
            client: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("the HTTP client builds"),
        }
    }

    pub async fn checksums(&self) -> Result<DatabaseChecksums, E2eError> {
        Ok(DatabaseChecksums {
            aurora: self.aurora_scalar(CHECKSUM_SQL).await?,
            redshift: self.redshift_scalar(CHECKSUM_SQL).await?,
        })
    }

    /// rds-data ExecuteStatement; the first column of the first row as text.
    pub async fn aurora_scalar(&self, sql: &str) -> Result<String, E2eError> {
        let body = json!({
            "resourceArn": self.backend.aurora.cluster_arn,
            "secretArn": self.backend.aurora.secret_arn,
            "database": self.backend.aurora.database,
            "sql": sql,
        });
        let answer = self
            .call(
                "rds-data ExecuteStatement",
                &format!("{}/Execute", self.url),
                None,
                &body,
            )
            .await?;
        Ok(field_text(&answer["records"][0][0]))
    }

    /// rds-data BeginTransaction: the id of a transaction that holds its locks until it ends.
    pub async fn aurora_begin(&self) -> Result<String, E2eError> {
        let answer = self.aurora("BeginTransaction", json!({})).await?;
        Ok(answer["transactionId"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// rds-data ExecuteStatement inside `transaction`.
    pub async fn aurora_execute_in(&self, transaction: &str, sql: &str) -> Result<(), E2eError> {
        let body = json!({"sql": sql, "transactionId": transaction});
        self.aurora("Execute", body).await.map(drop)
    }

    /// rds-data CommitTransaction or RollbackTransaction.
    pub async fn aurora_end(&self, transaction: &str, commit: bool) -> Result<(), E2eError> {
        let operation = if commit {
            "CommitTransaction"
        } else {
            "RollbackTransaction"
        };
        let body = json!({ "transactionId": transaction });
        self.aurora(operation, body).await.map(drop)
    }

    /// An rds-data operation (`/Execute`, `/BeginTransaction`, ...) on the staff database.
    async fn aurora(&self, operation: &str, mut body: Value) -> Result<Value, E2eError> {
        body["resourceArn"] = json!(self.backend.aurora.cluster_arn);
        body["secretArn"] = json!(self.backend.aurora.secret_arn);
        if operation != "CommitTransaction" && operation != "RollbackTransaction" {
            body["database"] = json!(self.backend.aurora.database);
        }
        self.call(
            &format!("rds-data {operation}"),
            &format!("{}/{operation}", self.url),
            None,
            &body,
        )
        .await
    }

    /// redshift-data ExecuteStatement, DescribeStatement until done, GetStatementResult.
    pub async fn redshift_scalar(&self, sql: &str) -> Result<String, E2eError> {
        let started = self
            .redshift(
                "ExecuteStatement",
                json!({
                    "Sql": sql,
                    "WorkgroupName": self.backend.redshift.workgroup_name,
                    "Database": self.redshift_database,
                }),
            )
            .await?;
        let id = started["Id"].clone();
        loop {
            let described = self
                .redshift("DescribeStatement", json!({ "Id": id }))
                .await?;
            match described["Status"].as_str().unwrap_or_default() {
                "FINISHED" => break,
                "FAILED" | "ABORTED" => {
                    return Err(E2eError::Unexpected {
                        what: "the checksum statement".to_owned(),
                        status: 200,
                        body: described.to_string(),
                    });
                }
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        let result = self
            .redshift("GetStatementResult", json!({ "Id": id }))
            .await?;
        Ok(field_text(&result["Records"][0][0]))
    }

    async fn redshift(&self, operation: &str, body: Value) -> Result<Value, E2eError> {
        self.call(
            &format!("redshift-data {operation}"),
            &format!("{}/", self.url),
            Some(&format!("RedshiftData.{operation}")),
            &body,
        )
        .await
    }

    async fn call(
        &self,
        what: &str,
        url: &str,
        target: Option<&str>,
        body: &Value,
    ) -> Result<Value, E2eError> {
        let body = body.to_string();
        // redshift-data is awsJson1_1 (an X-Amz-Target per operation), rds-data restJson1.
        let (service, mut headers) = match target {
            Some(target) => (
                "redshift-data",
                vec![
                    ("content-type", "application/x-amz-json-1.1".to_owned()),
                    ("x-amz-target", target.to_owned()),
                ],
            ),
            None => (
                "rds-data",
                vec![("content-type", "application/json".to_owned())],
            ),
        };
        let signature = self.sign(service, url, &headers, &body)?;
        headers.extend(signature);
        let mut request = self.client.post(url).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request.send().await.map_err(|source| E2eError::Http {
            url: url.to_owned(),
            source,
        })?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|source| E2eError::Http {
            url: url.to_owned(),
            source,
        })?;
        if status != 200 {
            return Err(E2eError::Unexpected {
                what: what.to_owned(),
                status,
                body: text,
            });
        }
        serde_json::from_str(&text).map_err(|_| E2eError::Unexpected {
            what: what.to_owned(),
            status,
            body: text,
        })
    }
}

impl DataApiClient {
    /// The headers SigV4 adds (authorization, x-amz-date, x-amz-content-sha256 when asked).
    fn sign(
        &self,
        service: &str,
        url: &str,
        headers: &[(&'static str, String)],
        body: &str,
    ) -> Result<Vec<(&'static str, String)>, E2eError> {
        let unsigned = |error: &dyn std::fmt::Display| E2eError::Unexpected {
            what: format!("signing a {service} request"),
            status: 0,
            body: error.to_string(),
        };
        let key = local_data_api::AccessKey::default();
        let identity = Credentials::new(key.id, key.secret, None, None, "e2e").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(service)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|error| unsigned(&error))?
            .into();
        let host = reqwest::Url::parse(url)
            .ok()
            .and_then(|url| Some(format!("{}:{}", url.host_str()?, url.port()?)))
            .unwrap_or_default();
        let all_headers = headers
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .chain([("host", host.as_str())]);
        let request = SignableRequest::new(
            "POST",
            url,
            all_headers,
            SignableBody::Bytes(body.as_bytes()),
        )
        .map_err(|error| unsigned(&error))?;
        let (instructions, _signature) = sign(request, &params)
            .map_err(|error| unsigned(&error))?
            .into_parts();
        let (added, _params) = instructions.into_parts();
        Ok(added
            .into_iter()
            .map(|header| (header.name(), header.value().to_owned()))
            .collect())
    }
}

/// A Data API Field (`{"stringValue": ...}`, `{"longValue": ...}`, ...) as text.
fn field_text(field: &Value) -> String {
    match field.as_object().and_then(|f| f.values().next()) {
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}
