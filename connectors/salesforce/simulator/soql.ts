// The SOQL subset the simulator understands, parsed and checked the way Salesforce does it:
//   SELECT field, ... | COUNT()  FROM object
//   [WHERE condition]  [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST], ...]  [LIMIT n]
// Conditions compare a field with a literal (=, !=, <>, <, <=, >, >=, LIKE, IN, NOT IN) and combine
// with AND, OR, NOT and parentheses; as in SOQL, AND and OR cannot be mixed without parentheses.
// Literals: 'text' (backslash escapes), numbers, true, false, null, dates (2024-03-07) and datetimes
// (2024-03-07T10:00:00Z, +01:00 offsets, optional fractional seconds), never quoted.
// Anything else is MALFORMED_QUERY; a field the object lacks, a literal of the wrong type, or a
// filter on a field that cannot be filtered is INVALID_FIELD; an unknown object is INVALID_TYPE.
// Text compares without regard to case, and `!=` keeps records whose field is null (SOQL's rules).
import { caseSafeSuffix } from './ids.js';
import { findField, findObject, type SfField, type SfFieldType, type SfObject } from './schema.js';
import type { SfRecord, SfValue } from './data.js';

export class SoqlError extends Error {
  constructor(
    readonly errorCode: 'MALFORMED_QUERY' | 'INVALID_FIELD' | 'INVALID_TYPE',
    message: string,
  ) {
    super(message);
  }
}

type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  | { kind: 'date'; value: string }
  | { kind: 'datetime'; value: number };

type Operator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'IN' | 'NOT IN';

export type Condition =
  | { kind: 'compare'; field: SfField; op: Operator; values: Literal[] }
  | { kind: 'and' | 'or'; children: Condition[] }
  | { kind: 'not'; child: Condition };

export interface OrderItem {
  field: SfField;
  descending: boolean;
  nullsLast: boolean;
}

export interface SoqlQuery {
  object: SfObject;
  /** Null for SELECT COUNT(). */
  fields: SfField[] | null;
  where: Condition | null;
  orderBy: OrderItem[];
  limit: number | null;
}

// ---------------------------------------------------------------- tokens

interface Token {
  kind: 'word' | 'string' | 'number' | 'date' | 'datetime' | 'symbol' | 'end';
  text: string;
  /** 1-based column of the token's first character. */
  column: number;
}

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})/;
const DATE = /^\d{4}-\d{2}-\d{2}(?![\dT])/;
const NUMBER = /^-?\d+(?:\.\d+)?(?![\w.])/;
const WORD = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/;
const SYMBOL = /^(?:!=|<>|<=|>=|[=<>(),])/;
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', "'": "'", '"': '"', '\\': '\\', _: '\\_', '%': '\\%' };

function tokenize(query: string, fail: (column: number, text: string) => SoqlError): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const rest = query.slice(i);
    const column = i + 1;
    const space = /^\s+/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    if (rest.startsWith("'")) {
      let value = '';
      let j = i + 1;
      for (;;) {
        const char = query.charAt(j);
        if (j >= query.length) throw fail(column, `line 1:${i} mismatched character '<EOF>' expecting '''`);
        if (char === '\\') {
          const escaped = ESCAPES[query.charAt(j + 1)];
          if (escaped === undefined) throw fail(j + 1, `Invalid string literal '${query.slice(i, j + 2)}'. Illegal character sequence '\\${query.charAt(j + 1)}' in string literal.`);
          value += escaped;
          j += 2;
        } else if (char === "'") {
          break;
        } else {
          value += char;
          j++;
        }
      }
      tokens.push({ kind: 'string', text: value, column });
      i = j + 1;
      continue;
    }
    const match =
      [['datetime', DATETIME], ['date', DATE], ['number', NUMBER], ['word', WORD], ['symbol', SYMBOL]] as const;
    let matched = false;
    for (const [kind, pattern] of match) {
      const found = pattern.exec(rest);
      if (found) {
        tokens.push({ kind, text: found[0], column });
        i += found[0].length;
        matched = true;
        break;
      }
    }
    if (!matched) throw fail(column, `unexpected token: '${rest.charAt(0)}'`);
  }
  tokens.push({ kind: 'end', text: '<EOF>', column: query.length + 1 });
  return tokens;
}

// ---------------------------------------------------------------- parser

