import { Stream } from 'node:stream';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { badRequest, invalid } from '../errors.js';
import { validationDetails, type SchemaError } from './validation-details.js';

/**
 * Bodies are checked strictly (no type coercion, unknown fields refused); query strings and path
 * parameters arrive as text, so there numbers are coerced. `verbose` lets an error about a missing
 * field name the values it may take. Request schemas are written inline
 * (shared `$ref`s are for responses only), so these compilers need no shared schemas.
 */
const bodies = () => addFormats.default(new Ajv.default({ allErrors: true, verbose: true, removeAdditional: false, useDefaults: true, coerceTypes: false, strict: false }));

export function registerValidation(app: FastifyInstance): void {
  const strict = bodies();
  const lenient = addFormats.default(new Ajv.default({ allErrors: true, verbose: true, removeAdditional: false, useDefaults: true, coerceTypes: 'array', strict: false }));
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : lenient).compile(schema));
  // PostgreSQL cannot store U+0000 in text; refuse it here, naming the field, instead of a 500 later.
  app.addHook('preValidation', async (request) => {
    const parts: [string, unknown][] = [['params', request.params], ['querystring', request.query], ['', request.body]];
    for (const [part, value] of parts) {
      const path = pathOfNul(value, part);
      if (path !== null) {
        throw nulRefused(path);
      }
    }
  });
}

const nulRefused = (path: string) =>
  badRequest(`${path || 'the body'} contains a NUL character (\\u0000), which cannot be stored; remove it and send again`, [{ path, message: 'must not contain \\u0000' }]);

/** The JSON path of the first string holding U+0000 in parsed input, or null. Streams are not looked into. */
function pathOfNul(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = pathOfNul(item, `${path}/${i}`);
      if (found !== null) return found;
    }
    return null;
  }
  if (value === null || typeof value !== 'object') return null;
  // Parsed query strings have a prototype of their own, so streams are recognised rather than plain objects.
  if (value instanceof Stream || Buffer.isBuffer(value)) return null;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000')) return `${path}/${key.replaceAll('\u0000', '')}`;
    const found = pathOfNul(item, `${path}/${key}`);
    if (found !== null) return found;
  }
  return null;
}

/**
 * A JSON value checked as a request body with this schema is (the console's draft of a job, typed
 * into a form): the same 400, naming each field under `prefix`, as the API would answer.
 */
export function bodyChecker<T>(schema: object, prefix: string): (value: unknown) => T {
  const check = bodies().compile(schema);
  return (value) => {
    const nul = pathOfNul(value, prefix);
    if (nul !== null) throw nulRefused(nul);
    if (check(value)) return value as T;
    throw invalid(validationDetails('body', (check.errors ?? []) as SchemaError[]).map((d) => ({ ...d, path: `${prefix}${d.path === 'body' ? '' : d.path}` })));
  };
}
