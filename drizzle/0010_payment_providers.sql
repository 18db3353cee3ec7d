CREATE TABLE "provider_webhook_events" (
	"id" text PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"processed_at" timestamp with time zone,
	"outcome" text
);
--> statement-breakpoint
ALTER TABLE "customers" ADD COLUMN "billing_setup_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "provider_webhook_events_received_idx" ON "provider_webhook_events" USING btree ("received_at");