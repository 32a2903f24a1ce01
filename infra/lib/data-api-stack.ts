import { Aws, CfnOutput, RemovalPolicy, Stack, StackProps, Tags, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  ApiDefinition,
  EndpointType,
  LogGroupLogDestination,
  MethodLoggingLevel,
  SpecRestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { LambdaApplication, LambdaDeploymentConfig, LambdaDeploymentGroup } from 'aws-cdk-lib/aws-codedeploy';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ApiGatewayAccountStack } from './api-gateway-account';
import { addClients } from './clients';
import { withCors } from './cors';
import { CrateFunction, redshiftRoleName } from './crate-function';
import { CRATES, pascalCase } from './crates';
import { StageAlarms } from './monitoring';
import { listOperations, loadOpenApi, OpenApiError, Operation, withIntegrationTargets } from './openapi';
import { redshiftDatabaseUser, redshiftGrantSql } from './redshift-grants';
import { arnAccount, arnRegion, deploymentStrategyOf, StageConfig } from './stage-config';

export interface DataApiStackProps extends StackProps {
  readonly config: StageConfig;
  /** The OpenAPI document to deploy (default: schemas/openapi.yaml). */
  readonly openApiFile?: string;
}

/**
 * One stage of the API: a Lambda per crate behind the REST API that schemas/openapi.yaml describes,
 * with access logs, stage throttling, a usage plan and a generated API key.
 */
