// A job's sync filters: checked when a job is saved, compiled once per run, evaluated per record.
// Records failing them are counted as filtered and dropped (SPEC "A run, step by step", step 2).

import { instantOf, parseNumber } from './convert.js';
import { getPath } from './paths.js';
import { FILTER_OPS } from './types.js';
import type { FilterCondition, FilterOp, FilterSpec } from './types.js';

export type LogicNode =
  | { kind: 'condition'; id: string }
  | { kind: 'and'; children: LogicNode[] }
  | { kind: 'or'; children: LogicNode[] };

export type RecordFilter = (record: unknown) => boolean;

/** Filter logic that cannot be parsed; `position` (1-based) points at the offending character. */
export class FilterLogicError extends Error {
  override readonly name = 'FilterLogicError';
  readonly code = 'invalid_filter_logic';
  constructor(message: string, readonly position?: number) {
    super(message);
  }
}

/** A filter spec that cannot be compiled; `problems` are the messages of `validateFilterSpec`. */
export class InvalidFilterError extends Error {
  override readonly name = 'InvalidFilterError';
  readonly code = 'invalid_filter';
  constructor(readonly problems: string[]) {
    super(`invalid sync filter: ${problems.join('; ')}`);
  }
}

// ---------------------------------------------------------------- logic

/** Ids are referenced from free text, so they must be words that cannot be confused with the grammar. */
const ID_PATTERN = /^[A-Za-z0-9_.-]+$/;
const ID_CHAR = /[A-Za-z0-9_.-]/;
const KEYWORDS = new Set(['and', 'or']);

type Token = { kind: 'id' | 'and' | 'or' | 'open' | 'close'; text: string; position: number };

function tokenize(logic: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < logic.length) {
    const char = logic.charAt(i);
    const position = i + 1;
    if (/\s/.test(char)) {
      i += 1;
    } else if (char === '(' || char === ')') {
      tokens.push({ kind: char === '(' ? 'open' : 'close', text: char, position });
      i += 1;
    } else if (ID_CHAR.test(char)) {
      let end = i + 1;
      while (end < logic.length && ID_CHAR.test(logic.charAt(end))) end += 1;
      const text = logic.slice(i, end);
      const keyword = text.toLowerCase();
      tokens.push({ kind: keyword === 'and' || keyword === 'or' ? keyword : 'id', text, position });
      i = end;
    } else {
      throw new FilterLogicError(
        `unexpected character "${char}" at position ${position} in filter logic; use condition ids, AND, OR and parentheses`,
        position,
      );
    }
  }
  return tokens;
}

/** People type `a and b` for conditions A and B; an exact match wins when ids differ only in case. */
function idResolver(ids: readonly string[]): (token: Token) => string {
  const exact = new Set(ids);
  const byLowerCase = new Map(ids.map((id) => [id.toLowerCase(), id]));
  return (token) => {
    const id = exact.has(token.text) ? token.text : byLowerCase.get(token.text.toLowerCase());
    if (id !== undefined) return id;
    const defined = ids.length === 0 ? 'no conditions are defined' : `defined ids are ${ids.join(', ')}`;
    throw new FilterLogicError(`unknown condition id "${token.text}" in filter logic; ${defined}`, token.position);
  };
}

