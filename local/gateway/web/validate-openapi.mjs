// Validates an OpenAPI document against the OpenAPI specification's own schema and prints
// {"valid": bool, "version": "...", "errors": [...]} as one JSON line on stdout.
// Usage: node validate-openapi.mjs <file.json|file.yaml>
import { Validator } from "@seriousme/openapi-schema-validator";

const [file] = process.argv.slice(2);
if (!file) {
  console.error("usage: node validate-openapi.mjs <file>");
  process.exit(2);
}
const validator = new Validator();
const result = await validator.validate(file);
console.log(JSON.stringify({ valid: result.valid, version: validator.version, errors: result.errors ?? [] }));
