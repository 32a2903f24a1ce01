//! Property tests: parsing and rendering never panic and always terminate, on arbitrary text and
//! on generated templates that mostly parse (so evaluation is exercised, not only the parser).

use std::collections::BTreeMap;

use proptest::collection::vec;
use proptest::prelude::*;
use vtl::apigw::{MappingInput, RenderOptions, render_with};
use vtl::{Limits, NullRendering, Template};

fn small_limits() -> Limits {
    Limits {
        max_output_bytes: 64 * 1024,
        max_string_bytes: 64 * 1024,
        max_loop_iterations: 100,
        max_range_items: 1_000,
        max_steps: 50_000,
    }
}

/// Renders with plain variables and through API Gateway's variables; errors are fine, panics
/// and hangs are not. Returns whether the template parsed.
fn exercise(source: &str) -> bool {
    let Ok(template) = Template::parse(source) else {
        return false;
    };
    let limits = small_limits();
    let vars = serde_json::json!({
        "a": "text", "s": "  Hello, World ", "n": 3, "f": 1.5, "t": true,
        "l": [1, "two", null, [3]], "m": {"k": "v", "l": [1, 2], "n": {"x": null}}
    });
    let vars = vars.as_object().expect("object");
    for nulls in [NullRendering::SourceText, NullRendering::Empty] {
        if let Ok(out) = template.render_json_with(vars, &limits, nulls) {
            assert!(out.len() <= limits.max_output_bytes);
        }
    }
    let params = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let (path, query, header, stage) = (
        params(&[("id", "0001")]),
        params(&[("limit", "5")]),
        params(&[("X-Api-Key", "k")]),
        params(&[("env", "dev")]),
    );
    let context = serde_json::json!({"requestId": "r", "identity": {"sourceIp": "127.0.0.1"}});
    let options = RenderOptions {
        limits,
        nulls: None,
    };
    for body in [
        r#"{"id": "0001", "name": "x", "list": [1, {"a": 2}]}"#,
        "",
        "not json",
    ] {
        let input = MappingInput {
            body,
            path: &path,
            querystring: &query,
            header: &header,
            context: &context,
            stage_variables: &stage,
        };
        let _ = render_with(&template, &input, &options);
    }
    true
}

/// Fragments of VTL syntax, glued in random order.
fn token() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(vec![
        "#set", "#if", "#elseif", "#else", "#end", "#foreach", "#break", "#{if}", "#{else}",
        "#{end}", "#{set}", "##", "#*", "*#", "#[[", "]]#", "\\", "\\$", "\\#", "$", "$!", "${",
        "}", "$a", "$l", "$m", ".", ".get", ".size()", "(", ")", "[", "]", "..", "'", "\"", " ",
        "\t", "\n", "\r\n", "in", "=", "==", ",", ":", "{", "1", "-", "+", "!", "&&", "x", "é",
    ])
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a"),
        Just("s"),
        Just("n"),
        Just("f"),
        Just("l"),
        Just("m"),
        Just("x"),
        Just("input"),
        Just("util"),
        Just("context"),
        Just("foreach"),
        Just("velocityCount"),
    ]
    .prop_map(str::to_string)
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("length"),
        Just("substring"),
        Just("indexOf"),
        Just("replace"),
        Just("replaceAll"),
        Just("split"),
        Just("matches"),
        Just("contains"),
        Just("get"),
        Just("size"),
        Just("keySet"),
        Just("entrySet"),
        Just("containsKey"),
        Just("isEmpty"),
        Just("toString"),
        Just("json"),
        Just("path"),
        Just("params"),
        Just("escapeJavaScript"),
        Just("parseJson"),
        Just("urlEncode"),
        Just("urlDecode"),
        Just("base64Encode"),
        Just("base64Decode"),
        Just("trim"),
        Just("toUpperCase"),
        Just("equals"),
        Just("charAt"),
        Just("put"),
        Just("putAll"),
        Just("remove"),
        Just("add"),
        Just("addAll"),
        Just("set"),
        Just("clear"),
        Just("nope"),
    ]
    .prop_map(str::to_string)
}

/// Literals and simple references: what Velocity accepts as arguments and list elements.
fn parameter() -> impl Strategy<Value = String> {
    prop_oneof![
        "-?[0-9]{1,4}",
        "[0-9]{1,2}\\.[0-9]{1,2}",
        Just("true".to_string()),
        Just("false".to_string()),
        "'[a-z$#.\\[\\]*()\" ]{0,6}'",
        "\"[a-z.\\[\\]*' ]{0,6}\"",
        Just("'$.name'".to_string()),
        Just("'$.list[*]'".to_string()),
        Just("'\\\\w+'".to_string()),
        (name()).prop_map(|n| format!("${n}")),
        (1i64..20).prop_map(|n| format!("[0..{n}]")),
    ]
}

