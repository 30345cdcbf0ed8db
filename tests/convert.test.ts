import { describe, expect, it } from 'vitest';
import { convertValue, valuesEqual } from '../sync/convert.js';
import type { Converted } from '../sync/convert.js';
import { getPath, hasPath } from '../sync/paths.js';

const value = (converted: Converted) => {
  if (!converted.ok) throw new Error(`expected a converted value, got error: ${converted.reason}`);
  return converted.value;
};
const reason = (converted: Converted) => {
  if (converted.ok) throw new Error(`expected an error, got ${String(converted.value)}`);
  return converted.reason;
};

describe('dotted paths into source records', () => {
  const record = {
    name: 'Acme',
    customAttributes: { plan: 'gold', seats: 0 },
    location: { coordinates: { latitude: 45.5 } },
    tags: ['a', 'b'],
    empty: null,
  };

  it('reads nested fields such as customAttributes.plan and location.coordinates.latitude', () => {
    expect(getPath(record, 'customAttributes.plan')).toBe('gold');
    expect(getPath(record, 'location.coordinates.latitude')).toBe(45.5);
    expect(getPath(record, 'customAttributes.seats')).toBe(0);
    expect(getPath(record, 'tags.1')).toBe('b');
  });

  it('gives undefined when a segment is missing or a non-object is in the way', () => {
    expect(getPath(record, 'customAttributes.missing')).toBeUndefined();
    expect(getPath(record, 'nope.plan')).toBeUndefined();
    expect(getPath(record, 'name.length')).toBeUndefined();
    expect(getPath(record, 'empty.x')).toBeUndefined();
    expect(getPath(null, 'name')).toBeUndefined();
    expect(getPath('text', 'length')).toBeUndefined();
  });

  it('never reads inherited properties such as toString or constructor', () => {
    expect(getPath(record, 'toString')).toBeUndefined();
    expect(getPath(record, 'customAttributes.constructor')).toBeUndefined();
    expect(hasPath(record, 'toString')).toBe(false);
  });

  it('tells a present null apart from a missing field', () => {
    expect(hasPath(record, 'empty')).toBe(true);
    expect(hasPath(record, 'customAttributes.plan')).toBe(true);
    expect(hasPath(record, 'customAttributes.tier')).toBe(false);
    expect(hasPath(record, 'empty.x')).toBe(false);
  });

  it('keeps answering correctly after many distinct paths', () => {
    for (let i = 0; i < 2500; i += 1) expect(getPath({ [`f${i}`]: { v: i } }, `f${i}.v`)).toBe(i);
    expect(getPath(record, 'customAttributes.plan')).toBe('gold');
  });
});

describe('empty source values', () => {
  it.each(['string', 'number', 'boolean', 'date', 'datetime', 'email', 'gsid'] as const)(
    'undefined, null and "" become null for a %s field',
    (type) => {
      expect(convertValue(undefined, type)).toEqual({ ok: true, value: null });
      expect(convertValue(null, type)).toEqual({ ok: true, value: null });
      expect(convertValue('', type)).toEqual({ ok: true, value: null });
    },
  );
});

describe('string fields', () => {
  it('keep text as it is, including surrounding spaces', () => {
    expect(value(convertValue('  Acme ', 'string'))).toBe('  Acme ');
  });

  it('take numbers and booleans as their text', () => {
    expect(value(convertValue(42.5, 'string'))).toBe('42.5');
    expect(value(convertValue(false, 'string'))).toBe('false');
  });

  it('take objects and lists as JSON, and dates as ISO text', () => {
    expect(value(convertValue({ a: 1 }, 'string'))).toBe('{"a":1}');
    expect(value(convertValue(['AP-1', 'AP-2'], 'string'))).toBe('["AP-1","AP-2"]');
    expect(value(convertValue(new Date(Date.UTC(2024, 2, 7)), 'string'))).toBe('2024-03-07T00:00:00.000Z');
  });
});