const KEYWORDS = new Set(['SELECT', 'FROM', 'WHERE', 'ORDER', 'BY', 'LIMIT', 'AND', 'OR', 'NOT', 'IN', 'LIKE', 'ASC', 'DESC', 'NULLS', 'FIRST', 'LAST', 'TRUE', 'FALSE', 'NULL', 'COUNT']);
const UNSUPPORTED = new Set(['OFFSET', 'GROUP', 'HAVING', 'TYPEOF', 'WITH', 'FOR', 'USING', 'INCLUDES', 'EXCLUDES']);
const TEXT_TYPES: ReadonlySet<SfFieldType> = new Set(['id', 'string', 'picklist', 'multipicklist', 'textarea', 'email', 'phone', 'url', 'reference']);
const NUMBER_TYPES: ReadonlySet<SfFieldType> = new Set(['int', 'double', 'currency', 'percent']);

class Parser {
  private index = 0;
  private readonly tokens: Token[];
  private object: SfObject | null = null;

  constructor(private readonly query: string) {
    this.tokens = tokenize(query, (column, text) => this.error('MALFORMED_QUERY', column, text));
  }

  parse(): SoqlQuery {
    this.keyword('SELECT');
    const selected = this.selectList();
    this.keyword('FROM');
    const fromToken = this.next();
    if (fromToken.kind !== 'word' || KEYWORDS.has(fromToken.text.toUpperCase())) throw this.unexpected(fromToken);
    const object = findObject(fromToken.text);
    if (!object) throw this.error('INVALID_TYPE', fromToken.column, `sObject type '${fromToken.text}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`);
    this.object = object;
    const fields = selected === 'count' ? null : selected.map((token) => this.field(token));
    const query: SoqlQuery = { object, fields, where: null, orderBy: [], limit: null };
    if (this.isKeyword('WHERE')) {
      this.index++;
      query.where = this.condition();
    }
    if (this.isKeyword('ORDER')) {
      this.index++;
      this.keyword('BY');
      if (fields === null) throw this.unexpected(this.tokens[this.index - 2]!);
      do query.orderBy.push(this.orderItem());
      while (this.symbol(','));
    }
    if (this.isKeyword('LIMIT')) {
      this.index++;
      const token = this.next();
      if (token.kind !== 'number' || !/^\d+$/.test(token.text)) throw this.unexpected(token);
      query.limit = Number(token.text);
    }
    const last = this.next();
    if (last.kind !== 'end') {
      if (UNSUPPORTED.has(last.text.toUpperCase())) throw this.error('MALFORMED_QUERY', last.column, `${last.text.toUpperCase()} is not supported by this simulator`);
      throw this.unexpected(last);
    }
    return query;
  }

  private selectList(): Token[] | 'count' {
    if (this.isKeyword('COUNT') && this.peek(1).text === '(') {
      this.index++;
      this.expectSymbol('(');
      this.expectSymbol(')');
      return 'count';
    }
    const tokens: Token[] = [];
    do {
      const token = this.next();
      if (token.kind !== 'word' || KEYWORDS.has(token.text.toUpperCase())) throw this.unexpected(token);
      tokens.push(token);
    } while (this.symbol(','));
    return tokens;
  }

  private field(token: Token): SfField {
    const object = this.object!;
    if (token.text.includes('.')) {
      throw this.error('INVALID_FIELD', token.column, `Didn't understand relationship '${token.text.split('.')[0]}' in field path. This simulator supports fields of the queried object only.`);
    }
    const found = findField(object, token.text);
    if (!found) {
      throw this.error('INVALID_FIELD', token.column, `No such column '${token.text}' on entity '${object.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`);
    }
    return found;
  }

  /** condition := term ((AND term)* | (OR term)*); mixing the two needs parentheses, as in SOQL. */
  private condition(): Condition {
    const first = this.term();
    const joiner = this.isKeyword('AND') ? 'and' : this.isKeyword('OR') ? 'or' : null;
    if (joiner === null) return first;
    const children = [first];
    while (this.isKeyword(joiner.toUpperCase())) {
      this.index++;
      children.push(this.term());
      const other = joiner === 'and' ? 'OR' : 'AND';
      if (this.isKeyword(other)) throw this.unexpected(this.peek(0));
    }
    return { kind: joiner, children };
  }

  private term(): Condition {
    if (this.isKeyword('NOT')) {
      this.index++;
      return { kind: 'not', child: this.term() };
    }
    if (this.symbol('(')) {
      const inner = this.condition();
      this.expectSymbol(')');
      return inner;
    }
    const fieldToken = this.next();
    if (fieldToken.kind !== 'word' || KEYWORDS.has(fieldToken.text.toUpperCase())) throw this.unexpected(fieldToken);
    const field = this.field(fieldToken);
    if (!field.filterable) throw this.error('INVALID_FIELD', fieldToken.column, `field '${field.name}' can not be filtered in a query call`);
    const opToken = this.next();
    let op: Operator;
    const upper = opToken.text.toUpperCase();
    if (opToken.kind === 'symbol' && ['=', '!=', '<>', '<', '<=', '>', '>='].includes(opToken.text)) op = opToken.text === '<>' ? '!=' : (opToken.text as Operator);
    else if (opToken.kind === 'word' && (upper === 'LIKE' || upper === 'IN')) op = upper;
    else if (opToken.kind === 'word' && upper === 'NOT' && this.isKeyword('IN')) {
      this.index++;
      op = 'NOT IN';
    } else throw this.unexpected(opToken);
    const values: Literal[] = [];
    if (op === 'IN' || op === 'NOT IN') {
      this.expectSymbol('(');
      do values.push(this.literal());
      while (this.symbol(','));
      this.expectSymbol(')');
    } else {
      values.push(this.literal());
    }
    this.checkTypes(field, op, values, fieldToken);
    return { kind: 'compare', field, op, values };
  }

