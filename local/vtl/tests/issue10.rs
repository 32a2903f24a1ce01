//! Issue 10, items 8-15: each test states the behaviour and where AWS or Velocity 1.7 shows it.
//! "LocalStack recording" = an `@markers.aws.validated` test of localstack/localstack whose
//! `*.snapshot.json` holds what AWS answered.

use std::collections::BTreeMap;

use serde_json::json;
use vtl::apigw::{MappingInput, RenderOptions, render, render_with_context};
use vtl::{ErrorKind, Template};

fn input<'a>(
    body: &'a str,
    context: &'a serde_json::Value,
    empty: &'a BTreeMap<String, String>,
) -> MappingInput<'a> {
    MappingInput {
        body,
        path: empty,
        querystring: empty,
        header: empty,
        context,
        stage_variables: empty,
    }
}

/// Renders as API Gateway does, with `body` and an empty `$context`.
fn aws(source: &str, body: &str) -> String {
    let template = Template::parse(source).unwrap_or_else(|e| panic!("{source:?}: {e}"));
    let empty = BTreeMap::new();
    let context = json!({});
    render(&template, &input(body, &context, &empty)).unwrap_or_else(|e| panic!("{source:?}: {e}"))
}

/// Renders with Velocity 1.7's own rules (no API Gateway variables).
fn velocity(source: &str) -> String {
    let template = Template::parse(source).unwrap_or_else(|e| panic!("{source:?}: {e}"));
    template
        .render_json(&serde_json::Map::new())
        .unwrap_or_else(|e| panic!("{source:?}: {e}"))
}

mod item_8_null_equals_the_empty_string {
    use super::*;

    /// LocalStack recording `TestApiGatewayCommon::test_input_path_template_formatting`
    /// (test_apigateway_common.snapshot.json, 2025-06-18), route "invalid-path": a missing path
    /// gave `"isNull": "true", "isEmptyString": "true"` and rendered `$result` as nothing.
    #[test]
    fn a_missing_path_is_null_and_equals_the_empty_string() {
        let template = r##"#set($result = $input.path("$.nonExisting")){"body": $result, "nested": $result.nested, "isNull": #if( $result == $null )"true"#else"false"#end, "isEmptyString": #if( $result == "" )"true"#else"false"#end}"##;
        assert_eq!(
            aws(template, ""),
            r#"{"body": , "nested": , "isNull": "true", "isEmptyString": "true"}"#
        );
    }

