import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { parse } from 'yaml';
import { CRATES } from '../lib/crates';
import { DataApiStack } from '../lib/data-api-stack';
import { OPENAPI_FILE } from '../lib/openapi';
import { loadStageConfig } from '../lib/stage-config';
import { synthesizeStage } from './synth';

/** schemas/openapi.yaml as written (templates still `$ref`s), read here independently of the loader. */
const contract: any = parse(fs.readFileSync(OPENAPI_FILE, 'utf8'), { maxAliasCount: 10_000 });
const schemaFile = (ref: string) => fs.readFileSync(path.resolve(path.dirname(OPENAPI_FILE), ref), 'utf8');
const contractOperations: [string, string, any][] = Object.entries(contract.paths).flatMap(
  ([route, item]: [string, any]) =>
    Object.entries(item)
      .filter(([method]) => ['get', 'put', 'post', 'delete', 'patch'].includes(method))
      .map(([method, op]): [string, string, any] => [route, method, op]),
);

/** `{"$ref": "templates/x.vtl"}` -> that file's text, for each media type. */
const expectedTemplates = (templates: Record<string, { $ref: string }>) =>
  Object.fromEntries(Object.entries(templates).map(([type, ref]) => [type, schemaFile(ref.$ref)]));

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe.each(['dev', 'prod'])('stage %s', (stageName) => {
  const { config, app, stack, template, resources, body, functionLogicalId, aliasLogicalId } =
    synthesizeStage(stageName);

  test("one function per crate on provided.al2023 with the stage settings and its environment (the log level is Lambda's)", () => {
    template.resourceCountIs('AWS::Lambda::Function', Object.keys(CRATES).length);
    const common = {
      Runtime: 'provided.al2023',
      Handler: 'bootstrap',
      Architectures: [config.lambda.architecture],
      MemorySize: config.lambda.memoryMb,
      Timeout: config.lambda.timeoutSeconds,
    };
    const redshift = {
      REDSHIFT_WORKGROUP: config.redshift.workgroupName,
      REDSHIFT_DATABASE_PARAMETER: config.redshift.databaseNameParameter,
      ...(config.redshift.allowedTables.length ? { ALLOWED_TABLES: config.redshift.allowedTables.join(',') } : {}),
    };
    const aurora = {
      AURORA_CLUSTER_ARN: config.aurora.clusterArn,
      AURORA_SECRET_ARN: config.aurora.secretArn,
      AURORA_DATABASE: config.aurora.database,
    };
    for (const [crate, backend] of Object.entries(CRATES)) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        ...common,
        Description: `${crate} (${stageName})`,
        Environment: { Variables: Match.exact(backend === 'redshift' ? redshift : aurora) },
      });
    }
  });

  test('the REST API is regional and carries every operation of schemas/openapi.yaml', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
    const deployed = Object.entries(body.paths).flatMap(([route, item]: [string, any]) =>
      Object.keys(item).map((method) => `${method} ${route}`),
    );
    expect(deployed.sort()).toEqual(contractOperations.map(([route, method]) => `${method} ${route}`).sort());
  });

  test.each(contractOperations)(
    '%s %s: AWS integration with the templates and responses of schemas/',
    (route, method, op) => {
      const source = op['x-amazon-apigateway-integration'];
      const crate = /\$\{Function:([\w-]+)\}/.exec(source.uri)![1];
      const integration = body.paths[route][method]['x-amazon-apigateway-integration'];
      expect(integration.type).toBe('aws');
      expect(integration.httpMethod).toBe('POST');
      expect(integration.uri).toEqual({
        'Fn::Join': [
          '',
          [
            'arn:aws:apigateway:',
            { Ref: 'AWS::Region' },
            ':lambda:path/2015-03-31/functions/',
            { Ref: aliasLogicalId(crate) },
            '/invocations',
          ],
        ],
      });
      expect(integration.requestTemplates).toEqual(expectedTemplates(source.requestTemplates));
      expect(Object.keys(integration.responses)).toEqual(Object.keys(source.responses));
      for (const [pattern, response] of Object.entries<any>(source.responses)) {
        expect(integration.responses[pattern]).toEqual({
          ...response,
          responseTemplates: expectedTemplates(response.responseTemplates),
        });
      }
    },
  );

  test.each(contractOperations)('%s %s: requires the API key and validates the request', (route, method) => {
    const op = body.paths[route][method];
    const security = op.security ?? body.security;
    expect(security).toEqual(expect.arrayContaining([{ api_key: [] }]));
    expect(body.components.securitySchemes.api_key).toEqual({ type: 'apiKey', name: 'x-api-key', in: 'header' });
    expect(body['x-amazon-apigateway-api-key-source']).toBe('HEADER');
    // cdk-nag's APIG2 is acknowledged because of this check.
    const validator = body['x-amazon-apigateway-request-validators'][op['x-amazon-apigateway-request-validator']];
    expect(validator.validateRequestParameters).toBe(true);
  });

  test.each(contractOperations)('%s %s: invoke permission scoped to this method on this stage', (route, method, op) => {
    const crate = /\$\{Function:([\w-]+)\}/.exec(op['x-amazon-apigateway-integration'].uri)![1];
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      FunctionName: { Ref: aliasLogicalId(crate) },
      SourceArn: {
        'Fn::Join': ['', Match.arrayWith([`/${stageName}/${method.toUpperCase()}${route.replace(/\{[^}]+\}/g, '*')}`])],
      },
    });
  });

  test('no invoke permission beyond the methods', () => {
    template.resourceCountIs('AWS::Lambda::Permission', contractOperations.length);
  });

  test('the stage throttles every method and writes access logs', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: stageName,
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: config.throttle.rateLimit,
          ThrottlingBurstLimit: config.throttle.burstLimit,
          LoggingLevel: 'INFO',
          DataTraceEnabled: false,
        }),
      ],
      AccessLogSetting: { DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AccessLogs'), 'Arn'] } },
    });
    const [stage] = resources('AWS::ApiGateway::Stage');
    const accessLogFields = JSON.parse(stage.Properties.AccessLogSetting.Format);
    expect(accessLogFields).toMatchObject({ apiKeyId: '$context.identity.apiKeyId', status: '$context.status' });
    expect(JSON.stringify(accessLogFields)).not.toMatch(/\$context\.identity\.apiKey"/);
  });

  test('every log group (functions, access and execution logs) keeps logs for the stage retention', () => {
    const groups = resources('AWS::Logs::LogGroup');
    expect(groups).toHaveLength(Object.keys(CRATES).length + 2);
    groups.forEach((group) => expect(group.Properties.RetentionInDays).toBe(config.logRetentionDays));
  });

  test('least privilege: Data API, SSM and Secrets Manager actions only on the named resources', () => {
    const statements: Statement[] = resources('AWS::IAM::Policy').flatMap((p) => p.Properties.PolicyDocument.Statement);
    const onAnyResource = statements.filter(
      (s) => s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*')),
    );
    // X-Ray's actions take no resource ARN; they only write traces.
    const tracing = onAnyResource.filter((s) => actionsOf(s).every((a) => a.startsWith('xray:')));
    tracing.forEach((s) => expect(actionsOf(s).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']));
    for (const statement of onAnyResource.filter((s) => !tracing.includes(s))) {
      for (const action of actionsOf(statement)) {
        expect([
          'redshift-data:DescribeStatement',
          'redshift-data:GetStatementResult',
          'redshift-data:CancelStatement',
        ]).toContain(action);
      }
      expect(statement.Condition).toEqual({
        StringEquals: { 'redshift-data:statement-owner-iam-userid': '${aws:userid}' },
      });
    }
    const resourcesOf = (action: string) =>
      statements.filter((s) => actionsOf(s).includes(action)).map((s) => s.Resource);
    expect(resourcesOf('redshift-data:ExecuteStatement')).toEqual([config.redshift.workgroupArn]);
    expect(resourcesOf('redshift-serverless:GetCredentials')).toEqual([config.redshift.workgroupArn]);
    const auroraFunctions = Object.values(CRATES).filter((backend) => backend === 'aurora').length;
    expect(resourcesOf('rds-data:ExecuteStatement')).toEqual(Array(auroraFunctions).fill(config.aurora.clusterArn));
    expect(resourcesOf('secretsmanager:GetSecretValue')).toEqual(Array(auroraFunctions).fill(config.aurora.secretArn));
    expect(JSON.stringify(resourcesOf('ssm:GetParameter'))).toContain(
      `:parameter${config.redshift.databaseNameParameter}"`,
    );
    expect(statements.flatMap(actionsOf).filter((a) => a.endsWith('*'))).toEqual([]);
  });

  test('function roles have no managed policies, and nothing uses a FullAccess policy', () => {
    for (const crate of Object.keys(CRATES)) {
      const fn = template.toJSON().Resources[functionLogicalId(crate)];
      const role = template.toJSON().Resources[fn.Properties.Role['Fn::GetAtt'][0]];
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
    expect(JSON.stringify(template.toJSON())).not.toMatch(/FullAccess/);
  });

  test('cdk-nag AwsSolutions: no unacknowledged finding, and every acknowledgment gives its reason', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations).toEqual([]);
    const acknowledgments = stack.node
      .findAll()
      .flatMap((c: IConstruct) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledgments.map(([id]) => id)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('AwsSolutions-IAM5[Resource::*]'),
        expect.stringContaining('AwsSolutions-APIG2'),
      ]),
    );
    acknowledgments.forEach(([, reason]) => expect(reason.length).toBeGreaterThan(40));
  });

  test('template snapshot (the contract part masked: it is asserted above against schemas/)', () => {
    expect(maskContract(template.toJSON())).toMatchSnapshot();
  });
});

