import { describe, expect, it } from 'vitest';
import { compileFilter, FilterLogicError, InvalidFilterError, parseLogic, validateFilterSpec } from '../sync/filters.js';
import type { LogicNode } from '../sync/filters.js';
import type { FilterCondition, FilterOp, FilterSpec } from '../sync/types.js';

const condition = (id: string, field: string, op: FilterOp, value?: unknown): FilterCondition => ({ id, field, op, value });

/** Whether a record passes a single condition. */
const passes = (record: unknown, op: FilterOp, value?: unknown, field = 'v') =>
  compileFilter({ conditions: [condition('A', field, op, value)] })(record);

const logicError = (logic: string, ids: string[]) => {
  try {
    parseLogic(logic, ids);
  } catch (error) {
    if (error instanceof FilterLogicError) return error;
    throw error;
  }
  throw new Error(`expected "${logic}" to be rejected`);
};

const id = (name: string): LogicNode => ({ kind: 'condition', id: name });

describe('filter logic', () => {
  it('ANDs every condition when the logic is empty', () => {
    const all: LogicNode = { kind: 'and', children: [id('A'), id('B')] };
    expect(parseLogic(null, ['A', 'B'])).toEqual(all);
    expect(parseLogic(undefined, ['A', 'B'])).toEqual(all);
    expect(parseLogic('  ', ['A', 'B'])).toEqual(all);
  });

  it('binds AND tighter than OR', () => {
    expect(parseLogic('A OR B AND C', ['A', 'B', 'C'])).toEqual({
      kind: 'or',
      children: [id('A'), { kind: 'and', children: [id('B'), id('C')] }],
    });
  });

  it('lets parentheses override precedence', () => {
    expect(parseLogic('(A OR B) AND C', ['A', 'B', 'C'])).toEqual({
      kind: 'and',
      children: [{ kind: 'or', children: [id('A'), id('B')] }, id('C')],
    });
    expect(parseLogic('((A))', ['A'])).toEqual(id('A'));
  });

  it('reads AND and OR in any case, and ids regardless of case when unambiguous', () => {
    expect(parseLogic('a and (b Or c)', ['A', 'B', 'C'])).toEqual({
      kind: 'and',
      children: [id('A'), { kind: 'or', children: [id('B'), id('C')] }],
    });
  });

  it('flattens chains of the same operator', () => {
    expect(parseLogic('A AND B AND C', ['A', 'B', 'C'])).toEqual({ kind: 'and', children: [id('A'), id('B'), id('C')] });
  });

  it('names an unknown condition id and the ids that exist', () => {
    expect(logicError('A AND D', ['A', 'B']).message).toBe('unknown condition id "D" in filter logic; defined ids are A, B');
  });

  it('points at an unclosed or extra parenthesis', () => {
    const unclosed = logicError('A AND (B OR C', ['A', 'B', 'C']);
    expect(unclosed.message).toBe('unbalanced parenthesis at position 7');
    expect(unclosed.position).toBe(7);
    expect(logicError('A AND B)', ['A', 'B']).message).toBe('unbalanced parenthesis at position 8');
  });

  it('explains misplaced words and a dangling operator', () => {
    expect(logicError('A B', ['A', 'B']).message).toBe('expected AND or OR at position 3, found "B"');
    expect(logicError('A AND OR B', ['A', 'B']).message).toBe('expected a condition id or "(" at position 7, found "OR"');
    expect(logicError('A AND', ['A']).message).toBe('filter logic ends after "AND" at position 3; a condition id must follow');
    expect(logicError('A AND ()', ['A']).message).toBe('expected a condition id or "(" at position 8, found ")"');
  });

  it('rejects characters that are not part of the logic', () => {
    expect(logicError('A && B', ['A', 'B']).message).toBe(
      'unexpected character "&" at position 3 in filter logic; use condition ids, AND, OR and parentheses',
    );
  });

  it('refuses logic that leaves a condition out, so no condition is silently ignored', () => {
    expect(logicError('A OR B', ['A', 'B', 'C']).message).toBe(
      'filter logic does not use condition "C"; every condition must appear in it',
    );
  });
});

