// The deployment's processes over REST, behind the admin token: each one's role, host and pid, when
// it started and was last seen, its ZooKeeper session and the broker nodes it uses.
import type { FastifyInstance } from 'fastify';
import { adminAuth } from '../http/admin-auth.js';
import type { ProcessRegistry } from './process-registry.js';

export function processRoutes(deps: { registry: Pick<ProcessRegistry, 'list'>; adminToken: string | undefined }) {
  return async (app: FastifyInstance): Promise<void> => {
    await app.register(async (admin) => {
      // onRequest: a caller without the token learns nothing, not even which hosts run the service.
      admin.addHook('onRequest', adminAuth(deps.adminToken));
      admin.get('/admin/processes', async () => deps.registry.list());
    });
  };
}
