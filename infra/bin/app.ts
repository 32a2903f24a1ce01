#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { addStageStack } from '../lib/data-api-stack';
import { OpenApiError } from '../lib/openapi';
import { loadStageConfig, StageConfigError } from '../lib/stage-config';

// cargo-lambda is a project-local tool (scripts/bootstrap installs it into .venv): let bundling find it.
const projectTools = path.resolve(__dirname, '..', '..', '.venv', 'bin');
process.env.PATH = `${projectTools}${path.delimiter}${process.env.PATH ?? ''}`;

// SKIP_BUNDLING=1 synthesizes without building the Rust functions (offline and fast). The CLI refuses
// `-c aws:cdk:bundling-stacks=...`, so the app sets it after the CLI context.
const skipBundling = process.env.SKIP_BUNDLING === '1';
const app = new App({ postCliContext: skipBundling ? { 'aws:cdk:bundling-stacks': [] } : {} });

/** Problems the user fixes (a stage file, the OpenAPI document, a missing tool): a reason, no stack trace. */
function fail(message: string): never {
  console.error(`error: ${message}`);
  process.exit(1);
}

const stage: unknown = app.node.tryGetContext('stage');
if (typeof stage !== 'string' || stage === '') {
  fail('choose a stage: npx cdk <command> -c stage=<name> (reads infra/stages/<name>.json)');
}
if (!skipBundling && spawnSync('cargo', ['lambda', '--version']).status !== 0) {
  // Without it cargo-lambda-cdk falls back to Docker, which this project does not use.
  fail('cargo-lambda not found: run scripts/bootstrap, or set SKIP_BUNDLING=1 to synth without building');
}
try {
  addStageStack(app, loadStageConfig(stage));
} catch (err) {
  if (err instanceof StageConfigError || err instanceof OpenApiError) fail(err.message);
  throw err;
}
// Any unacknowledged AwsSolutions finding stops the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