describe('number fields', () => {
  it('take finite numbers and numeric text', () => {
    expect(value(convertValue(12.5, 'number'))).toBe(12.5);
    expect(value(convertValue(' 42 ', 'number'))).toBe(42);
    expect(value(convertValue('-1.5e3', 'number'))).toBe(-1500);
    expect(value(convertValue(0, 'number'))).toBe(0);
  });

  it('a wrong-typed custom attribute is a record error, never a silent null', () => {
    const converted = convertValue('many', 'number');
    expect(converted.ok).toBe(false);
    expect(reason(converted)).toBe('expected a number, got "many"');
  });

  it('reject text that Number() would misread: blanks, hex, Infinity, thousands separators', () => {
    for (const text of ['   ', '0x1F', 'Infinity', '1,000', '12abc']) {
      expect(reason(convertValue(text, 'number'))).toBe(`expected a number, got ${JSON.stringify(text)}`);
    }
  });

  it('reject NaN, Infinity, booleans, dates and objects', () => {
    expect(reason(convertValue(Number.NaN, 'number'))).toBe('expected a number, got NaN');
    expect(reason(convertValue(Number.POSITIVE_INFINITY, 'number'))).toBe('expected a number, got Infinity');
    expect(reason(convertValue(true, 'number'))).toBe('expected a number, got true');
    expect(reason(convertValue({ n: 1 }, 'number'))).toBe('expected a number, got an object {"n":1}');
  });

  it('quote the offending value in the error, cut to 60 characters', () => {
    const long = 'x'.repeat(100);
    expect(reason(convertValue(long, 'number'))).toBe(`expected a number, got "${'x'.repeat(60)}…"`);
  });

  it('a whole-number field rejects a fraction instead of rounding it', () => {
    expect(reason(convertValue(12.5, 'number', { integer: true }))).toBe('expected a whole number, got 12.5');
    expect(reason(convertValue('12.5', 'number', { integer: true }))).toBe('expected a whole number, got 12.5');
    expect(value(convertValue('12', 'number', { integer: true }))).toBe(12);
    expect(value(convertValue(12.0, 'number', { integer: true }))).toBe(12);
  });
});

describe('boolean fields', () => {
  it.each([
    [true, true], [false, false], ['true', true], ['FALSE', false], ['Yes', true], ['no', false],
    ['1', true], ['0', false], [1, true], [0, false], [' yes ', true],
  ])('read %j as %s', (input, expected) => {
    expect(value(convertValue(input, 'boolean'))).toBe(expected);
  });

  it('reject anything else with the accepted spellings in the reason', () => {
    expect(reason(convertValue('maybe', 'boolean'))).toBe('expected true or false (or yes/no, 1/0), got "maybe"');
    expect(convertValue(2, 'boolean').ok).toBe(false);
  });
});

describe('datetime fields', () => {
  const march7 = Date.UTC(2024, 2, 7, 15, 30, 0);

  it('read PX dates: int64 epoch milliseconds, as a number or as text', () => {
    expect(value(convertValue(march7, 'datetime'))).toEqual(new Date(march7));
    expect(value(convertValue(String(march7), 'datetime'))).toEqual(new Date(march7));
    expect(value(convertValue(0, 'datetime'))).toEqual(new Date(0));
  });

  it('read ISO 8601 text with and without an offset (no offset means UTC, on every worker)', () => {
    expect(value(convertValue('2024-03-07T15:30:00Z', 'datetime'))).toEqual(new Date(march7));
    expect(value(convertValue('2024-03-07T15:30:00.000+00:00', 'datetime'))).toEqual(new Date(march7));
    expect(value(convertValue('2024-03-07T10:30:00-05:00', 'datetime'))).toEqual(new Date(march7));
    expect(value(convertValue('2024-03-07T21:00+0530', 'datetime'))).toEqual(new Date(march7));
    expect(value(convertValue('2024-03-07 15:30:00', 'datetime'))).toEqual(new Date(march7));
    expect(value(convertValue('2024-03-07', 'datetime'))).toEqual(new Date(Date.UTC(2024, 2, 7)));
    expect(value(convertValue('2024-03-07T15:30:00.123456Z', 'datetime'))).toEqual(new Date(march7 + 123));
  });

  it('take a Date as a copy, so later changes to the source do not leak in', () => {
    const source = new Date(march7);
    const converted = value(convertValue(source, 'datetime'));
    source.setTime(0);
    expect(converted).toEqual(new Date(march7));
  });

  it('reject impossible and non-ISO dates instead of rolling them over or guessing', () => {
    for (const text of ['2024-02-30', '2023-02-29T00:00:00Z', '2024-03-07T24:00:00Z', '03/07/2024', 'March 7, 2024', 'soon']) {
      expect(reason(convertValue(text, 'datetime'))).toBe(
        `expected a date and time (ISO 8601 or epoch milliseconds), got ${JSON.stringify(text)}`,
      );
    }
    expect(value(convertValue('2024-02-29', 'datetime'))).toEqual(new Date(Date.UTC(2024, 1, 29)));
  });

  it('reject invalid Dates, booleans and epoch values beyond the range of a date', () => {
    expect(reason(convertValue(new Date(Number.NaN), 'datetime'))).toContain('got an invalid date');
    expect(convertValue(true, 'datetime').ok).toBe(false);
    expect(convertValue(9e15, 'datetime').ok).toBe(false);
  });
});

