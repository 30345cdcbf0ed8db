import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

/**
 * Bodies are checked strictly (no type coercion, unknown fields refused); query strings and path
 * parameters arrive as text, so there numbers are coerced. `verbose` lets an error about a missing
 * field name the values it may take. Request schemas are written inline
 * (shared `$ref`s are for responses only), so these compilers need no shared schemas.
 */
export function registerValidation(app: FastifyInstance): void {
  const strict = addFormats.default(new Ajv.default({ allErrors: true, verbose: true, removeAdditional: false, useDefaults: true, coerceTypes: false, strict: false }));
  const lenient = addFormats.default(new Ajv.default({ allErrors: true, verbose: true, removeAdditional: false, useDefaults: true, coerceTypes: 'array', strict: false }));
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : lenient).compile(schema));
}
