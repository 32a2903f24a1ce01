/**
 * Issue 12, "ready for a first real cdk deploy": one describe per item, on both stages synthesized with
 * bundling skipped. cfn-lint, the OpenAPI 3.0 validator and cdk-nag run on what a deploy would upload.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { parse } from 'yaml';
import { API_GATEWAY_ACCOUNT_STACK } from '../lib/api-gateway-account';
import { LIVE_ALIAS, redshiftRoleName } from '../lib/crate-function';
import { CRATES, pascalCase } from '../lib/crates';
import { THRESHOLDS } from '../lib/monitoring';
import { listOperations, loadOpenApi, OPENAPI_FILE } from '../lib/openapi';
import { redshiftDatabaseUser, redshiftGrantSql } from '../lib/redshift-grants';
import { clientsOf, parseStageConfig, STAGES_DIR } from '../lib/stage-config';
import { synthesizeStage } from './synth';
import { localBody } from './synthesized-body';

const REPOSITORY = path.resolve(__dirname, '..', '..');
const repositoryFile = (relative: string) => fs.readFileSync(path.join(REPOSITORY, relative), 'utf8');
const stageFile = (name: string) => JSON.parse(fs.readFileSync(path.join(STAGES_DIR, `${name}.json`), 'utf8'));
// cfn-lint and the OpenAPI validator are processes of their own.
jest.setTimeout(120_000);

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'first-deploy-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

const stages = Object.fromEntries(['dev', 'prod'].map((name) => [name, synthesizeStage(name)]));
const each = describe.each(['dev', 'prod']);
const statementsOf = (template: Template): any[] =>
  Object.values<any>(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);

describe('1. every secret ARN AWS produces is accepted', () => {
  const withSecret = (secretArn: string) => {
    const doc = stageFile('dev');
    doc.aurora.secretArn = secretArn;
    return () => parseStageConfig(doc, 'dev.json');
  };
  test.each([
    // Aurora's managed master password (the default today): rds!cluster-<cluster resource uuid>.
    'arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d-AbCdEf',
    'arn:aws:secretsmanager:us-east-1:123456789012:secret:staff-dev-credentials-AbCdEf',
    // Every character CreateSecret allows in a name: letters, digits and /_+=.@-
    'arn:aws:secretsmanager:us-east-1:123456789012:secret:team/app_db+ro=1.x@y-AbC123',
  ])('%s', (arn) => expect(withSecret(arn)).not.toThrow());
  test.each([
    ['without the 6-character suffix', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:staff'],
    ['a partial ARN with a wildcard', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:staff-*'],
    ['a space in the name', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:my secret-AbCdEf'],
  ])('refused: %s', (_name, arn) => expect(withSecret(arn)).toThrow(/\/aurora\/secretArn must match pattern/));

  test('prod names an Aurora-managed secret, and the functions may read exactly it', () => {
    const { config, template } = stages.prod;
    expect(config.aurora.secretArn).toContain(':secret:rds!cluster-');
    const readers = statementsOf(template).filter((s) => s.Action === 'secretsmanager:GetSecretValue');
    expect(readers.map((s) => s.Resource)).toEqual(Array(3).fill(config.aurora.secretArn));
  });
});

describe('2. the arm64 build is pinned: Rust target, zig, and the deploy steps in order', () => {
  test('rust-toolchain.toml names both Lambda targets', () => {
    const toolchain = repositoryFile('rust-toolchain.toml');
    const targets = /^targets\s*=\s*\[([^\]]*)\]/m.exec(toolchain)?.[1] ?? '';
    expect(targets).toContain('"aarch64-unknown-linux-gnu"');
    expect(targets).toContain('"x86_64-unknown-linux-gnu"');
  });

  test('requirements-dev.txt pins the zig that cargo-lambda cross-compiles with', () => {
    expect(repositoryFile('requirements-dev.txt')).toMatch(/^ziglang==\d+\.\d+\.\d+$/m);
  });

  test("README's deploy section runs, in order: bootstrap, target, cdk bootstrap, deploy, grants, key", () => {
    const readme = repositoryFile('README.md');
    const section = readme.slice(readme.indexOf('## Deploy'));
    const steps = [
      'bash scripts/bootstrap',
      'rustup target add aarch64-unknown-linux-gnu',
      'npx cdk bootstrap aws://',
      'npx cdk deploy -c stage=',
      'RedshiftGrantSql',
      'aws apigateway get-api-key',
      'cargo test -p e2e-tests --test e2e',
    ];
    const positions = steps.map((step) => section.indexOf(step));
    steps.forEach((step, i) => expect([step, positions[i]]).not.toEqual([step, -1]));
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });
});

each('3. Redshift user and grants (stage %s)', (stageName) => {
  const { config, template } = stages[stageName];
  const user = `IAMR:${redshiftRoleName(stageName)}`;

  test('redshift-count has a role name fixed per stage, which the outputs name with its database user', () => {
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: redshiftRoleName(stageName) });
    expect(redshiftRoleName(stageName).length).toBeLessThanOrEqual(64);
    template.hasOutput('RedshiftRoleName', { Value: redshiftRoleName(stageName) });
    template.hasOutput('RedshiftDatabaseUser', { Value: user });
    expect(redshiftDatabaseUser(stageName)).toBe(user);
  });

  test('the output SQL creates that user and grants SELECT on the allowed tables only', () => {
    const sql = template.toJSON().Outputs.RedshiftGrantSql.Value;
    expect(sql).toBe(redshiftGrantSql(config).join(' '));
    expect(sql).toContain(`CREATE USER "${user}" PASSWORD DISABLE;`);
    expect(sql).toContain(`GRANT USAGE ON SCHEMA "public" TO "${user}";`);
    if (config.redshift.allowedTables.length === 0) {
      expect(sql).toContain(`GRANT SELECT ON ALL TABLES IN SCHEMA "public" TO "${user}";`);
    } else {
      for (const table of config.redshift.allowedTables) {
        expect(sql).toContain(`GRANT SELECT ON TABLE "public"."${table}" TO "${user}";`);
      }
      expect(sql).not.toContain('ALL TABLES');
    }
  });
});

test('3. a schema-qualified allowed table is granted in its schema', () => {
  const config = parseStageConfig(
    { ...stageFile('dev'), redshift: { ...stageFile('dev').redshift, allowedTables: ['sales.orders', 'flightdata'] } },
    'dev.json',
  );
  const user = `"IAMR:${redshiftRoleName('dev')}"`;
  expect(redshiftGrantSql(config)).toEqual([
    `CREATE USER ${user} PASSWORD DISABLE;`,
    `GRANT USAGE ON SCHEMA "sales" TO ${user};`,
    `GRANT USAGE ON SCHEMA "public" TO ${user};`,
    `GRANT SELECT ON TABLE "sales"."orders" TO ${user};`,
    `GRANT SELECT ON TABLE "public"."flightdata" TO ${user};`,
  ]);
});

/** Runs @seriousme/openapi-schema-validator's CLI (an ES module, so not inside Jest) on a JSON file. */
function validateOpenApi(document: unknown, name: string): { valid: boolean; errors?: unknown } {
  const file = path.join(scratch, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(document));
  const cli = require.resolve('@seriousme/openapi-schema-validator/bin/validate-api-cli.js');
  const run = spawnSync(process.execPath, [cli, file], { encoding: 'utf8' });
  return JSON.parse(run.stdout);
}

