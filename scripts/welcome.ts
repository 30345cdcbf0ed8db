// What `npm run dev` prints once everything is up. An API token is shown only when the dev server
// made it up itself: a token that came from API_TOKENS is the operator's secret, and terminals,
// scrollback and CI logs keep what they print.
import type { ApiToken } from '../config.js';

export interface WelcomeInfo {
  base: string;
  temporalUi: string;
  pxSimulator: { url: string; apiKey: string } | null;
  demoJob: string | null;
  /** The Salesforce simulator and the demo connection waiting to be authorized. */
  salesforce: { url: string; hosts: string[]; connectionId: string } | null;
  tokens: ApiToken[];
  /** True when the tokens were generated for this start (API_TOKENS unset). */
  generated: boolean;
  outbound: string;
}

export function welcomeText(info: WelcomeInfo): string {
  const admin = info.tokens.find((t) => t.role === 'admin') ?? info.tokens[0]!;
  const token = info.generated ? admin.token : '<a token from API_TOKENS>';
  const lines = [
    '',
    'Syncline is up.',
    `  API            ${info.base}/v1`,
    `  Console        ${info.base}/console  (sign in with an API token)`,
    `  API docs       ${info.base}/docs`,
    `  Health         ${info.base}/healthz`,
    `  Temporal UI    ${info.temporalUi}`,
    ...(info.pxSimulator ? [`  PX simulator   ${info.pxSimulator.url}  (API key ${info.pxSimulator.apiKey})`] : []),
    ...(info.salesforce ? [`  Salesforce     ${info.salesforce.url}  (simulator of login.salesforce.com, test.salesforce.com and ${info.salesforce.hosts.join(', ')})`] : []),
    info.generated ? `  API token      ${admin.token}  (${admin.name}, ${admin.role}, made for this start)` : `  API tokens     from API_TOKENS (${info.tokens.map((t) => `${t.name}: ${t.role}`).join(', ')})`,
    `  Outbound       ${info.outbound}`,
    '',
    ...(info.demoJob
      ? [
          'Try it:',
          `  curl -s -X POST -H "Authorization: Bearer ${token}" ${info.base}/v1/jobs/${info.demoJob}/import-now`,
          `  curl -s -H "Authorization: Bearer ${token}" "${info.base}/v1/objects/company/records?limit=5"`,
          '',
        ]
      : []),
    ...(info.salesforce
      ? [
          'Salesforce (README, "Use it: Salesforce"): authorize, open the authorizationUrl it answers, then make the two jobs:',
          `  curl -s -X POST -H "Authorization: Bearer ${token}" ${info.base}/v1/connections/${info.salesforce.connectionId}/authorize`,
          `  curl -s -X POST -H "Authorization: Bearer ${token}" ${info.base}/v1/connections/${info.salesforce.connectionId}/job-templates/account-company`,
          `  curl -s -X POST -H "Authorization: Bearer ${token}" ${info.base}/v1/connections/${info.salesforce.connectionId}/job-templates/contact-company-person`,
          '',
        ]
      : []),
    'Ctrl-C stops everything.',
  ];
  return lines.join('\n');
}
