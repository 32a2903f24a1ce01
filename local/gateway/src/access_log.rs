//! One JSON line per request on stderr, with the fields of API Gateway's JSON access-log format
//! (stdout stays free for the start-up lines other programs read).

use std::time::Duration;

use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessLogLine<'a> {
    pub request_id: &'a str,
    pub ip: &'a str,
    /// Common Log Format time, as `$context.requestTime`.
    pub request_time: &'a str,
    pub http_method: &'a str,
    pub path: &'a str,
    /// Absent when no route matched.
    pub resource_path: Option<&'a str>,
    pub status: u16,
    pub response_length: usize,
    #[serde(serialize_with = "milliseconds")]
    pub latency: Duration,
    #[serde(serialize_with = "optional_milliseconds")]
    pub integration_latency: Option<Duration>,
    pub api_key_id: Option<&'a str>,
}

impl AccessLogLine<'_> {
    pub fn write(&self) {
        if let Ok(line) = serde_json::to_string(self) {
            eprintln!("{line}");
        }
    }
}

fn milliseconds<S: serde::Serializer>(
    duration: &Duration,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(duration.as_secs_f64() * 1000.0)
}

fn optional_milliseconds<S: serde::Serializer>(
    duration: &Option<Duration>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match duration {
        Some(duration) => milliseconds(duration, serializer),
        None => serializer.serialize_none(),
    }
}
