/**
 * Issue 15, item 3: CORS per stage. A stage with `cors` deploys an OPTIONS method per resource (MOCK,
 * no API key), Access-Control-Allow-Origin on every method response and on the DEFAULT_4XX/DEFAULT_5XX
 * gateway responses; a stage without it (dev and prod as committed) deploys none of it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ALLOW_HEADERS, ALLOW_METHODS, ALLOW_ORIGIN, CorsSettings, MAX_AGE } from '../lib/cors';
import { listOperations, loadOpenApi } from '../lib/openapi';
import { parseStageConfig, STAGES_DIR } from '../lib/stage-config';
import { synthesizeStage } from './synth';

jest.setTimeout(120_000);

const ORIGIN = 'https://app.example.com';
const CORS: CorsSettings = {
  allowOrigins: [ORIGIN],
  allowHeaders: ['Content-Type', 'X-Api-Key', 'Idempotency-Key'],
  allowMethods: ['GET', 'POST', 'PUT', 'OPTIONS'],
  maxAgeSeconds: 600,
};
const devFile = () => JSON.parse(fs.readFileSync(path.join(STAGES_DIR, 'dev.json'), 'utf8'));
const withCors = (cors: unknown) => () => parseStageConfig({ ...devFile(), cors }, 'dev.json');
const methodsOf = (item: any) => Object.keys(item).filter((key) => key !== 'options' && key !== 'parameters');

describe('off by default', () => {
  test.each(['dev', 'prod'])('%s deploys no OPTIONS method, no CORS header and no gateway response', (stage) => {
    const { config, body } = synthesizeStage(stage);
    expect(config.cors).toBeUndefined();
    for (const item of Object.values<any>(body.paths)) expect(item.options).toBeUndefined();
    expect(body['x-amazon-apigateway-gateway-responses']).toBeUndefined();
    expect(JSON.stringify(body)).not.toMatch(/Access-Control-/i);
  });
});

describe('the stage file', () => {
  test.each([
    ['one origin', CORS],
    ['any origin', { ...CORS, allowOrigins: ['*'] }],
    [
      'an origin with a port, no max age',
      { ...CORS, allowOrigins: ['http://localhost:5173'], maxAgeSeconds: undefined },
    ],
  ])('accepts %s', (_name, cors) => expect(withCors(JSON.parse(JSON.stringify(cors)))).not.toThrow());

  test.each([
    [
      'two origins (static header mappings carry one value)',
      { ...CORS, allowOrigins: [ORIGIN, 'https://b.example.com'] },
    ],
    ['an origin with a path', { ...CORS, allowOrigins: ['https://app.example.com/'] }],
    ['an origin without a scheme', { ...CORS, allowOrigins: ['app.example.com'] }],
    ['a header with a quote (it would end the static value)', { ...CORS, allowHeaders: ["X-'a"] }],
    ['an unknown method', { ...CORS, allowMethods: ['FETCH'] }],
    ['a max age over a day', { ...CORS, maxAgeSeconds: 86401 }],
    ['an unknown key', { ...CORS, allowCredentials: true }],
  ])('refuses %s', (_name, cors) => expect(withCors(cors)).toThrow(/\/cors/));
});

describe('a stage with cors', () => {
  const config = parseStageConfig({ ...devFile(), cors: CORS }, 'dev.json');
  const { body } = synthesizeStage('dev', config);
  const quoted = (value: string) => `'${value}'`;

  test('every resource has an OPTIONS method: MOCK, no API key, 200 with the four headers', () => {
    const resources = Object.keys(loadOpenApi().paths as object);
    expect(Object.keys(body.paths).sort()).toEqual(resources.sort());
    for (const item of Object.values<any>(body.paths)) {
      const options = item.options;
      expect(options.security).toEqual([]);
      const integration = options['x-amazon-apigateway-integration'];
      expect(integration.type).toBe('mock');
      expect(integration.requestTemplates['application/json']).toBe('{"statusCode": 200}');
      expect(integration.responses.default.statusCode).toBe('200');
      expect(integration.responses.default.responseParameters).toEqual({
        [`method.response.header.${ALLOW_ORIGIN}`]: quoted(ORIGIN),
        [`method.response.header.${ALLOW_HEADERS}`]: quoted('Content-Type,X-Api-Key,Idempotency-Key'),
        [`method.response.header.${ALLOW_METHODS}`]: quoted('GET,POST,PUT,OPTIONS'),
        [`method.response.header.${MAX_AGE}`]: quoted('600'),
      });
      expect(Object.keys(options.responses['200'].headers).sort()).toEqual(
        [ALLOW_HEADERS, ALLOW_METHODS, ALLOW_ORIGIN, MAX_AGE].sort(),
      );
    }
  });

  test('every other method maps Access-Control-Allow-Origin in each integration response and declares it', () => {
    const operations = listOperations(loadOpenApi());
    expect(operations.length).toBeGreaterThan(0);
    for (const { method, path: route } of operations) {
      const operation = body.paths[route][method.toLowerCase()];
      const responses = Object.values<any>(operation['x-amazon-apigateway-integration'].responses);
      expect(responses.length).toBeGreaterThan(0);
      for (const response of responses) {
        expect(response.responseParameters[`method.response.header.${ALLOW_ORIGIN}`]).toBe(quoted(ORIGIN));
        // API Gateway maps only headers the method response of that status declares.
        expect(operation.responses[response.statusCode].headers[ALLOW_ORIGIN]).toEqual({ schema: { type: 'string' } });
      }
      expect(operation.responses['200'] ?? operation.responses['201']).toBeDefined();
    }
    expect(methodsOf(body.paths['/staff']).sort()).toEqual(['get', 'post']);
  });

  test("API Gateway's own errors carry the origin: DEFAULT_4XX and DEFAULT_5XX, their default bodies kept", () => {
    const gatewayResponses = body['x-amazon-apigateway-gateway-responses'];
    expect(Object.keys(gatewayResponses).sort()).toEqual(['DEFAULT_4XX', 'DEFAULT_5XX']);
    for (const response of Object.values<any>(gatewayResponses)) {
      // No statusCode and no template: each error keeps its own status and API Gateway's default body.
      expect(response).toEqual({ responseParameters: { [`gatewayresponse.header.${ALLOW_ORIGIN}`]: quoted(ORIGIN) } });
    }
  });

  test('the API keys stay required on every method but OPTIONS', () => {
    for (const item of Object.values<any>(body.paths)) {
      for (const method of methodsOf(item)) expect(item[method].security).toEqual([{ api_key: [] }]);
    }
  });

  test('the body is still valid OpenAPI 3.0', () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cors-'));
    try {
      const file = path.join(scratch, 'body.json');
      fs.writeFileSync(file, JSON.stringify(body));
      const cli = require.resolve('@seriousme/openapi-schema-validator/bin/validate-api-cli.js');
      const run = spawnSync(process.execPath, [cli, file], { encoding: 'utf8' });
      expect(JSON.parse(run.stdout)).toEqual({ valid: true });
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });
});
