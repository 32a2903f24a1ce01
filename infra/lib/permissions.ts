import { Stack } from 'aws-cdk-lib';
import { IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { StageConfig } from './stage-config';

/**
 * Least privilege per backend: only the Data API calls the functions make, each on the one resource
 * the stage file names.
 */

/** redshift-count: run a statement on the workgroup, then follow only the statements it started. */
export function grantRedshiftAccess(role: IRole, config: StageConfig): void {
  const { workgroupArn, databaseNameParameter } = config.redshift;
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'RunStatementsOnTheWorkgroup',
      actions: ['redshift-data:ExecuteStatement', 'redshift-serverless:GetCredentials'],
      resources: [workgroupArn],
    }),
  );
  role.addToPrincipalPolicy(
    new PolicyStatement({
      // These actions take no resource ARN (AWS only allows "*"); the condition limits them to
      // statements this role submitted, as AWS's own AmazonRedshiftDataFullAccess does
      // (acknowledged for cdk-nag in crate-function.ts).
      sid: 'FollowOwnStatementsOnly',
      actions: ['redshift-data:DescribeStatement', 'redshift-data:GetStatementResult', 'redshift-data:CancelStatement'],
      resources: ['*'],
      conditions: { StringEquals: { 'redshift-data:statement-owner-iam-userid': '${aws:userid}' } },
    }),
  );
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'ReadTheDatabaseNameParameter',
      actions: ['ssm:GetParameter'],
      resources: [
        Stack.of(role).formatArn({
          service: 'ssm',
          resource: 'parameter',
          resourceName: databaseNameParameter.replace(/^\//, ''),
        }),
      ],
    }),
  );
  grantDecryptThrough(role, config, 'ssm');
}

/** staff-*: single statements through the RDS Data API (no transactions), with the cluster's secret. */
export function grantAuroraAccess(role: IRole, config: StageConfig): void {
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'RunStatementsOnTheCluster',
      actions: ['rds-data:ExecuteStatement'],
      resources: [config.aurora.clusterArn],
    }),
  );
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'ReadTheClusterSecret',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [config.aurora.secretArn],
    }),
  );
  grantDecryptThrough(role, config, 'secretsmanager');
}

/**
 * A secret or SecureString encrypted with a customer-managed key is decrypted with the caller's
 * permissions: kms:Decrypt on the stage's key, only when the request comes through that service
 * (the kms:ViaService condition key, AWS KMS Developer Guide).
 */
function grantDecryptThrough(role: IRole, config: StageConfig, service: 'ssm' | 'secretsmanager'): void {
  if (config.kmsKeyArn === undefined) return;
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: service === 'ssm' ? 'DecryptTheParameterThroughSsm' : 'DecryptTheSecretThroughSecretsManager',
      actions: ['kms:Decrypt'],
      resources: [config.kmsKeyArn],
      conditions: { StringEquals: { 'kms:ViaService': `${service}.${Stack.of(role).region}.amazonaws.com` } },
    }),
  );
}
