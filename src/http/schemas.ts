import { z } from 'zod';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '../billing/pagination.js';

/** Request pieces shared by routes. Strict objects: a misspelt field is an error, not silently ignored. */

export const AddressInput = z.strictObject({
  line1: z.string().max(200).nullish(),
  line2: z.string().max(200).nullish(),
  city: z.string().max(100).nullish(),
  state: z.string().max(100).nullish(),
  postal_code: z.string().max(20).nullish(),
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'must be a two-letter ISO 3166-1 country code')
    .nullish(),
});

export const TaxIdInput = z.strictObject({
  type: z.string().min(1).max(40).describe('eu_vat, us_ein, gb_vat, …'),
  value: z.string().min(1).max(100),
});

/** As at the provider: up to 50 keys of up to 40 characters, values up to 500. */
export const MetadataInput = z
  .record(z.string().min(1).max(40), z.string().max(500))
  .refine((m) => Object.keys(m).length <= 50, 'may have at most 50 keys')
  .describe('Replaces the whole metadata object');

export const BillingEmail = z.email('must be an email address').max(320);

/** Why a staff member makes a change (R15): a reason, a ticket reference, or both; one is required. */
export const Justification = {
  reason: z.string().max(1000).optional().describe('Why (required unless ticket is given); kept in the audit log'),
  ticket: z.string().max(200).optional().describe('Support ticket reference (required unless reason is given)'),
};

export const PageQuery = {
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).default(DEFAULT_PAGE_LIMIT),
  starting_after: z.string().optional().describe('Cursor: the last ID of the previous page'),
};

export const IdParams = z.object({ id: z.string() });