describe('validating a filter spec', () => {
  it('accepts a valid spec', () => {
    const spec: FilterSpec = {
      conditions: [condition('A', 'status', 'eq', 'active'), condition('B', 'plan', 'in', ['gold']), condition('C', 'email', 'is_null')],
      logic: 'A AND (B OR C)',
    };
    expect(validateFilterSpec(spec)).toEqual([]);
  });

  it('reports duplicate ids', () => {
    expect(validateFilterSpec({ conditions: [condition('A', 'x', 'eq', 1), condition('a', 'y', 'eq', 2)] })).toEqual([
      'condition id "a" is used more than once',
    ]);
  });

  it('reports missing ids and fields, and ids the logic could not name', () => {
    expect(validateFilterSpec({ conditions: [condition('', 'x', 'eq', 1), condition('B 2', '', 'eq', 1), condition('or', 'z', 'eq', 1)] })).toEqual([
      'condition 1 has no id',
      'condition id "B 2" may only contain letters, digits, "_", "-" and "."',
      'condition id "or" cannot be used: AND and OR are words of the filter logic',
      'condition "B 2" has no field',
    ]);
  });

  it('reports an unknown operator with the ones that exist', () => {
    const spec = { conditions: [{ id: 'A', field: 'x', op: 'equals' as FilterOp, value: 1 }] };
    expect(validateFilterSpec(spec)).toEqual([
      'condition "A": unknown operator "equals"; use one of eq, ne, lt, lte, gt, gte, contains, not_contains, starts_with, ends_with, in, not_in, is_null, is_not_null',
    ]);
  });

  it('reports a missing value for operators that compare', () => {
    expect(validateFilterSpec({ conditions: [condition('A', 'x', 'eq')] })).toEqual([
      'condition "A": operator "eq" needs a value (to match empty fields use is_null or is_not_null)',
    ]);
    expect(validateFilterSpec({ conditions: [condition('A', 'x', 'contains', '')] })).toHaveLength(1);
    expect(validateFilterSpec({ conditions: [condition('A', 'x', 'is_null')] })).toEqual([]);
  });

  it('requires a non-empty list for in and not_in, and a single value elsewhere', () => {
    expect(validateFilterSpec({ conditions: [condition('A', 'x', 'in', 'gold')] })).toEqual([
      'condition "A": operator "in" needs a non-empty list of values',
    ]);
    expect(validateFilterSpec({ conditions: [condition('A', 'x', 'not_in', [])] })).toEqual([
      'condition "A": operator "not_in" needs a non-empty list of values',
    ]);
    expect(validateFilterSpec({ conditions: [condition('A', 'x', 'in', [{ a: 1 }])] })).toEqual([
      'condition "A": operator "in" needs a list of text, numbers or true/false',
    ]);
    expect(validateFilterSpec({ conditions: [condition('A', 'x', 'eq', ['gold'])] })).toEqual([
      'condition "A": operator "eq" needs a single text, number or true/false value',
    ]);
  });

  it('reports bad logic', () => {
    expect(validateFilterSpec({ conditions: [condition('A', 'x', 'eq', 1)], logic: 'A OR Z' })).toEqual([
      'unknown condition id "Z" in filter logic; defined ids are A',
    ]);
  });

  it('refuses to compile an invalid spec, listing every problem', () => {
    const spec: FilterSpec = { conditions: [condition('A', 'x', 'eq'), condition('B', 'y', 'in', 1)] };
    expect(() => compileFilter(spec)).toThrow(InvalidFilterError);
    expect(() => compileFilter(spec)).toThrow(
      'invalid sync filter: condition "A": operator "eq" needs a value (to match empty fields use is_null or is_not_null); condition "B": operator "in" needs a non-empty list of values',
    );
  });
});

