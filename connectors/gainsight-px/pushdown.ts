// Translating a job's window and filters into PX `filter` terms, where PX can evaluate them exactly.
import type { Window } from '../types.js';
import type { FilterCondition, FilterSpec } from '../../sync/types.js';
import { parseNumber } from '../../sync/convert.js';

export const windowFilter = (window: Window): string =>
  `lastModifiedDate>=${window.from.getTime()};lastModifiedDate<${window.to.getTime()}`;

/** Values PX's filter syntax cannot misread: no separators, wildcards or operator characters. */
const PLAIN_TEXT = /^[A-Za-z0-9_.@+-]+$/;
const PLAIN_NUMBER = /^-?\d+(?:\.\d+)?$/;
const FIELD = /^[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*$/;

type Term = (value: string | number | boolean) => string | null;

const text = (make: (v: string) => string): Term => (value) => {
  const v = String(value);
  return typeof value !== 'boolean' && PLAIN_TEXT.test(v) ? make(v) : null;
};
const nonNumericText = (make: (v: string) => string): Term => (value) =>
  typeof value === 'boolean' ? make(String(value)) : typeof value === 'string' && parseNumber(value) === undefined ? text(make)(value) : null;
const number = (operator: string): Term => (value) => (typeof value === 'number' && PLAIN_NUMBER.test(String(value)) ? `${operator}${value}` : null);

/**
 * Only operators whose PX meaning keeps every record the engine's own filter would keep. Left out:
 * the negations (PX drops records that lack the field, the engine keeps them), equality with a
 * number (PX compares "5.0" as text), order against text (the engine may read it as a date, PX
 * as text), and lists. Order against a number assumes what PX documents: numbers and dates (epoch
 * ms) are JSON numbers.
 */
const PX_TERMS: Partial<Record<FilterCondition['op'], Term>> = {
  eq: nonNumericText((v) => `==${v}`),
  lt: number('<'),
  lte: number('<='),
  gt: number('>'),
  gte: number('>='),
  starts_with: text((v) => `~${v}*`),
  ends_with: text((v) => `~*${v}`),
  contains: text((v) => `~*${v}*`),
};

/**
 * Terms PX can apply for us. Only plain AND-ed conditions qualify; the engine still applies every
 * filter itself, so pushing down only ever narrows what is read, never which records sync.
 */
export function pushdownFilters(spec: FilterSpec): string[] {
  const logic = spec.logic?.trim();
  if (logic && /\bOR\b|\(/i.test(logic)) return [];
  const terms: string[] = [];
  for (const condition of spec.conditions) {
    const term = Object.hasOwn(PX_TERMS, condition.op) ? PX_TERMS[condition.op] : undefined;
    const value = condition.value;
    if (!term || !FIELD.test(condition.field)) continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
    const made = term(value);
    if (made !== null) terms.push(`${condition.field}${made}`);
  }
  return terms;
}