export class DataApiStack extends Stack {
  constructor(scope: Construct, id: string, props: DataApiStackProps) {
    super(scope, id, props);
    const { config } = props;
    const document = loadOpenApi(props.openApiFile);
    const operations = listOperations(document);
    checkCratesMatch(operations);

    const functions = new Map(
      Object.entries(CRATES).map(([crate, backend]) => [
        crate,
        new CrateFunction(this, pascalCase(crate), { crate, backend, config }),
      ]),
    );
    // The API invokes each function's `live` alias, which deployments move between versions.
    // With the stage's CORS rules (OPTIONS per resource, the headers on every answer), when it has any.
    const body = withCors(
      withIntegrationTargets(document, Aws.REGION, (crate) => functions.get(crate)!.alias.functionArn),
      config.cors,
    );

    // One JSON line per request, with what answers "who called, what happened": the key id (never the
    // key), the status sent and the Lambda integration's own status and error.
    const accessLogFormat = AccessLogFormat.custom(
      JSON.stringify({
        requestId: AccessLogField.contextRequestId(),
        requestTime: AccessLogField.contextRequestTime(),
        sourceIp: AccessLogField.contextIdentitySourceIp(),
        apiKeyId: AccessLogField.contextIdentityApiKeyId(),
        httpMethod: AccessLogField.contextHttpMethod(),
        resourcePath: AccessLogField.contextResourcePath(),
        status: AccessLogField.contextStatus(),
        responseLength: AccessLogField.contextResponseLength(),
        responseLatency: AccessLogField.contextResponseLatency(),
        integrationStatus: AccessLogField.contextIntegrationStatus(),
        integrationLatency: AccessLogField.contextIntegrationLatency(),
        errorMessage: AccessLogField.contextErrorMessage(),
        integrationError: AccessLogField.contextIntegrationErrorMessage(),
      }),
    );
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: config.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const api = new SpecRestApi(this, 'Api', {
      restApiName: `serverless-data-api-${config.stage}`,
      apiDefinition: ApiDefinition.fromInline(body),
      endpointTypes: [EndpointType.REGIONAL],
      // The account-level CloudWatch role that logging needs is ApiGatewayAccountStack's.
      cloudWatchRole: false,
      deployOptions: {
        stageName: config.stage,
        variables: config.stageVariables,
        throttlingRateLimit: config.throttle.rateLimit,
        throttlingBurstLimit: config.throttle.burstLimit,
        loggingLevel: MethodLoggingLevel.INFO,
        // Request and response bodies stay out of the logs: they may hold personal data.
        dataTraceEnabled: false,
        // Detailed (per-method) metrics: the per-function alarms read them.
        metricsEnabled: true,
        tracingEnabled: true,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat,
      },
    });
    // API Gateway writes execution logs to this group, by this name; created first (the stage depends
    // on it) so that API Gateway does not create it unowned, without retention, on the first request.
    const executionLogs = new LogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${api.restApiId}/${config.stage}`,
      retention: config.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    api.deploymentStage.node.addDependency(executionLogs);

    for (const operation of operations) {
      functions
        .get(operation.crate)!
        .alias.addPermission(`Invoke${operation.method}${pascalCase(operation.path) || 'Root'}`, {
          principal: new ServicePrincipal('apigateway.amazonaws.com'),
          sourceArn: api.arnForExecuteApi(operation.method, executeApiPath(operation.path), config.stage),
        });
    }

    addClients(this, api, config);

    const alarms = new StageAlarms(this, 'Alarms', { config, apiName: api.restApiName, operations, functions });
    // New code reaches traffic through CodeDeploy: the stage's strategy, rolled back automatically if
    // the function's or the API's alarms fire during the shift.
    const application = new LambdaApplication(this, 'Deployments', {
      applicationName: `serverless-data-api-${config.stage}`,
    });
    const deploymentConfig = LambdaDeploymentConfig.fromLambdaDeploymentConfigName(
      this,
      'DeploymentConfig',
      `CodeDeployDefault.Lambda${deploymentStrategyOf(config)}`,
    );
    for (const [crate, fn] of functions) {
      const group = new LambdaDeploymentGroup(fn, 'Deployment', {
        application,
        alias: fn.alias,
        deploymentConfig,
        alarms: [...alarms.byFunction.get(crate)!, ...alarms.api],
        autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
      });
      Validations.of(group).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
        reason:
          "CodeDeploy's role for Lambda deployments uses the AWS-managed policy AWS documents for it; it " +
          "only shifts the alias of this stack's functions and reads their alarms.",
      });
    }

    // The stage URL is SpecRestApi's own output "ApiEndpoint..."; the key outputs are addClients'.
    new CfnOutput(this, 'RedshiftRoleName', {
      value: redshiftRoleName(config.stage),
      description: 'redshift-count role: it logs in to Redshift as the database user RedshiftDatabaseUser',
    });
    new CfnOutput(this, 'RedshiftDatabaseUser', { value: redshiftDatabaseUser(config.stage) });
    new CfnOutput(this, 'RedshiftGrantSql', {
      value: redshiftGrantSql(config).join(' '),
      description: 'Run once as a Redshift admin (skip CREATE USER if the function has connected before)',
    });

    Validations.of(api).acknowledge(
      {
        id: 'AwsSolutions-APIG2',
        reason:
          'Request validation is in the OpenAPI body, which cdk-nag cannot see: every method names an ' +
          'x-amazon-apigateway-request-validator (the infra tests check it).',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'No WAF web ACL: every method requires an API key, and stage throttling plus the usage plan ' +
          'throttle and quota bound each client; a web ACL is an account-level decision outside this app.',
      },
    );
  }
}

/**
 * The stage's stack, in the account and region of the stage's existing Redshift workgroup and Aurora
 * cluster, after the account-level API Gateway settings it logs through.
 */
export function addStageStack(scope: Construct, config: StageConfig): DataApiStack {
  const env = { account: arnAccount(config.aurora.clusterArn), region: arnRegion(config.aurora.clusterArn) };
  const account = new ApiGatewayAccountStack(scope, { env });
  const stack = new DataApiStack(scope, `ServerlessDataApi-${config.stage}`, {
    config,
    env,
    description: `Serverless data API, stage ${config.stage}`,
    terminationProtection: config.terminationProtection ?? false,
  });
  stack.addStackDependency(account, 'API Gateway logs through the account-level CloudWatch role');
  for (const [key, value] of Object.entries(config.tags ?? {})) Tags.of(stack).add(key, value);
  return stack;
}

/** An OpenAPI path as an execute-api ARN path: each `{param}` segment matches any value. */
export function executeApiPath(route: string): string {
  return route.replace(/\{[^}]+\}/g, '*');
}

function checkCratesMatch(operations: Operation[]): void {
  const referenced = new Set(operations.map((o) => o.crate));
  const unknown = [...referenced].filter((crate) => !(crate in CRATES));
  const unused = Object.keys(CRATES).filter((crate) => !referenced.has(crate));
  if (unknown.length > 0 || unused.length > 0) {
    throw new OpenApiError(
      `the OpenAPI integrations and infra/lib/crates.ts disagree: ` +
        `unknown crates [${unknown.join(', ')}], crates with no route [${unused.join(', ')}]`,
    );
  }
}
