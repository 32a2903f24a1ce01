import { Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { StageConfig } from './stage-config';

/**
 * Least-privilege statements per backend. Only the Data API calls the functions make are allowed,
 * each on the one resource the stage file names.
 */

/** redshift-count: run a statement on the workgroup, then follow only the statements it started. */
export function redshiftStatements(stack: Stack, config: StageConfig): PolicyStatement[] {
  const { workgroupArn, databaseNameParameter } = config.redshift;
  return [
    new PolicyStatement({
      sid: 'RunStatementsOnTheWorkgroup',
      actions: ['redshift-data:ExecuteStatement', 'redshift-serverless:GetCredentials'],
      resources: [workgroupArn],
    }),
    new PolicyStatement({
      // These actions take no resource ARN (AWS only allows "*"); the condition limits them to
      // statements this function's role submitted, as AWS's own AmazonRedshiftDataFullAccess does.
      sid: 'FollowOwnStatementsOnly',
      actions: ['redshift-data:DescribeStatement', 'redshift-data:GetStatementResult', 'redshift-data:CancelStatement'],
      resources: ['*'],
      conditions: { StringEquals: { 'redshift-data:statement-owner-iam-userid': '${aws:userid}' } },
    }),
    new PolicyStatement({
      sid: 'ReadTheDatabaseNameParameter',
      actions: ['ssm:GetParameter'],
      resources: [
        stack.formatArn({
          service: 'ssm',
          resource: 'parameter',
          resourceName: databaseNameParameter.replace(/^\//, ''),
        }),
      ],
    }),
  ];
}

/** staff-*: single statements through the RDS Data API (no transactions), with the cluster's secret. */
export function auroraStatements(config: StageConfig): PolicyStatement[] {
  return [
    new PolicyStatement({
      sid: 'RunStatementsOnTheCluster',
      actions: ['rds-data:ExecuteStatement'],
      resources: [config.aurora.clusterArn],
    }),
    new PolicyStatement({
      sid: 'ReadTheClusterSecret',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [config.aurora.secretArn],
    }),
  ];
}
