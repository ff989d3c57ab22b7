import { NO_TEMPORAL_CLI_HELP, buildTemporalCli, findTemporalCli } from '../infra/temporal-cli.js';

/** Install step (CI, fresh machines): makes sure a temporal binary exists, building it once into the cache. */
const say = (line: string) => process.stdout.write(`${line}\n`);
const found = findTemporalCli() ?? (await buildTemporalCli(say));
if (!found) {
  process.stderr.write(`${NO_TEMPORAL_CLI_HELP}\n`);
  process.exit(1);
}
say(`Temporal CLI: ${found.path} (from ${found.source})`);