describe('4. the OpenAPI document is valid OpenAPI 3.0, with models API Gateway keeps as written', () => {
  test('schemas/openapi.yaml (templates inlined) passes an OpenAPI 3.0 validator', () => {
    expect(validateOpenApi(loadOpenApi(), 'schemas')).toEqual({ valid: true });
  });

  test.each(['dev', 'prod'])('the body the %s template deploys passes it too', (stageName) => {
    expect(validateOpenApi(stages[stageName].body, `body-${stageName}`)).toEqual({ valid: true });
  });

  test('the validator is not lenient: a draft 4 type list is refused', () => {
    const document: any = loadOpenApi();
    document.components.schemas.Age = { type: ['integer', 'null'] };
    expect(validateOpenApi(document, 'type-list').valid).toBe(false);
  });

  test('models use only JSON Schema draft 4 keywords that OpenAPI 3.0 shares with the same meaning', () => {
    // What the AWS-validated recordings show API Gateway storing and enforcing (docs/aws-fidelity.md),
    // plus the draft 4 validation keywords of the same family (bounds and lengths).
    const allowed = new Set([
      'type',
      'properties',
      'required',
      'additionalProperties',
      'items',
      'enum',
      'oneOf',
      '$ref',
      'minimum',
      'maximum',
      'minLength',
      'maxLength',
      'pattern',
      'minProperties',
      'description',
    ]);
    const used = new Set<string>();
    const walk = (schema: any) => {
      if (Array.isArray(schema)) return schema.forEach(walk);
      if (typeof schema !== 'object' || schema === null) return;
      for (const [keyword, value] of Object.entries<any>(schema)) {
        used.add(keyword);
        if (keyword === 'properties') Object.values(value).forEach(walk);
        else if (keyword !== 'enum') walk(value);
      }
    };
    const contract: any = parse(fs.readFileSync(OPENAPI_FILE, 'utf8'));
    Object.values(contract.components.schemas).forEach(walk);
    expect([...used].filter((keyword) => !allowed.has(keyword))).toEqual([]);
  });
});

