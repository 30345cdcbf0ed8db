import type { Connector, ConnectorSession, ReadPage, ReadRequest, SourceField, SourceObject } from '../types.js';
import { invalidConfiguration, SynclineError } from '../../sync/errors.js';
import { PxClient, PX_DESTINATION, PX_MAX_PAGE_SIZE, PX_REGIONS, type PxAttribute } from './client.js';
import { pushdownFilters, windowFilter } from './pushdown.js';
import { companyPersonSyncTemplate, companySyncTemplate } from './jobs.js';
import { pageSizeProblems, unknownOptions } from '../job-options.js';

const OBJECTS = {
  account: { path: 'accounts', model: 'account', label: 'Account', idField: 'id' },
  user: { path: 'users', model: 'user', label: 'User', idField: 'identifyId' },
} as const;
type PxObject = keyof typeof OBJECTS;

/** Sub-fields of `location` seen in PX's examples; the attribute metadata lists only `location`. */
const LOCATION_FIELDS = ['cityName', 'stateCode', 'stateName', 'countryCode', 'countryName', 'continent', 'postalCode', 'regionName', 'timeZone', 'street'];

interface PxCursor {
  scrollId: string | null;
  /** False once PX answered 400 to the filter: from then on the window is applied here. */
  pushdown: boolean;
}

export const gainsightPx: Connector = {
  id: 'gainsight-px',
  name: 'Gainsight PX',
  category: 'Usage Data Systems',
  configFields: [
    { name: 'apiKey', type: 'string', required: true, secret: true, description: 'The REST API key of the PX org (Administration > REST API).' },
    { name: 'region', type: 'enum', required: false, secret: false, description: 'The PX data centre.', default: 'us', values: Object.keys(PX_REGIONS) },
    { name: 'baseUrl', type: 'string', required: false, secret: false, description: "Overrides the region's API URL (ending in /v1); only on Gainsight PX's hosts unless the operator allows others (OUTBOUND_ALLOWED_HOSTS). Changing it requires apiKey again." },
    { name: 'multiInstance', type: 'boolean', required: false, secret: false, description: 'Keep several PX accounts of one company apart as instances. Chosen when the connection is created.', default: false, fixed: true },
  ],
  allowsCustomJobs: false,
  maxConnections: 1,
  urlSettings: [{ field: 'baseUrl', destination: PX_DESTINATION, secret: 'apiKey' }],

  validateConfig(config) {
    const problems: { path: string; message: string }[] = [];
    if (config.region !== undefined && !(typeof config.region === 'string' && config.region in PX_REGIONS)) {
      problems.push({ path: '/config/region', message: `region must be one of ${Object.keys(PX_REGIONS).join(', ')}` });
    }
    if (config.baseUrl !== undefined && config.baseUrl !== null) {
      if (typeof config.baseUrl !== 'string' || !/^https?:\/\/[^\s]+$/.test(config.baseUrl)) {
        problems.push({ path: '/config/baseUrl', message: 'baseUrl must be an http(s) URL such as https://api.aptrinsic.com/v1' });
      }
    }
    if (config.multiInstance !== undefined && typeof config.multiInstance !== 'boolean') {
      problems.push({ path: '/config/multiInstance', message: 'multiInstance must be true or false' });
    }
    return problems;
  },

  validateJobOptions: (options) => [...unknownOptions('Gainsight PX', options, ['pageSize']), ...pageSizeProblems(options, PX_MAX_PAGE_SIZE)],

  outOfTheBoxJobs(connectionName, config) {
    const multiInstance = config.multiInstance === true;
    return [companySyncTemplate(connectionName, multiInstance), companyPersonSyncTemplate(connectionName, multiInstance)];
  },

  open({ config, secrets }, context) {
    const apiKey = secrets.apiKey;
    if (!apiKey) throw invalidConfiguration('The Gainsight PX connection has no API key: set config.apiKey on the connection.');
    const client = new PxClient(PxClient.baseUrlFor(config.region as string | undefined, config.baseUrl as string | undefined), apiKey, context.outbound);
    return new PxSession(client);
  },
};

