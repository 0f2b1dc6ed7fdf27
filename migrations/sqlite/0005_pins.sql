ALTER TABLE `turns` ADD `pinned_at` integer;--> statement-breakpoint
CREATE INDEX `turns_pinned_idx` ON `turns` (`session_id`,`pinned_at`) WHERE pinned_at is not null;