// The hosts a Salesforce connection may reach, decided by its settings and never by a URL a person
// types: login.salesforce.com for a production org, test.salesforce.com for a sandbox, or the org's
// My Domain (`<name>.my.salesforce.com`, `<name>--<sandbox>.sandbox.my.salesforce.com`); and the
// instance Salesforce names in its token answers, which must be a Salesforce host too.

export const PRODUCTION_LOGIN_HOST = 'login.salesforce.com';
export const SANDBOX_LOGIN_HOST = 'test.salesforce.com';
export const ORG_TYPES = ['production', 'sandbox'] as const;
export type OrgType = (typeof ORG_TYPES)[number];

/** A My Domain name: letters, digits and single hyphens; a sandbox's adds `--<sandbox name>`. */
const MY_DOMAIN = /^[a-z0-9](?:[a-z0-9]|-(?!-)){0,38}(?:--[a-z0-9]{1,20})?$/;
const MY_DOMAIN_HOST = /^(?:https:\/\/)?([a-z0-9-]+?)(\.sandbox)?\.my\.salesforce\.com\/?$/;
/** Instance hosts: `acme.my.salesforce.com`, `acme--uat.sandbox.my.salesforce.com`, older `na123.salesforce.com`. */
const SALESFORCE_HOST = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.salesforce\.com$/;

export interface CustomDomain {
  name: string;
  sandbox: boolean;
}

/** `acme`, `acme--uat`, `acme.my.salesforce.com` or `https://acme--uat.sandbox.my.salesforce.com`; null for anything else. */
export function parseCustomDomain(value: string): CustomDomain | null {
  const text = value.trim().toLowerCase();
  const asHost = MY_DOMAIN_HOST.exec(text);
  const name = asHost ? asHost[1]! : text;
  if (!MY_DOMAIN.test(name)) return null;
  const sandbox = name.includes('--');
  if (asHost && Boolean(asHost[2]) !== sandbox) return null;
  return { name, sandbox };
}

/** Problems with the org type and custom domain together, each naming its setting. */
export function hostProblems(config: Record<string, unknown>): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const orgType = config.orgType ?? 'production';
  if (!ORG_TYPES.includes(orgType as OrgType)) problems.push({ path: '/config/orgType', message: `orgType must be ${ORG_TYPES.join(' or ')}` });
  const customDomain = config.customDomain;
  if (customDomain === undefined || customDomain === null || customDomain === '') return problems;
  const parsed = typeof customDomain === 'string' ? parseCustomDomain(customDomain) : null;
  if (!parsed) {
    problems.push({ path: '/config/customDomain', message: 'customDomain must be the org\'s My Domain name, e.g. "acme" for https://acme.my.salesforce.com, or "acme--uat" for the sandbox https://acme--uat.sandbox.my.salesforce.com; no other host can be reached' });
  } else if (parsed.sandbox !== (orgType === 'sandbox')) {
    problems.push({
      path: '/config/customDomain',
      message: parsed.sandbox ? `"${parsed.name}" is a sandbox's My Domain (<domain>--<sandbox>): set orgType to sandbox` : `a sandbox's My Domain is <domain>--<sandbox>, e.g. "${parsed.name}--uat"; or set orgType to production`,
    });
  }
  return problems;
}

/** The host where the connection's users log in and its tokens are issued. */
export function loginHostOf(config: Record<string, unknown>): string {
  const domain = typeof config.customDomain === 'string' && config.customDomain !== '' ? parseCustomDomain(config.customDomain) : null;
  if (domain) return domain.sandbox ? `${domain.name}.sandbox.my.salesforce.com` : `${domain.name}.my.salesforce.com`;
  return config.orgType === 'sandbox' ? SANDBOX_LOGIN_HOST : PRODUCTION_LOGIN_HOST;
}

/** The origin of an instance URL Salesforce answered, if it is a Salesforce host over https. */
export function instanceOriginOf(instanceUrl: unknown): string | null {
  if (typeof instanceUrl !== 'string') return null;
  let url: URL;
  try {
    url = new URL(instanceUrl);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' || url.port !== '' || url.username !== '' || !SALESFORCE_HOST.test(url.hostname)) return null;
  return url.origin;
}

export function isSalesforceHost(host: string): boolean {
  return SALESFORCE_HOST.test(host);
}
