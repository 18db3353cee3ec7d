DROP INDEX "jobs_due_idx";--> statement-breakpoint
CREATE INDEX "jobs_pending_idx" ON "jobs" USING btree ("run_at","id") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "jobs_pending_kind_idx" ON "jobs" USING btree ("kind","run_at","id") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "jobs_running_idx" ON "jobs" USING btree ("locked_until","id") WHERE status = 'running';