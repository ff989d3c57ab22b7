/**
 * Every test file gets its own copy of the run's migrated database (test/run.ts), made here when the file
 * first imports this module. Each test system runs a relay that drains the facts table; in a shared database
 * one file's relay would deliver another file's facts (to that file's sessions, but with its own settings).
 */
import pg from 'pg';
import { databaseUrlFor } from '../../src/infra/postgres.js';

async function copyForThisFile(): Promise<void> {
  const template = process.env.TEST_DATABASE_URL;
  if (!template || process.env.TEST_DATABASE_COPIED) return;
  const url = new URL(template);
  const source = url.pathname.slice(1);
  const copy = `${source}_f${process.pid}`;
  const admin = new pg.Client({ connectionString: databaseUrlFor(template, 'postgres') });
  await admin.connect();
  try {
    // CREATE DATABASE refuses a template that another copy is being made from at that instant: retry.
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE ${copy} TEMPLATE ${source}`);
        break;
      } catch (error) {
        if (attempt >= 40) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
      }
    }
  } finally {
    await admin.end();
  }
  process.env.TEST_DATABASE_URL = databaseUrlFor(template, copy);
  process.env.TEST_DATABASE_COPIED = '1';
}

await copyForThisFile();
