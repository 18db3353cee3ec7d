/**
 * The one Drizzle schema for both PGlite and PostgreSQL. Each domain owns its section; other domains go
 * through that domain's service functions rather than joining into its tables. SQL stays within what
 * PostgreSQL 15 runs. Migrations are generated from this file into ./drizzle by `npm run db:generate`.
 */
import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

// ── HTTP idempotency ─────────────────────────────────────────────────────────────────────────────────
/**
 * One row per (scope, Idempotency-Key). A key is reserved before the handler runs and completed with the
 * response after; a repeat replays the stored response, a repeat with a different body is refused.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    scope: text('scope').notNull(), // who sent it: an instance, a staff member, or 'anonymous'
    key: text('key').notNull(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    requestHash: text('request_hash').notNull(),
    state: text('state', { enum: ['in_progress', 'completed'] }).notNull(),
    statusCode: integer('status_code'),
    responseBody: jsonb('response_body'),
    lockedUntil: ts('locked_until').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
);

// ── Server metadata ──────────────────────────────────────────────────────────────────────────────────
/** Small key/value facts about this installation (first-run bootstrap done, etc.). */
export const meta = pgTable('tally_meta', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
});

// ── Catalog (billing config versions) ────────────────────────────────────────────────────────────────
/**
 * Every distinct billing config ever loaded, by content hash. Subscription items point at the version
 * their price came from, so a price edited in the config does not silently reprice existing customers.
 */
export const catalogVersions = pgTable('catalog_versions', {
  id: text('id').primaryKey(),
  hash: text('hash').notNull().unique(),
  sourceName: text('source_name').notNull(),
  configText: text('config_text').notNull(),
  createdAt: ts('created_at').notNull(),
});

/** Which catalog version is in force (one row). */
export const catalogCurrent = pgTable('catalog_current', {
  singleton: integer('singleton').primaryKey().default(1),
  versionId: text('version_id')
    .notNull()
    .references(() => catalogVersions.id),
  activatedAt: ts('activated_at').notNull(),
});
