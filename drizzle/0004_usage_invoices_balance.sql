CREATE TABLE "balance_transactions" (
	"id" text PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"type" text NOT NULL,
	"description" text,
	"invoice_id" text,
	"credit_request_id" text,
	"ending_balance" bigint NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "balance_transactions_credit_request_id_unique" UNIQUE("credit_request_id")
);
--> statement-breakpoint
CREATE TABLE "billing_limits" (
	"customer_id" text NOT NULL,
	"product_key" text NOT NULL,
	"amount" bigint,
	"currency" text NOT NULL,
	"next_amount" bigint,
	"next_from" timestamp with time zone,
	"limited" boolean DEFAULT false NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "billing_limits_customer_id_product_key_pk" PRIMARY KEY("customer_id","product_key")
);
--> statement-breakpoint
CREATE TABLE "invoice_lines" (
	"id" text PRIMARY KEY NOT NULL,
	"invoice_id" text NOT NULL,
	"position" integer NOT NULL,
	"description" text NOT NULL,
	"source" text NOT NULL,
	"product_key" text,
	"price_key" text,
	"period_start" timestamp with time zone,
	"period_end" timestamp with time zone,
	"quantity" numeric(38, 12) NOT NULL,
	"unit_amount" numeric(38, 12),
	"flat_amount" numeric(38, 12),
	"tier" integer,
	"amount" bigint NOT NULL,
	"discount_amount" bigint NOT NULL,
	"discountable" boolean DEFAULT true NOT NULL
);
--> statement-breakpoint
CREATE TABLE "invoice_number_sequences" (
	"prefix" text PRIMARY KEY NOT NULL,
	"next_number" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "invoices" (
	"id" text PRIMARY KEY NOT NULL,
	"instance_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"subscription_id" text,
	"number" text,
	"status" text NOT NULL,
	"collection_method" text NOT NULL,
	"payment_method_types" jsonb DEFAULT '["card"]'::jsonb NOT NULL,
	"currency" text NOT NULL,
	"period_start" timestamp with time zone,
	"period_end" timestamp with time zone,
	"subtotal" bigint NOT NULL,
	"discount_total" bigint NOT NULL,
	"total" bigint NOT NULL,
	"starting_balance" bigint NOT NULL,
	"applied_balance" bigint NOT NULL,
	"amount_due" bigint NOT NULL,
	"amount_paid" bigint NOT NULL,
	"coupon_id" text,
	"due_date" timestamp with time zone,
	"memo" text,
	"footer" text,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"provider_invoice_id" text,
	"created_at" timestamp with time zone NOT NULL,
	"finalized_at" timestamp with time zone,
	"paid_at" timestamp with time zone,
	"voided_at" timestamp with time zone,
	CONSTRAINT "invoices_number_unique" UNIQUE("number"),
	CONSTRAINT "invoices_provider_invoice_id_unique" UNIQUE("provider_invoice_id")
);
--> statement-breakpoint
CREATE TABLE "usage_daily" (
	"customer_id" text NOT NULL,
	"metric" text NOT NULL,
	"day" date NOT NULL,
	"sum" numeric(38, 12) NOT NULL,
	"count" bigint NOT NULL,
	"max" numeric(38, 12) NOT NULL,
	"last_value" numeric(38, 12) NOT NULL,
	"last_at" timestamp with time zone NOT NULL,
	CONSTRAINT "usage_daily_customer_id_metric_day_pk" PRIMARY KEY("customer_id","metric","day")
);
--> statement-breakpoint
CREATE TABLE "usage_events" (
	"customer_id" text NOT NULL,
	"event_id" text NOT NULL,
	"metric" text NOT NULL,
	"value" numeric(38, 12) NOT NULL,
	"timestamp" timestamp with time zone NOT NULL,
	"properties" jsonb,
	"received_at" timestamp with time zone NOT NULL,
	CONSTRAINT "usage_events_customer_id_event_id_pk" PRIMARY KEY("customer_id","event_id")
);
--> statement-breakpoint
CREATE TABLE "usage_unique_keys" (
	"customer_id" text NOT NULL,
	"metric" text NOT NULL,
	"day" date NOT NULL,
	"unique_key" text NOT NULL,
	CONSTRAINT "usage_unique_keys_customer_id_metric_day_unique_key_pk" PRIMARY KEY("customer_id","metric","day","unique_key")
);
--> statement-breakpoint
ALTER TABLE "balance_transactions" ADD CONSTRAINT "balance_transactions_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_limits" ADD CONSTRAINT "billing_limits_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoice_lines" ADD CONSTRAINT "invoice_lines_invoice_id_invoices_id_fk" FOREIGN KEY ("invoice_id") REFERENCES "public"."invoices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "balance_transactions_customer_idx" ON "balance_transactions" USING btree ("customer_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "invoice_lines_position_idx" ON "invoice_lines" USING btree ("invoice_id","position");--> statement-breakpoint
CREATE INDEX "invoices_customer_idx" ON "invoices" USING btree ("customer_id","created_at");--> statement-breakpoint
CREATE INDEX "invoices_status_idx" ON "invoices" USING btree ("status","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "invoices_one_per_subscription_period" ON "invoices" USING btree ("subscription_id","period_start") WHERE "invoices"."subscription_id" is not null;--> statement-breakpoint
CREATE INDEX "usage_events_customer_metric_ts_idx" ON "usage_events" USING btree ("customer_id","metric","timestamp");