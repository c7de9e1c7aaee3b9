CREATE TABLE `traffic_alerts` (
	`environment_id` integer PRIMARY KEY NOT NULL,
	`threshold_percent` integer NOT NULL,
	`last_alert_at` integer
);
--> statement-breakpoint
CREATE TABLE `traffic_hours` (
	`environment_id` integer NOT NULL,
	`account_id` integer NOT NULL,
	`at` integer NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	`status_2xx` integer DEFAULT 0 NOT NULL,
	`status_3xx` integer DEFAULT 0 NOT NULL,
	`status_4xx` integer DEFAULT 0 NOT NULL,
	`status_5xx` integer DEFAULT 0 NOT NULL,
	`bytes_in` integer DEFAULT 0 NOT NULL,
	`bytes_out` integer DEFAULT 0 NOT NULL,
	`hits` integer DEFAULT 0 NOT NULL,
	`misses` integer DEFAULT 0 NOT NULL,
	`passes` integer DEFAULT 0 NOT NULL,
	`blocked` integer DEFAULT 0 NOT NULL,
	`lat_0` integer DEFAULT 0 NOT NULL,
	`lat_1` integer DEFAULT 0 NOT NULL,
	`lat_2` integer DEFAULT 0 NOT NULL,
	`lat_3` integer DEFAULT 0 NOT NULL,
	`lat_4` integer DEFAULT 0 NOT NULL,
	`lat_5` integer DEFAULT 0 NOT NULL,
	`lat_6` integer DEFAULT 0 NOT NULL,
	`lat_7` integer DEFAULT 0 NOT NULL,
	`lat_8` integer DEFAULT 0 NOT NULL,
	`lat_9` integer DEFAULT 0 NOT NULL,
	`lat_10` integer DEFAULT 0 NOT NULL,
	`lat_11` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`environment_id`, `at`)
);
--> statement-breakpoint
CREATE INDEX `traffic_hours_at_idx` ON `traffic_hours` (`at`);--> statement-breakpoint
CREATE INDEX `traffic_hours_account_idx` ON `traffic_hours` (`account_id`,`at`);--> statement-breakpoint
CREATE TABLE `traffic_minutes` (
	`environment_id` integer NOT NULL,
	`account_id` integer NOT NULL,
	`at` integer NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	`status_2xx` integer DEFAULT 0 NOT NULL,
	`status_3xx` integer DEFAULT 0 NOT NULL,
	`status_4xx` integer DEFAULT 0 NOT NULL,
	`status_5xx` integer DEFAULT 0 NOT NULL,
	`bytes_in` integer DEFAULT 0 NOT NULL,
	`bytes_out` integer DEFAULT 0 NOT NULL,
	`hits` integer DEFAULT 0 NOT NULL,
	`misses` integer DEFAULT 0 NOT NULL,
	`passes` integer DEFAULT 0 NOT NULL,
	`blocked` integer DEFAULT 0 NOT NULL,
	`lat_0` integer DEFAULT 0 NOT NULL,
	`lat_1` integer DEFAULT 0 NOT NULL,
	`lat_2` integer DEFAULT 0 NOT NULL,
	`lat_3` integer DEFAULT 0 NOT NULL,
	`lat_4` integer DEFAULT 0 NOT NULL,
	`lat_5` integer DEFAULT 0 NOT NULL,
	`lat_6` integer DEFAULT 0 NOT NULL,
	`lat_7` integer DEFAULT 0 NOT NULL,
	`lat_8` integer DEFAULT 0 NOT NULL,
	`lat_9` integer DEFAULT 0 NOT NULL,
	`lat_10` integer DEFAULT 0 NOT NULL,
	`lat_11` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`environment_id`, `at`)
);
--> statement-breakpoint
CREATE INDEX `traffic_minutes_at_idx` ON `traffic_minutes` (`at`);--> statement-breakpoint
CREATE INDEX `traffic_minutes_account_idx` ON `traffic_minutes` (`account_id`,`at`);--> statement-breakpoint
CREATE TABLE `traffic_node_hours` (
	`node_id` integer NOT NULL,
	`at` integer NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	`status_5xx` integer DEFAULT 0 NOT NULL,
	`bytes_out` integer DEFAULT 0 NOT NULL,
	`lost_logs` integer DEFAULT 0 NOT NULL,
	`dropped_pushes` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`node_id`, `at`)
);
--> statement-breakpoint
CREATE TABLE `traffic_node_minutes` (
	`node_id` integer NOT NULL,
	`at` integer NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	`status_5xx` integer DEFAULT 0 NOT NULL,
	`bytes_out` integer DEFAULT 0 NOT NULL,
	`lost_logs` integer DEFAULT 0 NOT NULL,
	`dropped_pushes` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`node_id`, `at`)
);
--> statement-breakpoint
CREATE INDEX `traffic_node_minutes_at_idx` ON `traffic_node_minutes` (`at`);--> statement-breakpoint
CREATE TABLE `traffic_pushes` (
	`push_id` text PRIMARY KEY NOT NULL,
	`node_id` integer NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `traffic_pushes_received_idx` ON `traffic_pushes` (`received_at`);--> statement-breakpoint
CREATE TABLE `traffic_recent_requests` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`environment_id` integer NOT NULL,
	`node_id` integer NOT NULL,
	`at` integer NOT NULL,
	`method` text NOT NULL,
	`path` text NOT NULL,
	`status` integer NOT NULL,
	`cache` text,
	`duration_ms` integer NOT NULL,
	`request_id` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `traffic_recent_env_idx` ON `traffic_recent_requests` (`environment_id`,`at`);--> statement-breakpoint
CREATE INDEX `traffic_recent_reqid_idx` ON `traffic_recent_requests` (`environment_id`,`request_id`);