import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import stageSchema from '../stages/stage.schema.json';
import { CorsSettings } from './cors';

/** Per-stage settings: the shape of infra/stages/<stage>.json (validated by stages/stage.schema.json). */
export interface StageConfig {
  readonly stage: string;
  readonly lambda: {
    readonly architecture: 'arm64' | 'x86_64';
    readonly memoryMb: number;
    readonly timeoutSeconds: number;
    readonly logLevel: LogLevel;
    readonly reservedConcurrency?: number | Readonly<Record<string, number>>;
  };
  readonly throttle: Throttle;
  readonly usagePlan: UsagePlanSettings;
  readonly clients?: readonly ClientSettings[];
  readonly stageVariables?: Readonly<Record<string, string>>;
  /** Absent: CORS off. */
  readonly cors?: CorsSettings;
  readonly logRetentionDays: number;
  readonly alarms?: { readonly topicArn: string };
  readonly kmsKeyArn?: string;
  readonly deployment?: { readonly strategy: DeploymentStrategy };
  readonly terminationProtection?: boolean;
  readonly tags?: Readonly<Record<string, string>>;
  readonly redshift: {
    readonly workgroupName: string;
    readonly workgroupArn: string;
    readonly databaseNameParameter: string;
    readonly allowedTables: readonly string[];
  };
  readonly aurora: {
    readonly clusterArn: string;
    readonly secretArn: string;
    readonly database: string;
  };
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** CodeDeploy's predefined Lambda deployment configurations (the names after `CodeDeployDefault.Lambda`). */
export type DeploymentStrategy =
  | 'AllAtOnce'
  | 'Canary10Percent5Minutes'
  | 'Canary10Percent10Minutes'
  | 'Canary10Percent15Minutes'
  | 'Canary10Percent30Minutes'
  | 'Linear10PercentEvery1Minute'
  | 'Linear10PercentEvery2Minutes'
  | 'Linear10PercentEvery3Minutes'
  | 'Linear10PercentEvery10Minutes';

export interface Throttle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

export interface UsagePlanSettings {
  readonly throttle: Throttle;
  readonly quota: { readonly limit: number; readonly period: 'DAY' | 'WEEK' | 'MONTH' };
}

export interface ClientSettings {
  readonly name: string;
  readonly usagePlan: UsagePlanSettings;
}

/** The client a stage has when its file names none. */
export const DEFAULT_CLIENT = 'default';

/** The stage's clients: those the file names, else one `default` client with the top-level usage plan. */
export function clientsOf(config: StageConfig): readonly ClientSettings[] {
  return config.clients ?? [{ name: DEFAULT_CLIENT, usagePlan: config.usagePlan }];
}

/** The function's reserved concurrency from the stage file, if any. */
export function reservedConcurrencyOf(config: StageConfig, crate: string): number | undefined {
  const reserved = config.lambda.reservedConcurrency;
  return typeof reserved === 'number' ? reserved : reserved?.[crate];
}

export function deploymentStrategyOf(config: StageConfig): DeploymentStrategy {
  return config.deployment?.strategy ?? 'AllAtOnce';
}

export const STAGES_DIR = path.resolve(__dirname, '..', 'stages');

export class StageConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StageConfigError';
  }
}

const validate = new Ajv({ allErrors: true }).compile<StageConfig>(stageSchema);

/** Reads and validates infra/stages/<name>.json; every problem is listed in one error. */
export function loadStageConfig(name: string): StageConfig {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new StageConfigError(`stage name "${name}" may only contain letters, digits, "-" and "_"`);
  }
  const file = path.join(STAGES_DIR, `${name}.json`);
  if (!fs.existsSync(file)) {
    const known = fs
      .readdirSync(STAGES_DIR)
      .filter((f) => f.endsWith('.json') && f !== 'stage.schema.json')
      .map((f) => f.replace(/\.json$/, ''));
    throw new StageConfigError(`no stage file ${file} (known stages: ${known.join(', ')})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new StageConfigError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parseStageConfig(parsed, file, name);
}

/** Validates an already-parsed stage document; `source` names it in error messages. */
export function parseStageConfig(document: unknown, source: string, expectedStage?: string): StageConfig {
  if (!validate(document)) {
    const problems = (validate.errors ?? []).map((e) => {
      const where = e.instancePath || '(top level)';
      const detail =
        e.keyword === 'additionalProperties'
          ? `has unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"`
          : e.keyword === 'enum'
            ? `must be one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`
            : e.message;
      return `  ${where} ${detail}`;
    });
    throw new StageConfigError(`${source} is not a valid stage file:\n${problems.join('\n')}`);
  }
  if (expectedStage !== undefined && document.stage !== expectedStage) {
    throw new StageConfigError(
      `${source}: "stage" is "${document.stage}" but the file is for stage "${expectedStage}"`,
    );
  }
  // What JSON Schema cannot say; the local stage reader checks the same (infra/README.md).
  const arns = [
    document.redshift.workgroupArn,
    document.aurora.clusterArn,
    document.aurora.secretArn,
    ...(document.alarms ? [document.alarms.topicArn] : []),
    ...(document.kmsKeyArn ? [document.kmsKeyArn] : []),
  ];
  const places = new Set(arns.map((arn) => `${arnAccount(arn)}/${arnRegion(arn)}`));
  if (places.size !== 1) {
    throw new StageConfigError(
      `${source}: the Redshift workgroup, Aurora cluster, secret, alarm topic and KMS key must be in one ` +
        `account and region (found ${[...places].join(', ')})`,
    );
  }
  const names = (document.clients ?? []).map((client) => client.name);
  const repeated = [...new Set(names.filter((name, i) => names.indexOf(name) !== i))];
  if (repeated.length > 0) {
    throw new StageConfigError(`${source}: client names must be unique (repeated: ${repeated.join(', ')})`);
  }
  const reservedTags = Object.keys(document.tags ?? {}).filter((key) => key.toLowerCase().startsWith('aws:'));
  if (reservedTags.length > 0) {
    throw new StageConfigError(
      `${source}: tag keys starting with "aws:" are reserved by AWS (${reservedTags.join(', ')})`,
    );
  }
  return document;
}

/** The region of an ARN (its fourth field). */
export function arnRegion(arn: string): string {
  return arn.split(':')[3];
}

/** The account of an ARN (its fifth field). */
export function arnAccount(arn: string): string {
  return arn.split(':')[4];
}
