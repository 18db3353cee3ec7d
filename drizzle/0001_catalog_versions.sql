CREATE TABLE "catalog_current" (
	"singleton" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"version_id" text NOT NULL,
	"activated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "catalog_versions" (
	"id" text PRIMARY KEY NOT NULL,
	"hash" text NOT NULL,
	"source_name" text NOT NULL,
	"config_text" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "catalog_versions_hash_unique" UNIQUE("hash")
);
--> statement-breakpoint
ALTER TABLE "catalog_current" ADD CONSTRAINT "catalog_current_version_id_catalog_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."catalog_versions"("id") ON DELETE no action ON UPDATE no action;