CREATE TABLE "run_files" (
	"run_id" text NOT NULL,
	"file" text NOT NULL,
	"first_page" integer NOT NULL,
	"fetched" integer DEFAULT 0 NOT NULL,
	"filtered" integer DEFAULT 0 NOT NULL,
	"inserted" integer DEFAULT 0 NOT NULL,
	"updated" integer DEFAULT 0 NOT NULL,
	"unchanged" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "run_files_run_id_file_pk" PRIMARY KEY("run_id","file")
);
--> statement-breakpoint
CREATE TABLE "s3_ingested" (
	"job_id" text NOT NULL,
	"key" text NOT NULL,
	"etag" text NOT NULL,
	"last_modified" timestamp with time zone NOT NULL,
	"run_id" text NOT NULL,
	"ingested_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "s3_ingested_job_id_key_pk" PRIMARY KEY("job_id","key")
);
--> statement-breakpoint
CREATE TABLE "staged_rows" (
	"upload_id" text NOT NULL,
	"n" integer NOT NULL,
	"line" integer NOT NULL,
	"fields" jsonb,
	"problem" text,
	CONSTRAINT "staged_rows_upload_id_n_pk" PRIMARY KEY("upload_id","n")
);
--> statement-breakpoint
CREATE TABLE "uploads" (
	"id" text PRIMARY KEY NOT NULL,
	"seq" bigserial NOT NULL,
	"job_id" text NOT NULL,
	"name" text NOT NULL,
	"delimiter" text NOT NULL,
	"header" jsonb NOT NULL,
	"rows" integer NOT NULL,
	"malformed" integer NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"run_id" text,
	"consumed_by_run" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"consumed_at" timestamp with time zone,
	CONSTRAINT "uploads_seq_unique" UNIQUE("seq")
);
--> statement-breakpoint
ALTER TABLE "run_files" ADD CONSTRAINT "run_files_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "s3_ingested" ADD CONSTRAINT "s3_ingested_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staged_rows" ADD CONSTRAINT "staged_rows_upload_id_uploads_id_fk" FOREIGN KEY ("upload_id") REFERENCES "public"."uploads"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "uploads" ADD CONSTRAINT "uploads_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "uploads_job_idx" ON "uploads" USING btree ("job_id","status","seq");