// Converting source values to a target field's type. A value that does not fit is a record error with
// a reason a person can act on, never a silent null (SPEC "Target objects").

import type { FieldType } from './types.js';

export type ConvertedValue = string | number | boolean | Date | null;
export type Converted = { ok: true; value: ConvertedValue } | { ok: false; reason: string };

export interface ConvertOptions {
  /** The target column holds whole numbers only (e.g. `employees`): a PostgreSQL `integer`. */
  integer?: boolean;
  /** The target column is indexed, which bounds how long its text may be. */
  indexed?: boolean;
}

const DAY_MS = 86_400_000;
/** The range of a JavaScript Date; beyond it `new Date(n)` is invalid. */
const MAX_EPOCH_MS = 8.64e15;
const MAX_SHOWN_CHARS = 60;

// What the platform's columns can hold, checked before any value reaches SQL: a value beyond them
// would make PostgreSQL refuse the whole page, so it is a record error naming the field instead.
/** A PostgreSQL `integer`. */
const MIN_INTEGER = -2_147_483_648;
const MAX_INTEGER = 2_147_483_647;
/** Years 1 to 9999: what ISO 8601's four-digit years write and PostgreSQL reads back unchanged. */
// setUTCFullYear, unlike Date.UTC, does not read years 0–99 as 1900–1999.
const MIN_TIME_MS = new Date(0).setUTCFullYear(1, 0, 1);
const MAX_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** Text of an unindexed field; a longer value is almost certainly not what the source meant. */
export const MAX_TEXT_CHARS = 1_000_000;
/** Text of an indexed field: a B-tree entry holds at most about 2.7 kB. */
export const MAX_INDEXED_TEXT_BYTES = 2_000;

const ok = (value: ConvertedValue): Converted => ({ ok: true, value });
const fail = (expected: string, value: unknown): Converted => ({ ok: false, reason: `expected ${expected}, got ${describe(value)}` });

export function convertValue(value: unknown, type: FieldType, options: ConvertOptions = {}): Converted {
  if (value === undefined || value === null || value === '') return ok(null);
  if (typeof value === 'string' && value.includes('\u0000')) {
    return { ok: false, reason: `the text ${describe(value)} holds a NUL character (U+0000), which no field can store; remove it at the source` };
  }
  switch (type) {
    case 'string': return boundedText(toText(value), options.indexed === true);
    case 'number': return toNumber(value, options.integer === true);
    case 'boolean': return toBoolean(value);
    case 'datetime': return toDatetime(value);
    case 'date': return toDate(value);
    case 'email': return boundedText(toEmail(value), options.indexed === true);
    case 'gsid': return toGsid(value);
  }
}

/** Whether an update changes the stored value, comparing the way the field's type stores values. */
export function valuesEqual(a: unknown, b: unknown, type: FieldType): boolean {
  const left = normalise(a, type);
  const right = normalise(b, type);
  if (left === null || right === null) return left === right;
  if (left instanceof Date && right instanceof Date) return left.getTime() === right.getTime();
  return left === right;
}

/**
 * Both sides pass through the same conversion so that a database's `"12.50"` equals a source's 12.5
 * and a stored ISO string equals a Date. An unconvertible value is compared as it is.
 */
function normalise(value: unknown, type: FieldType): unknown {
  const converted = convertValue(value, type);
  return converted.ok ? converted.value : value;
}

// ---------------------------------------------------------------- per type

function toText(value: unknown): Converted {
  if (typeof value === 'string') return ok(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return ok(String(value));
  if (value instanceof Date) return isValidDate(value) ? ok(value.toISOString()) : fail('text', value);
  if (typeof value === 'object') return ok(JSON.stringify(value));
  return fail('text', value);
}

function toNumber(value: unknown, integer: boolean): Converted {
  const number = parseNumber(value);
  if (number === undefined) return fail('a number', value);
  if (integer && !Number.isInteger(number)) return fail('a whole number', number);
  if (integer && (number < MIN_INTEGER || number > MAX_INTEGER)) return fail(`a whole number from ${MIN_INTEGER} to ${MAX_INTEGER}`, number);
  return ok(number);
}

/** Text the field's column and index can hold (see MAX_TEXT_CHARS, MAX_INDEXED_TEXT_BYTES). */
function boundedText(converted: Converted, indexed: boolean): Converted {
  if (!converted.ok || typeof converted.value !== 'string') return converted;
  const text = converted.value;
  if (text.length > MAX_TEXT_CHARS) return { ok: false, reason: `the text is ${text.length} characters long; this field holds at most ${MAX_TEXT_CHARS}` };
  // Bytes are counted only when the characters alone could exceed the bound (4 bytes each at most).
  if (indexed && text.length * 4 > MAX_INDEXED_TEXT_BYTES) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_INDEXED_TEXT_BYTES) return { ok: false, reason: `the text is ${bytes} bytes long; this field is indexed and holds at most ${MAX_INDEXED_TEXT_BYTES} bytes` };
  }
  return converted;
}

const BOOLEAN_WORDS: ReadonlyMap<string, boolean> = new Map([
  ['true', true], ['yes', true], ['1', true],
  ['false', false], ['no', false], ['0', false],
]);

function toBoolean(value: unknown): Converted {
  if (typeof value === 'boolean') return ok(value);
  if (value === 1 || value === 0) return ok(value === 1);
  const word = typeof value === 'string' ? BOOLEAN_WORDS.get(value.trim().toLowerCase()) : undefined;
  return word === undefined ? fail('true or false (or yes/no, 1/0)', value) : ok(word);
}

