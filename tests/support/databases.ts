import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

const base = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const ADMIN_URL = base;
/**
 * One template per test run (named by the global setup's process), so that two test runs on one
 * machine never drop each other's template.
 */
export const TEMPLATE_DB = process.env.SYNCLINE_TEST_TEMPLATE ?? `syncline_test_template_${process.pid}`;

export function databaseUrlFor(name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A fresh, migrated database copied from the template in a few milliseconds. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `syncline_test_${randomBytes(4).toString('hex')}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name} template ${TEMPLATE_DB}`);
  await admin.end();
  return {
    url: databaseUrlFor(name),
    async drop() {
      const sql = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
      await sql.unsafe(`drop database if exists ${name} with (force)`);
      await sql.end();
    },
  };
}
