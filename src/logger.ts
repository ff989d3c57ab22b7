import { pino } from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs; every line names its component so worker and API logs can be told apart. */
export function createLogger(component: string, level: pino.LevelWithSilent = 'info'): Logger {
  return pino({ level, base: { component } });
}
