// Genesys Cloud regions and the API / login origins of each (docs/platform.md section 1).
// Every region has one domain D: API at https://api.D, login at https://login.D. Nothing else exists
// (no api.eu.genesys.cloud). 'custom' is for the simulator, a proxy or a test server.
import { invalidInput } from './errors';

export interface Region {
  /** The region's domain D, the value saved in the config node (e.g. 'mypurecloud.ie'). */
  domain: string;
  /** The AWS region name (e.g. 'eu-west-1'). */
  awsName: string;
  /** A human label for the editor dropdown. */
  label: string;
}

export const REGIONS: readonly Region[] = Object.freeze(
  [
    { domain: 'mypurecloud.com', awsName: 'us-east-1', label: 'Americas (US East)' },
    { domain: 'use2.us-gov-pure.cloud', awsName: 'us-east-2', label: 'Americas (US East 2, FedRAMP)' },
    { domain: 'usw2.pure.cloud', awsName: 'us-west-2', label: 'Americas (US West)' },
    { domain: 'cac1.pure.cloud', awsName: 'ca-central-1', label: 'Americas (Canada)' },
    { domain: 'sae1.pure.cloud', awsName: 'sa-east-1', label: 'Americas (São Paulo)' },
    { domain: 'mxc1.pure.cloud', awsName: 'mx-central-1', label: 'Americas (Mexico)' },
    { domain: 'mypurecloud.ie', awsName: 'eu-west-1', label: 'EMEA (Dublin)' },
    { domain: 'euw2.pure.cloud', awsName: 'eu-west-2', label: 'EMEA (London)' },
    { domain: 'mypurecloud.de', awsName: 'eu-central-1', label: 'EMEA (Frankfurt)' },
    { domain: 'euc2.pure.cloud', awsName: 'eu-central-2', label: 'EMEA (Zurich)' },
    { domain: 'edee1.eusc-pure.cloud', awsName: 'eusc-de-east-1', label: 'EMEA (EU Sovereign Cloud, Germany)' },
    { domain: 'mec1.pure.cloud', awsName: 'me-central-1', label: 'EMEA (UAE)' },
    { domain: 'aps1.pure.cloud', awsName: 'ap-south-1', label: 'Asia Pacific (Mumbai)' },
    { domain: 'apse1.pure.cloud', awsName: 'ap-southeast-1', label: 'Asia Pacific (Singapore)' },
    { domain: 'mypurecloud.com.au', awsName: 'ap-southeast-2', label: 'Asia Pacific (Sydney)' },
    { domain: 'mypurecloud.jp', awsName: 'ap-northeast-1', label: 'Asia Pacific (Tokyo)' },
    { domain: 'apne2.pure.cloud', awsName: 'ap-northeast-2', label: 'Asia Pacific (Seoul)' },
    { domain: 'apne3.pure.cloud', awsName: 'ap-northeast-3', label: 'Asia Pacific (Osaka)' },
  ].map((r) => Object.freeze(r)),
);

export const CUSTOM_REGION = 'custom';
/** The region of a config node that names none (a flow file without it): Americas (US East). */
export const DEFAULT_REGION = 'mypurecloud.com';

export interface Origins {
  /** e.g. https://api.mypurecloud.com (no trailing slash) */
  apiBaseUrl: string;
  /** e.g. https://login.mypurecloud.com (no trailing slash) */
  authBaseUrl: string;
}

/** The region with this domain (or AWS name), case-insensitive; undefined when there is none. */
export function findRegion(region: string): Region | undefined {
  const key = region.trim().toLowerCase();
  return REGIONS.find((r) => r.domain === key || r.awsName === key);
}

/** "EMEA (Dublin): mypurecloud.ie (eu-west-1)", for dropdowns and messages. */
export function describeRegion(region: Region | string): string {
  const r = typeof region === 'string' ? findRegion(region) : region;
  if (!r) return typeof region === 'string' ? region : '';
  return `${r.label}: ${r.domain} (${r.awsName})`;
}

/** 127.0.0.0/8, ::1 and localhost: the only hosts where plain http is accepted. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Validates a custom origin; returns it normalised (no trailing slash). Errors name the field. */
export function validateOrigin(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalidInput(field, "is required when region is 'custom' (a full origin such as https://api.example.com or http://127.0.0.1:8089)");
  }
  const text = value.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidInput(field, `"${text}" is not a URL; expected a full origin such as https://api.example.com`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalidInput(field, `must use https (got ${url.protocol.replace(/:$/, '')})`);
  }
  if (url.username || url.password) {
    // Do not echo the value: it holds credentials.
    throw invalidInput(field, 'must not contain a user name or password');
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || /[?#]/.test(text)) {
    throw invalidInput(field, `must be an origin only (scheme, host and optional port), without path, query or fragment (got "${text}")`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw invalidInput(field, `plain http is only allowed for loopback hosts (127.0.0.1, ::1, localhost); use https for ${url.hostname}`);
  }
  return url.origin;
}

/**
 * The API and login origins for a region: one of the 18 domains (an AWS name such as 'eu-west-1' is
 * accepted too), or 'custom' with both origins given. Throws GenesysError 'invalid-input' naming the field.
 */
export function resolveOrigins(region: string, custom?: { apiBaseUrl?: string; authBaseUrl?: string }): Origins {
  if (typeof region !== 'string' || region.trim() === '') {
    throw invalidInput('region', `is required: one of the Genesys Cloud region domains (e.g. mypurecloud.com, mypurecloud.ie) or '${CUSTOM_REGION}'`);
  }
  if (region.trim().toLowerCase() === CUSTOM_REGION) {
    return {
      apiBaseUrl: validateOrigin('apiBaseUrl', custom?.apiBaseUrl),
      authBaseUrl: validateOrigin('authBaseUrl', custom?.authBaseUrl),
    };
  }
  const found = findRegion(region);
  if (!found) {
    throw invalidInput(
      'region',
      `unknown region "${region}". Use the domain of your Genesys Cloud region, as in the address you log in at ` +
        `(login.<domain>), e.g. mypurecloud.com (us-east-1), mypurecloud.ie (eu-west-1), mypurecloud.de (eu-central-1); ` +
        `all 18: ${REGIONS.map((r) => r.domain).join(', ')}; or '${CUSTOM_REGION}' with apiBaseUrl and authBaseUrl`,
    );
  }
  return { apiBaseUrl: `https://api.${found.domain}`, authBaseUrl: `https://login.${found.domain}` };
}
