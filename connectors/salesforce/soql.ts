// The SOQL a job's read becomes: only the fields the job uses, the run's window on SystemModstamp,
// and the job's filters where SOQL evaluates them exactly as the engine does. Values are always
// literals escaped here, field names always names the describe call returned: nothing a person
// typed reaches the query as text.
import type { Window } from '../types.js';
import type { FilterCondition, FilterSpec } from '../../sync/types.js';
import { parseLogic, type LogicNode } from '../../sync/filters.js';
import { instantOf, parseNumber } from '../../sync/convert.js';
import { LIKE_TYPES, NUMBER_TYPES, TEXT_TYPES, type SfFieldInfo } from './describe.js';

export const MODSTAMP = 'SystemModstamp';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/** A SOQL string literal. */
export function soqlString(text: string): string {
  return `'${text.replace(/[\\'"\n\r\t\b\f]/g, (c) => ESCAPES[c]!)}'`;
}

/** A LIKE pattern literal: `%` and `_` in the value match themselves (`\\%`, `\\_`). */
function likeLiteral(prefix: string, text: string, suffix: string): string | null {
  // A backslash would need escaping twice over (string, then pattern); such values stay with the engine.
  if (text.includes('\\')) return null;
  return `'${prefix}${soqlString(text).slice(1, -1).replace(/[%_]/g, (c) => `\\${c}`)}${suffix}'`;
}

/** A datetime literal: never quoted, UTC, milliseconds kept. */
export function soqlDatetime(at: Date): string {
  return at.toISOString();
}

export function windowCondition(window: Window): string {
  return `${MODSTAMP} >= ${soqlDatetime(window.from)} AND ${MODSTAMP} < ${soqlDatetime(window.to)}`;
}

/** Records after the last one committed, in (SystemModstamp, Id) order: how a read resumes without its locator. */
export function afterCondition(last: { modstamp: string; id: string }): string {
  const at = soqlDatetime(new Date(instantOf(last.modstamp) ?? Number.NaN));
  return `(${MODSTAMP} > ${at} OR (${MODSTAMP} = ${at} AND Id > ${soqlString(last.id)}))`;
}

export function selectQuery(input: { object: string; fields: readonly string[]; conditions: readonly string[]; ordered: boolean }): string {
  const where = input.conditions.filter((c) => c !== '');
  return [
    `SELECT ${input.fields.join(', ')} FROM ${input.object}`,
    where.length > 0 ? `WHERE ${where.join(' AND ')}` : '',
    input.ordered ? `ORDER BY ${MODSTAMP} ASC, Id ASC` : '',
  ]
    .filter((part) => part !== '')
    .join(' ');
}

export function countQuery(object: string, conditions: readonly string[]): string {
  const where = conditions.filter((c) => c !== '');
  return `SELECT COUNT() FROM ${object}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}`;
}

// ---------------------------------------------------------------- filter push-down

type Translate = (field: SfFieldInfo, value: unknown) => string | null;

/** Text that reads as a number the engine compares numerically, so SOQL's text equality would differ. */
const plainText = (value: unknown): value is string => typeof value === 'string' && value !== '' && parseNumber(value) === undefined;

/** A literal SOQL compares exactly as the engine's `eq` and `in` do, for this field; null otherwise. */
function equalityLiteral(field: SfFieldInfo, value: unknown): string | null {
  // Ids compare case-sensitively in SOQL but not in the engine: left to the engine.
  if (TEXT_TYPES.has(field.type) && field.type !== 'id' && field.type !== 'reference') return plainText(value) ? soqlString(value) : null;
  if (NUMBER_TYPES.has(field.type)) {
    const number = parseNumber(value);
    return number === undefined ? null : String(number);
  }
  if (field.type === 'boolean') return typeof value === 'boolean' ? String(value) : null;
  if (field.type === 'date') return typeof value === 'string' && DATE_ONLY.test(value) ? value : null;
  return null;
}

