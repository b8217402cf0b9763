// Where the bench writes, whether it runs compiled (dist/bench) or from source via tsx.
import path from 'node:path';
import { PROJECT_ROOT } from '../test/support/project-root.js';

/** bench/ in the source tree: where results and logs are written. */
export const BENCH_DIR = path.join(PROJECT_ROOT, 'bench');
/** One log file per process a scenario starts, named after it. */
export const LOG_DIR = path.join(BENCH_DIR, 'logs');
