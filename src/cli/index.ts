#!/usr/bin/env node
/**
 * `rollcall`, the operator CLI: `npm run rollcall -- <command>` in development, `rollcall` / `node dist/cli/index.js`
 * once built. It reads the same environment as the API and worker: run it with their settings.
 */
import { Command, CommanderError } from 'commander';
import { endCommand } from './commands/end.js';
import { recalculateCommand } from './commands/recalculate.js';
import { replayCommand } from './commands/replay.js';
import { reportSyncCommand } from './commands/report-sync.js';
import { statusCommand } from './commands/status.js';
import { EXIT } from './context.js';

const program = new Command('rollcall')
  .description(
    'Operate Rollcall: session status, end, recalculate, replay, Zoom report sync.\nConfiguration comes from the environment, as for the API and worker.',
  )
  // Usage errors exit 2 (see EXIT) instead of commander's process.exit(1); every message reads `rollcall: ...`.
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(`rollcall: ${text.replace(/^error: /, '')}`) })
  .showHelpAfterError('(add --help for usage)');

for (const command of [statusCommand(), endCommand(), recalculateCommand(), replayCommand(), reportSyncCommand()]) {
  program.addCommand(
    command.exitOverride().configureOutput(program.configureOutput()).showHelpAfterError('(add --help for usage)'),
  );
}

try {
  await program.parseAsync();
} catch (error) {
  if (!(error instanceof CommanderError)) throw error;
  process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
}
// Anything the SDK leaves behind (its native runtime after a replay) must not keep a finished command alive.
setTimeout(() => process.exit(), 2_000).unref();