/** A literal SOQL orders exactly as the engine's lt/lte/gt/gte do, for this field; null otherwise. */
function orderLiteral(field: SfFieldInfo, value: unknown): string | null {
  if (NUMBER_TYPES.has(field.type)) {
    const number = parseNumber(value);
    return number === undefined ? null : String(number);
  }
  if (field.type === 'date') return typeof value === 'string' && DATE_ONLY.test(value) ? value : null;
  if (field.type === 'datetime') {
    // A number would be epoch ms to the engine; only written dates and times are pushed down.
    const at = typeof value === 'string' && parseNumber(value) === undefined ? instantOf(value) : undefined;
    return at === undefined ? null : soqlDatetime(new Date(at));
  }
  return null;
}

const compare = (operator: string): Translate => (field, value) => {
  const literal = orderLiteral(field, value);
  return literal === null ? null : `${field.name} ${operator} ${literal}`;
};

const like = (prefix: string, suffix: string): Translate => (field, value) => {
  const literal = LIKE_TYPES.has(field.type) && typeof value === 'string' && value !== '' ? likeLiteral(prefix, value, suffix) : null;
  return literal === null ? null : `${field.name} LIKE ${literal}`;
};

/**
 * Operators whose SOQL meaning keeps exactly the records the engine's filter keeps. Left out: the
 * negations (ne, not_in, not_contains), whose treatment of empty fields is not documented to match.
 */
const TRANSLATIONS: Partial<Record<FilterCondition['op'], Translate>> = {
  eq: (field, value) => {
    const literal = equalityLiteral(field, value);
    return literal === null ? null : `${field.name} = ${literal}`;
  },
  in: (field, value) => {
    if (!Array.isArray(value) || value.length === 0) return null;
    const literals = value.map((v) => equalityLiteral(field, v));
    return literals.some((l) => l === null) ? null : `${field.name} IN (${literals.join(', ')})`;
  },
  lt: compare('<'),
  lte: compare('<='),
  gt: compare('>'),
  gte: compare('>='),
  starts_with: like('', '%'),
  ends_with: like('%', ''),
  contains: like('%', '%'),
  is_null: (field) => `${field.name} = null`,
  is_not_null: (field) => `${field.name} != null`,
};

function translate(condition: FilterCondition, fields: ReadonlyMap<string, SfFieldInfo>): string | null {
  const field = fields.get(condition.field);
  const make = TRANSLATIONS[condition.op];
  if (!field || !field.filterable || !make) return null;
  return make(field, condition.value);
}

/**
 * The job's filters as a SOQL condition, or '' when none can go. With only ANDs, the conditions SOQL
 * can evaluate go and the engine applies the rest; with OR, all go or none. The engine applies every
 * filter itself anyway, so push-down only ever narrows what is read, never what syncs.
 */
export function pushdown(spec: FilterSpec, fields: ReadonlyMap<string, SfFieldInfo>): string {
  if (spec.conditions.length === 0) return '';
  let tree: LogicNode;
  try {
    tree = parseLogic(spec.logic, spec.conditions.map((c) => c.id));
  } catch {
    return '';
  }
  const byId = new Map(spec.conditions.map((c) => [c.id, translate(c, fields)]));
  if (tree.kind === 'and' && tree.children.every((c) => c.kind === 'condition')) {
    return tree.children.map((c) => byId.get((c as { id: string }).id)).filter((t): t is string => typeof t === 'string').join(' AND ');
  }
  if (tree.kind === 'condition') return byId.get(tree.id) ?? '';
  return render(tree, byId) ?? '';
}

/** SOQL needs parentheses wherever AND and OR meet; every group is wrapped. */
function render(node: LogicNode, byId: ReadonlyMap<string, string | null>): string | null {
  if (node.kind === 'condition') return byId.get(node.id) ?? null;
  const parts = node.children.map((child) => render(child, byId));
  if (parts.some((p) => p === null)) return null;
  return `(${parts.join(node.kind === 'and' ? ' AND ' : ' OR ')})`;
}
