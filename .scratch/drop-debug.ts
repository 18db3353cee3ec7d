import pg from 'pg';
import { openDatabase } from '/work/wt-scale/src/store/database.js';
import { systemClock } from '/work/wt-scale/src/shared/clock.js';
import { sql } from 'drizzle-orm';
import { inTransaction } from '/work/wt-scale/src/store/transaction.js';
const url = 'postgres://postgres@127.0.0.1:5432/tally_scale_debug';
const d = await openDatabase({ kind: 'postgres', url, poolSize: 5 }, systemClock);
const killer = new pg.Client({ connectionString: url }); await killer.connect();
let go = true;
const k = (async () => { while (go) { await killer.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type='client backend' and application_name = ''"); await new Promise(r => setTimeout(r, 25)); } })();
let ok = 0, bad: Record<string, number> = {};
const t0 = Date.now();
await Promise.all(Array.from({ length: 8 }, async () => {
  for (let i = 0; i < 100; i++) {
    try { await inTransaction(d.db, async (tx) => { await tx.execute(sql`select pg_sleep(0.005)`); await tx.execute(sql`select 1`); }); ok++; }
    catch (e) { const m = (e as Error).message.slice(0, 60) + ' / ' + String((e as any).cause?.message ?? '').slice(0, 60); bad[m] = (bad[m] ?? 0) + 1; }
  }
}));
go = false; await k; await killer.end();
console.log({ ok, bad, ms: Date.now() - t0 });
await d.close();
