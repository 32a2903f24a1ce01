import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadStageConfig, parseStageConfig, STAGES_DIR, StageConfigError } from '../lib/stage-config';

const devFile = () => JSON.parse(fs.readFileSync(path.join(STAGES_DIR, 'dev.json'), 'utf8'));

/** The dev file with one change applied; the change mutates the parsed copy. */
function devWith(change: (doc: any) => void): unknown {
  const doc = devFile();
  change(doc);
  return doc;
}

describe.each(['dev', 'prod'])('stages/%s.json', (stage) => {
  test('is valid and names its own stage', () => {
    expect(loadStageConfig(stage).stage).toBe(stage);
  });
});

describe('invalid stage settings fail with a message naming the problem', () => {
  test.each<[string, (doc: any) => void, RegExp]>([
    ['a misspelt key', (d) => (d.lambda.memory = 1), /\/lambda has unknown key "memory"/],
    ['memory below the Lambda minimum', (d) => (d.lambda.memoryMb = 64), /\/lambda\/memoryMb must be >= 128/],
    [
      'a timeout that leaves no room before API Gateway gives up at 29 s',
      (d) => (d.lambda.timeoutSeconds = 28),
      /\/lambda\/timeoutSeconds must be <= 27/,
    ],
    [
      'reserved concurrency for a function that does not exist',
      (d) => (d.lambda.reservedConcurrency = { 'staff-delete': 1 }),
      /\/lambda\/reservedConcurrency must match exactly one schema in oneOf/,
    ],
    [
      'an alarm topic that is not an SNS ARN',
      (d) => (d.alarms = { topicArn: 'alerts' }),
      /\/alarms\/topicArn must match/,
    ],
    [
      'an unknown deployment strategy',
      (d) => (d.deployment = { strategy: 'BlueGreen' }),
      /\/deployment\/strategy must be one of \["AllAtOnce"/,
    ],
    ['a tag key AWS reserves', (d) => (d.tags = { 'aws:owner': 'x' }), /tag keys starting with "aws:" are reserved/],
    [
      'an unknown architecture',
      (d) => (d.lambda.architecture = 'arm'),
      /\/lambda\/architecture must be one of \["arm64","x86_64"\]/,
    ],
    [
      'a quota period API Gateway lacks',
      (d) => (d.usagePlan.quota.period = 'YEAR'),
      /\/usagePlan\/quota\/period must be one of/,
    ],
    ['a retention CloudWatch does not offer', (d) => (d.logRetentionDays = 10), /\/logRetentionDays must be one of/],
    [
      'a secret ARN without its suffix',
      (d) => (d.aurora.secretArn = d.aurora.secretArn.replace(/-AbCdEf$/, '')),
      /\/aurora\/secretArn must match pattern/,
    ],
    ['a missing section', (d) => delete d.redshift, /\(top level\) must have required property 'redshift'/],
  ])('%s', (_name, change, message) => {
    expect(() => parseStageConfig(devWith(change), 'dev.json')).toThrow(message);
  });

  test('every problem is listed at once', () => {
    const doc = devWith((d) => {
      d.lambda.memoryMb = 1;
      d.throttle.burstLimit = 0;
    });
    expect(() => parseStageConfig(doc, 'dev.json')).toThrow(/memoryMb[\s\S]*burstLimit|burstLimit[\s\S]*memoryMb/);
  });

  test('a file for another stage', () => {
    expect(() => parseStageConfig(devFile(), 'prod.json', 'prod')).toThrow(
      /"stage" is "dev" but the file is for stage "prod"/,
    );
  });

  test('resources in different regions', () => {
    const doc = devWith((d) => (d.aurora.clusterArn = d.aurora.clusterArn.replace('us-east-1', 'eu-west-1')));
    expect(() => parseStageConfig(doc, 'dev.json')).toThrow(/must be in one account and region/);
  });

  test('an unknown stage lists the known ones', () => {
    expect(() => loadStageConfig('staging')).toThrow(/no stage file .*staging\.json \(known stages: dev, prod\)/);
  });

  test('a stage name that is not a plain name', () => {
    expect(() => loadStageConfig('../dev')).toThrow(StageConfigError);
  });
});
