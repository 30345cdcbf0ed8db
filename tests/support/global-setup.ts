// One Temporal dev server (the CLI from `npm run setup`, through @temporalio/testing) and one
// migrated template database for the whole test run.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { migrateDatabase } from '../../db/migrate.js';
import { searchAttributeKeys } from '../../temporal/names.js';
import { temporalCliPath } from '../../temporal/dev-server.js';
import { workflowsPath } from '../../worker.js';
import { ADMIN_URL, TEMPLATE_DB, databaseUrlFor } from './databases.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
  }
}

let env: TestWorkflowEnvironment | undefined;

export async function setup(project: TestProject): Promise<void> {
  // Test workers are forked after this and inherit the name.
  process.env.SYNCLINE_TEST_TEMPLATE = TEMPLATE_DB;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`drop database if exists ${TEMPLATE_DB} with (force)`);
  await admin.end();
  await migrateDatabase(databaseUrlFor(TEMPLATE_DB));

  env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCliPath() },
      searchAttributes: Object.values(searchAttributeKeys),
      extraArgs: ['--log-level', 'error'],
    },
  });
  const bundle = await bundleWorkflowCode({ workflowsPath, logger: quietLogger });
  const dir = await mkdtemp(join(tmpdir(), 'syncline-test-'));
  const workflowBundlePath = join(dir, 'workflows.js');
  await writeFile(workflowBundlePath, bundle.code);
  project.provide('temporalAddress', env.address);
  project.provide('workflowBundlePath', workflowBundlePath);
}

export async function teardown(): Promise<void> {
  await env?.teardown();
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`drop database if exists ${TEMPLATE_DB} with (force)`);
  await admin.end();
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
