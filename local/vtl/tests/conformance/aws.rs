//! API Gateway's `$input`, `$util` and `$context` in mapping templates, as AWS answered or
//! documents them. Sources:
//! - "recording X" = LocalStack test X, marked `@markers.aws.validated`, whose snapshot
//!   (tests/aws/services/apigateway/*.snapshot.json) holds AWS's answer;
//! - "doc" = AWS's "Variables for data transformations for API Gateway" page
//!   (api-gateway-mapping-template-reference.html) and "Override your API's request and response
//!   parameters and status codes" (apigateway-override-request-response-parameters.html).

pub struct Case {
    pub area: &'static str,
    pub source: &'static str,
    pub template: &'static str,
    /// The request body (the Lambda's answer for a response template).
    pub body: &'static str,
    pub query: &'static [(&'static str, &'static str)],
    pub header: &'static [(&'static str, &'static str)],
    /// `$context` as JSON.
    pub context: &'static str,
    pub expected: &'static str,
}

const PATH_FORMATTING: &str =
    "recording TestApiGatewayCommon::test_input_path_template_formatting (2025-06-18)";
const BODY_FORMATTING: &str =
    "recording TestApiGatewayCommon::test_input_body_formatting (2025-03-19)";
const SQS_CONTEXT: &str = "recording test_sqs_amz_json_protocol (2025-05-20)";
const UTIL_DOC: &str = "doc: $util variables";
const INPUT_DOC: &str = "doc: $input variables";

const fn case(
    area: &'static str,
    source: &'static str,
    template: &'static str,
    body: &'static str,
    expected: &'static str,
) -> Case {
    Case {
        area,
        source,
        template,
        body,
        query: &[],
        header: &[],
        context: "{}",
        expected,
    }
}

const PATH_RESULT: &str = "#set($result = $input.path(\"$.json\"))$result";
const NESTED_RESULT: &str = "#set($result = $input.path(\"$.json\"))$result.nested";
const LIST_RESULT: &str = "#set($result = $input.path(\"$.json\"))$result[0]";
const TO_STRING: &str = "#set($result = $input.path(\"$.json\"))$result.toString()";
const INVALID_PATH: &str = r##"#set($result = $input.path("$.nonExisting")){"body": $result, "nested": $result.nested, "isNull": #if( $result == $null )"true"#else"false"#end, "isEmptyString": #if( $result == "" )"true"#else"false"#end}"##;
const NESTED_LIST: &str = r##"#set($result = $input.path("$.json.listValue")){"body": $result, "nested": $result.nested, "isNull": #if( $result == $null )"true"#else"false"#end, "isEmptyString": #if( $result == "" )"true"#else"false"#end}"##;
const URL_ENCODE: &str = "EncodedBody=$util.urlEncode($input.body)&EncodedBodyAccess=$util.urlEncode($input.body.testAccess)";

