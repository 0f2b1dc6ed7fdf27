/** The aspect ratios Kontext takes; its own file so that code loading no zod (the CLI's light commands) can read it. */
export const ASPECT_RATIOS = ['21:9', '16:9', '4:3', '3:2', '1:1', '2:3', '3:4', '9:16', '9:21'] as const;
