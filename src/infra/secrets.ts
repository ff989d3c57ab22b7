import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { formatPayloadKeys, keyIdOf } from '../config/payload-keys.js';

/**
 * A secret kept in a file that only its owner may read (0600): read when there, else made by `make` and written.
 * A file others can read is tightened to 0600 first.
 */
export function keptSecret(file: string, make: () => string): string {
  const stat = statSync(file, { throwIfNoEntry: false });
  if (stat) {
    if ((stat.mode & 0o077) !== 0) chmodSync(file, 0o600);
    const value = readFileSync(file, 'utf8').trim();
    if (value) return value;
  }
  mkdirSync(dirname(file), { recursive: true });
  const value = make();
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return value;
}

/** The file under DATA_DIR that keeps `npm start`'s payload key when PAYLOAD_ENCRYPTION_KEY is unset. */
export const payloadKeyFile = (dataDir: string) => join(dataDir, 'payload-key');

/** `npm start`'s payload key for a data directory: made once (32 random bytes), then the same on every start. */
export function dataDirPayloadKey(dataDir: string): string {
  return keptSecret(payloadKeyFile(dataDir), () => {
    const key = randomBytes(32);
    return formatPayloadKeys([{ id: keyIdOf(key), key }]);
  });
}
