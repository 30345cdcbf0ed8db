// The two out-of-the-box jobs the PX connector documentation promises.
import type { JobTemplate } from '../types.js';

export const COMPANY_SYNC = 'company-sync';
export const COMPANY_PERSON_SYNC = 'company-person-sync';

export function companySyncTemplate(connectionName: string, multiInstance: boolean): JobTemplate {
  const base = {
    key: COMPANY_SYNC,
    name: `Company Sync_${connectionName}`,
    sourceObject: 'account',
    modificationType: 'upsert' as const,
    filters: { conditions: [], logic: null },
    dependsOn: [],
  };
  if (!multiInstance) {
    // Documented: three default mappings and no upsert key until an admin chooses one.
    return {
      ...base,
      targetObject: 'company',
      mappings: [
        { source: 'name', target: 'name', upsertKey: false },
        { source: 'numberOfUsers', target: 'number_of_users', upsertKey: false },
        { source: 'id', target: 'px_account_id', upsertKey: false },
      ],
      derivedMappings: [],
    };
  }
  // Multi-instance: every PX account is its own instance record, linked to a company by a lookup
  // the admin can repoint (by default the company whose name equals the account's name).
  return {
    ...base,
    targetObject: 'company_instance',
    mappings: [
      { source: 'id', target: 'px_account_id', upsertKey: true, locked: true },
      { source: 'name', target: 'name', upsertKey: false },
      { source: 'numberOfUsers', target: 'number_of_users', upsertKey: false },
    ],
    derivedMappings: [
      { target: 'company_id', object: 'company', kind: 'direct', match: [{ source: 'name', field: 'name' }], onNoMatch: 'null', onMultipleMatches: 'error' },
    ],
  };
}

export function companyPersonSyncTemplate(connectionName: string, multiInstance: boolean): JobTemplate {
  const companyLookup = multiInstance
    ? [
        { target: 'instance_id', object: 'company_instance', kind: 'direct' as const, match: [{ source: 'accountId', field: 'px_account_id' }], onNoMatch: 'error' as const, onMultipleMatches: 'error' as const, locked: true },
        { target: 'company_id', object: 'company_instance', kind: 'direct' as const, returnField: 'company_id', match: [{ source: 'accountId', field: 'px_account_id' }], onNoMatch: 'error' as const, onMultipleMatches: 'error' as const, locked: true },
      ]
    : [
        { target: 'company_id', object: 'company', kind: 'direct' as const, match: [{ source: 'accountId', field: 'px_account_id' }], onNoMatch: 'error' as const, onMultipleMatches: 'error' as const, locked: true },
      ];
  return {
    key: COMPANY_PERSON_SYNC,
    name: `Company Person Sync_${connectionName}`,
    sourceObject: 'user',
    targetObject: 'company_person',
    modificationType: 'upsert',
    mappings: [
      // Email is the person resolution key: chosen for the admin and not removable.
      { source: 'email', target: 'email', upsertKey: true, locked: true },
      { source: 'firstName', target: 'first_name', upsertKey: false },
      { source: 'lastName', target: 'last_name', upsertKey: false },
      { source: 'signUpDate', target: 'sign_up_date', upsertKey: false },
      { source: 'identifyId', target: 'px_user_id', upsertKey: false },
    ],
    derivedMappings: companyLookup,
    filters: { conditions: [{ id: 'A', field: 'email', op: 'is_not_null', locked: true }], logic: 'A' },
    dependsOn: [COMPANY_SYNC],
  };
}
