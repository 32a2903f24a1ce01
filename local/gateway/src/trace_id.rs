//! `X-Amzn-Trace-Id`, which API Gateway returns on answers from a Lambda integration.
//!
//! Evidence: the AWS-validated recording `test_invocation_trace_id` (LocalStack
//! `tests/aws/services/apigateway/test_apigateway_common.snapshot.json`, 2024-08-07): the header
//! is on the Lambda integration's answers and not on a MOCK integration's; a client's full header
//! (`Root=...;Parent=...;Sampled=1`) comes back unchanged, and a Root-only one comes back with a
//! Parent added. The X-Ray developer guide ("Amazon API Gateway active tracing support for AWS
//! X-Ray") gives the format: `Root=1-<8 hex digits: epoch seconds>-<24 hex digits>`, added when
//! the request has none.

use rand::Rng;

/// The trace header for a request that arrived with `incoming` (its `X-Amzn-Trace-Id`, if any).
pub fn trace_header(incoming: Option<&str>, now_epoch_seconds: i64) -> String {
    let mut rng = rand::rng();
    match incoming
        .map(str::trim)
        .filter(|value| value.starts_with("Root="))
    {
        Some(value) if value.contains("Parent=") => value.to_owned(),
        Some(value) => {
            let (root, rest) = value.split_once(';').unwrap_or((value, ""));
            let parent = format!("Parent={:016x}", rng.random::<u64>());
            [root, &parent, rest]
                .into_iter()
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join(";")
        }
        None => {
            let unique: u128 = rng.random::<u128>() & ((1 << 96) - 1);
            format!(
                "Root=1-{:08x}-{unique:024x}",
                now_epoch_seconds.clamp(0, i64::from(u32::MAX))
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_trace_id_has_the_x_ray_format() {
        let header = trace_header(None, 0x5759_e988);
        let root = header.strip_prefix("Root=1-5759e988-").unwrap();
        assert_eq!(root.len(), 24, "{header}");
        assert!(root.chars().all(|c| c.is_ascii_hexdigit()), "{header}");
    }

    #[test]
    fn a_client_trace_is_kept_and_completed_with_a_parent() {
        let full = "Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72;Sampled=1";
        assert_eq!(trace_header(Some(full), 0), full);

        let root_only = "Root=1-3152b799-8954dae64eda91bc9a23a7e8";
        let completed = trace_header(Some(root_only), 0);
        let parts: Vec<&str> = completed.split(';').collect();
        assert_eq!(parts[0], root_only);
        assert!(
            parts[1].starts_with("Parent=") && parts[1].len() == 23,
            "{completed}"
        );
    }

    #[test]
    fn a_header_that_is_not_a_trace_is_replaced() {
        assert!(trace_header(Some("garbage"), 1).starts_with("Root=1-00000001-"));
    }
}
