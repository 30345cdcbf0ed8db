export { startSalesforceSimulator, intendedTarget, SIMULATED_API_VERSION, type SalesforceSimulator, type SalesforceSimulatorOptions } from './server.js';
export { OrgDataset, OBJECT_NAMES, DEFAULT_BASE_TIME, type OrgDataOptions, type SfRecord, type SfValue, type DataObject } from './data.js';
export { defaultOrgs, PRODUCTION_LOGIN_HOST, SANDBOX_LOGIN_HOST, type Org, type OrgDefinition } from './orgs.js';
export { OBJECTS, findObject, type SfField, type SfObject, type SfFieldType } from './schema.js';
export { challengeOf, type ConnectedAppOptions } from './auth.js';
export { DEMO_APP } from './demo.js';
