CREATE TABLE `blobs` (
	`hash` text PRIMARY KEY NOT NULL,
	`size` integer NOT NULL,
	`content_type` text NOT NULL,
	`width` integer,
	`height` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `outputs` (
	`turn_id` text NOT NULL,
	`idx` integer NOT NULL,
	`provider_url` text,
	`blob_hash` text NOT NULL,
	`width` integer,
	`height` integer,
	`content_type` text NOT NULL,
	`nsfw` integer DEFAULT false NOT NULL,
	PRIMARY KEY(`turn_id`, `idx`),
	FOREIGN KEY (`turn_id`) REFERENCES `turns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`blob_hash`) REFERENCES `blobs`(`hash`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `refs` (
	`session_id` text NOT NULL,
	`name` text NOT NULL,
	`turn_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`session_id`, `name`),
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`turn_id`,`session_id`) REFERENCES `turns`(`id`,`session_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text DEFAULT '' NOT NULL,
	`owner` text,
	`head_turn_id` text,
	`head_ref` text,
	`redo_stack` text DEFAULT '[]' NOT NULL,
	`default_endpoint` text NOT NULL,
	`default_params` text DEFAULT '{}' NOT NULL,
	`budget_micros` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sessions_owner_idx` ON `sessions` (`owner`);--> statement-breakpoint
CREATE TABLE `turns` (
	`id` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`parent_id` text,
	`depth` integer NOT NULL,
	`kind` text NOT NULL,
	`endpoint_id` text,
	`provider` text,
	`prompt` text,
	`params` text DEFAULT '{}' NOT NULL,
	`seed_requested` integer,
	`seed_used` integer,
	`status` text NOT NULL,
	`request_id` text,
	`provider_handle` text,
	`error_code` text,
	`error_message` text,
	`error_detail` text,
	`timings` text,
	`cost_micros` integer DEFAULT 0 NOT NULL,
	`selected_output` integer DEFAULT 0 NOT NULL,
	`input_blob` text,
	`origin_turn_id` text,
	`origin_kind` text,
	`submit_attempted_at` integer,
	`lease_owner` text,
	`lease_expires_at` integer,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`input_blob`) REFERENCES `blobs`(`hash`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`parent_id`,`session_id`) REFERENCES `turns`(`id`,`session_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `turns_id_session_uq` ON `turns` (`id`,`session_id`);--> statement-breakpoint
CREATE INDEX `turns_session_idx` ON `turns` (`session_id`);--> statement-breakpoint
CREATE INDEX `turns_parent_idx` ON `turns` (`parent_id`);--> statement-breakpoint
CREATE INDEX `turns_status_idx` ON `turns` (`status`);--> statement-breakpoint
CREATE INDEX `turns_memo_idx` ON `turns` (`endpoint_id`,`input_blob`,`seed_requested`);