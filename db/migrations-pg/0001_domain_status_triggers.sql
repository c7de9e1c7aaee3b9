-- Per-status domain counters for /ops (SPEC §3.5) on PostgreSQL: the rules of the SQLite migration 0004, but each
-- trigger INSERTs a delta row into domain_status_deltas instead of updating domain_status_counts. Inserts never wait
-- on each other, whereas a trigger-kept counter row makes concurrent transactions wait on it and deadlock. The leader
-- folds the deltas into domain_status_counts; readers add the deltas not folded yet (db/schema/ops.ts). Every write
-- path (inserts, status changes, flag changes, deletes and ON DELETE CASCADE) fires them in its own transaction.
INSERT INTO "domain_status_counts" ("status", "count") VALUES ('pending', 0), ('live', 0), ('misconfigured', 0), ('nxdomain', 0), ('error', 0), ('flagged', 0);
--> statement-breakpoint
CREATE FUNCTION "domains_count_insert"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "domain_status_deltas" ("status", "delta") VALUES (NEW."status", 1);
  IF NEW."flagged" = 1 THEN
    INSERT INTO "domain_status_deltas" ("status", "delta") VALUES ('flagged', 1);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "domains_count_insert" AFTER INSERT ON "domains" FOR EACH ROW EXECUTE FUNCTION "domains_count_insert"();
--> statement-breakpoint
CREATE FUNCTION "domains_count_delete"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "domain_status_deltas" ("status", "delta") VALUES (OLD."status", -1);
  IF OLD."flagged" = 1 THEN
    INSERT INTO "domain_status_deltas" ("status", "delta") VALUES ('flagged', -1);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "domains_count_delete" AFTER DELETE ON "domains" FOR EACH ROW EXECUTE FUNCTION "domains_count_delete"();
--> statement-breakpoint
CREATE FUNCTION "domains_count_status"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "domain_status_deltas" ("status", "delta") VALUES (OLD."status", -1), (NEW."status", 1);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "domains_count_status" AFTER UPDATE OF "status" ON "domains" FOR EACH ROW
  WHEN (OLD."status" IS DISTINCT FROM NEW."status") EXECUTE FUNCTION "domains_count_status"();
--> statement-breakpoint
CREATE FUNCTION "domains_count_flag"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "domain_status_deltas" ("status", "delta") VALUES ('flagged', CASE WHEN NEW."flagged" = 1 THEN 1 ELSE -1 END);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "domains_count_flag" AFTER UPDATE OF "flagged" ON "domains" FOR EACH ROW
  WHEN (OLD."flagged" IS DISTINCT FROM NEW."flagged") EXECUTE FUNCTION "domains_count_flag"();