describe('equality: eq and ne', () => {
  it('compare text case-insensitively', () => {
    expect(passes({ v: 'Active' }, 'eq', 'active')).toBe(true);
    expect(passes({ v: 'Active' }, 'eq', 'inactive')).toBe(false);
    expect(passes({ v: 'Active' }, 'ne', 'ACTIVE')).toBe(false);
  });

  it('compare numerically when both sides are numbers or numeric text', () => {
    expect(passes({ v: 42 }, 'eq', '42.0')).toBe(true);
    expect(passes({ v: '042' }, 'eq', 42)).toBe(true);
    expect(passes({ v: 42 }, 'ne', 43)).toBe(true);
  });

  it('match booleans by their text', () => {
    expect(passes({ v: true }, 'eq', 'TRUE')).toBe(true);
    expect(passes({ v: false }, 'eq', true)).toBe(false);
  });

  it('a missing field is never equal and always not-equal', () => {
    expect(passes({}, 'eq', 'x')).toBe(false);
    expect(passes({}, 'ne', 'x')).toBe(true);
    expect(passes({ v: null }, 'eq', 'x')).toBe(false);
    expect(passes({ v: null }, 'ne', 'x')).toBe(true);
  });
});

describe('ordering: lt, lte, gt, gte', () => {
  it('compare numerically when both sides are numeric, not as text', () => {
    expect(passes({ v: 9 }, 'lt', '10')).toBe(true);
    expect(passes({ v: '100' }, 'gt', 25)).toBe(true);
    expect(passes({ v: 10 }, 'lte', 10)).toBe(true);
    expect(passes({ v: 10 }, 'gte', 10.5)).toBe(false);
  });

  it('compare ISO dates as instants', () => {
    expect(passes({ v: '2024-03-07T10:00:00-05:00' }, 'gt', '2024-03-07T14:00:00Z')).toBe(true);
    expect(passes({ v: '2024-01-01' }, 'lt', '2024-01-02')).toBe(true);
  });

  it('compare PX epoch-millisecond dates against an ISO date', () => {
    const lastSeen = Date.UTC(2024, 5, 1);
    expect(passes({ v: lastSeen }, 'gte', '2024-01-01')).toBe(true);
    expect(passes({ v: lastSeen }, 'lt', '2024-01-01')).toBe(false);
  });

  it('fall back to case-insensitive text order', () => {
    expect(passes({ v: 'apple' }, 'lt', 'Banana')).toBe(true);
    expect(passes({ v: 'b' }, 'gte', 'B')).toBe(true);
  });

  it('a missing or empty field fails every comparison', () => {
    for (const op of ['lt', 'lte', 'gt', 'gte'] as const) {
      expect(passes({}, op, 5)).toBe(false);
      expect(passes({ v: '' }, op, 'a')).toBe(false);
    }
  });
});

describe('text matching: contains, not_contains, starts_with, ends_with', () => {
  it('matches case-insensitively', () => {
    expect(passes({ v: 'Acme Corporation' }, 'contains', 'CORP')).toBe(true);
    expect(passes({ v: 'Acme Corporation' }, 'not_contains', 'corp')).toBe(false);
    expect(passes({ v: 'Acme Corporation' }, 'starts_with', 'acme')).toBe(true);
    expect(passes({ v: 'Acme Corporation' }, 'ends_with', 'ATION')).toBe(true);
    expect(passes({ v: 'Acme Corporation' }, 'ends_with', 'acme')).toBe(false);
  });

  it('matches on the text of numbers and lists', () => {
    expect(passes({ v: 12345 }, 'contains', '234')).toBe(true);
    expect(passes({ v: ['AP-1', 'AP-2'] }, 'contains', 'ap-2')).toBe(true);
  });

  it('a missing field contains nothing', () => {
    expect(passes({}, 'contains', 'a')).toBe(false);
    expect(passes({}, 'not_contains', 'a')).toBe(true);
    expect(passes({}, 'starts_with', 'a')).toBe(false);
    expect(passes({}, 'ends_with', 'a')).toBe(false);
  });
});

