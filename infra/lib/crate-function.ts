import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { RustFunction } from 'cargo-lambda-cdk';
import { Construct } from 'constructs';
import type { Backend } from './crates';
import { grantAuroraAccess, grantRedshiftAccess } from './permissions';
import type { StageConfig } from './stage-config';

/** The workspace manifest: cargo-lambda builds each crate's binary from the workspace root. */
export const WORKSPACE_MANIFEST = path.resolve(__dirname, '..', '..', 'Cargo.toml');

export interface CrateFunctionProps {
  readonly crate: string;
  readonly backend: Backend;
  readonly config: StageConfig;
}

/** One crate's Lambda: its own role (no managed policies), log group with retention and environment. */
export class CrateFunction extends Construct {
  readonly function: RustFunction;

  constructor(scope: Construct, id: string, props: CrateFunctionProps) {
    super(scope, id);
    const { crate, backend, config } = props;

    const logGroup = new LogGroup(this, 'Logs', {
      retention: config.logRetentionDays as RetentionDays,
    });
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${crate} (${config.stage}): its Data API calls and its own log group`,
    });
    role.addToPolicy(
      new PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    if (backend === 'redshift') grantRedshiftAccess(role, config);
    else grantAuroraAccess(role, config);

    this.function = new RustFunction(this, 'Function', {
      manifestPath: WORKSPACE_MANIFEST,
      binaryName: crate,
      runtime: 'provided.al2023',
      architecture: config.lambda.architecture === 'arm64' ? Architecture.ARM_64 : Architecture.X86_64,
      memorySize: config.lambda.memoryMb,
      timeout: Duration.seconds(config.lambda.timeoutSeconds),
      description: `${crate} (${config.stage})`,
      environment: environmentFor(backend, config),
      role,
      logGroup,
    });
  }
}

/** The variables api-core's config reads at init (docs/architecture.md). */
function environmentFor(backend: Backend, config: StageConfig): Record<string, string> {
  const common = { AWS_LAMBDA_LOG_LEVEL: config.lambda.logLevel };
  if (backend === 'redshift') {
    const { workgroupName, databaseNameParameter, allowedTables } = config.redshift;
    return {
      ...common,
      REDSHIFT_WORKGROUP: workgroupName,
      REDSHIFT_DATABASE_PARAMETER: databaseNameParameter,
      // Absent (not empty) when any table may be counted.
      ...(allowedTables.length > 0 ? { ALLOWED_TABLES: allowedTables.join(',') } : {}),
    };
  }
  return {
    ...common,
    AURORA_CLUSTER_ARN: config.aurora.clusterArn,
    AURORA_SECRET_ARN: config.aurora.secretArn,
    AURORA_DATABASE: config.aurora.database,
  };
}
