/** The seed's examples (../shared/fixtures/seed-examples.json), found from this checkout or the workplace. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export function sharedDir(): string {
  const candidates = [process.env.AICS_SHARED_DIR, resolve(repoRoot, '../shared'), '/work/shared'].filter(Boolean) as string[];
  const found = candidates.find((c) => existsSync(resolve(c, 'fixtures/seed-examples.json')));
  if (!found) throw new Error(`shared/fixtures/seed-examples.json not found in ${candidates.join(', ')}`);
  return found;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const seed: any = JSON.parse(readFileSync(resolve(sharedDir(), 'fixtures/seed-examples.json'), 'utf8'));