class PxSession implements ConnectorSession {
  constructor(private readonly client: PxClient) {}

  async test(): Promise<void> {
    await this.client.probe();
  }

  idField(object: string): string {
    return objectOf(object).idField;
  }

  async describeObjects(): Promise<SourceObject[]> {
    return Promise.all(
      (Object.keys(OBJECTS) as PxObject[]).map(async (name) => {
        const def = OBJECTS[name];
        const attributes = await this.client.attributes(def.model);
        return { name, label: def.label, idField: def.idField, fields: describeFields(attributes) };
      }),
    );
  }

  async readPage(request: ReadRequest): Promise<ReadPage> {
    const def = objectOf(request.object);
    const cursor = (request.cursor as PxCursor | null) ?? { scrollId: null, pushdown: true };
    const pageSize = pageSizeOf(request.options.pageSize);
    // Without push-down the scan is full and unfiltered: the engine filters every record anyway.
    const filters = cursor.pushdown ? [[windowFilter(request.window), ...pushdownFilters(request.filters)].join(';')] : [];
    let page;
    try {
      page = await this.client.list(def.path, { pageSize, scrollId: cursor.scrollId, filters });
    } catch (error) {
      const rejectedFilter = error instanceof SynclineError && error.code === 'SOURCE_REQUEST_REJECTED' && cursor.pushdown && cursor.scrollId === null;
      if (!rejectedFilter) throw error;
      return this.readPage({ ...request, cursor: { scrollId: null, pushdown: false } satisfies PxCursor });
    }
    // PX may ignore the window filter, so every record is checked against the window here too.
    const from = request.window.from.getTime();
    const to = request.window.to.getTime();
    const records = page.records.filter((record) => {
      const modified = record.lastModifiedDate;
      return typeof modified !== 'number' || (modified >= from && modified < to);
    });
    // The end is a page shorter than asked for; a scrollId on the last page means nothing.
    const done = page.records.length < pageSize || page.scrollId === null;
    return { records, nextCursor: done ? null : ({ scrollId: page.scrollId, pushdown: cursor.pushdown } satisfies PxCursor) };
  }
}

/** PX takes 1 to 1000 a page; anything else asked for gets the most PX gives. */
function pageSizeOf(option: unknown): number {
  const size = Number(option ?? PX_MAX_PAGE_SIZE);
  return Number.isInteger(size) && size >= 1 ? Math.min(size, PX_MAX_PAGE_SIZE) : PX_MAX_PAGE_SIZE;
}

function objectOf(object: string) {
  // Own keys only: a job's source object must never find `constructor` or `toString` here.
  const def = Object.hasOwn(OBJECTS, object) ? OBJECTS[object as PxObject] : undefined;
  if (!def) throw invalidConfiguration(`Gainsight PX has no object "${object}"; use account or user.`);
  return def;
}

const PX_TYPES: Record<string, SourceField['type']> = { STRING: 'string', NUMBER: 'number', BOOLEAN: 'boolean', DATE_TIME: 'datetime' };

function describeFields(attributes: PxAttribute[]): SourceField[] {
  const fields: SourceField[] = attributes
    .filter((a) => a.state !== 'DELETED' && a.state !== 'DISABLED')
    .map((a) => ({
      name: a.origin === 'CUSTOM' ? `customAttributes.${a.apiName}` : a.apiName,
      type: (Object.hasOwn(PX_TYPES, a.type) ? PX_TYPES[a.type] : undefined) ?? 'string',
      custom: a.origin === 'CUSTOM',
    }));
  if (fields.some((f) => f.name === 'location') || !fields.some((f) => f.name.startsWith('location.'))) {
    for (const sub of LOCATION_FIELDS) {
      const name = `location.${sub}`;
      if (!fields.some((f) => f.name === name)) fields.push({ name, type: 'string', custom: false });
    }
  }
  return fields;
}
