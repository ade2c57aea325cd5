import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { SEED, sharedDir } from './support/fixtures.js';

it.skipIf(!sharedDir)("the repository's copy of the seed's examples matches ../shared", () => {
  expect(SEED).toEqual(JSON.parse(readFileSync(join(sharedDir!, 'fixtures/seed-examples.json'), 'utf8')));
});