  private literal(): Literal {
    const token = this.next();
    switch (token.kind) {
      case 'string':
        return { kind: 'string', value: token.text };
      case 'number':
        return { kind: 'number', value: Number(token.text) };
      case 'date':
        if (Number.isNaN(Date.parse(`${token.text}T00:00:00Z`))) throw this.error('MALFORMED_QUERY', token.column, `invalid date: ${token.text}`);
        return { kind: 'date', value: token.text };
      case 'datetime': {
        const time = Date.parse(token.text);
        if (Number.isNaN(time)) throw this.error('MALFORMED_QUERY', token.column, `invalid datetime: ${token.text}`);
        return { kind: 'datetime', value: time };
      }
      case 'word': {
        const upper = token.text.toUpperCase();
        if (upper === 'TRUE' || upper === 'FALSE') return { kind: 'boolean', value: upper === 'TRUE' };
        if (upper === 'NULL') return { kind: 'null' };
        throw this.unexpected(token);
      }
      default:
        throw this.unexpected(token);
    }
  }

  private checkTypes(field: SfField, op: Operator, values: Literal[], at: Token): void {
    const isText = TEXT_TYPES.has(field.type);
    if (op === 'LIKE' && !isText) throw this.error('INVALID_FIELD', at.column, `invalid operator on ${field.type} field: LIKE (field '${field.name}')`);
    if ((op === '<' || op === '<=' || op === '>' || op === '>=') && field.type === 'boolean') {
      throw this.error('INVALID_FIELD', at.column, `invalid operator on boolean field: ${op} (field '${field.name}')`);
    }
    for (const value of values) {
      if (value.kind === 'null') {
        if (op !== '=' && op !== '!=' && op !== 'IN' && op !== 'NOT IN') throw this.error('INVALID_FIELD', at.column, `invalid operator on null value: ${op}`);
        continue;
      }
      const expected: Literal['kind'] = isText ? 'string' : NUMBER_TYPES.has(field.type) ? 'number' : field.type === 'boolean' ? 'boolean' : field.type === 'date' ? 'date' : 'datetime';
      if (value.kind !== expected) {
        const quoted = expected === 'string' ? 'and should be enclosed in quotes' : 'and should not be enclosed in quotes';
        const sfType = expected === 'number' ? field.type : expected === 'datetime' ? 'dateTime' : expected;
        throw this.error('INVALID_FIELD', at.column, `value of filter criterion for field '${field.name}' must be of type ${sfType} ${quoted}`);
      }
    }
  }

  private orderItem(): OrderItem {
    const token = this.next();
    if (token.kind !== 'word' || KEYWORDS.has(token.text.toUpperCase())) throw this.unexpected(token);
    const field = this.field(token);
    if (!field.sortable) throw this.error('INVALID_FIELD', token.column, `field '${field.name}' can not be sorted in a query call`);
    let descending = false;
    if (this.isKeyword('ASC') || this.isKeyword('DESC')) descending = this.next().text.toUpperCase() === 'DESC';
    // SOQL puts nulls first in ascending order and last in descending order unless told otherwise.
    let nullsLast = descending;
    if (this.isKeyword('NULLS')) {
      this.index++;
      const which = this.next();
      if (!['FIRST', 'LAST'].includes(which.text.toUpperCase())) throw this.unexpected(which);
      nullsLast = which.text.toUpperCase() === 'LAST';
    }
    return { field, descending, nullsLast };
  }

  private next(): Token {
    const token = this.tokens[this.index] ?? this.tokens[this.tokens.length - 1]!;
    if (this.index < this.tokens.length - 1) this.index++;
    return token;
  }