fn reference() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        name().prop_map(|n| format!(".{n}")),
        (method(), vec(parameter(), 0..3))
            .prop_map(|(m, args)| format!(".{m}({})", args.join(", "))),
        parameter().prop_map(|p| format!("[{p}]")),
    ];
    (
        prop_oneof![Just("$"), Just("$!"), Just("\\$")],
        name(),
        vec(segment, 0..4),
        any::<bool>(),
    )
        .prop_map(|(sigil, root, segments, formal)| {
            let body = format!("{root}{}", segments.concat());
            if formal {
                format!("{sigil}{{{body}}}")
            } else {
                format!("{sigil}{body}")
            }
        })
}

fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![parameter(), reference()];
    leaf.prop_recursive(3, 24, 3, |inner| {
        let op = prop_oneof![
            Just("+"),
            Just("-"),
            Just("*"),
            Just("/"),
            Just("%"),
            Just("=="),
            Just("!="),
            Just("<"),
            Just(">="),
            Just("&&"),
            Just("||"),
            Just("and"),
            Just("eq"),
            Just("lt"),
        ];
        prop_oneof![
            (inner.clone(), op, inner.clone()).prop_map(|(a, op, b)| format!("{a} {op} {b}")),
            inner.clone().prop_map(|a| format!("({a})")),
            inner.clone().prop_map(|a| format!("!{a}")),
            vec(parameter(), 0..4).prop_map(|items| format!("[{}]", items.join(", "))),
            vec((parameter(), parameter()), 0..3).prop_map(|entries| {
                let entries: Vec<String> =
                    entries.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                format!("{{{}}}", entries.join(", "))
            }),
            inner.prop_map(|a| format!("\"<{a}>\"")),
        ]
    })
}

fn template() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        "[a-z {}\":,\\n]{0,8}",
        reference(),
        (name(), expression()).prop_map(|(n, e)| format!("#set(${n} = {e})\n")),
        (reference(), parameter(), expression())
            .prop_map(|(r, i, e)| format!("#set({r}[{i}] = {e})")),
        (reference(), name(), expression()).prop_map(|(r, k, e)| format!("#set({r}.{k} = {e})")),
        Just("#break($foreach.parent)".to_string()),
        Just("## comment\n".to_string()),
        Just("#* block *#".to_string()),
        Just("#break".to_string()),
        Just("  ".to_string()),
    ];
    leaf.prop_recursive(4, 48, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 1..5).prop_map(|parts| parts.concat()),
            (
                expression(),
                inner.clone(),
                proptest::option::of(inner.clone())
            )
                .prop_map(|(condition, then, otherwise)| match otherwise {
                    Some(otherwise) => format!("#if({condition})\n{then}#else\n{otherwise}#end\n"),
                    None => format!("#if({condition}){then}#end"),
                }),
            (expression(), inner.clone(), inner.clone())
                .prop_map(|(c, a, b)| { format!("#if({c}){a}#elseif({c} == false){b}#end") }),
            (name(), parameter(), inner.clone()).prop_map(|(n, list, body)| {
                format!("#foreach(${n} in {list})\n{body}#if($foreach.hasNext),#end\n#end\n")
            }),
        ]
    })
}

proptest! {
    // 512 cases per property by default; PROPTEST_CASES=100000 for a longer run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(512),
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_text_never_panics(source in any::<String>()) {
        exercise(&source);
    }

    #[test]
    fn template_alphabet_soup_never_panics(source in "[$#!{}()\\[\\]'\".,:=+*/%<>&|\\\\@ a-z0-9\\n-]{0,120}") {
        exercise(&source);
    }

    #[test]
    fn token_soup_never_panics(tokens in vec(token(), 0..40)) {
        exercise(&tokens.concat());
    }

    #[test]
    fn generated_templates_never_panic(source in template()) {
        exercise(&source);
    }
}

/// Guards the generator: most generated templates must parse, or the property above would only
/// exercise the parser's error paths.
#[test]
fn generated_templates_mostly_parse() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = template();
    let total = 200;
    let parsed = (0..total)
        .filter(|_| {
            let source = strategy.new_tree(&mut runner).expect("generate").current();
            exercise(&source)
        })
        .count();
    assert!(
        parsed * 2 > total,
        "only {parsed} of {total} generated templates parsed"
    );
}
