CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"entity_type" text NOT NULL,
	"entity_id" text NOT NULL,
	"entity_name" text,
	"connector" text,
	"connection_id" text,
	"job_id" text,
	"attribute" text NOT NULL,
	"sub_attribute" text,
	"action" text NOT NULL,
	"old_value" jsonb,
	"new_value" jsonb,
	"additional_info" text
);
--> statement-breakpoint
CREATE TABLE "chain_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"chain_id" text NOT NULL,
	"n" integer NOT NULL,
	"trigger" text NOT NULL,
	"status" text NOT NULL,
	"workflow_id" text NOT NULL,
	"error" jsonb,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "company" (
	"gsid" text PRIMARY KEY NOT NULL,
	"name" text,
	"industry" text,
	"employees" integer,
	"arr" numeric,
	"website" text,
	"px_account_id" text,
	"number_of_users" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"modified_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "company_instance" (
	"gsid" text PRIMARY KEY NOT NULL,
	"company_id" text,
	"name" text,
	"px_account_id" text,
	"number_of_users" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"modified_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "company_person" (
	"gsid" text PRIMARY KEY NOT NULL,
	"person_id" text NOT NULL,
	"company_id" text,
	"role" text,
	"sign_up_date" timestamp with time zone,
	"px_user_id" text,
	"instance_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"modified_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "connections" (
	"id" text PRIMARY KEY NOT NULL,
	"connector" text NOT NULL,
	"name" text NOT NULL,
	"config" jsonb NOT NULL,
	"secrets" text,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "custom_fields" (
	"object" text NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"label" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "custom_fields_object_name_pk" PRIMARY KEY("object","name")
);
--> statement-breakpoint
CREATE TABLE "job_chains" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"job_ids" jsonb NOT NULL,
	"schedule" jsonb,
	"next_run_number" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "job_state" (
	"job_id" text PRIMARY KEY NOT NULL,
	"watermark" timestamp with time zone,
	"next_run_number" integer DEFAULT 1 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" text PRIMARY KEY NOT NULL,
	"connection_id" text NOT NULL,
	"name" text NOT NULL,
	"source_object" text NOT NULL,
	"target_object" text NOT NULL,
	"modification_type" text NOT NULL,
	"mappings" jsonb NOT NULL,
	"derived_mappings" jsonb NOT NULL,
	"filters" jsonb NOT NULL,
	"depends_on" jsonb NOT NULL,
	"notifications" jsonb NOT NULL,
	"lookback_seconds" integer DEFAULT 300 NOT NULL,
	"outage_budget_seconds" integer DEFAULT 21600 NOT NULL,
	"schedule" jsonb,
	"options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"out_of_the_box" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notification_deliveries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"channel" text NOT NULL,
	"recipient" text NOT NULL,
	"status" text NOT NULL,
	"attempts" integer NOT NULL,
	"error" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "person" (
	"gsid" text PRIMARY KEY NOT NULL,
	"email" text,
	"first_name" text,
	"last_name" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"modified_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "run_errors" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"page" integer NOT NULL,
	"source_id" text,
	"key_values" jsonb NOT NULL,
	"reason" text NOT NULL,
	"record" jsonb
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" text PRIMARY KEY NOT NULL,
	"job_id" text NOT NULL,
	"n" integer NOT NULL,
	"chain_run_id" text,
	"parent_run_id" text,
	"trigger" text NOT NULL,
	"status" text NOT NULL,
	"window_from" timestamp with time zone,
	"window_to" timestamp with time zone,
	"fetched" integer DEFAULT 0 NOT NULL,
	"filtered" integer DEFAULT 0 NOT NULL,
	"inserted" integer DEFAULT 0 NOT NULL,
	"updated" integer DEFAULT 0 NOT NULL,
	"unchanged" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"pages" integer DEFAULT 0 NOT NULL,
	"cursor" jsonb,
	"source_done" boolean DEFAULT false NOT NULL,
	"error" jsonb,
	"workflow_id" text NOT NULL,
	"queued_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "company_instance" ADD CONSTRAINT "company_instance_company_id_company_gsid_fk" FOREIGN KEY ("company_id") REFERENCES "public"."company"("gsid") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "company_person" ADD CONSTRAINT "company_person_person_id_person_gsid_fk" FOREIGN KEY ("person_id") REFERENCES "public"."person"("gsid") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "company_person" ADD CONSTRAINT "company_person_company_id_company_gsid_fk" FOREIGN KEY ("company_id") REFERENCES "public"."company"("gsid") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_state" ADD CONSTRAINT "job_state_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_errors" ADD CONSTRAINT "run_errors_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "company_px_account_idx" ON "company" USING btree ("px_account_id");--> statement-breakpoint
CREATE INDEX "company_name_idx" ON "company" USING btree ("name");--> statement-breakpoint
CREATE INDEX "company_instance_px_idx" ON "company_instance" USING btree ("px_account_id");--> statement-breakpoint
CREATE INDEX "company_instance_company_idx" ON "company_instance" USING btree ("company_id");--> statement-breakpoint
CREATE INDEX "company_person_person_idx" ON "company_person" USING btree ("person_id");--> statement-breakpoint
CREATE INDEX "company_person_company_idx" ON "company_person" USING btree ("company_id");--> statement-breakpoint
CREATE INDEX "jobs_connection_idx" ON "jobs" USING btree ("connection_id");--> statement-breakpoint
CREATE UNIQUE INDEX "person_email_ci_idx" ON "person" USING btree (lower("email"));--> statement-breakpoint
CREATE INDEX "run_errors_run_idx" ON "run_errors" USING btree ("run_id","page");--> statement-breakpoint
CREATE INDEX "runs_job_idx" ON "runs" USING btree ("job_id","n");--> statement-breakpoint
CREATE INDEX "runs_chain_idx" ON "runs" USING btree ("chain_run_id");