describe('5. the function always answers before API Gateway gives up', () => {
  const schema = JSON.parse(fs.readFileSync(path.join(STAGES_DIR, 'stage.schema.json'), 'utf8'));
  const bound = schema.properties.lambda.properties.timeoutSeconds.maximum;

  test('the stage schema bounds the timeout at 27 s, 2 s under every integration timeout', () => {
    expect(bound).toBe(27);
    const integrationTimeouts = listOperations(loadOpenApi()).map(
      ({ method, path: route }) =>
        (loadOpenApi() as any).paths[route][method.toLowerCase()]['x-amazon-apigateway-integration'].timeoutInMillis,
    );
    integrationTimeouts.forEach((ms) => expect(bound * 1000 + 2000).toBeLessThanOrEqual(ms));
  });

  test.each([28, 29])('a timeout of %i s is refused', (seconds) => {
    const doc = stageFile('prod');
    doc.lambda.timeoutSeconds = seconds;
    expect(() => parseStageConfig(doc, 'prod.json')).toThrow(/\/lambda\/timeoutSeconds must be <= 27/);
  });

  test.each(['dev', 'prod'])('stage %s deploys a timeout within the bound', (stageName) => {
    const timeouts = stages[stageName].resources('AWS::Lambda::Function').map((f) => f.Properties.Timeout);
    timeouts.forEach((t) => expect(t).toBeLessThanOrEqual(bound));
  });
});

describe('6. the local gateway serves the body the template deploys', () => {
  // local/gateway/tests/synthesized.rs serves what `ts-node test/synthesized-body.ts dev` prints.
  test('the printed body is the dev template body, its functions written back as placeholders', () => {
    const run = spawnSync(
      path.join(__dirname, '..', 'node_modules', '.bin', 'ts-node'),
      ['--transpile-only', 'test/synthesized-body.ts', 'dev'],
      { cwd: path.join(__dirname, '..'), encoding: 'utf8' },
    );
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(localBody(stages.dev.template));
  });

  test('it differs from schemas/openapi.yaml only where the CDK app fills in region and functions', () => {
    expect(localBody(stages.dev.template)).toEqual(loadOpenApi());
  });

  test('each integration invokes the live alias of the crate its placeholder names', () => {
    const { body, aliasLogicalId } = stages.dev;
    for (const operation of listOperations(loadOpenApi())) {
      const uri = body.paths[operation.path][operation.method.toLowerCase()]['x-amazon-apigateway-integration'].uri;
      expect(JSON.stringify(uri)).toContain(JSON.stringify({ Ref: aliasLogicalId(operation.crate) }));
    }
  });

  test('a function the placeholders cannot express is refused, not passed through', () => {
    const template = stages.dev.template.toJSON();
    const [apiId] = Object.keys(template.Resources).filter(
      (id) => template.Resources[id].Type === 'AWS::ApiGateway::RestApi',
    );
    template.Resources[apiId].Properties.Body.info.title = { 'Fn::Sub': '${AWS::StackName}' };
    expect(() => localBody(Template.fromJSON(template))).toThrow(/body carries Fn::Sub/);
  });
});

