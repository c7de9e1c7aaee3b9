-- Hostnames compare byte by byte, as SQLite's BINARY collation does (db/schema/pg/columns.ts bytewiseText): keyset
-- paging by hostname and its indexes order the same on both databases whatever the database's collation is.
ALTER TABLE "domains" ALTER COLUMN "hostname" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "domain_claims" ALTER COLUMN "hostname" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "acme_challenges" ALTER COLUMN "hostname" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "domain_certificates" ALTER COLUMN "hostname" SET DATA TYPE text COLLATE "C";