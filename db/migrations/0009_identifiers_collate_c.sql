ALTER TABLE "company" ALTER COLUMN "gsid" SET DATA TYPE text collate "C";--> statement-breakpoint
ALTER TABLE "company" ALTER COLUMN "px_account_id" SET DATA TYPE text collate "C";--> statement-breakpoint
ALTER TABLE "company" ALTER COLUMN "sfdc_account_id" SET DATA TYPE text collate "C";--> statement-breakpoint
ALTER TABLE "company_instance" ALTER COLUMN "gsid" SET DATA TYPE text collate "C";--> statement-breakpoint
ALTER TABLE "company_instance" ALTER COLUMN "company_id" SET DATA TYPE text collate "C";--> statement-breakpoint
ALTER TABLE "company_instance" ALTER COLUMN "px_account_id" SET DATA TYPE text collate "C";--> statement-breakpoint
ALTER TABLE "company_person" ALTER COLUMN "gsid" SET DATA TYPE text collate "C";--> statement-breakpoint
ALTER TABLE "company_person" ALTER COLUMN "person_id" SET DATA TYPE text collate "C";--> statement-breakpoint
ALTER TABLE "company_person" ALTER COLUMN "company_id" SET DATA TYPE text collate "C";--> statement-breakpoint
ALTER TABLE "company_person" ALTER COLUMN "px_user_id" SET DATA TYPE text collate "C";--> statement-breakpoint
ALTER TABLE "company_person" ALTER COLUMN "instance_id" SET DATA TYPE text collate "C";--> statement-breakpoint
ALTER TABLE "person" ALTER COLUMN "gsid" SET DATA TYPE text collate "C";