each('7. named clients, each with its own key and usage plan (stage %s)', (stageName) => {
  const { config, template, resources } = stages[stageName];
  const clients = clientsOf(config);

  test('one usage plan per client with its throttle and quota, bound to the stage', () => {
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', clients.length);
    for (const client of clients) {
      template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
        UsagePlanName: `serverless-data-api-${stageName}-${client.name}`,
        Throttle: { RateLimit: client.usagePlan.throttle.rateLimit, BurstLimit: client.usagePlan.throttle.burstLimit },
        Quota: { Limit: client.usagePlan.quota.limit, Period: client.usagePlan.quota.period },
        ApiStages: [Match.objectLike({ Stage: { Ref: Match.stringLikeRegexp(`^ApiDeploymentStage${stageName}`) } })],
      });
    }
  });

  test('one generated key per client, in its own plan only; outputs give its id and how to read it', () => {
    template.resourceCountIs('AWS::ApiGateway::ApiKey', clients.length);
    resources('AWS::ApiGateway::ApiKey').forEach((key) => {
      expect(key.Properties.Value).toBeUndefined();
      expect(key.Properties.GenerateDistinctId).toBeUndefined();
    });
    const planKeys = resources('AWS::ApiGateway::UsagePlanKey');
    expect(planKeys).toHaveLength(clients.length);
    const cfn = template.toJSON();
    for (const client of clients) {
      const id = pascalCase(client.name);
      const keyId = Object.keys(
        template.findResources('AWS::ApiGateway::ApiKey', {
          Properties: { Description: Match.stringLikeRegexp(`client ${client.name}$`) },
        }),
      )[0];
      const planId = Object.keys(
        template.findResources('AWS::ApiGateway::UsagePlan', {
          Properties: { UsagePlanName: `serverless-data-api-${stageName}-${client.name}` },
        }),
      )[0];
      expect(planKeys.filter((k) => k.Properties.KeyId.Ref === keyId).map((k) => k.Properties.UsagePlanId)).toEqual([
        { Ref: planId },
      ]);
      template.hasOutput(`ApiKeyId${id}`, { Value: { Ref: keyId } });
      template.hasOutput(`GetApiKeyCommand${id}`, {
        Value: { 'Fn::Join': ['', Match.arrayWith([{ Ref: keyId }, Match.stringLikeRegexp('--include-value')])] },
      });
    }
    // No output carries a key value: only ids (Ref of an ApiKey) appear.
    expect(JSON.stringify(cfn.Outputs)).not.toMatch(/"Fn::GetAtt":\["ApiKey/);
  });

  test(stageName === 'dev' ? 'without "clients": one client named default' : 'the named clients', () => {
    expect(clients.map((c) => c.name)).toEqual(stageName === 'dev' ? ['default'] : ['reporting', 'staff-admin']);
  });
});

describe('7. client names are unique', () => {
  test('a repeated name is refused', () => {
    const doc = stageFile('prod');
    doc.clients[1].name = doc.clients[0].name;
    expect(() => parseStageConfig(doc, 'prod.json')).toThrow(/client names must be unique \(repeated: reporting\)/);
  });
  test('a name that is not lower-case kebab is refused', () => {
    const doc = stageFile('prod');
    doc.clients[0].name = 'Reporting';
    expect(() => parseStageConfig(doc, 'prod.json')).toThrow(/\/clients\/0\/name must match pattern/);
  });
});

