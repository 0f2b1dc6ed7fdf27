import { defineConfig } from 'drizzle-kit';

// SQLite, the default store. `npm run db:generate` writes new migrations for both dialects
// (this file and drizzle.postgres.config.ts); a SQLite store applies its pending ones when it
// opens a file, PostgreSQL's are applied by `kontext migrate`.
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/store/sqlite/schema.ts',
  out: './migrations/sqlite',
});
