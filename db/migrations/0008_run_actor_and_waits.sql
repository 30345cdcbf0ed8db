ALTER TABLE "runs" ADD COLUMN "actor" text;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "waiting" jsonb;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "waited" jsonb;--> statement-breakpoint
CREATE INDEX "runs_queued_idx" ON "runs" USING btree ("queued_at","id");