describe('lists: in and not_in', () => {
  it('match any value of the list, case-insensitively for text and numerically for numbers', () => {
    expect(passes({ v: 'Gold' }, 'in', ['silver', 'gold'])).toBe(true);
    expect(passes({ v: 'bronze' }, 'in', ['silver', 'gold'])).toBe(false);
    expect(passes({ v: '3' }, 'in', [1, 2, 3])).toBe(true);
    expect(passes({ v: 3 }, 'in', ['3.0', 'x'])).toBe(true);
    expect(passes({ v: 'Gold' }, 'not_in', ['GOLD'])).toBe(false);
  });

  it('a missing field is in no list', () => {
    expect(passes({}, 'in', ['a'])).toBe(false);
    expect(passes({}, 'not_in', ['a'])).toBe(true);
  });
});

describe('empty fields: is_null and is_not_null', () => {
  it('treat undefined, null and "" as empty', () => {
    for (const record of [{}, { v: null }, { v: '' }]) {
      expect(passes(record, 'is_null')).toBe(true);
      expect(passes(record, 'is_not_null')).toBe(false);
    }
  });

  it('treat 0, false and spaces as values', () => {
    for (const v of [0, false, ' ']) {
      expect(passes({ v }, 'is_null')).toBe(false);
      expect(passes({ v }, 'is_not_null')).toBe(true);
    }
  });
});

describe('compiled filters on records', () => {
  const spec: FilterSpec = {
    conditions: [
      condition('A', 'customAttributes.plan', 'eq', 'gold'),
      condition('B', 'location.countryName', 'eq', 'France'),
      condition('C', 'numberOfUsers', 'gt', 100),
    ],
    logic: 'A AND (B OR C)',
  };
  const filter = compileFilter(spec);

  it('read dotted fields such as customAttributes.plan', () => {
    expect(filter({ customAttributes: { plan: 'Gold' }, location: { countryName: 'france' } })).toBe(true);
  });

  it('honour parentheses: A AND (B OR C)', () => {
    expect(filter({ customAttributes: { plan: 'gold' }, numberOfUsers: 500 })).toBe(true);
    expect(filter({ customAttributes: { plan: 'gold' }, numberOfUsers: 5 })).toBe(false);
    expect(filter({ customAttributes: { plan: 'silver' }, numberOfUsers: 500 })).toBe(false);
  });

  it('honour precedence: A OR B AND C is A OR (B AND C)', () => {
    const orFilter = compileFilter({ ...spec, logic: 'A OR B AND C' });
    expect(orFilter({ customAttributes: { plan: 'gold' } })).toBe(true);
    expect(orFilter({ location: { countryName: 'France' } })).toBe(false);
    expect(orFilter({ location: { countryName: 'France' }, numberOfUsers: 101 })).toBe(true);
  });

  it('AND all conditions when there is no logic', () => {
    const allFilter = compileFilter({ conditions: spec.conditions });
    expect(allFilter({ customAttributes: { plan: 'gold' }, location: { countryName: 'France' }, numberOfUsers: 101 })).toBe(true);
    expect(allFilter({ customAttributes: { plan: 'gold' }, location: { countryName: 'France' } })).toBe(false);
  });

  it('let every record through when there are no conditions', () => {
    expect(compileFilter({ conditions: [] })({ anything: 1 })).toBe(true);
  });

  it('treat records that are not objects as having no fields', () => {
    expect(filter(null)).toBe(false);
    expect(compileFilter({ conditions: [condition('A', 'x', 'is_null')] })('text')).toBe(true);
  });
});
