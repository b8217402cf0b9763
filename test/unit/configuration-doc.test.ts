// docs/configuration.md against the settings the service reads: every setting is described, and
// every setting the page describes exists, so the page cannot drift from the code.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EnvSchema, RENAMED_SETTINGS } from '../../src/config.js';

const page = readFileSync('docs/configuration.md', 'utf8');
// The names in the first cell of each table row: | `NAME` | default | what it does | (or `HOST`, `PORT`).
const firstCells = [...page.matchAll(/^\| ((?:`[A-Z][A-Z0-9_]*`(?:, )?)+) \|/gm)].map((m) => m[1]!);
const documented = new Set(firstCells.flatMap((cell) => [...cell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!)));
const settings = Object.keys(EnvSchema.shape);

describe('docs/configuration.md', () => {
  it('describes every setting the service reads', () => {
    expect(settings.filter((name) => !documented.has(name))).toEqual([]);
  });
  it('describes no setting the service does not read (renamed ones are mentioned with their new name)', () => {
    expect([...documented].filter((name) => !settings.includes(name) && !(name in RENAMED_SETTINGS))).toEqual([]);
  });
});
