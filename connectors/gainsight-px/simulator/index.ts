export { PxDataset, DEFAULT_BASE_TIME, type PxDataOptions } from './data.js';
export { startPxSimulator, type PxSimulator, type PxSimulatorOptions } from './server.js';
export { PxFaults, type PxFaultState, type RateLimitOptions } from './faults.js';
export { PxStats, type SeenListQuery } from './stats.js';
export { attributesOf, type PxAttribute } from './attributes.js';
export type { PxAccount, PxLocation, PxObject, PxUser, PxUserType } from './records.js';