describe('date fields', () => {
  const midnight = new Date(Date.UTC(2024, 2, 7));

  it('store UTC midnight of the day an instant falls on (epoch ms, Date)', () => {
    expect(value(convertValue(Date.UTC(2024, 2, 7, 23, 59), 'date'))).toEqual(midnight);
    expect(value(convertValue(String(Date.UTC(2024, 2, 7, 1)), 'date'))).toEqual(midnight);
    expect(value(convertValue(new Date(Date.UTC(2024, 2, 7, 12)), 'date'))).toEqual(midnight);
  });

  it('keep the calendar day a written date names, whatever its offset', () => {
    expect(value(convertValue('2024-03-07', 'date'))).toEqual(midnight);
    expect(value(convertValue('2024-03-07T22:00:00-08:00', 'date'))).toEqual(midnight);
  });

  it('take UTC days before 1970 correctly', () => {
    expect(value(convertValue(-1, 'date'))).toEqual(new Date(Date.UTC(1969, 11, 31)));
  });

  it('reject text that is not a date', () => {
    expect(reason(convertValue('2024-13-01', 'date'))).toBe('expected a date (ISO 8601 or epoch milliseconds), got "2024-13-01"');
  });
});

describe('email fields', () => {
  it('keep a valid address as given, case included', () => {
    expect(value(convertValue('Nora.Smith@Example.com', 'email'))).toBe('Nora.Smith@Example.com');
    expect(value(convertValue(' nora@example.co.uk ', 'email'))).toBe('nora@example.co.uk');
  });

  it('reject what is not an address', () => {
    for (const text of ['nora', 'nora@', '@example.com', 'nora@example', 'a@b@example.com', 'nora smith@example.com', 'nora@example..com']) {
      expect(reason(convertValue(text, 'email'))).toBe(`expected an email address, got ${JSON.stringify(text)}`);
    }
    expect(reason(convertValue(42, 'email'))).toBe('expected an email address, got 42');
  });
});

describe('gsid fields', () => {
  const gsid = '1P02F3GXAB0LUTL2CVTB8ZT6A5DQTWPF9K8A';

  it('take 36 letters, digits and dashes', () => {
    expect(value(convertValue(gsid, 'gsid'))).toBe(gsid);
    expect(value(convertValue('3f2c8a1e-4b5d-4c6e-8f70-1a2b3c4d5e6f', 'gsid'))).toBe('3f2c8a1e-4b5d-4c6e-8f70-1a2b3c4d5e6f');
  });

  it('reject ids of the wrong length or with other characters', () => {
    expect(reason(convertValue('abc', 'gsid'))).toBe('expected a GSID (36 letters, digits and dashes), got "abc"');
    expect(convertValue(`${gsid.slice(0, 35)}_`, 'gsid').ok).toBe(false);
    expect(convertValue(123, 'gsid').ok).toBe(false);
  });
});

