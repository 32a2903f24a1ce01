#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { addStageStack } from '../lib/data-api-stack';
import { OpenApiError } from '../lib/openapi';
import { loadStageConfig, StageConfigError } from '../lib/stage-config';

// SKIP_BUNDLING=1 synthesizes without building the Rust functions (offline and fast). The CLI refuses
// `-c aws:cdk:bundling-stacks=...`, so the app sets it after the CLI context.
const skipBundling = process.env.SKIP_BUNDLING === '1';
const app = new App({ postCliContext: skipBundling ? { 'aws:cdk:bundling-stacks': [] } : {} });

const stage: unknown = app.node.tryGetContext('stage');
try {
  if (typeof stage !== 'string' || stage === '') {
    throw new StageConfigError('choose a stage: npx cdk <command> -c stage=<name> (reads infra/stages/<name>.json)');
  }
  addStageStack(app, loadStageConfig(stage));
} catch (err) {
  // A bad stage file or OpenAPI document is the user's to fix: show the message, not a stack trace.
  if (err instanceof StageConfigError || err instanceof OpenApiError) {
    console.error(`error: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
// Any unacknowledged AwsSolutions finding stops the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
