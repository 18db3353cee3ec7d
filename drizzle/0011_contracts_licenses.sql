CREATE TABLE "contracts" (
	"id" text PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"format" text NOT NULL,
	"source" jsonb NOT NULL,
	"form" jsonb,
	"problems" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"quote" text,
	"customer_id" text,
	"invoice_id" text,
	"schedule_id" text,
	"subscription_id" text,
	"invoice_issue_at" timestamp with time zone,
	"imported_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"contract_created_at" timestamp with time zone,
	"live_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "customer_prices" (
	"id" text PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"product_key" text NOT NULL,
	"currency" text NOT NULL,
	"tiers" jsonb NOT NULL,
	"aggregation" text NOT NULL,
	"description" text NOT NULL,
	"contract_id" text,
	"valid_from" timestamp with time zone NOT NULL,
	"valid_until" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "license_keys" (
	"kid" text PRIMARY KEY NOT NULL,
	"public_key" text NOT NULL,
	"private_key" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"retired_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "licenses" (
	"id" text PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"kid" text NOT NULL,
	"plan" text NOT NULL,
	"payload" jsonb NOT NULL,
	"file" jsonb NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"issued_at" timestamp with time zone NOT NULL,
	"issued_by" text NOT NULL,
	"contract_id" text
);
--> statement-breakpoint
CREATE TABLE "revenue_schedules" (
	"id" text PRIMARY KEY NOT NULL,
	"invoice_id" text NOT NULL,
	"contract_id" text,
	"customer_id" text NOT NULL,
	"product_key" text,
	"currency" text NOT NULL,
	"total" bigint NOT NULL,
	"start_date" timestamp with time zone NOT NULL,
	"months" integer NOT NULL,
	"slices" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "customer_prices" ADD CONSTRAINT "customer_prices_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "licenses" ADD CONSTRAINT "licenses_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "licenses" ADD CONSTRAINT "licenses_kid_license_keys_kid_fk" FOREIGN KEY ("kid") REFERENCES "public"."license_keys"("kid") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "revenue_schedules" ADD CONSTRAINT "revenue_schedules_invoice_id_invoices_id_fk" FOREIGN KEY ("invoice_id") REFERENCES "public"."invoices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "contracts_status_idx" ON "contracts" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "contracts_customer_idx" ON "contracts" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "customer_prices_customer_idx" ON "customer_prices" USING btree ("customer_id","product_key");--> statement-breakpoint
CREATE INDEX "licenses_customer_idx" ON "licenses" USING btree ("customer_id","issued_at");--> statement-breakpoint
CREATE INDEX "revenue_schedules_invoice_idx" ON "revenue_schedules" USING btree ("invoice_id");--> statement-breakpoint
CREATE INDEX "revenue_schedules_contract_idx" ON "revenue_schedules" USING btree ("contract_id");