/** `npm run cluster:install`: builds cluster mode's Go programs into the cache when missing (CI runs it once per machine). */
import { cacheRoot, ensureBinaries, findBinaries } from './binaries.js';

const say = (line: string) => process.stderr.write(`${line}\n`);

if (findBinaries()) {
  say(`Cluster binaries: cached in ${cacheRoot()}.`);
} else {
  try {
    await ensureBinaries(say);
  } catch (error) {
    say(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