/** Recursive descent over `or := and (OR and)*`, `and := operand (AND operand)*`, `operand := id | ( or )`. */
class LogicParser {
  private index = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly resolve: (token: Token) => string,
  ) {}

  parse(): LogicNode {
    const node = this.parseOr();
    const extra = this.tokens[this.index];
    if (extra === undefined) return node;
    if (extra.kind === 'close') throw new FilterLogicError(`unbalanced parenthesis at position ${extra.position}`, extra.position);
    throw new FilterLogicError(`expected AND or OR at position ${extra.position}, found "${extra.text}"`, extra.position);
  }

  private parseOr(): LogicNode {
    return this.parseChain('or', () => this.parseAnd());
  }

  private parseAnd(): LogicNode {
    return this.parseChain('and', () => this.parseOperand());
  }

  private parseChain(kind: 'and' | 'or', parseItem: () => LogicNode): LogicNode {
    const children = [parseItem()];
    while (this.tokens[this.index]?.kind === kind) {
      this.index += 1;
      children.push(parseItem());
    }
    return children.length === 1 && children[0] !== undefined ? children[0] : { kind, children };
  }

  private parseOperand(): LogicNode {
    const token = this.tokens[this.index];
    if (token === undefined) throw this.endedEarly();
    this.index += 1;
    if (token.kind === 'id') return { kind: 'condition', id: this.resolve(token) };
    if (token.kind === 'open') {
      const node = this.parseOr();
      if (this.tokens[this.index]?.kind !== 'close') {
        throw new FilterLogicError(`unbalanced parenthesis at position ${token.position}`, token.position);
      }
      this.index += 1;
      return node;
    }
    throw new FilterLogicError(
      `expected a condition id or "(" at position ${token.position}, found "${token.text}"`,
      token.position,
    );
  }

  private endedEarly(): FilterLogicError {
    const last = this.tokens[this.tokens.length - 1];
    if (last === undefined) return new FilterLogicError('filter logic is empty');
    return new FilterLogicError(
      `filter logic ends after "${last.text}" at position ${last.position}; a condition id must follow`,
      last.position,
    );
  }
}

function conditionIdsIn(node: LogicNode, into = new Set<string>()): Set<string> {
  if (node.kind === 'condition') into.add(node.id);
  else for (const child of node.children) conditionIdsIn(child, into);
  return into;
}

/**
 * Parses `A AND (B OR C)`; AND binds tighter than OR. Empty logic ANDs every condition. Every
 * condition must appear in the logic: one left out would silently stop filtering, which for a
 * connector's locked condition is a data leak, not a preference.
 */
export function parseLogic(logic: string | null | undefined, ids: string[]): LogicNode {
  if (logic === null || logic === undefined || logic.trim() === '') {
    return { kind: 'and', children: ids.map((id) => ({ kind: 'condition', id })) };
  }
  const node = new LogicParser(tokenize(logic), idResolver(ids)).parse();
  const used = conditionIdsIn(node);
  const unused = ids.filter((id) => !used.has(id));
  if (unused.length > 0) {
    const list = unused.map((id) => `"${id}"`).join(', ');
    throw new FilterLogicError(`filter logic does not use condition ${list}; every condition must appear in it`);
  }
  return node;
}

// ---------------------------------------------------------------- validation

const OPS_WITHOUT_VALUE: ReadonlySet<FilterOp> = new Set(['is_null', 'is_not_null']);
const OPS_WITH_LIST: ReadonlySet<FilterOp> = new Set(['in', 'not_in']);

const isFilterOp = (op: unknown): op is FilterOp => (FILTER_OPS as readonly unknown[]).includes(op);
const isScalar = (value: unknown) => typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/** Every problem with a filter spec, as messages for the person editing the job; [] when valid. */
export function validateFilterSpec(spec: FilterSpec): string[] {
  if (!Array.isArray(spec?.conditions)) return ['filter conditions must be a list'];
  const idErrors = idProblems(spec.conditions);
  const problems = [...idErrors, ...spec.conditions.flatMap(conditionProblems)];
  if (spec.logic !== undefined && spec.logic !== null && typeof spec.logic !== 'string') {
    problems.push('filter logic must be text such as "A AND (B OR C)"');
  } else if (idErrors.length === 0) {
    const logicError = logicProblem(spec.logic, spec.conditions.map((condition) => condition.id));
    if (logicError !== undefined) problems.push(logicError);
  }
  return problems;
}

