// `npx tsx connectors/gainsight-px/simulator/main.ts`: a PX simulator for local runs, benchmarks
// and chaos tests, configured from the environment.
import { startPxSimulator } from './server.js';
import { integerFromEnv } from '../../simulators.js';

const simulator = await startPxSimulator({
  port: integerFromEnv('PX_SIM_PORT', 4010),
  host: process.env.PX_SIM_HOST || '127.0.0.1',
  apiKey: process.env.PX_SIM_API_KEY || 'px-demo-key',
  data: {
    accounts: integerFromEnv('PX_SIM_ACCOUNTS', 200),
    users: integerFromEnv('PX_SIM_USERS', 2000),
    seed: integerFromEnv('PX_SIM_SEED', 1),
  },
});
console.log(
  `Gainsight PX simulator listening on ${simulator.url} ` +
    `(${simulator.data.accountCount} accounts, ${simulator.data.userCount} users, seed ${simulator.data.seed}; ` +
    `controls under ${simulator.url.replace(/\/v1$/, '/__sim')})`,
);

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping the PX simulator`);
  await simulator.close();
  process.exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stop(signal).catch((error: unknown) => {
      console.error('PX simulator: failed to stop cleanly', error);
      process.exit(1);
    });
  });
}
