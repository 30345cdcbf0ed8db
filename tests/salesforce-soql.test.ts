// What the Salesforce connector sends: filters pushed down only where SOQL keeps exactly the records
// the engine's own filter keeps (checked against the simulator's SOQL evaluator over untidy data),
// literals escaped, and hosts only ever Salesforce's.
import { describe, expect, it } from 'vitest';
import { compileFilter } from '../sync/filters.js';
import type { FilterCondition, FilterSpec } from '../sync/types.js';
import { pushdown, selectQuery, soqlString, windowCondition, afterCondition } from '../connectors/salesforce/soql.js';
import { hostProblems, instanceOriginOf, loginHostOf, parseCustomDomain } from '../connectors/salesforce/hosts.js';
import type { SfFieldInfo } from '../connectors/salesforce/describe.js';
import { OrgDataset } from '../connectors/salesforce/simulator/data.js';
import { findObject } from '../connectors/salesforce/simulator/schema.js';
import { parseSoql, selectRecords } from '../connectors/salesforce/simulator/soql.js';
import { restRecord } from '../connectors/salesforce/simulator/render.js';

const data = new OrgDataset({ accounts: 400, contacts: 300, seed: 21 });
const describeOf = (name: string): Map<string, SfFieldInfo> => new Map(findObject(name)!.fields.map((f) => [f.name, { name: f.name, label: f.label, type: f.type, custom: f.custom, filterable: f.filterable }]));

/** Ids of the records the engine keeps, and of those Salesforce returns for the pushed-down condition. */
function both(object: 'Account' | 'Contact', spec: FilterSpec): { engine: Set<string>; soql: Set<string> | null; pushed: string } {
  const schema = findObject(object)!;
  const records = data.all(object);
  const keep = compileFilter(spec);
  const engine = new Set(records.filter((r) => keep(restRecord(schema, schema.fields, r, '62.0'))).map((r) => String(r.Id)));
  const pushed = pushdown(spec, describeOf(object));
  if (pushed === '') return { engine, soql: null, pushed };
  const query = parseSoql(selectQuery({ object, fields: ['Id'], conditions: [pushed], ordered: false }));
  return { engine, soql: new Set(selectRecords(query, records).map((r) => String(r.Id))), pushed };
}

const spec = (...conditions: Omit<FilterCondition, 'id'>[]): FilterSpec => ({ conditions: conditions.map((c, i) => ({ ...c, id: String.fromCharCode(65 + i) })), logic: null });

