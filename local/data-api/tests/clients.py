"""An independent client (boto3, and the AWS CLI v1) against the local Data API.

Usage: python clients.py ENDPOINT_URL REDSHIFT_DATABASE AURORA_DATABASE
Exits non-zero on the first answer that is not AWS-shaped; prints a JSON summary on success.
"""
import json
import os
import subprocess
import sys
import time

import boto3

endpoint, redshift_database, aurora_database = sys.argv[1:4]
session = boto3.session.Session(
    aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
)
redshift = session.client("redshift-data", endpoint_url=endpoint)
rds = session.client("rds-data", endpoint_url=endpoint)
RESOURCE_ARN = "arn:aws:rds:us-east-1:000000000000:cluster:local"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:000000000000:secret:local"

TERMINAL = {"FINISHED", "FAILED", "ABORTED"}


def wait_until_done(describe):
    """Polls DescribeStatement as a boto3 user does (this botocore has no WaitTimeSeconds)."""
    while True:
        described = describe()
        if described["Status"] in TERMINAL:
            return described
        time.sleep(0.05)


# redshift-data: execute -> describe -> get-result
started = redshift.execute_statement(
    WorkgroupName="local",
    Database=redshift_database,
    Sql="SELECT count(*) FROM flightdata WHERE origin <> :origin",
    Parameters=[{"name": "origin", "value": "XXX"}],
)
described = wait_until_done(lambda: redshift.describe_statement(Id=started["Id"]))
assert described["Status"] == "FINISHED", described
assert described["HasResultSet"] is True, described
result = redshift.get_statement_result(Id=started["Id"])
assert result["Records"] == [[{"longValue": 118}]], result
assert result["ColumnMetadata"][0]["typeName"] == "int8", result

failed = redshift.execute_statement(WorkgroupName="local", Database=redshift_database, Sql="SELECT * FROM public.nope")
failed = wait_until_done(lambda: redshift.describe_statement(Id=failed["Id"]))
assert failed["Status"] == "FAILED", failed
try:
    redshift.describe_statement(Id="00000000-0000-4000-8000-000000000000")
    raise AssertionError("unknown id accepted")
except redshift.exceptions.ResourceNotFoundException as e:
    not_found = e.response["Error"]["Message"]

# rds-data: execute with a bound parameter, and an error in rds-data's shape
staff = rds.execute_statement(
    resourceArn=RESOURCE_ARN,
    secretArn=SECRET_ARN,
    database=aurora_database,
    sql="SELECT id, name, age FROM staff WHERE id = :id",
    parameters=[{"name": "id", "value": {"stringValue": "0002"}}],
    includeResultMetadata=True,
)
assert staff["records"] == [[{"stringValue": "0002"}, {"stringValue": "Lambda"}, {"longValue": 34}]], staff
try:
    rds.execute_statement(
        resourceArn=RESOURCE_ARN, secretArn=SECRET_ARN, database=aurora_database,
        sql="INSERT INTO staff (id, name) VALUES ('0001', 'dup')",
    )
    raise AssertionError("duplicate accepted")
except rds.exceptions.DatabaseErrorException as e:
    duplicate = e.response["Error"]["Message"]

# The AWS CLI v1 (botocore underneath, but its own command line and output)
aws = os.path.join(os.path.dirname(sys.executable), "aws")
env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
cli = lambda *args: json.loads(subprocess.run([aws, *args, "--endpoint-url", endpoint, "--output", "json"], check=True, capture_output=True, env=env, text=True).stdout)
cli_id = cli("redshift-data", "execute-statement", "--workgroup-name", "local", "--database", redshift_database, "--sql", "SELECT count(*) FROM flightdata")["Id"]
wait_until_done(lambda: cli("redshift-data", "describe-statement", "--id", cli_id))
cli_result = cli("redshift-data", "get-statement-result", "--id", cli_id)
assert cli_result["Records"] == [[{"longValue": 118}]], cli_result

print(json.dumps({
    "redshift_count": result["Records"][0][0]["longValue"],
    "redshift_error": failed["Error"],
    "not_found": not_found,
    "rds_record": staff["records"][0],
    "rds_error": duplicate,
    "cli_count": cli_result["Records"][0][0]["longValue"],
}))
