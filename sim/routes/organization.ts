// GET /api/v2/organizations/me: the simulator's organization (what a connection test reads).
import type { SimModuleFactory } from '../module';

export const ORGANIZATION_ID = '5e1c9a3b-7d2f-4c60-9b8e-0a1f2d3c4b5a';

export const organization: SimModuleFactory = () => ({
  routes: [
    {
      method: 'GET',
      path: 'organizations/me',
      handle: ({ req }) => ({
        status: 200,
        body: {
          id: ORGANIZATION_ID,
          name: 'Genesys Cloud Simulator',
          defaultLanguage: 'en-us',
          defaultCountryCode: 'US',
          thirdPartyOrgName: 'genesys-cloud-sim',
          domain: 'genesys-cloud-sim',
          version: 1,
          state: 'active',
          selfUri: `http://${req.headers.host ?? '127.0.0.1'}/api/v2/organizations/${ORGANIZATION_ID}`,
        },
      }),
    },
  ],
});