describe('filter push-down', () => {
  const exact: [string, Omit<FilterCondition, 'id'>][] = [
    ['a picklist value in another case', { field: 'Industry', op: 'eq', value: 'TECHNOLOGY' }],
    ['an inactive picklist value', { field: 'Industry', op: 'eq', value: 'Dot Com' }],
    ['a list of text', { field: 'Industry', op: 'in', value: ['banking', 'Media'] }],
    ['a whole number', { field: 'NumberOfEmployees', op: 'gte', value: 50_000 }],
    ['a number written as text', { field: 'AnnualRevenue', op: 'lt', value: '100000000' }],
    ['a number, equal', { field: 'Seats__c', op: 'eq', value: data.all('Account').find((a) => a.Seats__c !== null)!.Seats__c }],
    ['a percent', { field: 'Health_Score__c', op: 'gt', value: 50.5 }],
    ['a date', { field: 'Customer_Since__c', op: 'lt', value: '2024-01-01' }],
    ['a datetime with an offset', { field: 'SystemModstamp', op: 'gte', value: '2024-06-01T12:00:00+02:00' }],
    ['a datetime, at most', { field: 'CreatedDate', op: 'lte', value: '2023-09-01T00:00:00Z' }],
    ['a prefix', { field: 'Name', op: 'starts_with', value: 'ACME' }],
    ['a substring with LIKE wildcards in it', { field: 'Name', op: 'contains', value: '0_1' }],
    ['a suffix', { field: 'Website', op: 'ends_with', value: '-INC.example.COM' }],
    ['a long text area, which SOQL cannot filter', { field: 'Description', op: 'is_null' }],
    ['an empty field', { field: 'Industry', op: 'is_null' }],
    ['a filled field', { field: 'AnnualRevenue', op: 'is_not_null' }],
    ['a boolean', { field: 'IsDeleted', op: 'eq', value: false }],
  ];
  for (const [what, condition] of exact) {
    it(`keeps exactly what the engine keeps: ${what}`, () => {
      const { engine, soql, pushed } = both('Account', spec(condition));
      if (condition.field === 'Description') {
        // A long text area cannot be filtered in SOQL: it stays with the engine.
        expect(pushed).toBe('');
        return;
      }
      expect(pushed).not.toBe('');
      expect(soql).toEqual(engine);
    });
  }

  it('those conditions select real subsets of the data, so that agreeing means something', () => {
    const sizes = exact.filter(([, c]) => c.field !== 'Description').map(([, c]) => both('Account', spec(c)).engine.size);
    // All but two: no name holds a literal "0_1" (a wildcard would match 0101), and no account is deleted.
    expect(sizes.filter((n) => n > 0 && n < 400).length).toBe(sizes.length - 2);
  });

  it('keeps what the engine compares on its own terms with the engine: negations, ids, numeric text, text order', () => {
    const kept: Omit<FilterCondition, 'id'>[] = [
      { field: 'Industry', op: 'ne', value: 'Banking' },
      { field: 'Industry', op: 'not_in', value: ['Banking'] },
      { field: 'Name', op: 'not_contains', value: 'a' },
      { field: 'Id', op: 'eq', value: String(data.all('Account')[3]!.Id).toLowerCase() },
      { field: 'Name', op: 'eq', value: '0042' },
      { field: 'Name', op: 'gt', value: 'M' },
      { field: 'SystemModstamp', op: 'gt', value: 1_700_000_000_000 },
      { field: 'Name', op: 'contains', value: 'a\\b' },
    ];
    for (const condition of kept) expect(both('Account', spec(condition)).pushed, JSON.stringify(condition)).toBe('');
    expect(both('Contact', spec({ field: 'AccountId', op: 'eq', value: String(data.all('Account')[1]!.Id) })).pushed).toBe('');
  });

  it('pushes the pushable part of an AND, and an OR only whole, in parentheses', () => {
    const and = both('Account', spec({ field: 'Industry', op: 'ne', value: 'Banking' }, { field: 'NumberOfEmployees', op: 'lt', value: 1000 }));
    expect(and.pushed).toBe('NumberOfEmployees < 1000');
    expect([...and.engine].every((id) => and.soql!.has(id))).toBe(true);
    const or = both('Account', { ...spec({ field: 'Industry', op: 'is_null' }, { field: 'AnnualRevenue', op: 'gt', value: 1e9 }, { field: 'Name', op: 'starts_with', value: 'Hooli' }), logic: '(A OR B) AND C' });
    expect(or.pushed).toBe("((Industry = null OR AnnualRevenue > 1000000000) AND Name LIKE 'Hooli%')");
    expect(or.soql).toEqual(or.engine);
    expect(both('Account', { ...spec({ field: 'Industry', op: 'is_null' }, { field: 'Industry', op: 'ne', value: 'x' }), logic: 'A OR B' }).pushed).toBe('');
  });

  it('escapes what it quotes, and resumes after a record in (SystemModstamp, Id) order', () => {
    expect(soqlString("O'Brien \\ \"x\"\nnext")).toBe("'O\\'Brien \\\\ \\\"x\\\"\\nnext'");
    const name = both('Contact', spec({ field: 'LastName', op: 'eq', value: "O'Brien" }));
    expect(name.pushed).toBe("LastName = 'O\\'Brien'");
    expect(name.soql).toEqual(name.engine);
    expect(name.engine.size).toBeGreaterThan(0);
    expect(windowCondition({ from: new Date(0), to: new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 6)) })).toBe('SystemModstamp >= 1970-01-01T00:00:00.000Z AND SystemModstamp < 2025-01-02T03:04:05.006Z');
    expect(afterCondition({ modstamp: '2024-03-07T12:00:00.000+0000', id: "001'x" })).toBe("(SystemModstamp > 2024-03-07T12:00:00.000Z OR (SystemModstamp = 2024-03-07T12:00:00.000Z AND Id > '001\\'x'))");
  });
});

describe('Salesforce hosts', () => {
  it('log in where the org type or the My Domain says, and nowhere else', () => {
    expect(loginHostOf({ orgType: 'production' })).toBe('login.salesforce.com');
    expect(loginHostOf({ orgType: 'sandbox' })).toBe('test.salesforce.com');
    expect(loginHostOf({ customDomain: 'Acme' })).toBe('acme.my.salesforce.com');
    expect(loginHostOf({ orgType: 'sandbox', customDomain: 'https://acme--uat.sandbox.my.salesforce.com/' })).toBe('acme--uat.sandbox.my.salesforce.com');
    for (const bad of ['acme.evil.com', 'https://acme.my.salesforce.com.evil.io', 'acme.my.salesforce.com:8443', '127.0.0.1', 'acme/../x', 'a'.repeat(60), '-acme', 'acme--uat.my.salesforce.com']) {
      expect(parseCustomDomain(bad), bad).toBeNull();
    }
    expect(hostProblems({ orgType: 'production', customDomain: 'acme--uat' })).toHaveLength(1);
  });

  it("trust an instance URL only when it is https on a Salesforce host", () => {
    expect(instanceOriginOf('https://acme.my.salesforce.com')).toBe('https://acme.my.salesforce.com');
    expect(instanceOriginOf('https://na123.salesforce.com/')).toBe('https://na123.salesforce.com');
    for (const bad of ['http://acme.my.salesforce.com', 'https://acme.my.salesforce.com.evil.io', 'https://salesforce.com.evil.io', 'https://acme.my.salesforce.com:444', 'https://user@acme.my.salesforce.com', 'https://169.254.169.254', 'not a url', 42]) {
      expect(instanceOriginOf(bad), String(bad)).toBeNull();
    }
  });
});