describe('detecting whether an update changes anything', () => {
  it('treats null and undefined as the same empty value', () => {
    expect(valuesEqual(null, undefined, 'string')).toBe(true);
    expect(valuesEqual(null, 'x', 'string')).toBe(false);
    expect(valuesEqual(0, null, 'number')).toBe(false);
  });

  it('compares dates by instant, whether stored as Date or ISO text', () => {
    const at = Date.UTC(2024, 2, 7, 15, 30);
    expect(valuesEqual(new Date(at), new Date(at), 'datetime')).toBe(true);
    expect(valuesEqual(new Date(at), '2024-03-07T15:30:00.000Z', 'datetime')).toBe(true);
    expect(valuesEqual(new Date(at), at, 'datetime')).toBe(true);
    expect(valuesEqual(new Date(at), new Date(at + 1), 'datetime')).toBe(false);
    expect(valuesEqual(new Date(Date.UTC(2024, 2, 7)), '2024-03-07', 'date')).toBe(true);
  });

  it('compares numbers numerically, since a database numeric may come back as text', () => {
    expect(valuesEqual(12.5, '12.50', 'number')).toBe(true);
    expect(valuesEqual(12, 12.5, 'number')).toBe(false);
  });

  it('counts a change of case in an email as a change of the stored value', () => {
    expect(valuesEqual('nora@example.com', 'nora@example.com', 'email')).toBe(true);
    expect(valuesEqual('nora@example.com', 'Nora@example.com', 'email')).toBe(false);
  });

  it('compares text and booleans exactly', () => {
    expect(valuesEqual('Acme', 'acme', 'string')).toBe(false);
    expect(valuesEqual(true, 'true', 'boolean')).toBe(true);
    expect(valuesEqual(true, false, 'boolean')).toBe(false);
  });
});

describe('values the platform cannot store are record errors before they reach the database', () => {
  it('text holding a NUL character (U+0000), whatever the field type', () => {
    for (const type of ['string', 'email', 'gsid', 'number', 'datetime'] as const) {
      expect(reason(convertValue('Ac\u0000me', type))).toMatch(/holds a NUL character \(U\+0000\)/);
    }
  });

  it('a whole number outside a PostgreSQL integer, such as employees = 3000000000', () => {
    expect(reason(convertValue(3_000_000_000, 'number', { integer: true }))).toBe('expected a whole number from -2147483648 to 2147483647, got 3000000000');
    expect(reason(convertValue('-2147483649', 'number', { integer: true }))).toMatch(/from -2147483648 to 2147483647/);
    expect(value(convertValue(2_147_483_647, 'number', { integer: true }))).toBe(2_147_483_647);
    // A fractional field is a double precision column: the same number fits it.
    expect(value(convertValue(3_000_000_000, 'number'))).toBe(3_000_000_000);
  });

  it('a date and time outside the years 1 to 9999', () => {
    expect(reason(convertValue(253_402_300_800_000, 'datetime'))).toBe('expected a date and time between the years 1 and 9999, got 253402300800000');
    expect(reason(convertValue(-62_135_596_800_001, 'datetime'))).toMatch(/between the years 1 and 9999/);
    expect(reason(convertValue('0000-12-31T23:59:59Z', 'datetime'))).toMatch(/between the years 1 and 9999/);
    expect(value(convertValue('0001-01-01T00:00:00Z', 'datetime'))).toEqual(new Date('0001-01-01T00:00:00Z'));
    expect(value(convertValue('9999-12-31T23:59:59.999Z', 'datetime'))).toEqual(new Date('9999-12-31T23:59:59.999Z'));
    expect(reason(convertValue(253_402_300_800_000, 'date'))).toMatch(/a date between the years 1 and 9999/);
  });

  it('text longer than a field holds: a million characters, or 2,000 bytes for an indexed field', () => {
    expect(reason(convertValue('x'.repeat(1_000_001), 'string'))).toBe('the text is 1000001 characters long; this field holds at most 1000000');
    expect(value(convertValue('x'.repeat(2_000), 'string', { indexed: true }))).toHaveLength(2_000);
    expect(reason(convertValue('é'.repeat(1_001), 'string', { indexed: true }))).toBe('the text is 2002 bytes long; this field is indexed and holds at most 2000 bytes');
  });
});
