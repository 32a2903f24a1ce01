import * as path from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Alias,
  ApplicationLogLevel,
  Architecture,
  LoggingFormat,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { RustFunction } from 'cargo-lambda-cdk';
import { Construct } from 'constructs';
import type { Backend } from './crates';
import { grantAuroraAccess, grantRedshiftAccess } from './permissions';
import { reservedConcurrencyOf, StageConfig } from './stage-config';

/** The workspace manifest: cargo-lambda builds each crate's binary from the workspace root. */
export const WORKSPACE_MANIFEST = path.resolve(__dirname, '..', '..', 'Cargo.toml');

/** The alias the API invokes; deployments move it from one published version to the next. */
export const LIVE_ALIAS = 'live';

/**
 * redshift-count's role name, fixed per stage: the Redshift database user is `IAMR:<role name>`, so a
 * generated (and, on replacement, changed) name would lose the grants made to that user. IAM role names
 * are per account: one stage name per account.
 */
export function redshiftRoleName(stage: string): string {
  return `data-api-${stage}-redshift-count`;
}

export interface CrateFunctionProps {
  readonly crate: string;
  readonly backend: Backend;
  readonly config: StageConfig;
}

/**
 * One crate's Lambda: its own role (no managed policies) and log group, JSON logs at the stage's level,
 * X-Ray tracing, the stage's reserved concurrency, and a published version behind the `live` alias.
 */
export class CrateFunction extends Construct {
  readonly function: RustFunction;
  readonly role: Role;
  /** What the API invokes. */
  readonly alias: Alias;

  constructor(scope: Construct, id: string, props: CrateFunctionProps) {
    super(scope, id);
    const { crate, backend, config } = props;

    const logGroup = new LogGroup(this, 'Logs', {
      retention: config.logRetentionDays as RetentionDays,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${crate} (${config.stage}): its Data API calls and its own log group`,
      ...(backend === 'redshift' ? { roleName: redshiftRoleName(config.stage) } : {}),
    });
    this.role.addToPolicy(
      new PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    if (backend === 'redshift') grantRedshiftAccess(this.role, config);
    else grantAuroraAccess(this.role, config);

    this.function = new RustFunction(this, 'Function', {
      manifestPath: WORKSPACE_MANIFEST,
      binaryName: crate,
      runtime: 'provided.al2023',
      architecture: config.lambda.architecture === 'arm64' ? Architecture.ARM_64 : Architecture.X86_64,
      memorySize: config.lambda.memoryMb,
      timeout: Duration.seconds(config.lambda.timeoutSeconds),
      description: `${crate} (${config.stage})`,
      environment: environmentFor(backend, config),
      // Lambda filters the JSON lines api-core writes by their "level" and passes the level to the
      // function as AWS_LAMBDA_LOG_LEVEL (Lambda's advanced logging controls).
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: config.lambda.logLevel.toUpperCase() as ApplicationLogLevel,
      systemLogLevelV2: SystemLogLevel.INFO,
      tracing: Tracing.ACTIVE,
      reservedConcurrentExecutions: reservedConcurrencyOf(config, crate),
      role: this.role,
      logGroup,
    });
    this.alias = new Alias(this, 'Live', { aliasName: LIVE_ALIAS, version: this.function.currentVersion });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments and PutTelemetryRecords (active tracing) accept no resource ARN.' +
        (backend === 'redshift'
          ? ' redshift-data DescribeStatement, GetStatementResult and CancelStatement accept none either; ' +
            'the statement-owner-iam-userid condition limits them to statements this role submitted.'
          : ''),
    });
  }
}

/** The variables api-core's config reads at init (docs/architecture.md); Lambda adds AWS_LAMBDA_LOG_LEVEL. */
function environmentFor(backend: Backend, config: StageConfig): Record<string, string> {
  if (backend === 'redshift') {
    const { workgroupName, databaseNameParameter, allowedTables } = config.redshift;
    return {
      REDSHIFT_WORKGROUP: workgroupName,
      REDSHIFT_DATABASE_PARAMETER: databaseNameParameter,
      // Absent (not empty) when any table may be counted.
      ...(allowedTables.length > 0 ? { ALLOWED_TABLES: allowedTables.join(',') } : {}),
    };
  }
  return {
    AURORA_CLUSTER_ARN: config.aurora.clusterArn,
    AURORA_SECRET_ARN: config.aurora.secretArn,
    AURORA_DATABASE: config.aurora.database,
  };
}