pub const CASES: &[Case] = &[
    // $input.path: objects render as Java maps, arrays as JSON (the echo server wraps the
    // posted JSON as {"json": ...}).
    case(
        "$input",
        PATH_FORMATTING,
        PATH_RESULT,
        r#"{"json": {"foo": "bar"}}"#,
        "{foo=bar}",
    ),
    case(
        "$input",
        PATH_FORMATTING,
        PATH_RESULT,
        r#"{"json": [{"foo": "bar"}]}"#,
        r#"[{"foo":"bar"}]"#,
    ),
    case(
        "$input",
        PATH_FORMATTING,
        NESTED_RESULT,
        r#"{"json": {"nested": {"foo": "bar"}}}"#,
        "{foo=bar}",
    ),
    case(
        "$input",
        PATH_FORMATTING,
        NESTED_RESULT,
        r#"{"json": {"nested": [{"foo": "bar"}]}}"#,
        r#"[{"foo":"bar"}]"#,
    ),
    case(
        "$input",
        PATH_FORMATTING,
        LIST_RESULT,
        r#"{"json": [{"foo": "bar"}]}"#,
        "{foo=bar}",
    ),
    case(
        "$input",
        PATH_FORMATTING,
        LIST_RESULT,
        r#"{"json": [[{"foo": "bar"}]]}"#,
        r#"[{"foo":"bar"}]"#,
    ),
    case(
        "$input",
        PATH_FORMATTING,
        PATH_RESULT,
        r#"{"json": {"foo": [{"nested": "bar"}]}}"#,
        r#"{foo=[{"nested":"bar"}]}"#,
    ),
    case(
        "$input",
        PATH_FORMATTING,
        PATH_RESULT,
        r#"{"json": {"bigger": "dict", "to": "test", "with": "separators"}}"#,
        "{bigger=dict, to=test, with=separators}",
    ),
    case(
        "$input",
        PATH_FORMATTING,
        TO_STRING,
        r#"{"json": {"foo": "bar"}}"#,
        "{foo=bar}",
    ),
    case(
        "$input",
        PATH_FORMATTING,
        TO_STRING,
        r#"{"json": {"list": [{"foo": "bar"}]}}"#,
        r#"{list=[{"foo":"bar"}]}"#,
    ),
    case(
        "$input",
        PATH_FORMATTING,
        INVALID_PATH,
        "",
        r#"{"body": , "nested": , "isNull": "true", "isEmptyString": "true"}"#,
    ),
    case(
        "$input",
        PATH_FORMATTING,
        NESTED_LIST,
        r#"{"json": {"listValue": []}}"#,
        r#"{"body": [], "nested": , "isNull": "false", "isEmptyString": "false"}"#,
    ),
    case(
        "$input",
        PATH_FORMATTING,
        NESTED_LIST,
        r#"{"json": {"listValue": null}}"#,
        r#"{"body": , "nested": , "isNull": "true", "isEmptyString": "true"}"#,
    ),
    // $input.body
    case(
        "$input",
        BODY_FORMATTING,
        "#set($result = $input.body)$result",
        "",
        "{}",
    ),
    case(
        "$input",
        BODY_FORMATTING,
        "#set($result = $input.body)$result",
        r#"{"some": "value"}"#,
        r#"{"some": "value"}"#,
    ),
    case(
        "$input",
        BODY_FORMATTING,
        "#set($result = $input.body)$result",
        "some raw data",
        "some raw data",
    ),
    case(
        "$input",
        BODY_FORMATTING,
        "Action=SendMessage&MessageBody=$input.body",
        "",
        "Action=SendMessage&MessageBody={}",
    ),
    case(
        "$input",
        BODY_FORMATTING,
        "Action=SendMessage&MessageBody=$input.body",
        "some raw data",
        "Action=SendMessage&MessageBody=some raw data",
    ),
    case(
        "$input",
        BODY_FORMATTING,
        "#set($result = $input.body.testAccess)$result",
        r#"{"some": "value"}"#,
        "",
    ),
    // $input.json, $input.params (doc)
    case(
        "$input",
        INPUT_DOC,
        "$input.json('$.a')",
        r#"{"a": {"b": [1, "x"]}}"#,
        r#"{"b":[1,"x"]}"#,
    ),
    case(
        "$input",
        INPUT_DOC,
        "$input.json('$.a.b[1]')",
        r#"{"a": {"b": [1, "x"]}}"#,
        r#""x""#,
    ),
    Case {
        query: &[("name", "from-query")],
        header: &[("name", "from-header"), ("X-Only", "h")],
        ..case(
            "$input",
            "doc: $input.params(x) searches path, query string, then header",
            "$input.params('name') $input.params('x-only') [$input.params('missing')]",
            "",
            "from-query h []",
        )
    },
    Case {
        query: &[("q", "1")],
        header: &[("Accept", "*/*")],
        ..case(
            "$input",
            "doc: $input.params() is a map of path, querystring, header",
            "#foreach($type in $input.params().keySet())$type=$input.params().get($type) #end",
            "",
            "path={} querystring={q=1} header={Accept=*/*} ",
        )
    },
    // $util (doc)
    case(
        "$util",
        BODY_FORMATTING,
        URL_ENCODE,
        "",
        "EncodedBody=%7B%7D&EncodedBodyAccess=",
    ),
    case(
        "$util",
        BODY_FORMATTING,
        URL_ENCODE,
        r#"{"some": "value"}"#,
        "EncodedBody=%7B%22some%22%3A+%22value%22%7D&EncodedBodyAccess=",
    ),
    case(
        "$util",
        BODY_FORMATTING,
        URL_ENCODE,
        "some raw data",
        "EncodedBody=some+raw+data&EncodedBodyAccess=",
    ),
    // AWS documents the `\'`; `\"` and `\/` are commons-lang's escapeJavaScript (inferred).
    case(
        "$util",
        UTIL_DOC,
        "$util.escapeJavaScript('He said \"it''s\" a/b')",
        "",
        r#"He said \"it\'s\" a\/b"#,
    ),
    case("$util", UTIL_DOC, "$util.urlDecode('a+b%3Dc')", "", "a b=c"),
    case(
        "$util",
        UTIL_DOC,
        "$util.base64Encode('hello world')",
        "",
        "aGVsbG8gd29ybGQ=",
    ),
    case(
        "$util",
        UTIL_DOC,
        "$util.base64Decode('aGVsbG8gd29ybGQ=')",
        "",
        "hello world",
    ),
    case(
        "$util",
        UTIL_DOC,
        "#set($o = $util.parseJson($input.json('$')))$o.name $o.tags.size()",
        r#"{"name": "x", "tags": [1, 2]}"#,
        "x 2",
    ),
    // $context
    Case {
        context: r#"{"requestId": "r-1", "stage": "testing", "httpMethod": "POST", "resourcePath": "/sqs", "identity": {"sourceIp": "1.2.3.4", "userAgent": "python/requests/tests"}}"#,
        ..case(
            "$context",
            SQS_CONTEXT,
            "$context.stage $context.httpMethod $context.resourcePath [$context.get('identity')] [$context.get('requestOverride')] [$context.get('responseOverride')]",
            "",
            "testing POST /sqs [] [] []",
        )
    },
    Case {
        context: r#"{"identity": {"sourceIp": "1.2.3.4", "userAgent": "python/requests/tests", "caller": null}}"#,
        ..case(
            "$context",
            SQS_CONTEXT,
            "$context.identity.sourceIp|$context.identity.get('userAgent')|$context.identity.get('caller')|",
            "",
            "1.2.3.4|python/requests/tests||",
        )
    },
    case(
        "$context",
        SQS_CONTEXT,
        "[$context.requestOverride.get('path')][$context.requestOverride.get('header')][$context.requestOverride.get('querystring')][$context.responseOverride.get('header')]",
        "",
        "[][][][]",
    ),
    // overrides
    case(
        "overrides",
        "recording test_integration_mock_with_vtl_map_assignation (2025-05-29)",
        "#set($paramName = \"foo\")#set($context.requestOverride.querystring[$paramName] = \"bar\")$context.requestOverride.querystring.put(\"putfoo\", \"putBar\")#set($context[\"requestOverride\"].querystring[\"nestedfoo\"] = \"nestedFoo\")$context.requestOverride.querystring.foo $context.requestOverride.querystring.putfoo $context.requestOverride.querystring.nestedfoo",
        "",
        "bar putBar nestedFoo",
    ),
    case(
        "overrides",
        "recording test_integration_mock_with_response_override_in_request_template[True] (2025-05-16)",
        "#set($context.responseOverride.status = 444)#set($context.responseOverride.header.foo = \"bar\")#set($context.responseOverride.custom = \"is also passed around\")$context.responseOverride.status $context.responseOverride.header.foo $context.responseOverride.custom",
        "",
        "444 bar is also passed around",
    ),
];
