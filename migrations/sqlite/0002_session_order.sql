DROP INDEX `turns_session_idx`;--> statement-breakpoint
CREATE INDEX `turns_session_order_idx` ON `turns` (`session_id`,`depth`,`created_at`,`id`);