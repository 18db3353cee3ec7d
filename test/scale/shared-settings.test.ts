import { expect, it } from 'vitest';
import { readSettings, workerTuning } from '../../src/app/settings.js';
import { storeSharedSettings } from '../../src/app/shared-settings.js';
import { DEFAULT_INVOICE_GRACE_MS, invoiceGraceMs } from '../../src/billing/invoicing/grace.js';
import { ManualClock } from '../../src/shared/clock.js';
import { describeDb } from '../support/db.js';

const quiet = { info: () => {}, warn: () => {} };

describeDb('settings every process shares', (database) => {
  const clock = new ManualClock('2026-01-01T00:00:00Z');

  it('the invoice grace period lives in the database: set by a process whose environment sets it, used by all', async () => {
    expect(await invoiceGraceMs(database().db)).toBe(DEFAULT_INVOICE_GRACE_MS);
    // An API node started with TALLY_INVOICE_GRACE_MINUTES=15 stores it ...
    await storeSharedSettings(database(), clock, readSettings({ TALLY_INVOICE_GRACE_MINUTES: '15' }), quiet);
    expect(await invoiceGraceMs(database().db)).toBe(15 * 60_000);
    // ... and a worker started without it keeps the stored value rather than a default of its own.
    const workerSettings = readSettings({});
    expect(workerSettings.invoiceGraceMinutes).toBeNull();
    await storeSharedSettings(database(), clock, workerSettings, quiet);
    expect(await invoiceGraceMs(database().db)).toBe(15 * 60_000);
    await storeSharedSettings(database(), clock, readSettings({ TALLY_INVOICE_GRACE_MINUTES: '0' }), quiet);
    expect(await invoiceGraceMs(database().db)).toBe(0);
  });
});

it('TALLY_DB_POOL_SIZE sizes each process PostgreSQL pool (default 10) and refuses nonsense', () => {
  expect(readSettings({}).dbPoolSize).toBe(10);
  expect(readSettings({ TALLY_DB_POOL_SIZE: '25' }).dbPoolSize).toBe(25);
  expect(() => readSettings({ TALLY_DB_POOL_SIZE: '0' })).toThrow(/TALLY_DB_POOL_SIZE must be a whole number from 1 to 500/);
  expect(() => readSettings({ TALLY_DB_POOL_SIZE: 'lots' })).toThrow(/TALLY_DB_POOL_SIZE/);
});

it('TALLY_WORKER_CONCURRENCY and TALLY_WORKER_POLL_MS tune the worker (defaults by database kind) and refuse nonsense', () => {
  expect(workerTuning(readSettings({}), 'pglite')).toEqual({ concurrency: 1, pollMs: 1000 });
  expect(workerTuning(readSettings({}), 'postgres')).toEqual({ concurrency: 2, pollMs: 1000 });
  expect(workerTuning(readSettings({ TALLY_WORKER_CONCURRENCY: '6', TALLY_WORKER_POLL_MS: '50' }), 'postgres')).toEqual({ concurrency: 6, pollMs: 50 });
  expect(() => readSettings({ TALLY_WORKER_CONCURRENCY: '0' })).toThrow(/TALLY_WORKER_CONCURRENCY must be a whole number from 1 to 64, got '0'/);
  expect(() => readSettings({ TALLY_WORKER_CONCURRENCY: '2.5' })).toThrow(/TALLY_WORKER_CONCURRENCY/);
  expect(() => readSettings({ TALLY_WORKER_POLL_MS: '5' })).toThrow(/TALLY_WORKER_POLL_MS must be a whole number from 10 to 60000/);
});
