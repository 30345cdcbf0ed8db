// The two ready-made jobs a Salesforce connection offers: a user creates each in one call and edits
// it like any other job (Salesforce connections take custom jobs too).
import type { JobTemplate } from '../types.js';

export const ACCOUNTS_TO_COMPANIES = 'account-company';
export const CONTACTS_TO_COMPANY_PERSONS = 'contact-company-person';

export function accountTemplate(connectionName: string): JobTemplate {
  return {
    key: ACCOUNTS_TO_COMPANIES,
    name: `Account to Company_${connectionName}`,
    description: 'Salesforce Accounts become Companies, one per Account Id (sfdc_account_id): name, industry, employees, annual revenue as ARR, website.',
    sourceObject: 'Account',
    targetObject: 'company',
    modificationType: 'upsert',
    mappings: [
      { source: 'Id', target: 'sfdc_account_id', upsertKey: true },
      { source: 'Name', target: 'name', upsertKey: false },
      { source: 'Industry', target: 'industry', upsertKey: false },
      { source: 'NumberOfEmployees', target: 'employees', upsertKey: false },
      { source: 'AnnualRevenue', target: 'arr', upsertKey: false },
      { source: 'Website', target: 'website', upsertKey: false },
    ],
    derivedMappings: [],
    filters: { conditions: [], logic: null },
    dependsOn: [],
  };
}

export function contactTemplate(connectionName: string): JobTemplate {
  return {
    key: CONTACTS_TO_COMPANY_PERSONS,
    name: `Contact to Company Person_${connectionName}`,
    description: "Salesforce Contacts become Persons (one per email, whatever its case) and Company Persons of the Company their Account became; runs the Account job first.",
    sourceObject: 'Contact',
    targetObject: 'company_person',
    modificationType: 'upsert',
    mappings: [
      { source: 'Email', target: 'email', upsertKey: true },
      { source: 'FirstName', target: 'first_name', upsertKey: false },
      { source: 'LastName', target: 'last_name', upsertKey: false },
      { source: 'Title', target: 'role', upsertKey: false },
    ],
    derivedMappings: [
      { target: 'company_id', object: 'company', kind: 'direct', match: [{ source: 'AccountId', field: 'sfdc_account_id' }], onNoMatch: 'error', onMultipleMatches: 'error' },
    ],
    // Contacts without an email cannot be a person: counted as filtered, as PX visitors are.
    filters: { conditions: [{ id: 'A', field: 'Email', op: 'is_not_null' }], logic: 'A' },
    dependsOn: [ACCOUNTS_TO_COMPANIES],
  };
}
