// The direct baseline in a process of its own, started with the worker's node flags: the same
// heap bounds (and garbage collection) as the worker, so that end to end against direct compares
// Temporal's cost and nothing else. Prints one line, `DIRECT_RESULT <json>`.
import { runDirect } from './direct.js';

const need = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const result = await runDirect({ databaseUrl: need('DIRECT_DATABASE_URL'), pxUrl: need('DIRECT_PX_URL'), pxKey: need('DIRECT_PX_KEY') });
console.log(`DIRECT_RESULT ${JSON.stringify(result)}`);