describe('8. a customer-managed KMS key, decrypted only through Secrets Manager or SSM', () => {
  test('prod: kms:Decrypt on the key, conditioned on kms:ViaService, for exactly the readers of each', () => {
    const { config, template } = stages.prod;
    const decrypt = statementsOf(template).filter((s) => s.Action === 'kms:Decrypt');
    expect(decrypt.map((s) => s.Resource)).toEqual(Array(4).fill(config.kmsKeyArn));
    const services = decrypt.map((s) => s.Condition.StringEquals['kms:ViaService']).sort();
    expect(services).toEqual([
      'secretsmanager.us-east-1.amazonaws.com',
      'secretsmanager.us-east-1.amazonaws.com',
      'secretsmanager.us-east-1.amazonaws.com',
      'ssm.us-east-1.amazonaws.com',
    ]);
    decrypt.forEach((s) => expect(Object.keys(s.Condition)).toEqual(['StringEquals']));
  });

  test('dev names no key: no KMS permission at all', () => {
    expect(statementsOf(stages.dev.template).flatMap((s) => [s.Action].flat())).not.toContainEqual(
      expect.stringMatching(/^kms:/),
    );
  });

  test('a key of another account or region is refused', () => {
    const doc = stageFile('prod');
    doc.kmsKeyArn = doc.kmsKeyArn.replace('us-east-1', 'eu-west-1');
    expect(() => parseStageConfig(doc, 'prod.json')).toThrow(/must be in one account and region/);
  });
});

each('9. log groups and the account-level CloudWatch role (stage %s)', (stageName) => {
  const { config, template, app, stack } = stages[stageName];

  test('the stack owns the execution log group, named as API Gateway writes it, with the retention', () => {
    const [id, group] = Object.entries<any>(template.findResources('AWS::Logs::LogGroup')).find(([, g]) =>
      JSON.stringify(g.Properties.LogGroupName ?? '').includes('API-Gateway-Execution-Logs_'),
    )!;
    expect(group.Properties.LogGroupName['Fn::Join'][1]).toEqual([
      'API-Gateway-Execution-Logs_',
      { Ref: Object.keys(template.findResources('AWS::ApiGateway::RestApi'))[0] },
      `/${stageName}`,
    ]);
    expect(group.Properties.RetentionInDays).toBe(config.logRetentionDays);
    expect(group.DeletionPolicy).toBe('Delete');
    const [stage] = Object.values<any>(template.findResources('AWS::ApiGateway::Stage'));
    expect(stage.DependsOn).toContain(id);
  });

  test('the stage stack sets no account-level setting; the account stack does, once, and retains it', () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    const account = Template.fromStack(app.node.findChild(API_GATEWAY_ACCOUNT_STACK) as any);
    account.resourceCountIs('AWS::ApiGateway::Account', 1);
    account.hasResource('AWS::ApiGateway::Account', { DeletionPolicy: 'Retain' });
    account.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [
        Match.objectLike({
          'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('AmazonAPIGatewayPushToCloudWatchLogs')])],
        }),
      ],
    });
    expect(stack.dependencies.map((s) => s.stackName)).toEqual([API_GATEWAY_ACCOUNT_STACK]);
  });
});

test('9. two stages in one account share one account stack, identical whichever deploys it', () => {
  const accountTemplate = (stageName: string) =>
    synthesizeStage(stageName).app.node.findChild(API_GATEWAY_ACCOUNT_STACK) as any;
  expect(Template.fromStack(accountTemplate('dev')).toJSON()).toEqual(
    Template.fromStack(accountTemplate('prod')).toJSON(),
  );
});

