import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { pascalCase } from './crates';
import type { Operation } from './openapi';
import type { StageConfig } from './stage-config';
import type { CrateFunction } from './crate-function';

/**
 * Thresholds. A Lambda error is not a failure here: every 4xx envelope (400, 404, 409) is returned as a
 * function error for the integration responses to select, so Lambda's own Errors metric counts client
 * mistakes. A function's failures are the 5xx its methods answer (API Gateway's per-method metrics).
 */
export const THRESHOLDS = {
  /** Share of the stage's requests answered 5xx over 5 minutes. */
  apiServerErrorRate: 0.05,
  /** p99 latency of the stage, as a share of the functions' timeout. */
  apiLatencyShareOfTimeout: 0.8,
  /** 5xx answered by one function's methods in one minute. */
  functionServerErrors: 1,
  /** Throttled invocations of one function in one minute (reserved concurrency or account limit). */
  functionThrottles: 1,
  /** Longest invocation in a minute, as a share of the timeout: the function barely answered in time. */
  functionDurationShareOfTimeout: 0.9,
} as const;

export interface StageAlarmsProps {
  readonly config: StageConfig;
  /** The REST API's name: API Gateway's metrics are dimensioned by it. */
  readonly apiName: string;
  readonly operations: readonly Operation[];
  readonly functions: ReadonlyMap<string, CrateFunction>;
}

/**
 * The stage's alarms: for the whole API, and per function (what its deployment rolls back on). Their
 * metrics name the API and stage as text, not as references: the deployments that read the alarms sit
 * before the API (which invokes the aliases they move) in the template.
 */
export class StageAlarms extends Construct {
  readonly api: Alarm[];
  readonly byFunction = new Map<string, Alarm[]>();

  constructor(scope: Construct, id: string, props: StageAlarmsProps) {
    super(scope, id);
    const { config, apiName, operations, functions } = props;
    const apiMetric = (metricName: string, statistic: string, extra: Record<string, string> = {}) =>
      new Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiName: apiName, Stage: config.stage, ...extra },
        statistic,
        period: Duration.minutes(5),
      });
    const timeoutMs = config.lambda.timeoutSeconds * 1000;
    const prefix = `serverless-data-api-${config.stage}`;

    this.api = [
      new Alarm(this, 'ApiServerErrorRate', {
        alarmName: `${prefix} API 5XX rate`,
        alarmDescription: `More than ${THRESHOLDS.apiServerErrorRate * 100}% of requests answered 5xx over 5 minutes.`,
        metric: apiMetric('5XXError', 'Average'),
        threshold: THRESHOLDS.apiServerErrorRate,
        ...breachingOnce,
      }),
      new Alarm(this, 'ApiLatency', {
        alarmName: `${prefix} API latency p99`,
        alarmDescription: 'p99 latency over 5 minutes close to the function timeout.',
        metric: apiMetric('Latency', 'p99'),
        threshold: Math.round(timeoutMs * THRESHOLDS.apiLatencyShareOfTimeout),
        ...breachingOnce,
      }),
    ];

    for (const [crate, fn] of functions) {
      const name = pascalCase(crate);
      const methods = operations.filter((operation) => operation.crate === crate);
      const serverErrors = new MathExpression({
        label: `${crate} 5XX`,
        expression: methods.map((_, i) => `m${i}`).join(' + '),
        usingMetrics: Object.fromEntries(
          methods.map((operation, i) => [
            `m${i}`,
            // Per-method metrics (the stage enables detailed metrics).
            apiMetric('5XXError', 'Sum', { Method: operation.method, Resource: operation.path }),
          ]),
        ),
        period: Duration.minutes(1),
      });
      this.byFunction.set(crate, [
        new Alarm(this, `${name}ServerErrors`, {
          alarmName: `${prefix} ${crate} 5XX`,
          alarmDescription: `${crate}'s methods answered 5xx (timeouts, panics, Data API unavailable).`,
          metric: serverErrors,
          threshold: THRESHOLDS.functionServerErrors,
          ...breachingOnce,
        }),
        new Alarm(this, `${name}Throttles`, {
          alarmName: `${prefix} ${crate} throttles`,
          alarmDescription: `${crate} invocations were throttled.`,
          metric: fn.alias.metricThrottles({ statistic: 'Sum', period: Duration.minutes(1) }),
          threshold: THRESHOLDS.functionThrottles,
          ...breachingOnce,
        }),
        new Alarm(this, `${name}DurationNearTimeout`, {
          alarmName: `${prefix} ${crate} duration near timeout`,
          alarmDescription: `An invocation of ${crate} took over ${THRESHOLDS.functionDurationShareOfTimeout * 100}% of its timeout.`,
          metric: fn.alias.metricDuration({ statistic: 'Maximum', period: Duration.minutes(1) }),
          threshold: Math.round(timeoutMs * THRESHOLDS.functionDurationShareOfTimeout),
          ...breachingOnce,
        }),
      ]);
    }

    if (config.alarms !== undefined) {
      const action = new SnsAction(Topic.fromTopicArn(this, 'Topic', config.alarms.topicArn));
      for (const alarm of this.all()) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
  }

  all(): Alarm[] {
    return [...this.api, ...[...this.byFunction.values()].flat()];
  }
}

/** One period at or above the threshold; no traffic is not a failure. */
const breachingOnce = {
  evaluationPeriods: 1,
  comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  treatMissingData: TreatMissingData.NOT_BREACHING,
} as const;
