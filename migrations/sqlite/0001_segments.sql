ALTER TABLE `turns` ADD `segment_id` text;--> statement-breakpoint
CREATE UNIQUE INDEX `turns_segment_depth_uq` ON `turns` (`segment_id`,`depth`);--> statement-breakpoint
CREATE INDEX `turns_segment_path_idx` ON `turns` (`segment_id`,`depth`,`id`);--> statement-breakpoint
-- Backfill: walk every tree from its root; a turn continues its parent's segment when it is the
-- parent's first child (oldest, then lowest id), and starts its own segment otherwise.
WITH RECURSIVE `seg`(`id`, `segment_id`) AS (
	SELECT `id`, `id` FROM `turns` WHERE `parent_id` IS NULL
	UNION ALL
	SELECT `t`.`id`,
		CASE WHEN `t`.`id` = (SELECT `c`.`id` FROM `turns` `c` WHERE `c`.`parent_id` = `t`.`parent_id` ORDER BY `c`.`created_at`, `c`.`id` LIMIT 1)
			THEN `seg`.`segment_id` ELSE `t`.`id` END
	FROM `turns` `t` JOIN `seg` ON `t`.`parent_id` = `seg`.`id`
)
UPDATE `turns` SET `segment_id` = `seg`.`segment_id` FROM `seg` WHERE `seg`.`id` = `turns`.`id`;
