CREATE TABLE `domain_status_deltas` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`status` text NOT NULL,
	`delta` integer NOT NULL
);
