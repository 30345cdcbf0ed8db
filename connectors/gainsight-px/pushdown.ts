// Translating a job's window and filters into PX `filter` terms, where PX can evaluate them exactly.
import type { Window } from '../types.js';
import type { FilterCondition, FilterSpec } from '../../sync/types.js';

export const windowFilter = (window: Window): string =>
  `lastModifiedDate>=${window.from.getTime()};lastModifiedDate<${window.to.getTime()}`;

const PX_OPS: Partial<Record<FilterCondition['op'], (v: string) => string>> = {
  eq: (v) => `==${v}`,
  ne: (v) => `!=${v}`,
  lt: (v) => `<${v}`,
  lte: (v) => `<=${v}`,
  gt: (v) => `>${v}`,
  gte: (v) => `>=${v}`,
  starts_with: (v) => `~${v}*`,
  ends_with: (v) => `~*${v}`,
  contains: (v) => `~*${v}*`,
};

/**
 * Terms PX can apply for us. Only plain AND-ed conditions qualify, and only with values PX's
 * syntax cannot misread; the engine still applies every filter itself, so pushing down is an
 * optimisation and never changes which records sync.
 */
export function pushdownFilters(spec: FilterSpec): string[] {
  const logic = spec.logic?.trim();
  if (logic && /\bOR\b|\(/i.test(logic)) return [];
  const terms: string[] = [];
  for (const condition of spec.conditions) {
    const op = PX_OPS[condition.op];
    const value = condition.value;
    if (!op || !(typeof value === 'string' || typeof value === 'number')) continue;
    const text = String(value);
    if (/[;*?,\s]/.test(text) || text === '' || !/^[A-Za-z0-9_.]+$/.test(condition.field)) continue;
    terms.push(`${condition.field}${op(text)}`);
  }
  return terms;
}
