ALTER TABLE "chain_runs" ADD COLUMN "request_key" text;--> statement-breakpoint
CREATE UNIQUE INDEX "chain_runs_request_key_idx" ON "chain_runs" USING btree ("request_key");