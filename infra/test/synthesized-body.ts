/**
 * The OpenAPI body the dev template deploys, for the local gateway to serve
 * (local/gateway/tests/synthesized.rs runs `ts-node --transpile-only test/synthesized-body.ts dev`,
 * which prints it as JSON on stdout).
 */
import { Template } from 'aws-cdk-lib/assertions';
import { synthesizeStage } from './synth';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * The RestApi body with the CloudFormation functions it carries written back in the document's own
 * placeholders: the region as `${AWS::Region}`, a function alias as `${Function:<crate>}` (the crate
 * named by the aliased function's description). Any other function is an error: the gateway could not
 * serve it and it would mean the body depends on something this code does not know.
 */
export function localBody(template: Template): Json {
  const resources: Record<string, any> = template.toJSON().Resources;
  const [api] = Object.values(resources).filter((r) => r.Type === 'AWS::ApiGateway::RestApi');
  const crateOfAlias = (logicalId: string): string => {
    const alias = resources[logicalId];
    if (alias?.Type !== 'AWS::Lambda::Alias') throw new Error(`body refers to ${logicalId}, not a function alias`);
    const description: string = resources[alias.Properties.FunctionName.Ref].Properties.Description;
    return description.replace(/ \(.*\)$/, '');
  };
  const resolve = (value: Json): Json => {
    if (Array.isArray(value)) return value.map(resolve);
    if (typeof value !== 'object' || value === null) return value;
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === 'Fn::Join') {
      const [separator, parts] = value['Fn::Join'] as [string, Json[]];
      return parts.map((part) => String(resolve(part))).join(separator);
    }
    if (keys.length === 1 && keys[0] === 'Ref') {
      const target = value.Ref as string;
      return target === 'AWS::Region' ? '${AWS::Region}' : `\${Function:${crateOfAlias(target)}}`;
    }
    const intrinsic = keys.find((key) => key.startsWith('Fn::'));
    if (intrinsic !== undefined) throw new Error(`body carries ${intrinsic}, which localBody does not resolve`);
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, resolve(child)]));
  };
  return resolve(api.Properties.Body);
}

if (require.main === module) {
  const stage = process.argv[2] ?? 'dev';
  process.stdout.write(`${JSON.stringify(localBody(synthesizeStage(stage).template))}\n`);
}
