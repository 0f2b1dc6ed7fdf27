import { defineConfig } from 'drizzle-kit';

// PostgreSQL: `npm run db:generate` writes its migrations from src/store/postgres/schema.ts.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/store/postgres/schema.ts',
  out: './migrations/postgres',
});
