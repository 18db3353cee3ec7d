import { z } from 'zod';
import type { ApiKeyInfo } from '../billing/api-keys/api-keys.js';
import type { AuditEntry } from '../billing/audit/list-audit.js';
import type { Customer } from '../billing/customers/customers.js';
import type { Instance } from '../billing/instances/instances.js';
import type { Page } from '../billing/pagination.js';
import { STAFF_ROLES } from '../billing/staff/roles.js';
import type { StaffMember } from '../billing/staff/staff.js';

/**
 * Wire shapes: snake_case, prefixed IDs, an `object` naming the type, timestamps as ISO 8601 UTC strings
 * (millisecond precision, unambiguous in logs and curl output), currencies lower-case as at the provider.
 */
export const timestamp = (d: Date): string => d.toISOString();
const nullableTimestamp = (d: Date | null): string | null => (d ? d.toISOString() : null);
const Timestamp = z.string().describe('ISO 8601 UTC timestamp');

export const AddressJson = z
  .object({
    line1: z.string().nullish(),
    line2: z.string().nullish(),
    city: z.string().nullish(),
    state: z.string().nullish(),
    postal_code: z.string().nullish(),
    country: z.string().nullish().describe('ISO 3166-1 alpha-2 code'),
  })
  .meta({ id: 'Address' });

export const TaxIdJson = z.object({ type: z.string().describe('eu_vat, us_ein, gb_vat, …'), value: z.string() }).meta({ id: 'TaxId' });

export const CustomerJson = z
  .object({
    id: z.string().describe('cus_…'),
    object: z.literal('customer'),
    instance: z.string().describe('The instance the customer belongs to (ins_…)'),
    external_id: z.string().describe("The instance's team or organization ID, unique per instance"),
    name: z.string().nullable(),
    billing_email: z.string().nullable().describe("Where invoices go; may differ from any user's email"),
    address: AddressJson.nullable(),
    tax_ids: z.array(TaxIdJson),
    currency: z.string().describe('Lower-case ISO 4217 code'),
    metadata: z.record(z.string(), z.string()),
    provider_customer_id: z.string().nullable().describe('Set once billing details are set up at the provider'),
    billing_setup_at: Timestamp.nullable().describe('When a payment method was set up at the provider (checkout completed)'),
    free_trial_until: Timestamp.nullable(),
    created: Timestamp,
  })
  .meta({ id: 'Customer' });

export function customerJson(c: Customer): z.infer<typeof CustomerJson> {
  return {
    id: c.id,
    object: 'customer',
    instance: c.instanceId,
    external_id: c.externalId,
    name: c.name,
    billing_email: c.billingEmail,
    address: c.address,
    tax_ids: c.taxIds,
    currency: c.currency.toLowerCase(),
    metadata: c.metadata,
    provider_customer_id: c.providerCustomerId,
    billing_setup_at: nullableTimestamp(c.billingSetupAt),
    free_trial_until: nullableTimestamp(c.freeTrialUntil),
    created: timestamp(c.createdAt),
  };
}

export const InstanceJson = z
  .object({ id: z.string().describe('ins_…'), object: z.literal('instance'), slug: z.string(), name: z.string(), created: Timestamp })
  .meta({ id: 'Instance' });

export function instanceJson(i: Instance): z.infer<typeof InstanceJson> {
  return { id: i.id, object: 'instance', slug: i.slug, name: i.name, created: timestamp(i.createdAt) };
}

export const ApiKeyJson = z
  .object({
    id: z.string().describe('key_…'),
    object: z.literal('api_key'),
    kind: z.enum(['instance', 'staff']),
    instance: z.string().nullable(),
    staff: z.string().nullable(),
    name: z.string(),
    prefix: z.string().describe('The first characters of the key, to recognise it'),
    created: Timestamp,
    last_used: Timestamp.nullable().describe('Updated at most once a minute'),
    revoked: Timestamp.nullable(),
  })
  .meta({ id: 'ApiKey' });

export const ApiKeyWithSecretJson = ApiKeyJson.extend({
  secret: z.string().nullable().describe('The key itself, shown in this response only: Tally stores just its hash. Null on an idempotent replay.'),
}).meta({ id: 'ApiKeyWithSecret' });

export function apiKeyJson(k: ApiKeyInfo): z.infer<typeof ApiKeyJson> {
  return {
    id: k.id,
    object: 'api_key',
    kind: k.kind,
    instance: k.instanceId,
    staff: k.staffId,
    name: k.name,
    prefix: k.displayPrefix,
    created: timestamp(k.createdAt),
    last_used: nullableTimestamp(k.lastUsedAt),
    revoked: nullableTimestamp(k.revokedAt),
  };
}

export const StaffJson = z
  .object({
    id: z.string().describe('stf_…'),
    object: z.literal('staff'),
    email: z.string(),
    name: z.string(),
    role: z.enum(STAFF_ROLES),
    created: Timestamp,
    disabled: Timestamp.nullable(),
  })
  .meta({ id: 'Staff' });

export function staffJson(s: StaffMember): z.infer<typeof StaffJson> {
  return { id: s.id, object: 'staff', email: s.email, name: s.name, role: s.role, created: timestamp(s.createdAt), disabled: nullableTimestamp(s.disabledAt) };
}

export const AuditEntryJson = z
  .object({
    id: z.string().describe('aud_…'),
    object: z.literal('audit_entry'),
    at: Timestamp,
    actor_type: z.enum(['staff', 'instance', 'system']),
    actor_id: z.string(),
    action: z.string(),
    target_type: z.string(),
    target_id: z.string(),
    customer: z.string().nullable(),
    reason: z.string().nullable(),
    ticket: z.string().nullable(),
    before: z.unknown(),
    after: z.unknown(),
  })
  .meta({ id: 'AuditEntry' });

export function auditEntryJson(a: AuditEntry): z.infer<typeof AuditEntryJson> {
  return {
    id: a.id,
    object: 'audit_entry',
    at: timestamp(a.at),
    actor_type: a.actorType,
    actor_id: a.actorId,
    action: a.action,
    target_type: a.targetType,
    target_id: a.targetId,
    customer: a.customerId,
    reason: a.reason,
    ticket: a.ticket,
    before: a.before,
    after: a.after,
  };
}

/** `{object: 'list', data, has_more}`; the next page is `?starting_after=<last id>`. */
export function ListJson<T extends z.ZodType>(item: T) {
  return z.object({ object: z.literal('list'), data: z.array(item), has_more: z.boolean() });
}

export function listJson<T, J>(page: Page<T>, map: (t: T) => J): { object: 'list'; data: J[]; has_more: boolean } {
  return { object: 'list', data: page.data.map(map), has_more: page.hasMore };
}