    /// Same recording, route "nested-list": an empty list is neither null nor "".
    #[test]
    fn an_empty_list_is_neither() {
        let template = r##"#set($result = $input.path("$.json.listValue")){"body": $result, "isNull": #if( $result == $null )"true"#else"false"#end, "isEmptyString": #if( $result == "" )"true"#else"false"#end}"##;
        assert_eq!(
            aws(template, r#"{"json": {"listValue": []}}"#),
            r#"{"body": [], "isNull": "false", "isEmptyString": "false"}"#
        );
        assert_eq!(
            aws(template, r#"{"json": {"listValue": null}}"#),
            r#"{"body": , "isNull": "true", "isEmptyString": "true"}"#
        );
    }

    #[test]
    fn not_equal_is_the_negation_and_velocity_itself_differs() {
        assert_eq!(aws("#if($foo.bar != '')set#{else}unset#end", ""), "unset");
        assert_eq!(aws("#if($foo == 'x')x#{else}no#end", ""), "no");
        // Velocity 1.7 compares null with a string as false.
        assert_eq!(velocity("#if($foo == '')eq#{else}ne#end"), "ne");
    }
}

mod item_9_assignment_and_mutators {
    use super::*;

    /// LocalStack recording `test_integration_mock_with_vtl_map_assignation`
    /// (test_apigateway_integrations.snapshot.json, 2025-05-29): index assignment, `put`, and a
    /// nested index assignment into `$context.requestOverride.querystring` were all visible
    /// ("bar", "putBar", "nestedFoo").
    #[test]
    fn index_assignment_and_put_reach_the_context() {
        let request = "#set($paramName = \"foo\")\n#set($context.requestOverride.querystring[$paramName] = \"bar\")\n#set($paramPutName = \"putfoo\")\n$context.requestOverride.querystring.put($paramPutName, \"putBar\")\n#set($context[\"requestOverride\"].querystring[\"nestedfoo\"] = \"nestedFoo\")\n{\"statusCode\": 200}";
        let template = Template::parse(request).unwrap();
        let empty = BTreeMap::new();
        let context = json!({"requestId": "r"});
        let rendered = render_with_context(
            &template,
            &input("", &context, &empty),
            &RenderOptions::default(),
        )
        .unwrap();
        assert_eq!(rendered.body.trim(), "{\"statusCode\": 200}");
        assert_eq!(
            rendered.context["requestOverride"]["querystring"],
            json!({"foo": "bar", "putfoo": "putBar", "nestedfoo": "nestedFoo"})
        );
        // The response template sees what the request template stored.
        let response = Template::parse(
            "#set($value = $context.requestOverride.querystring[\"foo\"])$value|$context.requestOverride.querystring.putfoo",
        )
        .unwrap();
        assert_eq!(
            render(&response, &input("", &rendered.context, &empty)).unwrap(),
            "bar|putBar"
        );
    }

    /// LocalStack recording `test_integration_mock_with_response_override_in_request_template`
    /// (2025-05-16): a request template set `responseOverride.status` 444, a header and a custom
    /// key, and the response template read all three back.
    #[test]
    fn response_overrides_are_read_back() {
        let template = Template::parse("#set($context.responseOverride.status = 444)\n#set($context.responseOverride.header.foo = \"bar\")\n#set($context.responseOverride.custom = \"is also passed around\")\n{}").unwrap();
        let empty = BTreeMap::new();
        let context = json!({});
        let rendered = render_with_context(
            &template,
            &input("", &context, &empty),
            &RenderOptions::default(),
        )
        .unwrap();
        assert_eq!(
            rendered.context["responseOverride"],
            json!({"header": {"foo": "bar"}, "status": 444, "custom": "is also passed around"})
        );
        assert_eq!(rendered.body, "{}");
    }

    /// Velocity 1.7 `#set($a[i] = v)` (ASTIndex) and the java.util mutators: a value is one
    /// shared object, so a change is seen through every reference to it.
    #[test]
    fn mutators_change_the_shared_value() {
        assert_eq!(velocity("#set($m = {})#set($m['k'] = 'v')$m"), "{k=v}");
        assert_eq!(velocity("#set($l = [1, 2])#set($l[0] = 'x')$l"), "[x, 2]");
        assert_eq!(velocity("#set($l = [1, 2])#set($l[-1] = 'x')$l"), "[1, x]");
        assert_eq!(
            velocity("#set($m = {'a': 1})#set($n = $m)#set($old = $n.put('a', 2))$m $old"),
            "{a=2} 1"
        );
        assert_eq!(
            velocity("#set($m = {})$m.putAll({'x': 1, 'y': 2})#set($r = $m.remove('x'))$m $r"),
            "$m.putAll({'x': 1, 'y': 2}){y=2} 1"
        );
        assert_eq!(
            velocity(
                "#set($l = [])#set($ok = $l.add('a'))$l.add(0, 'b')#set($old = $l.set(1, 'c'))$l $ok $old"
            ),
            "$l.add(0, 'b')[b, c] true a"
        );
        assert_eq!(
            velocity(
                "#set($l = ['a', 'b', 'c'])#set($x = $l.remove(0))#set($y = $l.remove('c'))$l $x $y"
            ),
            "[b] a true"
        );
        assert_eq!(
            velocity(
                "#set($rows = [])#foreach($i in [1..3])#set($row = {})#set($_ = $row.put('n', $i))#set($_ = $rows.add($row))#end$rows"
            ),
            "[{n=1}, {n=2}, {n=3}]"
        );
    }

    #[test]
    fn out_of_range_and_cycles_are_errors_not_crashes() {
        for source in [
            "#set($l = [])#set($l[3] = 1)",
            "#set($l = [1])$l.set(5, 1)",
            "#set($l = [])$l.add($l)",
            "#set($m = {})#set($l = [$m])$m.put('self', $l)",
        ] {
            let error = Template::parse(source)
                .unwrap()
                .render_json(&serde_json::Map::new())
                .expect_err(source);
            assert_eq!(error.kind(), ErrorKind::Runtime, "{source}");
        }
    }
}

mod item_10_whitespace_before_set {
    use super::*;

    /// Velocity 1.7 test/templates/math.vm and compare/math.cmp: `$foo - 1 = #set(...)$foo`
    /// renders `2 - 1 = 1`.
    #[test]
    fn text_then_set_keeps_its_space() {
        assert_eq!(
            velocity("#set($foo = 2)\n$foo - 1 = #set($foo = $foo - 1 )$foo"),
            "2 - 1 = 1"
        );
    }
}

mod item_11_context_maps_render_empty {
    use super::*;

    /// LocalStack recording `test_sqs_amz_json_protocol` (test_apigateway_sqs.snapshot.json,
    /// 2025-05-20): `$context.get($key)` rendered "" for identity, requestOverride and
    /// responseOverride, and `$context.requestOverride.get(...)` rendered "" for path, header
    /// and querystring, `$context.responseOverride.get('header')` too.
    #[test]
    fn nested_context_maps_render_as_nothing() {
        let template = Template::parse("[$context.identity][$context.get('requestOverride')][$context.responseOverride][$context.requestOverride.header][$context.responseOverride.header][$context.identity.sourceIp]").unwrap();
        let empty = BTreeMap::new();
        let context = json!({"identity": {"sourceIp": "1.2.3.4"}});
        assert_eq!(
            render(&template, &input("", &context, &empty)).unwrap(),
            "[][][][][][1.2.3.4]"
        );
    }

    #[test]
    fn their_keys_are_still_iterable() {
        // AWS lists path, header, querystring; `$context` crosses the API as serde_json, whose
        // map order depends on its preserve_order feature (on in the workspace build), so the keys
        // are compared as sets.
        let template = Template::parse("#foreach($k in $context.requestOverride.keySet())$k,#end|#foreach($k in $context.responseOverride.keySet())$k#end").unwrap();
        let empty = BTreeMap::new();
        let context = json!({});
        let rendered = render(&template, &input("", &context, &empty)).unwrap();
        let (request, response) = rendered.split_once('|').unwrap();
        let mut request_keys: Vec<&str> = request.split(',').filter(|k| !k.is_empty()).collect();
        request_keys.sort_unstable();
        assert_eq!(request_keys, ["header", "path", "querystring"]);
        assert_eq!(response, "header");
    }
}

mod item_12_break_a_named_scope {
    use super::*;

    /// Velocity 1.7 BreakDirectiveTestCase: `#break($foreach.parent)` leaves the outer loop.
    #[test]
    fn break_parent_stops_the_outer_loop() {
        assert_eq!(
            velocity(
                "#foreach($i in [1..3])#foreach($j in [1..3])$i$j #break($foreach.parent)#end#end"
            ),
            "11 "
        );
        assert_eq!(
            velocity("#foreach($i in [1..2])#foreach($j in [1..3])$i$j #break($foreach)#end#end"),
            "11 21 "
        );
        assert_eq!(
            velocity("#foreach($i in [1..2])#foreach($j in [1..3])$j#break#end$i#end"),
            "1112"
        );
    }
}

mod item_13_unterminated_method_call {
    use super::*;

    /// Velocity 1.7's parser needs `name (` plus an argument list to read a method; otherwise
    /// the reference ends at the property and the `(` is text.
    #[test]
    fn an_unterminated_call_is_text() {
        assert_eq!(velocity("$a.b("), "$a.b(");
        assert_eq!(velocity("#set($a = {'b': 'x'})$a.b(1,"), "x(1,");
        assert_eq!(aws("$a.b(", ""), "(");
    }
}

mod item_14_jsonpath {
    use super::*;

    const BODY: &str = r#"{"items": [{"p": 5, "id": "a"}, {"p": 15, "id": "b"}, {"p": 25, "id": "c"}], "deep": {"x": 1, "in": {"x": 2}}}"#;

    /// AWS documents `$input.path`/`$input.json` as taking a JSONPath expression (mapping
    /// template reference); the dialect is Jayway's (inferred: deep scan, filters, slices,
    /// unions, `.length()`).
    #[test]
    fn deep_scan_filters_slices_unions_and_length() {
        assert_eq!(aws("$input.json('$..x')", BODY), "[1,2]");
        assert_eq!(
            aws("$input.json('$.items[?(@.p > 10)].id')", BODY),
            r#"["b","c"]"#
        );
        assert_eq!(aws("$input.json('$.items[0:1].id')", BODY), r#"["a"]"#);
        assert_eq!(aws("$input.json('$.items[0,1].id')", BODY), r#"["a","b"]"#);
        assert_eq!(aws("$input.path('$.items.length()')", BODY), "3");
        assert_eq!(aws("$input.path('$.items').size()", BODY), "3");
        assert_eq!(
            aws(
                "#foreach($i in $input.path('$.items[?(@.p >= 15)]'))$i.id#end",
                BODY
            ),
            "bc"
        );
    }

    #[test]
    fn a_malformed_path_is_a_runtime_error() {
        let template = Template::parse("$input.json('$.items[?(@.p >)]')").unwrap();
        let empty = BTreeMap::new();
        let context = json!({});
        let error = render(&template, &input(BODY, &context, &empty)).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Runtime);
    }
}

mod item_15_deep_operator_chains {
    use super::*;

    fn chain(term: &str, op: &str, n: usize) -> String {
        vec![term; n].join(op)
    }

    /// Runs on the test thread (2 MiB stack in debug builds): a flat chain is evaluated left to
    /// right without recursing per operator.
    #[test]
    fn thousands_of_terms_evaluate() {
        let sum = format!("#set($x = {})$x", chain("1", " + ", 5000));
        assert_eq!(velocity(&sum), "5000");
        let and = format!("#if({})yes#end", chain("true", " && ", 5000));
        assert_eq!(velocity(&and), "yes");
        let or = format!("#if({})yes#end", chain("false", " || ", 5000));
        assert_eq!(velocity(&or), "");
        let mixed = format!("#set($x = {})$x", chain("2 * 3", " - ", 3000));
        assert_eq!(velocity(&mixed), "-17988");
        let concat = format!("#set($s = {})$s.length()", chain("'ab'", " + ", 4000));
        assert_eq!(velocity(&concat), "8000");
    }

    #[test]
    fn deep_nesting_is_a_clear_limit_error() {
        let nested = format!("#set($x = {}1{})", "(".repeat(5000), ")".repeat(5000));
        let error = Template::parse(&nested).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Limit);
        let negations = format!("#if({}true)#end", "!".repeat(5000));
        assert_eq!(
            Template::parse(&negations).unwrap_err().kind(),
            ErrorKind::Limit
        );
    }

    #[test]
    fn a_template_larger_than_the_bound_is_refused() {
        let huge = "$a".repeat(vtl::MAX_TEMPLATE_BYTES / 2 + 1);
        let error = Template::parse(&huge).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Limit);
        assert!(error.message().contains("bytes"), "{error}");
    }
}
