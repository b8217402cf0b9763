// Where the project lives, whether the code asking runs from source (tests, tsx) or compiled into
// dist/ (the bench): the folder above it that holds package.json.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${fileURLToPath(import.meta.url)}: run from a checkout of the project`);
    dir = parent;
  }
  return dir;
}

export const PROJECT_ROOT = projectRoot();
