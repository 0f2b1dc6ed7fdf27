/** Moved to sqlite/openDatabase.ts; kept so older imports still resolve. */
export { openDatabase, migrationsPending, type OpenDatabaseOptions } from './sqlite/openDatabase.js';
