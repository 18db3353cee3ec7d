ALTER TABLE "invoice_lines" ADD COLUMN "tier_from" numeric(38, 12);--> statement-breakpoint
ALTER TABLE "invoice_lines" ADD COLUMN "tier_up_to" numeric(38, 12);--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "discount" jsonb;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "days_until_due" integer;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "payment_reference" text;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "marked_uncollectible_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "sent_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "balance_transactions_once_per_invoice" ON "balance_transactions" USING btree ("invoice_id","type") WHERE "balance_transactions"."invoice_id" is not null and "balance_transactions"."type" in ('applied_to_invoice', 'invoice_voided');