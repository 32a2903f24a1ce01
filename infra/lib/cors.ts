import { Json, JsonObject } from './openapi';

/**
 * CORS for a stage whose file has `cors` (infra/README.md): the deployed OpenAPI body gets
 *
 * - an OPTIONS method per resource: a MOCK integration answering 200 with Access-Control-Allow-Origin,
 *   -Allow-Headers, -Allow-Methods (and -Max-Age when set), with no API key, as the console's
 *   "Enable CORS" sets it up (API Gateway developer guide, "Enable CORS on a resource using the API
 *   Gateway console" and "Enable CORS using OpenAPI definition");
 * - Access-Control-Allow-Origin on every response of every other method: declared in the method
 *   response and mapped as a static value in each integration response;
 * - the same header on API Gateway's own errors through the
 *   DEFAULT_4XX and DEFAULT_5XX gateway responses (403 key, 429, 400 validation, 413, 415, 5xx). Only
 *   responseParameters are given: a gateway response put with parameters alone keeps the default
 *   template `{"message":$context.error.messageString}` (AWS-validated recording
 *   test_apigateway_api.snapshot.json, "put-gateway-response-response-parameters-only").
 *
 * Every mapping is a static value, which is why a stage allows "*" or exactly one origin.
 * The local gateway applies the same rules (local/gateway/src/cors.rs).
 */
export interface CorsSettings {
  readonly allowOrigins: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly allowMethods: readonly string[];
  readonly maxAgeSeconds?: number;
}

export const ALLOW_ORIGIN = 'Access-Control-Allow-Origin';
export const ALLOW_HEADERS = 'Access-Control-Allow-Headers';
export const ALLOW_METHODS = 'Access-Control-Allow-Methods';
export const MAX_AGE = 'Access-Control-Max-Age';

const METHODS = ['get', 'put', 'post', 'delete', 'head', 'patch', 'x-amazon-apigateway-any-method'] as const;
const INTEGRATION = 'x-amazon-apigateway-integration';
/** The gateway responses every API Gateway error answer falls back to. */
export const DEFAULT_GATEWAY_RESPONSES = ['DEFAULT_4XX', 'DEFAULT_5XX'] as const;

/** The headers of a preflight answer and their values. */
export function preflightHeaders(cors: CorsSettings): Record<string, string> {
  return {
    [ALLOW_ORIGIN]: cors.allowOrigins.join(','),
    [ALLOW_HEADERS]: cors.allowHeaders.join(','),
    [ALLOW_METHODS]: cors.allowMethods.join(','),
    ...(cors.maxAgeSeconds === undefined ? {} : { [MAX_AGE]: String(cors.maxAgeSeconds) }),
  };
}

/** A copy of the document with the stage's CORS rules; the document itself when `cors` is absent. */
export function withCors(document: JsonObject, cors: CorsSettings | undefined): JsonObject {
  if (cors === undefined) return document;
  const copy = structuredClone(document);
  const origin = { [ALLOW_ORIGIN]: cors.allowOrigins.join(',') };
  const preflight = preflightHeaders(cors);
  for (const item of Object.values(copy.paths as Record<string, JsonObject>)) {
    for (const method of METHODS) {
      const operation = item[method] as JsonObject | undefined;
      if (operation !== undefined) addHeaders(operation, origin);
    }
    item.options = preflightOperation(preflight);
  }
  const gatewayResponses = (copy['x-amazon-apigateway-gateway-responses'] ?? {}) as JsonObject;
  for (const type of DEFAULT_GATEWAY_RESPONSES) {
    const response = (gatewayResponses[type] ?? {}) as JsonObject;
    gatewayResponses[type] = {
      ...response,
      responseParameters: { ...asObject(response.responseParameters), ...mappings('gatewayresponse', origin) },
    };
  }
  copy['x-amazon-apigateway-gateway-responses'] = gatewayResponses;
  return copy;
}

/** Declares the headers on every method response and maps them in every integration response. */
function addHeaders(operation: JsonObject, headers: Record<string, string>): void {
  for (const response of Object.values(asObject(operation.responses))) {
    const methodResponse = response as JsonObject;
    methodResponse.headers = { ...asObject(methodResponse.headers), ...declarations(headers) };
  }
  const integration = asObject(operation[INTEGRATION]);
  for (const response of Object.values(asObject(integration.responses))) {
    const integrationResponse = response as JsonObject;
    integrationResponse.responseParameters = {
      ...asObject(integrationResponse.responseParameters),
      ...mappings('method.response', headers),
    };
  }
}

function preflightOperation(headers: Record<string, string>): JsonObject {
  return {
    summary: 'CORS preflight',
    description: 'Answers the browser preflight with the stage CORS headers; no API key needed.',
    security: [],
    responses: { '200': { description: 'The CORS headers of the stage.', headers: declarations(headers) } },
    [INTEGRATION]: {
      type: 'mock',
      passthroughBehavior: 'when_no_match',
      requestTemplates: { 'application/json': '{"statusCode": 200}' },
      responses: {
        default: {
          statusCode: '200',
          responseParameters: mappings('method.response', headers),
          responseTemplates: { 'application/json': '' },
        },
      },
    },
  };
}

/** OpenAPI header declarations (string headers). */
function declarations(headers: Record<string, string>): JsonObject {
  return Object.fromEntries(Object.keys(headers).map((name) => [name, { schema: { type: 'string' } }]));
}

/** `<prefix>.header.<name>: "'<value>'"`: a static value, as API Gateway writes one. */
function mappings(prefix: string, headers: Record<string, string>): JsonObject {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [`${prefix}.header.${name}`, `'${value}'`]));
}

function asObject(value: Json | undefined): JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
}
