import { Aws, CfnOutput, Stack, StackProps, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  ApiDefinition,
  ApiKey,
  EndpointType,
  LogGroupLogDestination,
  MethodLoggingLevel,
  Period,
  SpecRestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CrateFunction } from './crate-function';
import { CRATES, pascalCase } from './crates';
import { listOperations, loadOpenApi, OpenApiError, Operation, withIntegrationTargets } from './openapi';
import { arnAccount, arnRegion, StageConfig } from './stage-config';

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
        new CrateFunction(this, pascalCase(crate), { crate, backend, config }).function,
      ]),
    );
    const body = withIntegrationTargets(document, Aws.REGION, (crate) => functions.get(crate)!.functionArn);

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
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: config.logRetentionDays as RetentionDays });
    const api = new SpecRestApi(this, 'Api', {
      restApiName: `serverless-data-api-${config.stage}`,
      apiDefinition: ApiDefinition.fromInline(body),
      endpointTypes: [EndpointType.REGIONAL],
      // Execution and access logging need the account-level API Gateway CloudWatch role.
      cloudWatchRole: true,
      deployOptions: {
        stageName: config.stage,
        throttlingRateLimit: config.throttle.rateLimit,
        throttlingBurstLimit: config.throttle.burstLimit,
        loggingLevel: MethodLoggingLevel.INFO,
        // Request and response bodies stay out of the logs: they may hold personal data.
        dataTraceEnabled: false,
        metricsEnabled: true,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat,
      },
    });

    for (const operation of operations) {
      functions
        .get(operation.crate)!
        .addPermission(`Invoke${operation.method}${pascalCase(operation.path) || 'Root'}`, {
          principal: new ServicePrincipal('apigateway.amazonaws.com'),
          sourceArn: api.arnForExecuteApi(operation.method, executeApiPath(operation.path), config.stage),
        });
    }

    const plan = api.addUsagePlan('UsagePlan', {
      name: `serverless-data-api-${config.stage}`,
      throttle: config.usagePlan.throttle,
      quota: { limit: config.usagePlan.quota.limit, period: Period[config.usagePlan.quota.period] },
      apiStages: [{ api, stage: api.deploymentStage }],
    });
    // No value given: CloudFormation generates it, so it never appears in the template or outputs.
    const apiKey = new ApiKey(this, 'ApiKey', { description: `serverless-data-api ${config.stage} client key` });
    plan.addApiKey(apiKey);

    // The stage URL is SpecRestApi's own output "ApiEndpoint...".
    new CfnOutput(this, 'ApiKeyId', { value: apiKey.keyId, description: 'Id of the API key (not its value)' });
    new CfnOutput(this, 'GetApiKeyCommand', {
      value: `aws apigateway get-api-key --api-key ${apiKey.keyId} --include-value --query value --output text --region ${Aws.REGION}`,
      description: 'Prints the API key value (send it as the x-api-key header)',
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
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          "API Gateway's account-level logging role uses the AWS-managed policy AWS documents for it; it " +
          'only writes CloudWatch Logs, and is needed for the access and execution logs.',
      },
    );
  }
}

/** The stage's stack, in the account and region of the stage's existing Redshift workgroup and Aurora cluster. */
export function addStageStack(scope: Construct, config: StageConfig): DataApiStack {
  return new DataApiStack(scope, `ServerlessDataApi-${config.stage}`, {
    config,
    env: { account: arnAccount(config.aurora.clusterArn), region: arnRegion(config.aurora.clusterArn) },
    description: `Serverless data API, stage ${config.stage}`,
  });
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
