"""Every operation the local Data API serves, driven through boto3 and checked against botocore's own
service models: output members, required members, types, enums, min/max, and for errors the code
(one of the operation's error shapes), the HTTP status the shape declares and the error's members.

Usage: python conformance.py ENDPOINT_URL REDSHIFT_DATABASE AURORA_DATABASE
Prints one line of totals per service and a JSON summary last; exits non-zero on any mismatch.
"""
import json
import sys
import time

import boto3
import botocore.config
import botocore.exceptions
from botocore.validate import ParamValidator

endpoint, redshift_database, aurora_database = sys.argv[1:4]
session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
SERVICES = ("redshift-data", "rds-data", "ssm")
# Invalid inputs must reach the server: this client skips botocore's own parameter validation.
unchecked = botocore.config.Config(parameter_validation=False, retries={"max_attempts": 1})
clients = {s: session.client(s, endpoint_url=endpoint) for s in SERVICES}
raw_clients = {s: session.client(s, endpoint_url=endpoint, config=unchecked) for s in SERVICES}

captured = {}


def capture(http_response, **_):
    captured["status"] = http_response.status_code
    captured["body"] = http_response.content


for c in list(clients.values()) + list(raw_clients.values()):
    c.meta.events.register("after-call", capture)

RESOURCE_ARN = "arn:aws:rds:us-east-1:000000000000:cluster:local"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:000000000000:secret:local"
# Errors every AWS JSON service may answer besides the operation's own (botocore's common errors).
COMMON_ERRORS = {"ThrottlingException", "SerializationException", "ValidationException"}


