CREATE TABLE "blobs" (
	"hash" text PRIMARY KEY NOT NULL,
	"size" bigint NOT NULL,
	"content_type" text NOT NULL,
	"width" integer,
	"height" integer,
	"created_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outputs" (
	"turn_id" text NOT NULL,
	"idx" integer NOT NULL,
	"provider_url" text,
	"blob_hash" text NOT NULL,
	"width" integer,
	"height" integer,
	"content_type" text NOT NULL,
	"nsfw" boolean DEFAULT false NOT NULL,
	CONSTRAINT "outputs_turn_id_idx_pk" PRIMARY KEY("turn_id","idx")
);
--> statement-breakpoint
CREATE TABLE "refs" (
	"session_id" text NOT NULL,
	"name" text NOT NULL,
	"turn_id" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "refs_session_id_name_pk" PRIMARY KEY("session_id","name")
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"title" text DEFAULT '' NOT NULL,
	"owner" text,
	"head_turn_id" text,
	"head_ref" text,
	"redo_stack" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"default_endpoint" text NOT NULL,
	"default_params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"budget_micros" bigint,
	"quality" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "turns" (
	"id" text PRIMARY KEY NOT NULL,
	"session_id" text NOT NULL,
	"parent_id" text,
	"depth" integer NOT NULL,
	"kind" text NOT NULL,
	"endpoint_id" text,
	"provider" text,
	"prompt" text,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"seed_requested" bigint,
	"seed_used" bigint,
	"status" text NOT NULL,
	"request_id" text,
	"provider_handle" jsonb,
	"error_code" text,
	"error_message" text,
	"error_detail" jsonb,
	"timings" jsonb,
	"cost_micros" bigint DEFAULT 0 NOT NULL,
	"selected_output" integer DEFAULT 0 NOT NULL,
	"input_blob" text,
	"reference_blobs" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"origin_turn_id" text,
	"origin_kind" text,
	"submit_attempted_at" timestamp (3) with time zone,
	"lease_owner" text,
	"lease_expires_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone NOT NULL,
	"started_at" timestamp (3) with time zone,
	"finished_at" timestamp (3) with time zone,
	"sizes" jsonb,
	"quality_options" jsonb,
	"drift" jsonb,
	"pinned_at" timestamp (3) with time zone,
	"segment_id" text,
	CONSTRAINT "turns_id_session_uq" UNIQUE("id","session_id")
);
--> statement-breakpoint
ALTER TABLE "outputs" ADD CONSTRAINT "outputs_turn_id_turns_id_fk" FOREIGN KEY ("turn_id") REFERENCES "public"."turns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outputs" ADD CONSTRAINT "outputs_blob_hash_blobs_hash_fk" FOREIGN KEY ("blob_hash") REFERENCES "public"."blobs"("hash") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refs" ADD CONSTRAINT "refs_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refs" ADD CONSTRAINT "refs_turn_same_session_fk" FOREIGN KEY ("turn_id","session_id") REFERENCES "public"."turns"("id","session_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "turns" ADD CONSTRAINT "turns_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "turns" ADD CONSTRAINT "turns_input_blob_blobs_hash_fk" FOREIGN KEY ("input_blob") REFERENCES "public"."blobs"("hash") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "turns" ADD CONSTRAINT "turns_parent_same_session_fk" FOREIGN KEY ("parent_id","session_id") REFERENCES "public"."turns"("id","session_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sessions_owner_idx" ON "sessions" USING btree ("owner");--> statement-breakpoint
CREATE INDEX "turns_session_order_idx" ON "turns" USING btree ("session_id","depth","created_at","id");--> statement-breakpoint
CREATE INDEX "turns_parent_idx" ON "turns" USING btree ("parent_id");--> statement-breakpoint
CREATE INDEX "turns_in_flight_idx" ON "turns" USING btree ("created_at") WHERE status in ('pending', 'submitted', 'running');--> statement-breakpoint
CREATE INDEX "turns_pinned_idx" ON "turns" USING btree ("session_id","pinned_at") WHERE pinned_at is not null;--> statement-breakpoint
CREATE INDEX "turns_memo_idx" ON "turns" USING btree ("endpoint_id","input_blob","seed_requested") WHERE seed_requested is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "turns_segment_depth_uq" ON "turns" USING btree ("segment_id","depth");--> statement-breakpoint
CREATE INDEX "turns_segment_path_idx" ON "turns" USING btree ("segment_id","depth","id");--> statement-breakpoint
CREATE INDEX "turns_lease_owner_idx" ON "turns" USING btree ("lease_owner") WHERE lease_owner is not null;