each('10. alarms, tracing, concurrency, logging and protection (stage %s)', (stageName) => {
  const { config, template, resources } = stages[stageName];
  const alarms = resources('AWS::CloudWatch::Alarm');
  const timeoutMs = config.lambda.timeoutSeconds * 1000;

  test('the API alarms on its 5XX rate and p99 latency', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Statistic: 'Average',
      Threshold: THRESHOLDS.apiServerErrorRate,
      Dimensions: Match.arrayWith([{ Name: 'Stage', Value: stageName }]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: 'Latency',
      ExtendedStatistic: 'p99',
      Threshold: Math.round(timeoutMs * THRESHOLDS.apiLatencyShareOfTimeout),
    });
  });

  test.each(Object.keys(CRATES))('%s alarms on its 5XX, throttles and duration close to the timeout', (crate) => {
    const mine = alarms.filter((a) => a.Properties.AlarmName.startsWith(`serverless-data-api-${stageName} ${crate} `));
    expect(mine.map((a) => a.Properties.AlarmName.split(' ').slice(2).join(' ')).sort()).toEqual([
      '5XX',
      'duration near timeout',
      'throttles',
    ]);
    const duration = mine.find((a) => a.Properties.AlarmName.endsWith('duration near timeout'));
    expect(duration.Properties.Threshold).toBe(Math.round(timeoutMs * THRESHOLDS.functionDurationShareOfTimeout));
    // The alias's own metrics (dimension Resource = function:alias), which is what a canary shifts.
    expect(duration.Properties.Dimensions.map((d: any) => d.Name).sort()).toEqual(['FunctionName', 'Resource']);
    // 5XX of this function's methods, from API Gateway's per-method metrics.
    const serverErrors = mine.find((a) => a.Properties.AlarmName.endsWith('5XX'));
    const methods = listOperations(loadOpenApi()).filter((o) => o.crate === crate);
    const queried = serverErrors.Properties.Metrics.filter((m: any) => m.MetricStat);
    expect(queried.map((m: any) => m.MetricStat.Metric.Dimensions)).toEqual(
      methods.map((o) =>
        expect.arrayContaining([
          { Name: 'Method', Value: o.method },
          { Name: 'Resource', Value: o.path },
        ]),
      ),
    );
  });

  test(
    config.alarms ? 'every alarm notifies the stage topic, on alarm and on OK' : 'no topic: the alarms notify no one',
    () => {
      for (const alarm of alarms) {
        expect(alarm.Properties.AlarmActions ?? []).toEqual(config.alarms ? [config.alarms.topicArn] : []);
        expect(alarm.Properties.OKActions ?? []).toEqual(config.alarms ? [config.alarms.topicArn] : []);
        expect(alarm.Properties.TreatMissingData).toBe('notBreaching');
      }
    },
  );

  test('X-Ray tracing on the stage and every function', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', { TracingEnabled: true });
    resources('AWS::Lambda::Function').forEach((f) => expect(f.Properties.TracingConfig).toEqual({ Mode: 'Active' }));
  });

  test("Lambda's JSON log format with the stage's application log level", () => {
    resources('AWS::Lambda::Function').forEach((f) => {
      expect(f.Properties.LoggingConfig).toMatchObject({
        LogFormat: 'JSON',
        ApplicationLogLevel: config.lambda.logLevel.toUpperCase(),
        SystemLogLevel: 'INFO',
      });
      expect(f.Properties.Environment.Variables.AWS_LAMBDA_LOG_LEVEL).toBeUndefined();
    });
  });

  test('reserved concurrency from the stage file', () => {
    const reserved = config.lambda.reservedConcurrency;
    for (const crate of Object.keys(CRATES)) {
      const expected = typeof reserved === 'number' ? reserved : reserved?.[crate];
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: `${crate} (${stageName})`,
        ReservedConcurrentExecutions: expected ?? Match.absent(),
      });
    }
  });

  test('stage variables from the stage file', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', { Variables: config.stageVariables });
  });

  test(stageName === 'prod' ? 'termination protection and tags' : 'no termination protection', () => {
    expect(stages[stageName].stack.terminationProtection).toBe(config.terminationProtection ?? false);
    for (const [key, value] of Object.entries(config.tags ?? {})) {
      resources('AWS::Lambda::Function').forEach((f) =>
        expect(f.Properties.Tags).toContainEqual({ Key: key, Value: value }),
      );
      template.hasResourceProperties('AWS::ApiGateway::Stage', { Tags: Match.arrayWith([{ Key: key, Value: value }]) });
    }
  });
});

