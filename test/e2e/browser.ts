/**
 * The headless Chromium the browser tests drive: CHROMIUM_PATH when set, else the system's /usr/bin/chromium,
 * else the one npm installed (@sparticuz/chromium), so `npm test` needs no browser on the machine.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

const SYSTEM_CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface ChromiumBinary {
  executablePath: string;
  source: 'CHROMIUM_PATH' | 'system' | 'npm';
  /** Environment the binary needs on top of ours (the npm build brings its own libraries and fonts). */
  env: Record<string, string>;
}

/** Outside the clone, beside the Temporal CLI build (src/infra/temporal-cli.ts), so a machine extracts it once. */
function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.ROLLCALL_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'rollcall');
}

/**
 * @sparticuz/chromium ships Chromium brotli-compressed and unpacks it into os.tmpdir(); used as it is, runs
 * sharing /tmp could take each other's half-written binary. So it unpacks into a fresh directory of its own,
 * which is then renamed into the cache: a directory there is always complete. Besides the browser it unpacks
 * the NSS/NSPR/expat libraries of Amazon Linux 2023 (what it asks for that a bare Debian lacks), and fonts.
 */
async function npmChromium(): Promise<ChromiumBinary> {
  // The package exports only its entry point (build/cjs/index.cjs for require): its root is two levels up.
  const root = dirname(dirname(dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium'))));
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const target = join(cacheRoot(), `chromium-${version}`);
  const binary = {
    executablePath: join(target, 'chromium'),
    source: 'npm' as const,
    env: { LD_LIBRARY_PATH: join(target, 'al2023', 'lib'), FONTCONFIG_PATH: join(target, 'fonts') },
  };
  if (existsSync(target)) return binary;
  const { default: Chromium } = await import('@sparticuz/chromium');
  mkdirSync(dirname(target), { recursive: true });
  const partial = mkdtempSync(`${target}.partial-`);
  // The package reads TMPDIR when it unpacks, and unpacks the AL2023 libraries only where it thinks it is on
  // AWS Lambda's Node 20 (its module-level setup for Lambda ran at import, before this, so none of it applies).
  const saved = { TMPDIR: process.env.TMPDIR, AWS_EXECUTION_ENV: process.env.AWS_EXECUTION_ENV };
  Object.assign(process.env, { TMPDIR: partial, AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x' });
  try {
    await Chromium.executablePath(join(root, 'bin'));
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
  try {
    renameSync(partial, target);
  } catch (error) {
    // Another run finished first: keep its copy.
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(target)) throw error;
  }
  return binary;
}

export async function findChromium(env: NodeJS.ProcessEnv = process.env): Promise<ChromiumBinary> {
  if (env.CHROMIUM_PATH) {
    if (!existsSync(env.CHROMIUM_PATH)) throw new Error(`CHROMIUM_PATH: no file at ${env.CHROMIUM_PATH}`);
    return { executablePath: env.CHROMIUM_PATH, source: 'CHROMIUM_PATH', env: {} };
  }
  if (existsSync(SYSTEM_CHROMIUM)) return { executablePath: SYSTEM_CHROMIUM, source: 'system', env: {} };
  return npmChromium();
}

export async function launchChromium(): Promise<Browser> {
  const binary = await findChromium();
  const env = { ...process.env, ...binary.env };
  if (binary.env.LD_LIBRARY_PATH && process.env.LD_LIBRARY_PATH)
    env.LD_LIBRARY_PATH = `${binary.env.LD_LIBRARY_PATH}:${process.env.LD_LIBRARY_PATH}`;
  return chromium.launch({ executablePath: binary.executablePath, args: ARGS, env });
}
