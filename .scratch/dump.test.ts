import { it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { freshDatabase } from '../test/support/db.js';
import { testApp } from '../test/support/app.js';
import { systemClock } from '../src/shared/clock.js';
it('dump', async () => {
  const d = await freshDatabase('pglite');
  const app = await testApp(d, systemClock);
  const r = await app.inject({ method: 'GET', url: '/openapi.json' });
  writeFileSync('.scratch/openapi.json', r.body);
  await app.close(); await d.close();
});
