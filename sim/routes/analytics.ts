// POST /api/v2/analytics/conversations/details/query; the query itself is answered by sim/analytics.ts.
import { analyticsQuery, QueryError } from '../analytics';
import { ApiError } from '../api-error';
import type { SimModuleFactory } from '../module';
import { jsonBody } from '../request';

export const analytics: SimModuleFactory = ({ store, settings }) => ({
  routes: [
    {
      method: 'POST',
      path: 'analytics/conversations/details/query',
      handle: ({ req, raw }) => {
        const body = jsonBody(req, raw);
        try {
          return { status: 200, body: analyticsQuery(store.conversations.values(), body, settings().analyticsLagMs) };
        } catch (err) {
          if (err instanceof QueryError) throw new ApiError(400, err.code, err.message);
          throw err;
        }
      },
    },
  ],
});
