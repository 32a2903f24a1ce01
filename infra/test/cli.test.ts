import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The commands README documents, run as a user would: the CDK CLI from package.json, offline. */
const INFRA_DIR = path.resolve(__dirname, '..');
// Each run starts the CLI and compiles the app: well beyond Jest's 5 s default.
jest.setTimeout(120_000);
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-out-'));
afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

function cdk(...args: string[]) {
  return spawnSync('npx', ['cdk', ...args, '--output', outDir], {
    cwd: INFRA_DIR,
    env: { ...process.env, SKIP_BUNDLING: '1' },
    encoding: 'utf8',
  });
}

test('SKIP_BUNDLING=1 npx cdk synth -c stage=dev writes the stage template without building Rust', () => {
  const run = cdk('synth', '-c', 'stage=dev', '--quiet');
  expect(run.stderr).not.toMatch(/cargo lambda build/);
  expect(run.status).toBe(0);
  const template = JSON.parse(fs.readFileSync(path.join(outDir, 'ServerlessDataApi-dev.template.json'), 'utf8'));
  const functions = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
  // The account-level API Gateway settings come along, as a stack of their own.
  expect(fs.existsSync(path.join(outDir, 'ServerlessDataApi-ApiGatewayAccount.template.json'))).toBe(true);
  expect(functions.map((f) => f.Properties.Description).sort()).toEqual([
    'redshift-count (dev)',
    'staff-get (dev)',
    'staff-post (dev)',
    'staff-put (dev)',
  ]);
});

test('an unknown stage fails with a one-line reason, not a stack trace', () => {
  const run = cdk('synth', '-c', 'stage=staging', '--quiet');
  expect(run.status).not.toBe(0);
  expect(run.stderr).toMatch(/error: no stage file .*staging\.json \(known stages: dev, prod\)/);
  expect(run.stderr).not.toMatch(/\n\s+at /);
});
