import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { executeApiPath } from '../lib/data-api-stack';
import { listOperations, loadOpenApi, OpenApiError, withIntegrationTargets } from '../lib/openapi';

/** The file $ref contract both loaders are tested against (tests/fixtures/file-refs/README.md). */
const FIXTURES = path.join(__dirname, '..', '..', 'tests', 'fixtures', 'file-refs');
const FIXTURE = path.join(FIXTURES, 'openapi.yaml');
const fixtureFile = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

const scratchDirs: string[] = [];
afterAll(() => scratchDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** Writes a throwaway document (plus extra files) and returns its path. */
function writeDocument(text: string, extra: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-'));
  scratchDirs.push(dir);
  for (const [name, content] of Object.entries({ 'openapi.yaml': text, ...extra })) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return path.join(dir, 'openapi.yaml');
}

const integrationOf = (doc: any, route: string, method: string) =>
  doc.paths[route][method]['x-amazon-apigateway-integration'];

describe('loadOpenApi', () => {
  const doc: any = loadOpenApi(FIXTURE);

  test('inlines template $refs as the files text, also through YAML aliases', () => {
    expect(integrationOf(doc, '/things/{id}', 'get').requestTemplates['application/json']).toBe(
      fixtureFile('templates/request.vtl'),
    );
    expect(integrationOf(doc, '/things', 'post').responses.default.responseTemplates['application/json']).toBe(
      fixtureFile('templates/success.vtl'),
    );
  });

  test('inlines JSON file $refs as their content and keeps JSON-pointer $refs', () => {
    expect(doc.components.schemas.Thing).toEqual(JSON.parse(fixtureFile('models/thing.json')));
    expect(doc.paths['/things/{id}'].get.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Thing',
    });
  });

  test('loads the shared fixture into exactly its inlined form', () => {
    expect(doc).toEqual(JSON.parse(fixtureFile('inlined.json')));
  });

  const refusals = parse(fixtureFile('errors.yaml')) as {
    name: string;
    files: Record<string, string>;
    message: string;
  }[];
  test.each(refusals.map((refusal) => [refusal.name, refusal] as const))('refuses %s', (_name, refusal) => {
    const { 'openapi.yaml': document, ...extra } = refusal.files;
    expect(() => loadOpenApi(writeDocument(document, extra))).toThrow(refusal.message);
  });

  test('rejects OpenAPI 3.1, which API Gateway cannot import', () => {
    expect(() => loadOpenApi(writeDocument('openapi: 3.1.0\npaths: {}\n'))).toThrow(OpenApiError);
  });
});

describe('listOperations', () => {
  test('lists each method with the crate its integration invokes', () => {
    expect(listOperations(loadOpenApi(FIXTURE))).toEqual([
      { method: 'GET', path: '/things/{id}', crate: 'thing-get' },
      { method: 'POST', path: '/things', crate: 'thing-post' },
    ]);
  });

  test('fails on an operation without a Lambda integration', () => {
    const file = writeDocument('openapi: 3.0.3\npaths:\n  /x:\n    get:\n      responses: {}\n');
    expect(() => listOperations(loadOpenApi(file))).toThrow(
      /GET \/x x-amazon-apigateway-integration: expected an object/,
    );
  });

  test('fails on an integration uri without a function placeholder', () => {
    const file = writeDocument(
      'openapi: 3.0.3\npaths:\n  /x:\n    get:\n      x-amazon-apigateway-integration: { uri: "arn:aws:lambda:fixed" }\n',
    );
    expect(() => listOperations(loadOpenApi(file))).toThrow(/exactly one \$\{Function:<crate>\}/);
  });
});

describe('withIntegrationTargets', () => {
  const doc = loadOpenApi(FIXTURE);
  const targeted: any = withIntegrationTargets(doc, 'eu-west-1', (crate) => `arn:fn:${crate}`);

  test('fills in region and function ARN in every integration uri', () => {
    expect(integrationOf(targeted, '/things/{id}', 'get').uri).toBe(
      'arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:fn:thing-get/invocations',
    );
    expect(integrationOf(targeted, '/things', 'post').uri).toContain('functions/arn:fn:thing-post/');
  });

  test("leaves templates (VTL's own ${...}) and the input document untouched", () => {
    expect(integrationOf(targeted, '/things/{id}', 'get').requestTemplates['application/json']).toContain('"${id}"');
    expect(integrationOf(doc, '/things', 'post').uri).toContain('${Function:thing-post}');
  });
});

test('executeApiPath turns path parameters into wildcards', () => {
  expect(executeApiPath('/staff/{id}')).toBe('/staff/*');
  expect(executeApiPath('/redshift_select')).toBe('/redshift_select');
});
