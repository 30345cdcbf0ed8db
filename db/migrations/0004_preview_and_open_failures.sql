CREATE SEQUENCE "public"."preview_numbers" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "job_previews" (
	"id" text PRIMARY KEY NOT NULL,
	"job_id" text NOT NULL,
	"result" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "open_failures" (
	"job_id" text NOT NULL,
	"source_id" text NOT NULL,
	"error_id" bigint NOT NULL,
	"run_id" text NOT NULL,
	"failed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "open_failures_job_id_source_id_pk" PRIMARY KEY("job_id","source_id")
);
--> statement-breakpoint
ALTER TABLE "run_errors" ADD COLUMN "rejected" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "open_failures" ADD CONSTRAINT "open_failures_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "open_failures_error_idx" ON "open_failures" USING btree ("job_id","error_id");