CREATE TABLE `acme_accounts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`directory_url` text NOT NULL,
	`email` text NOT NULL,
	`account_url` text,
	`key_sealed` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `acme_accounts_directory_unique` ON `acme_accounts` (`directory_url`);--> statement-breakpoint
CREATE TABLE `acme_challenges` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`certificate_id` integer NOT NULL,
	`environment_id` integer NOT NULL,
	`hostname` text NOT NULL,
	`kind` text NOT NULL,
	`token` text NOT NULL,
	`key_authorization` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`certificate_id`) REFERENCES `domain_certificates`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `acme_challenges_token_unique` ON `acme_challenges` (`token`);--> statement-breakpoint
CREATE INDEX `acme_challenges_environment_idx` ON `acme_challenges` (`environment_id`);--> statement-breakpoint
CREATE TABLE `domain_certificates` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`domain_id` integer NOT NULL,
	`account_id` integer NOT NULL,
	`environment_id` integer NOT NULL,
	`hostname` text NOT NULL,
	`source` text DEFAULT 'acme' NOT NULL,
	`state` text DEFAULT 'none' NOT NULL,
	`issuer` text,
	`not_before` integer,
	`not_after` integer,
	`serial` text,
	`sans` text,
	`chain_pem` text,
	`private_key_sealed` text,
	`failure_reason` text,
	`failure_step` text,
	`next_try_at` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`first_failure_at` integer,
	`last_attempt_at` integer,
	`lease_until` integer,
	`renew_requested_at` integer,
	`expiry_mailed_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`domain_id`) REFERENCES `domains`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`environment_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "domain_certificates_state_check" CHECK("domain_certificates"."state" in ('none','pending','issued','failed')),
	CONSTRAINT "domain_certificates_source_check" CHECK("domain_certificates"."source" in ('acme','custom'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `domain_certificates_domain_unique` ON `domain_certificates` (`domain_id`);--> statement-breakpoint
CREATE INDEX `domain_certificates_environment_idx` ON `domain_certificates` (`environment_id`);--> statement-breakpoint
CREATE INDEX `domain_certificates_next_try_idx` ON `domain_certificates` (`next_try_at`);--> statement-breakpoint
CREATE INDEX `domain_certificates_state_idx` ON `domain_certificates` (`state`,`hostname`);--> statement-breakpoint
ALTER TABLE `environments` ADD `redirect_https` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `edge_node_environments` ADD `acme_tokens` text;