  private peek(offset: number): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!;
  }

  private isKeyword(word: string): boolean {
    const token = this.peek(0);
    return token.kind === 'word' && token.text.toUpperCase() === word;
  }

  private keyword(word: string): void {
    const token = this.next();
    if (token.kind !== 'word' || token.text.toUpperCase() !== word) throw this.unexpected(token);
  }

  private symbol(text: string): boolean {
    if (this.peek(0).kind === 'symbol' && this.peek(0).text === text) {
      this.index++;
      return true;
    }
    return false;
  }

  private expectSymbol(text: string): void {
    if (!this.symbol(text)) throw this.unexpected(this.peek(0));
  }

  private unexpected(token: Token): SoqlError {
    return this.error('MALFORMED_QUERY', token.column, `unexpected token: '${token.text}'`);
  }

  /** Salesforce's message: the query, a caret under the column, the position, then the reason. */
  private error(code: SoqlError['errorCode'], column: number, text: string): SoqlError {
    return new SoqlError(code, `\n${this.query}\n${' '.repeat(Math.max(0, column - 1))}^\nERROR at Row:1:Column:${column}\n${text}`);
  }
}

export function parseSoql(query: string): SoqlQuery {
  if (query.trim() === '') throw new SoqlError('MALFORMED_QUERY', 'A query string is required (the q parameter)');
  return new Parser(query).parse();
}

// ---------------------------------------------------------------- evaluation

/** Ids compare on their 18-character form, case-sensitively: a 15-character literal is extended. */
function idText(value: string): string {
  return value.length === 15 ? value + caseSafeSuffix(value) : value;
}

function normalise(field: SfField, value: SfValue): SfValue {
  if (value === null) return null;
  if (field.type === 'id' || field.type === 'reference') return idText(String(value));
  if (TEXT_TYPES.has(field.type)) return String(value).toLowerCase();
  return value;
}

function literalValue(field: SfField, literal: Literal): SfValue {
  switch (literal.kind) {
    case 'null':
      return null;
    case 'string':
      return normalise(field, literal.value);
    default:
      return literal.value;
  }
}

function compareValues(a: SfValue, b: SfValue): number {
  if (a === b) return 0;
  return (a as number | string) < (b as number | string) ? -1 : 1;
}

/** LIKE: % any run, _ one character, \% and \_ themselves; without regard to case. */
function likePattern(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern.charAt(i);
    if (char === '\\' && (pattern.charAt(i + 1) === '%' || pattern.charAt(i + 1) === '_')) {
      source += pattern.charAt(++i);
    } else if (char === '%') source += '.*';
    else if (char === '_') source += '.';
    else source += char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'is');
}

export function compileCondition(condition: Condition): (record: SfRecord) => boolean {
  switch (condition.kind) {
    case 'and': {
      const children = condition.children.map(compileCondition);
      return (record) => children.every((test) => test(record));
    }
    case 'or': {
      const children = condition.children.map(compileCondition);
      return (record) => children.some((test) => test(record));
    }
    case 'not': {
      const child = compileCondition(condition.child);
      return (record) => !child(record);
    }
    case 'compare': {
      const { field, op } = condition;
      const read = (record: SfRecord) => normalise(field, record[field.name] ?? null);
      if (op === 'LIKE') {
        const literal = condition.values[0]!;
        if (literal.kind === 'null') return () => false;
        const pattern = likePattern((literal as { value: string }).value);
        return (record) => {
          const value = record[field.name];
          return value !== null && value !== undefined && pattern.test(String(value));
        };
      }
      const values = condition.values.map((literal) => literalValue(field, literal));
      const expected = values[0] ?? null;
      switch (op) {
        case '=':
          return (record) => read(record) === expected;
        case '!=':
          return (record) => read(record) !== expected;
        case 'IN':
          return (record) => values.includes(read(record));
        case 'NOT IN':
          return (record) => !values.includes(read(record));
        default: {
          const accept = { '<': (o: number) => o < 0, '<=': (o: number) => o <= 0, '>': (o: number) => o > 0, '>=': (o: number) => o >= 0 }[op];
          return (record) => {
            const actual = read(record);
            return actual !== null && expected !== null && accept(compareValues(actual, expected));
          };
        }
      }
    }
  }
}

/** The records the query selects, in its order (index order when it has none), before LIMIT. */
export function selectRecords(query: SoqlQuery, records: readonly SfRecord[]): SfRecord[] {
  const test = query.where ? compileCondition(query.where) : () => true;
  const selected = records.filter(test);
  if (query.orderBy.length === 0) return selected;
  const positions = new Map(selected.map((record, i) => [record, i]));
  return selected.sort((a, b) => {
    for (const item of query.orderBy) {
      const left = normalise(item.field, a[item.field.name] ?? null);
      const right = normalise(item.field, b[item.field.name] ?? null);
      if (left === right) continue;
      if (left === null) return item.nullsLast ? 1 : -1;
      if (right === null) return item.nullsLast ? -1 : 1;
      const order = compareValues(left, right);
      return item.descending ? -order : order;
    }
    return positions.get(a)! - positions.get(b)!;
  });
}
