import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { addStageStack, DataApiStack } from '../lib/data-api-stack';
import { loadStageConfig, StageConfig } from '../lib/stage-config';

/** One stage synthesized as `cdk synth` does, with bundling skipped, and lookups into its template. */
export interface SynthesizedStage {
  readonly config: StageConfig;
  readonly app: App;
  readonly stack: DataApiStack;
  readonly template: Template;
  /** The properties-bearing resources of a type. */
  resources(type: string): any[];
  /** The REST API's OpenAPI body. */
  readonly body: any;
  functionLogicalId(crate: string): string;
  /** The logical id of the crate's `live` alias. */
  aliasLogicalId(crate: string): string;
}

export function synthesizeStage(stageName: string, config: StageConfig = loadStageConfig(stageName)): SynthesizedStage {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = addStageStack(app, config);
  const template = Template.fromStack(stack);
  const resources = (type: string) => Object.values(template.findResources(type)) as any[];
  const functionLogicalId = (crate: string) =>
    Object.keys(
      template.findResources('AWS::Lambda::Function', { Properties: { Description: `${crate} (${config.stage})` } }),
    )[0];
  const aliasLogicalId = (crate: string) =>
    Object.keys(
      template.findResources('AWS::Lambda::Alias', { Properties: { FunctionName: { Ref: functionLogicalId(crate) } } }),
    )[0];
  return {
    config,
    app,
    stack,
    template,
    resources,
    body: resources('AWS::ApiGateway::RestApi')[0].Properties.Body,
    functionLogicalId,
    aliasLogicalId,
  };
}
