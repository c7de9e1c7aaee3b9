CREATE TABLE `purge_node_states` (
	`purge_id` integer NOT NULL,
	`node_id` integer NOT NULL,
	`applied_at` integer,
	`error` text,
	`reported_at` integer NOT NULL,
	PRIMARY KEY(`purge_id`, `node_id`),
	FOREIGN KEY (`purge_id`) REFERENCES `purges`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`node_id`) REFERENCES `edge_nodes`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `purge_node_states_node_idx` ON `purge_node_states` (`node_id`);--> statement-breakpoint
CREATE TABLE `purges` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`account_id` integer NOT NULL,
	`application_id` integer NOT NULL,
	`environment_id` integer NOT NULL,
	`kind` text NOT NULL,
	`input` text NOT NULL,
	`ban` text NOT NULL,
	`created_by` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`application_id`) REFERENCES `applications`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`environment_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `purges_environment_created_idx` ON `purges` (`environment_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `purges_created_idx` ON `purges` (`created_at`);