// The operator console (/console): handed the same use cases the /admin routes call, so it sits
// above the features as the CLI does and imports none of their internals.
import type { ConsoleDeps } from '../console/console-deps.js';
import { consoleRoutes } from '../console/console-routes.js';
import type { Wiring } from './wiring.js';

export function wireConsole({ config, routes }: Wiring, deps: Omit<ConsoleDeps, 'adminToken'>): void {
  routes.push(consoleRoutes({ ...deps, adminToken: config.ADMIN_TOKEN }));
}
