// A lib client on the simulator: the simulator's own credentials and custom origins, plus what a test changes.
import { GenesysClient, type GenesysClientOptions } from '../lib/platform/client';

/** The credentials the simulator accepts (it accepts any pair; tests and benches use these). */
export const SIM_CREDENTIALS = { clientId: 'sim-client-id', clientSecret: 'sim-client-secret' } as const;

export function simClient(simUrl: string, options: Partial<GenesysClientOptions> = {}): GenesysClient {
  return new GenesysClient({ region: 'custom', apiBaseUrl: simUrl, authBaseUrl: simUrl, ...SIM_CREDENTIALS, ...options });
}
