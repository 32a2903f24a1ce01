import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

/**
 * Loads the HTTP contract (schemas/openapi.yaml) for API Gateway, following the conventions of
 * docs/architecture.md: templates are `{"$ref": "templates/x.vtl"}` objects inlined as their text, and
 * integration URIs carry `${AWS::Region}` and `${Function:<crate>}` placeholders filled in per stack.
 */

export const OPENAPI_FILE = path.resolve(__dirname, '..', '..', 'schemas', 'openapi.yaml');

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;
const INTEGRATION = 'x-amazon-apigateway-integration';
const FUNCTION_PLACEHOLDER = /\$\{Function:([A-Za-z0-9_-]+)\}/g;
const REGION_PLACEHOLDER = '${AWS::Region}';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export class OpenApiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpenApiError';
  }
}

/** One method of the document and the crate its integration invokes. */
export interface Operation {
  /** Upper case, as in execute-api ARNs: GET, POST, ... */
  readonly method: string;
  /** The OpenAPI path, e.g. /staff/{id}. */
  readonly path: string;
  readonly crate: string;
}

/** Parses the document and inlines every file `$ref` (relative to the referencing file). */
export function loadOpenApi(file: string = OPENAPI_FILE): JsonObject {
  const document = readReferencedFile(path.resolve(file), []);
  if (!isObject(document) || typeof document.openapi !== 'string' || !isObject(document.paths)) {
    throw new OpenApiError(`${file} is not an OpenAPI 3 document (no "openapi" version or "paths")`);
  }
  if (!document.openapi.startsWith('3.0.')) {
    throw new OpenApiError(`${file}: API Gateway imports OpenAPI 3.0, not ${document.openapi}`);
  }
  return document;
}

/** Every operation with its integration's crate; fails on an operation without a Lambda integration. */
export function listOperations(document: JsonObject): Operation[] {
  const operations: Operation[] = [];
  for (const [route, item] of Object.entries(asObject(document.paths, 'paths'))) {
    for (const method of HTTP_METHODS) {
      const operation = asObject(item, route)[method];
      if (operation === undefined) continue;
      const where = `${method.toUpperCase()} ${route}`;
      const uri = asObject(asObject(operation, where)[INTEGRATION], `${where} ${INTEGRATION}`).uri;
      const crates = typeof uri === 'string' ? [...uri.matchAll(FUNCTION_PLACEHOLDER)].map((m) => m[1]) : [];
      if (crates.length !== 1) {
        throw new OpenApiError(`${where}: integration uri must contain exactly one \${Function:<crate>} placeholder`);
      }
      operations.push({ method: method.toUpperCase(), path: route, crate: crates[0] });
    }
  }
  return operations;
}

/**
 * A copy of the document whose integration URIs name the given region and function ARNs (CDK tokens are
 * fine: they resolve in the template). Placeholders elsewhere are left alone: VTL has its own `${...}`.
 */
export function withIntegrationTargets(
  document: JsonObject,
  region: string,
  functionArn: (crate: string) => string,
): JsonObject {
  const copy = structuredClone(document);
  for (const [route, item] of Object.entries(asObject(copy.paths, 'paths'))) {
    for (const method of HTTP_METHODS) {
      const operation = asObject(item, route)[method];
      if (operation === undefined) continue;
      const integration = asObject(asObject(operation, route)[INTEGRATION], route);
      integration.uri = String(integration.uri)
        .split(REGION_PLACEHOLDER)
        .join(region)
        .replace(FUNCTION_PLACEHOLDER, (_match, crate: string) => functionArn(crate));
    }
  }
  return copy;
}

function readReferencedFile(file: string, chain: string[]): Json {
  if (chain.includes(file)) {
    throw new OpenApiError(`$ref cycle: ${[...chain, file].join(' -> ')}`);
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new OpenApiError(`${chain.at(-1) ?? 'openapi'}: $ref to a missing file ${file}`);
  }
  if (file.endsWith('.vtl')) return text;
  // YAML anchors/aliases are resolved into plain values; the document shares response blocks widely.
  const value = parse(text, { maxAliasCount: 10_000 }) as Json;
  return inlineFileRefs(value, path.dirname(file), [...chain, file]);
}

/** Replaces `{"$ref": "<relative file>"}` objects; JSON-pointer refs (`#/...`) stay for API Gateway. */
function inlineFileRefs(value: Json, baseDir: string, chain: string[]): Json {
  if (Array.isArray(value)) return value.map((v) => inlineFileRefs(v, baseDir, chain));
  if (!isObject(value)) return value;
  const ref = value.$ref;
  if (typeof ref === 'string' && !ref.startsWith('#')) {
    if (Object.keys(value).length !== 1) {
      throw new OpenApiError(`${chain.at(-1)}: a file $ref ("${ref}") must be the only key of its object`);
    }
    if (/^[a-z]+:/i.test(ref) || path.isAbsolute(ref)) {
      throw new OpenApiError(`${chain.at(-1)}: $ref "${ref}" must be a path relative to the document`);
    }
    return readReferencedFile(path.resolve(baseDir, ref), chain);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, inlineFileRefs(v, baseDir, chain)]));
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asObject(value: Json | undefined, where: string): JsonObject {
  if (!isObject(value)) throw new OpenApiError(`${where}: expected an object`);
  return value;
}
