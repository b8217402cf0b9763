// Where the project lives, whether the bench runs compiled (dist/bench) or from source via tsx.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

export const ROOT = projectRoot();
/** bench/ in the source tree: where results and logs are written. */
export const BENCH_DIR = path.join(ROOT, 'bench');