/**
 * The OpenAPI body, and the deployment id derived from it, change whenever schemas/ does; the tests above
 * compare them with schemas/ directly, so the snapshot guards the rest of the infrastructure. The code
 * assets' keys hash the workspace sources (bundling is skipped in tests), so they change with every
 * commit and differ between a working tree and a clean clone.
 */
function maskContract(cfn: any): any {
  const text = JSON.stringify(cfn)
    .replace(/(ApiDeployment[0-9A-F]{8})[0-9a-f]{32}/g, '$1<hash of the OpenAPI body>')
    // A version's logical id hashes the function's code and configuration.
    .replace(/(FunctionCurrentVersion[0-9A-F]{8})[0-9a-f]{32}/g, '$1<hash of the code>')
    .replace(/"S3Key":"[0-9a-f]{64}\.zip"/g, '"S3Key":"<hash of the workspace sources>.zip"');
  const masked = JSON.parse(text);
  for (const resource of Object.values<any>(masked.Resources)) {
    if (resource.Type === 'AWS::ApiGateway::RestApi')
      resource.Properties.Body = '<schemas/openapi.yaml, asserted above>';
  }
  return masked;
}

describe('redeployment', () => {
  /** The dev stack's deployment logical id for a copy of schemas/ changed by `edit`. */
  function deploymentIdAfter(edit: (schemasDir: string) => void): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'schemas-'));
    try {
      fs.cpSync(path.dirname(OPENAPI_FILE), dir, { recursive: true });
      edit(dir);
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new DataApiStack(app, 'Redeploy', {
        config: loadStageConfig('dev'),
        openApiFile: path.join(dir, 'openapi.yaml'),
      });
      return Object.keys(Template.fromStack(stack).findResources('AWS::ApiGateway::Deployment'))[0];
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  test('a changed template gives the stage a new deployment', () => {
    const unchanged = deploymentIdAfter(() => undefined);
    const edited = deploymentIdAfter((dir) =>
      fs.appendFileSync(path.join(dir, 'templates', 'success-response.vtl'), '## edited\n'),
    );
    expect(edited).not.toBe(unchanged);
  });
});
