CREATE TABLE `domain_claims` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`hostname` text NOT NULL,
	`hostname_unicode` text NOT NULL,
	`account_id` integer NOT NULL,
	`application_id` integer NOT NULL,
	`environment_id` integer NOT NULL,
	`verification_token` text NOT NULL,
	`created_by` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`last_checked_at` integer,
	`last_result` text,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`application_id`) REFERENCES `applications`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`environment_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `domain_claims_hostname_environment_unique` ON `domain_claims` (`hostname`,`environment_id`);--> statement-breakpoint
CREATE INDEX `domain_claims_account_idx` ON `domain_claims` (`account_id`);--> statement-breakpoint
CREATE TABLE `edge_check_cache` (
	`key` text PRIMARY KEY NOT NULL,
	`ok` integer NOT NULL,
	`tool` text NOT NULL,
	`message` text,
	`checked_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `edge_environment_versions` (
	`environment_id` integer PRIMARY KEY NOT NULL,
	`version` integer NOT NULL,
	`fingerprint` text NOT NULL,
	`commit` text,
	`removed_at` integer,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `edge_environment_versions_version_idx` ON `edge_environment_versions` (`version`);--> statement-breakpoint
CREATE TABLE `edge_node_environments` (
	`node_id` integer NOT NULL,
	`environment_id` integer NOT NULL,
	`version` integer NOT NULL,
	`status` text NOT NULL,
	`serving_commit` text,
	`tool` text,
	`message` text,
	`applied_at` integer,
	`reported_at` integer NOT NULL,
	PRIMARY KEY(`node_id`, `environment_id`),
	FOREIGN KEY (`node_id`) REFERENCES `edge_nodes`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `edge_node_environments_env_idx` ON `edge_node_environments` (`environment_id`);--> statement-breakpoint
CREATE TABLE `edge_nodes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`token_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`revoked_at` integer,
	`drain` integer DEFAULT false NOT NULL,
	`last_contact_at` integer,
	`address` text,
	`http_port` integer,
	`https_port` integer,
	`applied_version` integer,
	`tools` text,
	`last_error` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `edge_nodes_token_hash_unique` ON `edge_nodes` (`token_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `edge_nodes_name_unique` ON `edge_nodes` (lower("name"));--> statement-breakpoint
CREATE TABLE `edge_state_version` (
	`id` integer PRIMARY KEY NOT NULL,
	`version` integer NOT NULL
);
--> statement-breakpoint
DROP INDEX `domains_environment_idx`;--> statement-breakpoint
ALTER TABLE `domains` ADD `ownership_proven_at` integer;--> statement-breakpoint
CREATE INDEX `domains_environment_hostname_idx` ON `domains` (`environment_id`,`hostname`);--> statement-breakpoint
ALTER TABLE `environments` ADD `edge_secret` text;--> statement-breakpoint
INSERT INTO `edge_state_version` (`id`, `version`) VALUES (1, 0);--> statement-breakpoint
UPDATE `domains` SET `ownership_proven_at` = coalesce(`last_success_at`, `last_checked_at`) WHERE `ownership_required` = 1 AND `status` = 'live';
