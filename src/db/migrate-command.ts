import { loadConfig } from '../config/index.js';
import { provideDatabase } from '../infra/database.js';
import { runMain } from '../infra/run-main.js';
import { createLogger } from '../logger.js';
import { migrate } from './migrate.js';

/** `npm run migrate`: applies pending migrations to DATABASE_URL, or to the embedded database npm start uses. */
runMain('migrate', async () => {
  const config = loadConfig();
  const database = await provideDatabase(config, (line) => console.log(line));
  try {
    const applied = await migrate(database.url, createLogger('migrate', config.logLevel));
    console.log(applied.length ? `Applied migrations: ${applied.join(', ')}` : 'Database schema is up to date.');
  } finally {
    await database.stop?.();
  }
  process.exit(0);
});
