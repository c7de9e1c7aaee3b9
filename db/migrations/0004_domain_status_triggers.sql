-- Per-status domain counters for /ops (SPEC §3.5), kept by triggers so that every write path (inserts, status
-- changes, flag changes, deletes and ON DELETE CASCADE from environments, applications and accounts) updates them
-- in the same transaction as the change itself.
INSERT INTO `domain_status_counts` (`status`, `count`) VALUES ('pending', 0), ('live', 0), ('misconfigured', 0), ('nxdomain', 0), ('error', 0), ('flagged', 0);
--> statement-breakpoint
UPDATE `domain_status_counts` SET `count` = (SELECT count(*) FROM `domains` WHERE `domains`.`status` = `domain_status_counts`.`status`) WHERE `status` <> 'flagged';
--> statement-breakpoint
UPDATE `domain_status_counts` SET `count` = (SELECT count(*) FROM `domains` WHERE `flagged` = 1) WHERE `status` = 'flagged';
--> statement-breakpoint
CREATE TRIGGER `domains_count_insert` AFTER INSERT ON `domains` BEGIN
  UPDATE `domain_status_counts` SET `count` = `count` + 1 WHERE `status` = NEW.`status`;
  UPDATE `domain_status_counts` SET `count` = `count` + 1 WHERE `status` = 'flagged' AND NEW.`flagged` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `domains_count_delete` AFTER DELETE ON `domains` BEGIN
  UPDATE `domain_status_counts` SET `count` = `count` - 1 WHERE `status` = OLD.`status`;
  UPDATE `domain_status_counts` SET `count` = `count` - 1 WHERE `status` = 'flagged' AND OLD.`flagged` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `domains_count_status` AFTER UPDATE OF `status` ON `domains` WHEN OLD.`status` <> NEW.`status` BEGIN
  UPDATE `domain_status_counts` SET `count` = `count` - 1 WHERE `status` = OLD.`status`;
  UPDATE `domain_status_counts` SET `count` = `count` + 1 WHERE `status` = NEW.`status`;
END;
--> statement-breakpoint
CREATE TRIGGER `domains_count_flag` AFTER UPDATE OF `flagged` ON `domains` WHEN OLD.`flagged` <> NEW.`flagged` BEGIN
  UPDATE `domain_status_counts` SET `count` = `count` + (CASE WHEN NEW.`flagged` = 1 THEN 1 ELSE -1 END) WHERE `status` = 'flagged';
END;
