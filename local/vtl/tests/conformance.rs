//! The conformance suite: Velocity 1.7's own cases and API Gateway's recorded or documented
//! answers, as data (tests/conformance/*.rs), each with its source. Prints the totals.

use std::collections::BTreeMap;

use vtl::Template;
use vtl::apigw::{MappingInput, render};

#[path = "conformance/aws.rs"]
mod aws;
#[path = "conformance/velocity.rs"]
mod velocity;

fn velocity_outcome(case: &velocity::Case) -> Result<String, String> {
    let template = Template::parse(case.template).map_err(|e| e.to_string())?;
    let vars: serde_json::Value = serde_json::from_str(case.vars).expect("case vars are JSON");
    let serde_json::Value::Object(vars) = vars else {
        panic!("case vars must be an object: {}", case.source)
    };
    template.render_json(&vars).map_err(|e| e.to_string())
}

#[test]
fn velocity_1_7_conformance() {
    let mut passed = 0;
    let mut unexpected = Vec::new();
    for case in velocity::CASES {
        let outcome = velocity_outcome(case);
        let pass = match (case.expected, &outcome) {
            (Some(expected), Ok(output)) => output == expected,
            (None, Err(_)) => true,
            _ => false,
        };
        if pass {
            passed += 1;
        }
        match (pass, case.known) {
            (true, Some(reason)) => unexpected.push(format!(
                "{}: {:?} now passes; remove its known failure ({reason})",
                case.source, case.template
            )),
            (false, None) => unexpected.push(format!(
                "{}: {:?} expected {:?}, got {:?}",
                case.source, case.template, case.expected, outcome
            )),
            _ => {}
        }
    }
    let known: Vec<_> = velocity::CASES
        .iter()
        .filter(|c| c.known.is_some())
        .collect();
    println!("velocity 1.7: {passed} of {} pass", velocity::CASES.len());
    for case in &known {
        println!(
            "  known failure: {} {:?}: {}",
            case.source,
            case.template,
            case.known.unwrap_or_default()
        );
    }
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
}

fn pairs(list: &[(&str, &str)]) -> BTreeMap<String, String> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn aws_mapping_template_conformance() {
    let mut totals: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    let empty = BTreeMap::new();
    for case in aws::CASES {
        let context: serde_json::Value =
            serde_json::from_str(case.context).expect("case context is JSON");
        let (query, header) = (pairs(case.query), pairs(case.header));
        let input = MappingInput {
            body: case.body,
            path: &empty,
            querystring: &query,
            header: &header,
            context: &context,
            stage_variables: &empty,
        };
        let outcome = Template::parse(case.template)
            .and_then(|template| render(&template, &input))
            .map_err(|e| e.to_string());
        let total = totals.entry(case.area).or_default();
        total.1 += 1;
        if outcome.as_deref() == Ok(case.expected) {
            total.0 += 1;
        } else {
            failures.push(format!(
                "{} ({}): {:?} expected {:?}, got {:?}",
                case.area, case.source, case.template, case.expected, outcome
            ));
        }
    }
    for (area, (passed, count)) in &totals {
        println!("aws {area}: {passed} of {count} pass");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
