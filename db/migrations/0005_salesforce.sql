CREATE TABLE "oauth_states" (
	"state_hash" text PRIMARY KEY NOT NULL,
	"connection_id" text NOT NULL,
	"verifier" text NOT NULL,
	"redirect_uri" text NOT NULL,
	"actor" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "source_object_cache" (
	"connection_id" text PRIMARY KEY NOT NULL,
	"objects" jsonb NOT NULL,
	"fetched_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "template_jobs" (
	"connection_id" text NOT NULL,
	"template" text NOT NULL,
	"job_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "template_jobs_connection_id_template_pk" PRIMARY KEY("connection_id","template")
);
--> statement-breakpoint
ALTER TABLE "company" ADD COLUMN "sfdc_account_id" text;--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "status_message" text;--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "status_changed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "credentials" text;--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "authorization" jsonb;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "source_usage" jsonb;--> statement-breakpoint
ALTER TABLE "oauth_states" ADD CONSTRAINT "oauth_states_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "source_object_cache" ADD CONSTRAINT "source_object_cache_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "template_jobs" ADD CONSTRAINT "template_jobs_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "template_jobs" ADD CONSTRAINT "template_jobs_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "oauth_states_connection_idx" ON "oauth_states" USING btree ("connection_id");--> statement-breakpoint
CREATE INDEX "company_sfdc_account_idx" ON "company" USING btree ("sfdc_account_id");