function toDatetime(value: unknown): Converted {
  const time = instantOf(value);
  if (time === undefined) return fail('a date and time (ISO 8601 or epoch milliseconds)', value);
  return inStoredRange(time) ? ok(new Date(time)) : fail('a date and time between the years 1 and 9999', value);
}

function inStoredRange(time: number): boolean {
  return time >= MIN_TIME_MS && time <= MAX_TIME_MS;
}

/**
 * A date names a day, stored as UTC midnight. A written date keeps the day it says (`2024-03-07T22:00-08:00`
 * is 7 March, as its author meant); an instant with no written day (epoch ms, a Date) takes its UTC day.
 */
function toDate(value: unknown): Converted {
  if (typeof value === 'string' && parseNumber(value) === undefined) {
    const parsed = parseIsoDateTime(value);
    if (parsed === undefined) return fail('a date (ISO 8601 or epoch milliseconds)', value);
    return inStoredRange(parsed.day) ? ok(new Date(parsed.day)) : fail('a date between the years 1 and 9999', value);
  }
  const time = instantOf(value);
  if (time === undefined) return fail('a date (ISO 8601 or epoch milliseconds)', value);
  const day = Math.floor(time / DAY_MS) * DAY_MS;
  return inStoredRange(day) ? ok(new Date(day)) : fail('a date between the years 1 and 9999', value);
}

/** One @, something before it, and a domain with a dot whose labels are not empty. */
const EMAIL_PATTERN = /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/;

function toEmail(value: unknown): Converted {
  // Case is kept as given: the platform compares emails case-insensitively but stores what it was sent.
  const text = typeof value === 'string' ? value.trim() : undefined;
  return text !== undefined && EMAIL_PATTERN.test(text) ? ok(text) : fail('an email address', value);
}

const GSID_PATTERN = /^[A-Za-z0-9-]{36}$/;

function toGsid(value: unknown): Converted {
  const text = typeof value === 'string' ? value.trim() : undefined;
  return text !== undefined && GSID_PATTERN.test(text) ? ok(text) : fail('a GSID (36 letters, digits and dashes)', value);
}

// ---------------------------------------------------------------- parsing shared with filters

/**
 * Decimal notation only: `Number()` alone would also accept `0x1F`, `Infinity` and a blank string
 * (as 0), none of which a person writing a number into a source system means.
 */
const DECIMAL_PATTERN = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

/** A finite number from a number or a numeric string; undefined for anything else. */
export function parseNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (!DECIMAL_PATTERN.test(text)) return undefined;
  const number = Number(text);
  return Number.isFinite(number) ? number : undefined;
}

/** Epoch milliseconds of a datetime value: epoch ms (number or numeric string), ISO 8601 text or a Date. */
export function instantOf(value: unknown): number | undefined {
  if (value instanceof Date) return isValidDate(value) ? value.getTime() : undefined;
  const epochMs = parseNumber(value);
  if (epochMs !== undefined) return Math.abs(epochMs) <= MAX_EPOCH_MS ? epochMs : undefined;
  return typeof value === 'string' ? parseIsoDateTime(value)?.time : undefined;
}

/**
 * ISO 8601 calendar dates and date-times (`T` or a space between them). A date-time without an offset
 * is read as UTC rather than the server's local zone (what `Date.parse` does), so a run gives the same
 * result on every worker. Impossible dates such as 2024-02-30 are rejected, not rolled over.
 */
const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

interface ParsedDateTime {
  /** The instant, in epoch milliseconds. */
  time: number;
  /** UTC midnight of the calendar day as written, in epoch milliseconds. */
  day: number;
}

function parseIsoDateTime(text: string): ParsedDateTime | undefined {
  const match = ISO_PATTERN.exec(text.trim());
  if (match === null) return undefined;
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', offset] = match;
  const y = Number(year), mo = Number(month), d = Number(day);
  const h = Number(hour), mi = Number(minute), s = Number(second);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return undefined;
  const offsetMinutes = parseOffset(offset);
  if (offsetMinutes === undefined) return undefined;
  const ms = Number(fraction.slice(0, 3).padEnd(3, '0'));
  // setUTCFullYear, unlike Date.UTC, does not read years 0–99 as 1900–1999.
  const dayStart = new Date(0).setUTCFullYear(y, mo - 1, d);
  const time = dayStart + ((h * 60 + mi - offsetMinutes) * 60 + s) * 1000 + ms;
  return { time, day: dayStart };
}

function parseOffset(offset: string | undefined): number | undefined {
  if (offset === undefined || offset.toUpperCase() === 'Z') return 0;
  const digits = offset.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || '0');
  if (hours > 23 || minutes > 59) return undefined;
  return (offset.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function isValidDate(date: Date): boolean {
  return !Number.isNaN(date.getTime());
}

// ---------------------------------------------------------------- messages

/** How a value appears in a record error: short, quoted when text, so a blank or a space is visible. */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(truncate(value));
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return isValidDate(value) ? value.toISOString() : 'an invalid date';
  if (Array.isArray(value)) return `a list ${truncate(JSON.stringify(value))}`;
  if (typeof value === 'object' && value !== null) return `an object ${truncate(JSON.stringify(value))}`;
  return `a ${typeof value}`;
}

function truncate(text: string): string {
  return text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}…` : text;
}
