/**
 * The server side of `npm run soak`: starts Tally exactly as `tally serve` does (startTally, settings from
 * the environment) in a child process, and answers the parent's IPC requests for its memory use.
 */
import { createLogger } from '../src/app/logger.js';
import { readSettings } from '../src/app/settings.js';
import { startTally } from '../src/app/tally.js';
import { systemClock } from '../src/shared/clock.js';

const settings = readSettings();
const tally = await startTally(settings, systemClock, createLogger({ level: 'warn', pretty: false }));
process.on('message', (m: unknown) => {
  if (m === 'memory') {
    const u = process.memoryUsage();
    process.send?.({ type: 'memory', rss: u.rss, heapUsed: u.heapUsed, heapTotal: u.heapTotal, external: u.external });
  } else if (m === 'stop') {
    void tally.close().then(() => process.exit(0));
  }
});
process.send?.({ type: 'ready', url: tally.url, instanceKey: tally.firstRun?.instanceKeySecret ?? null });