def walk(shape, value, path, problems):
    """The raw JSON `value` against `shape`: unknown members, required members, enums, min/max."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            problems.append(f"{path}: expected an object")
            return
        names = {m.serialization.get("name", n): (n, m) for n, m in shape.members.items()}
        for key in value:
            if key not in names and not (shape.metadata.get("exception") and key == "__type"):
                problems.append(f"{path}.{key}: not a member of {shape.name}")
        for required in shape.required_members:
            serialized = shape.members[required].serialization.get("name", required)
            if serialized not in value:
                problems.append(f"{path}.{serialized}: required by {shape.name}, missing")
        if shape.is_union if hasattr(shape, "is_union") else shape.metadata.get("union"):
            if len(value) != 1:
                problems.append(f"{path}: a union sets exactly one member, got {sorted(value)}")
        for key, item in value.items():
            if key in names and item is not None:
                walk(names[key][1], item, f"{path}.{key}", problems)
    elif kind == "list":
        if not isinstance(value, list):
            problems.append(f"{path}: expected a list")
            return
        bounds(shape, len(value), path, problems)
        for i, item in enumerate(value):
            walk(shape.member, item, f"{path}[{i}]", problems)
    elif kind == "map":
        for k, item in value.items():
            walk(shape.value, item, f"{path}[{k}]", problems)
    elif kind == "string":
        if not isinstance(value, str):
            problems.append(f"{path}: expected a string")
            return
        if shape.enum and value not in shape.enum:
            problems.append(f"{path}: {value!r} not in {shape.name}'s enum")
        bounds(shape, len(value), path, problems)
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{path}: expected an integer")
            return
        bounds(shape, value, path, problems)
    elif kind == "boolean" and not isinstance(value, bool):
        problems.append(f"{path}: expected a boolean")
    elif kind in ("double", "float") and not isinstance(value, (int, float)):
        problems.append(f"{path}: expected a number")


def bounds(shape, measured, path, problems):
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and measured < low:
        problems.append(f"{path}: {measured} below the model's min {low}")
    if high is not None and measured > high:
        problems.append(f"{path}: {measured} above the model's max {high}")


results = {s: {"passed": 0, "total": 0, "operations": set(), "failures": []} for s in SERVICES}


def check(service, operation, params, expect="ok", valid=True):
    """Calls `operation` and checks the answer against the model; returns the parsed output."""
    client = clients[service] if valid else raw_clients[service]
    model = client.meta.service_model.operation_model(operation)
    method = getattr(client, botocore.xform_name(operation))
    problems, parsed = [], None
    captured.clear()
    try:
        parsed = method(**params)
        if expect != "ok":
            problems.append(f"expected {expect}, the call succeeded")
        raw = json.loads(captured.get("body") or b"{}")
        walk(model.output_shape, raw, operation, problems)
        report = ParamValidator().validate(
            {k: v for k, v in parsed.items() if k != "ResponseMetadata"}, model.output_shape
        )
        if report.has_errors():
            problems.append(report.generate_report())
    except botocore.exceptions.ClientError as e:
        code = e.response["Error"]["Code"]
        status = captured.get("status")
        shapes = {s.name: s for s in model.error_shapes}
        if code != expect:
            problems.append(f"expected {expect}, got {code}: {e.response['Error'].get('Message')}")
        if code in shapes:
            declared = shapes[code].metadata.get("error", {}).get("httpStatusCode", 400)
            if status != declared:
                problems.append(f"{code}: HTTP {status}, the model declares {declared}")
            raw = json.loads(captured.get("body") or b"{}")
            walk(shapes[code], raw, code, problems)
        elif code not in COMMON_ERRORS:
            problems.append(f"{code} is not an error of {operation} in the model")
        elif status != 400:
            problems.append(f"{code}: HTTP {status}, expected 400")
    result = results[service]
    result["total"] += 1
    result["operations"].add(operation)
    if problems:
        result["failures"].append({"operation": operation, "params": repr(params)[:200], "problems": problems})
    else:
        result["passed"] += 1
    return parsed


def until_done(statement_id):
    for _ in range(600):
        described = clients["redshift-data"].describe_statement(Id=statement_id)
        if described["Status"] in ("FINISHED", "FAILED", "ABORTED"):
            return described
        time.sleep(0.05)
    raise AssertionError("statement never ended")


# --- redshift-data -------------------------------------------------------------------------------
R = "redshift-data"
target = {"WorkgroupName": "local", "Database": redshift_database}
started = check(R, "ExecuteStatement", dict(target, Sql="SELECT * FROM flightdata WHERE carrier <> :c",
                                               Parameters=[{"name": "c", "value": "ZZ"}], StatementName="conformance"))
until_done(started["Id"])
check(R, "ExecuteStatement", dict(ClusterIdentifier="local-cluster", Database=redshift_database, Sql="SELECT 1",
                                  ClientToken="conformance-token"))
check(R, "DescribeStatement", {"Id": started["Id"]})
check(R, "GetStatementResult", {"Id": started["Id"]})
check(R, "ListStatements", {})
check(R, "ListStatements", {"Status": "FINISHED", "MaxResults": 1, "StatementName": "conf", "Database": redshift_database})
failed = check(R, "ExecuteStatement", dict(target, Sql="SELECT * FROM public.nope"))
until_done(failed["Id"])
check(R, "DescribeStatement", {"Id": failed["Id"]})
check(R, "GetStatementResult", {"Id": failed["Id"]}, "ValidationException")
slow = check(R, "ExecuteStatement", dict(target, Sql="SELECT pg_sleep(30)"))
check(R, "CancelStatement", {"Id": slow["Id"]})
check(R, "CancelStatement", {"Id": slow["Id"]}, "ValidationException")
check(R, "DescribeStatement", {"Id": "00000000-0000-4000-8000-000000000000"}, "ResourceNotFoundException")
check(R, "GetStatementResult", {"Id": started["Id"], "NextToken": "bogus"}, "ValidationException")
for bad in [
    dict(Sql="SELECT 1", Database=redshift_database),  # neither WorkgroupName nor ClusterIdentifier
    dict(target, Sql="SELECT 1", ClusterIdentifier="local"),  # both
    dict(Sql="SELECT 1", WorkgroupName="A!"),
    dict(Sql="SELECT 1", ClusterIdentifier="Bad_Cluster"),
    dict(target, Sql="SELECT 1", ClientToken="t" * 65),
    dict(target, Sql="SELECT 1", ResultFormat="XML"),
    dict(target, Sql="x" * (100 * 1024 + 1)),
]:
    check(R, "ExecuteStatement", bad, "ValidationException", valid=False)
check(R, "ListStatements", {"MaxResults": 101}, "ValidationException", valid=False)
check(R, "ListStatements", {"Status": "DONE"}, "ValidationException", valid=False)

# --- rds-data ------------------------------------------------------------------------------------
D = "rds-data"
arns = {"resourceArn": RESOURCE_ARN, "secretArn": SECRET_ARN, "database": aurora_database}
check(D, "ExecuteStatement", dict(arns, sql="SELECT id, name, age FROM staff WHERE id = :id",
                                  parameters=[{"name": "id", "value": {"stringValue": "0001"}}], includeResultMetadata=True))
check(D, "ExecuteStatement", dict(arns, sql="SELECT ARRAY[1,2]::int[], 2.5::numeric, pg_sleep(0)",
                                  resultSetOptions={"decimalReturnType": "DOUBLE_OR_LONG", "longReturnType": "STRING"}))
check(D, "ExecuteStatement", dict(arns, sql="SELECT * FROM staff", formatRecordsAs="JSON"))
check(D, "ExecuteStatement", dict(arns, sql="INSERT INTO staff (id, name) VALUES ('0001', 'dup')"), "DatabaseErrorException")
check(D, "ExecuteStatement", dict(arns, database="no_such_database", sql="SELECT 1"), "DatabaseNotFoundException")
check(D, "ExecuteStatement", dict(arns, sql="SELECT repeat('x', 70000)"), "BadRequestException")
check(D, "BatchExecuteStatement", dict(arns, sql="INSERT INTO staff (id, name, age) VALUES (:id, 'Batch', 1)",
                                       parameterSets=[[{"name": "id", "value": {"stringValue": "0701"}}],
                                                      [{"name": "id", "value": {"stringValue": "0702"}}]]))
begun = check(D, "BeginTransaction", arns)
check(D, "ExecuteStatement", dict(arns, sql="UPDATE staff SET age = 50 WHERE id = '0701'", transactionId=begun["transactionId"]))
check(D, "CommitTransaction", {"resourceArn": RESOURCE_ARN, "secretArn": SECRET_ARN, "transactionId": begun["transactionId"]})
check(D, "CommitTransaction", {"resourceArn": RESOURCE_ARN, "secretArn": SECRET_ARN, "transactionId": begun["transactionId"]},
      "TransactionNotFoundException")
begun = check(D, "BeginTransaction", arns)
check(D, "RollbackTransaction", {"resourceArn": RESOURCE_ARN, "secretArn": SECRET_ARN, "transactionId": begun["transactionId"]})
check(D, "RollbackTransaction", {"resourceArn": RESOURCE_ARN, "secretArn": SECRET_ARN, "transactionId": "bm9uZQ=="},
      "TransactionNotFoundException")
for bad in [
    dict(arns, resourceArn="not-an-arn-at-all"),
    dict(arns, resourceArn="short"),
    dict(arns, formatRecordsAs="CSV"),
    dict(arns, resultSetOptions={"decimalReturnType": "FLOAT"}),
    dict(arns, sql="SELECT 1" + " " * 65536),
]:
    check(D, "ExecuteStatement", dict({"sql": "SELECT 1"}, **bad), "BadRequestException", valid=False)
check(D, "BeginTransaction", dict(arns, secretArn="x"), "BadRequestException", valid=False)

# --- ssm -----------------------------------------------------------------------------------------
S = "ssm"
check(S, "PutParameter", {"Name": "/conformance/plain", "Value": "v", "Type": "String"})
check(S, "PutParameter", {"Name": "/conformance/plain", "Value": "v2", "Overwrite": True})
check(S, "PutParameter", {"Name": "/conformance/plain", "Value": "v3"}, "ParameterAlreadyExists")
check(S, "PutParameter", {"Name": "/conformance/secret", "Value": "s", "Type": "SecureString"})
check(S, "GetParameter", {"Name": "/conformance/secret"})
check(S, "GetParameter", {"Name": "/conformance/secret", "WithDecryption": True})
check(S, "GetParameter", {"Name": "/conformance/none"}, "ParameterNotFound")
check(S, "GetParameters", {"Names": ["/conformance/plain", "/conformance/none"]})
check(S, "GetParameter", {"Name": "n" * 2049}, "ValidationException", valid=False)
check(S, "GetParameter", {"Name": ""}, "ValidationException", valid=False)
check(S, "PutParameter", {"Name": "/conformance/typed", "Value": "v", "Type": "Bogus"}, "ValidationException", valid=False)
check(S, "GetParameters", {"Names": [f"/n{i}" for i in range(11)]}, "ValidationException", valid=False)

served = {s: sorted(r["operations"]) for s, r in results.items()}
for service, r in results.items():
    model_ops = clients[service].meta.service_model.operation_names
    print(f"{service}: {r['passed']}/{r['total']} answers conform "
          f"({len(r['operations'])} operations served; not served: "
          f"{len([o for o in model_ops if o not in r['operations']])} of {len(model_ops)})", file=sys.stderr)
    for failure in r["failures"]:
        print(f"  MISMATCH {failure}", file=sys.stderr)
print(json.dumps({s: {"passed": r["passed"], "total": r["total"], "operations": served[s]} for s, r in results.items()}))
sys.exit(1 if any(r["failures"] for r in results.values()) else 0)