function logicProblem(logic: string | null | undefined, ids: string[]): string | undefined {
  try {
    parseLogic(logic, ids);
    return undefined;
  } catch (error) {
    if (error instanceof FilterLogicError) return error.message;
    throw error;
  }
}

function idProblems(conditions: readonly FilterCondition[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  conditions.forEach((condition, index) => {
    const id: unknown = condition?.id;
    if (typeof id !== 'string' || id === '') {
      problems.push(`condition ${index + 1} has no id`);
    } else if (!ID_PATTERN.test(id)) {
      problems.push(`condition id "${id}" may only contain letters, digits, "_", "-" and "."`);
    } else if (KEYWORDS.has(id.toLowerCase())) {
      problems.push(`condition id "${id}" cannot be used: AND and OR are words of the filter logic`);
    } else if (seen.has(id.toLowerCase())) {
      problems.push(`condition id "${id}" is used more than once`);
    }
    if (typeof id === 'string') seen.add(id.toLowerCase());
  });
  return problems;
}

function conditionProblems(condition: FilterCondition, index: number): string[] {
  const name = typeof condition?.id === 'string' && condition.id !== '' ? `condition "${condition.id}"` : `condition ${index + 1}`;
  const problems: string[] = [];
  if (typeof condition?.field !== 'string' || condition.field.trim() === '') problems.push(`${name} has no field`);
  const op: unknown = condition?.op;
  if (!isFilterOp(op)) {
    problems.push(`${name}: unknown operator ${JSON.stringify(op)}; use one of ${FILTER_OPS.join(', ')}`);
    return problems;
  }
  const valueProblem = valueProblemOf(op, condition.value);
  if (valueProblem !== undefined) problems.push(`${name}: ${valueProblem}`);
  return problems;
}

function valueProblemOf(op: FilterOp, value: unknown): string | undefined {
  if (OPS_WITHOUT_VALUE.has(op)) return undefined;
  if (value === undefined || value === null || value === '') {
    return `operator "${op}" needs a value (to match empty fields use is_null or is_not_null)`;
  }
  if (OPS_WITH_LIST.has(op)) {
    if (!Array.isArray(value) || value.length === 0) return `operator "${op}" needs a non-empty list of values`;
    if (!value.every(isScalar)) return `operator "${op}" needs a list of text, numbers or true/false`;
    return undefined;
  }
  return isScalar(value) ? undefined : `operator "${op}" needs a single text, number or true/false value`;
}

// ---------------------------------------------------------------- evaluation

/** Compiles a valid spec into a per-record predicate; throws `InvalidFilterError` otherwise. */
export function compileFilter(spec: FilterSpec): RecordFilter {
  const problems = validateFilterSpec(spec);
  if (problems.length > 0) throw new InvalidFilterError(problems);
  const predicates = new Map(spec.conditions.map((condition) => [condition.id, compileCondition(condition)]));
  return compileNode(parseLogic(spec.logic, [...predicates.keys()]), predicates);
}

/** For a record the filter drops: the conditions it fails, so a person sees why (job preview). */
export function compileFailedConditions(spec: FilterSpec): (record: unknown) => FilterCondition[] {
  const compiled = spec.conditions.map((condition) => ({ condition, predicate: compileCondition(condition) }));
  return (record) => compiled.filter(({ predicate }) => !predicate(record)).map(({ condition }) => condition);
}

function compileNode(node: LogicNode, predicates: ReadonlyMap<string, RecordFilter>): RecordFilter {
  if (node.kind === 'condition') {
    const predicate = predicates.get(node.id);
    if (predicate === undefined) throw new Error(`filter logic names condition "${node.id}" which was not compiled`);
    return predicate;
  }
  const children = node.children.map((child) => compileNode(child, predicates));
  return node.kind === 'and' ? allOf(children) : anyOf(children);
}

function allOf(predicates: readonly RecordFilter[]): RecordFilter {
  return (record) => {
    for (const predicate of predicates) if (!predicate(record)) return false;
    return true;
  };
}

function anyOf(predicates: readonly RecordFilter[]): RecordFilter {
  return (record) => {
    for (const predicate of predicates) if (predicate(record)) return true;
    return false;
  };
}

type ValueTest = (actual: unknown) => boolean;

function compileCondition({ field, op, value }: FilterCondition): RecordFilter {
  const test = valueTest(op, value);
  return (record) => test(getPath(record, field));
}

const not = (test: ValueTest): ValueTest => (actual) => !test(actual);

function valueTest(op: FilterOp, expected: unknown): ValueTest {
  switch (op) {
    case 'eq': return memberOf([expected]);
    case 'ne': return not(memberOf([expected]));
    case 'in': return memberOf(expected as unknown[]);
    case 'not_in': return not(memberOf(expected as unknown[]));
    case 'lt': return ordered(expected, (order) => order < 0);
    case 'lte': return ordered(expected, (order) => order <= 0);
    case 'gt': return ordered(expected, (order) => order > 0);
    case 'gte': return ordered(expected, (order) => order >= 0);
    case 'contains': return textTest(expected, (text, needle) => text.includes(needle));
    case 'not_contains': return not(textTest(expected, (text, needle) => text.includes(needle)));
    case 'starts_with': return textTest(expected, (text, needle) => text.startsWith(needle));
    case 'ends_with': return textTest(expected, (text, needle) => text.endsWith(needle));
    case 'is_null': return isBlank;
    case 'is_not_null': return not(isBlank);
  }
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/**
 * Equality as `eq` defines it, against any of `values`: numerically when both sides are numeric
 * (`"42"` equals 42), otherwise as case-insensitive text. A missing field equals nothing.
 */
function memberOf(values: readonly unknown[]): ValueTest {
  const numbers = new Set<number>();
  const texts = new Set<string>();
  const nonNumericTexts = new Set<string>();
  for (const value of values) {
    const number = parseNumber(value);
    const text = lowerTextOf(value);
    texts.add(text);
    if (number === undefined) nonNumericTexts.add(text);
    else numbers.add(number);
  }
  return (actual) => {
    if (actual === undefined || actual === null) return false;
    const number = parseNumber(actual);
    if (number === undefined) return texts.has(lowerTextOf(actual));
    return numbers.has(number) || nonNumericTexts.has(lowerTextOf(actual));
  };
}

/**
 * Order against `expected`: numerically when both are numeric; as instants when both are dates, a
 * number then being epoch milliseconds (how PX sends dates, so `gt 2024-01-01` works on them);
 * otherwise as case-insensitive text. Blank fields have no order and fail every comparison.
 */
function ordered(expected: unknown, accept: (order: number) => boolean): ValueTest {
  const expectedNumber = parseNumber(expected);
  const expectedTime = instantOf(expected);
  const expectedText = lowerTextOf(expected);
  return (actual) => {
    if (isBlank(actual)) return false;
    const number = expectedNumber === undefined ? undefined : parseNumber(actual);
    if (number !== undefined && expectedNumber !== undefined) return accept(Math.sign(number - expectedNumber));
    const time = expectedTime === undefined ? undefined : instantOf(actual);
    if (time !== undefined && expectedTime !== undefined) return accept(Math.sign(time - expectedTime));
    const text = lowerTextOf(actual);
    return accept(text < expectedText ? -1 : text > expectedText ? 1 : 0);
  };
}

function textTest(expected: unknown, test: (text: string, needle: string) => boolean): ValueTest {
  const needle = lowerTextOf(expected);
  return (actual) => !isBlank(actual) && test(lowerTextOf(actual), needle);
}

function lowerTextOf(value: unknown): string {
  return textOf(value).toLowerCase();
}

/** Text as a person reads it: lists as `a,b` (like String()), objects as JSON, dates as ISO. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString();
  if (Array.isArray(value)) return value.map(textOf).join(',');
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}
