ALTER TABLE `sessions` ADD `quality` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `turns` ADD `sizes` text;--> statement-breakpoint
ALTER TABLE `turns` ADD `quality_options` text;--> statement-breakpoint
ALTER TABLE `turns` ADD `drift` text;