// Turns ajv's schema errors into details a person can act on: one per field, named by its path,
// saying what the field must be (a missing field, an unknown one, the allowed values).
import type { ErrorDetail } from '../errors.js';

export interface SchemaError {
  keyword?: string;
  instancePath: string;
  schemaPath?: string;
  message?: string;
  params?: Record<string, unknown>;
  /** Present when ajv runs with `verbose`: the schema holding the failed keyword. */
  parentSchema?: { properties?: Record<string, { enum?: unknown[] }> };
}

/** `body` fields are JSON pointers into the body (`/mappings/0/target`); others name their part. */
function pathOf(part: string, pointer: string): string {
  if (part === 'body') return pointer || 'body';
  return `${part}${pointer}`;
}

const quote = (value: unknown) => (typeof value === 'string' ? `"${value}"` : JSON.stringify(value));

export function validationDetails(part: string, errors: SchemaError[]): ErrorDetail[] {
  const byPath = new Map<string, { allowed: unknown[]; messages: string[]; union: boolean }>();
  const at = (path: string) => {
    let entry = byPath.get(path);
    if (!entry) byPath.set(path, (entry = { allowed: [], messages: [], union: false }));
    return entry;
  };
  for (const error of errors) {
    const params = error.params ?? {};
    if (error.keyword === 'required') {
      const name = String(params.missingProperty);
      const allowed = error.parentSchema?.properties?.[name]?.enum;
      at(pathOf(part, `${error.instancePath}/${name}`)).messages.push(allowed ? `is required: one of ${allowed.map(quote).join(', ')}` : 'is required');
    } else if (error.keyword === 'additionalProperties') {
      at(pathOf(part, `${error.instancePath}/${String(params.additionalProperty)}`)).messages.push('is not a known field; remove it');
    } else if (error.keyword === 'const') {
      at(pathOf(part, error.instancePath)).allowed.push(params.allowedValue);
    } else if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
      at(pathOf(part, error.instancePath)).allowed.push(...(params.allowedValues as unknown[]));
    } else if (error.keyword === 'anyOf' || error.keyword === 'oneOf') {
      at(pathOf(part, error.instancePath)).union = true;
    } else {
      at(pathOf(part, error.instancePath)).messages.push(error.message ?? 'is invalid');
    }
  }
  const details: ErrorDetail[] = [];
  for (const [path, entry] of byPath) {
    const messages = [...new Set(entry.messages)];
    if (entry.allowed.length > 0) messages.unshift(`must be one of ${[...new Set(entry.allowed)].map(quote).join(', ')}`);
    if (messages.length === 0) continue;
    // The branches of a union each failed; the value has to satisfy one of them.
    details.push({ path, message: messages.join(entry.union ? ' or ' : '; ') });
  }
  return details;
}
