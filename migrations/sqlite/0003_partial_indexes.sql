DROP INDEX `turns_status_idx`;--> statement-breakpoint
DROP INDEX `turns_memo_idx`;--> statement-breakpoint
CREATE INDEX `turns_in_flight_idx` ON `turns` (`created_at`) WHERE status in ('pending', 'submitted', 'running');--> statement-breakpoint
CREATE INDEX `turns_memo_idx` ON `turns` (`endpoint_id`,`input_blob`,`seed_requested`) WHERE seed_requested is not null;