describe('10. stage variables follow AWS constraints', () => {
  test.each<[string, Record<string, string>, RegExp]>([
    ['a name with a dash', { 'my-var': 'x' }, /\/stageVariables .*property name must be valid|must match pattern/],
    ['a value with a space', { name: 'a b' }, /\/stageVariables\/name must match pattern/],
    ['an empty value', { name: '' }, /\/stageVariables\/name must match pattern/],
  ])('refused: %s', (_name, variables, message) => {
    const doc = { ...stageFile('dev'), stageVariables: variables };
    expect(() => parseStageConfig(doc, 'dev.json')).toThrow(message);
  });
  test('every character AWS allows in a value is accepted', () => {
    const doc = { ...stageFile('dev'), stageVariables: { url_1: 'https://a.example/x?y=1&z=2,3#f~g:h-i_j' } };
    expect(() => parseStageConfig(doc, 'dev.json')).not.toThrow();
  });
});

each('11. versions behind an alias, shifted gradually with automatic rollback (stage %s)', (stageName) => {
  const { config, template, aliasLogicalId, functionLogicalId } = stages[stageName];
  const strategy = config.deployment?.strategy ?? 'AllAtOnce';

  test.each(Object.keys(CRATES))('%s: a published version behind the live alias, moved by CodeDeploy', (crate) => {
    const alias = template.toJSON().Resources[aliasLogicalId(crate)];
    expect(alias.Properties.Name).toBe(LIVE_ALIAS);
    const versionId = alias.Properties.FunctionVersion['Fn::GetAtt'][0];
    template.hasResource('AWS::Lambda::Version', {
      Properties: { FunctionName: { Ref: functionLogicalId(crate) } },
    });
    expect(template.toJSON().Resources[versionId].Type).toBe('AWS::Lambda::Version');
    const groupId = alias.UpdatePolicy.CodeDeployLambdaAliasUpdate.DeploymentGroupName.Ref;
    const group = template.toJSON().Resources[groupId];
    expect(group.Properties.DeploymentConfigName).toBe(`CodeDeployDefault.Lambda${strategy}`);
    expect(group.Properties.AutoRollbackConfiguration).toEqual({
      Enabled: true,
      Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'],
    });
    // Rolled back on this function's alarms and the API's.
    const alarmNames = group.Properties.AlarmConfiguration.Alarms.map((a: any) => a.Name.Ref);
    const names = alarmNames.map((id: string) => template.toJSON().Resources[id].Properties.AlarmName);
    expect(names.sort()).toEqual(
      [
        `serverless-data-api-${stageName} ${crate} 5XX`,
        `serverless-data-api-${stageName} ${crate} duration near timeout`,
        `serverless-data-api-${stageName} ${crate} throttles`,
        `serverless-data-api-${stageName} API 5XX rate`,
        `serverless-data-api-${stageName} API latency p99`,
      ].sort(),
    );
  });

  test('the stage file chooses the strategy', () => {
    expect(strategy).toBe(stageName === 'prod' ? 'Canary10Percent5Minutes' : 'AllAtOnce');
  });
});

describe('done when: cfn-lint finds no error in what either stage deploys', () => {
  const cfnLint = path.join(REPOSITORY, '.venv', 'bin', 'cfn-lint');

  test.each(['dev', 'prod'])('stage %s and its account stack', (stageName) => {
    expect(fs.existsSync(cfnLint) ? cfnLint : 'cfn-lint missing: run scripts/bootstrap').toBe(cfnLint);
    const { app } = synthesizeStage(stageName);
    const assembly = app.synth({ force: true });
    const files = assembly.stacks.map((s) => path.join(assembly.directory, s.templateFile));
    expect(files).toHaveLength(2);
    const run = spawnSync(cfnLint, ['--format', 'json', ...files], { encoding: 'utf8' });
    const findings: { Level: string; Rule: { Id: string } }[] = JSON.parse(run.stdout || '[]');
    expect(findings.filter((f) => f.Level === 'Error')).toEqual([]);
    // Exit status bit 2 is "errors found", 4 warnings, 8 informational.
    expect(run.status! & 2).toBe(0);
  });
});
