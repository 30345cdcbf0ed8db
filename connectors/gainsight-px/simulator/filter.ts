// The PX filter language: `field{op}value` terms joined by `;` are ANDed, repeated `filter`
// parameters are ORed. Matching rules the simulator applies (PX documents only the syntax):
// - strings compare case-insensitively; `<`, `>`... compare numerically when both sides are numbers
//   (dates are epoch ms numbers), else lexicographically on lowercase text;
// - `~` and `!~` match the whole value against a wildcard (`*` any run, `?` one character);
// - an array matches a positive operator when one element does, a negative one when none does;
// - a term on an absent field (unknown, missing on the record, or an object) matches nothing,
//   not even `!=`.
import { badRequest } from './http-error.js';
import { FIELD_PATTERN, readPath } from './record-path.js';

export type FilterOperator = '==' | '!=' | '<' | '<=' | '>' | '>=' | '~' | '!~';

export interface FilterTerm {
  field: string;
  path: readonly string[];
  operator: FilterOperator;
  value: string;
  lowerValue: string;
  numericValue: number | undefined;
  pattern: RegExp | undefined;
}

/** OR of AND-groups; no groups means no filter. */
export type Filter = readonly (readonly FilterTerm[])[];

// Two-character operators come first in the alternation so that `<=` is never read as `<`.
const TERM_PATTERN = /^([^=!<>~]*)(==|!=|<=|>=|!~|<|>|~)(.*)$/s;
const NUMBER_PATTERN = /^-?\d+(?:\.\d+)?$/;

export function parseFilter(parameters: readonly string[]): Filter {
  return parameters.map((parameter) => parameter.split(';').map(parseTerm));
}

function parseTerm(text: string): FilterTerm {
  const match = TERM_PATTERN.exec(text);
  const field = match?.[1];
  const operator = match?.[2] as FilterOperator | undefined;
  const value = match?.[3];
  if (field === undefined || operator === undefined || value === undefined || !FIELD_PATTERN.test(field)) {
    throw badRequest(`Malformed filter term "${text}": expected field{op}value with op one of == != < <= > >= ~ !~`);
  }
  return {
    field,
    path: field.split('.'),
    operator,
    value,
    lowerValue: value.toLowerCase(),
    numericValue: NUMBER_PATTERN.test(value) ? Number(value) : undefined,
    pattern: operator === '~' || operator === '!~' ? wildcard(value) : undefined,
  };
}

function wildcard(value: string): RegExp {
  const source = value.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 'is');
}

export function matchesFilter(record: object, filter: Filter): boolean {
  if (filter.length === 0) return true;
  return filter.some((group) => group.every((term) => matchesTerm(record, term)));
}

function matchesTerm(record: object, term: FilterTerm): boolean {
  const value = readPath(record, term.path);
  if (Array.isArray(value)) {
    const negative = term.operator === '!=' || term.operator === '!~';
    return negative ? value.every((item) => matchesScalar(item, term)) : value.some((item) => matchesScalar(item, term));
  }
  return matchesScalar(value, term);
}

function matchesScalar(value: unknown, term: FilterTerm): boolean {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return false;
  const text = String(value).toLowerCase();
  switch (term.operator) {
    case '==':
      return equals(value, text, term);
    case '!=':
      return !equals(value, text, term);
    case '~':
      return term.pattern?.test(text) ?? false;
    case '!~':
      return !(term.pattern?.test(text) ?? true);
    default:
      return compares(value, text, term);
  }
}

function equals(value: string | number | boolean, text: string, term: FilterTerm): boolean {
  if (typeof value === 'number' && term.numericValue !== undefined) return value === term.numericValue;
  return text === term.lowerValue;
}

function compares(value: string | number | boolean, text: string, term: FilterTerm): boolean {
  if (typeof value === 'boolean') return false;
  const left = typeof value === 'number' ? value : NUMBER_PATTERN.test(value) ? Number(value) : undefined;
  let order: number;
  if (left !== undefined && term.numericValue !== undefined) order = left - term.numericValue;
  else if (typeof value === 'number') return false;
  else order = text < term.lowerValue ? -1 : text > term.lowerValue ? 1 : 0;
  switch (term.operator) {
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    default:
      return order >= 0;
  }
}
