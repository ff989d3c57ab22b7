import { createHash } from 'node:crypto';

/** One AES-256-GCM key for workflow payloads; `id` is written into each encrypted payload's metadata. */
export interface PayloadKey {
  id: string;
  key: Buffer;
}

const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** A bare key's id: a fingerprint, so the same key always gets the same id and the id reveals nothing of it. */
export function keyIdOf(key: Buffer): string {
  return `k${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

function decodeKey(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return undefined;
  const key = Buffer.from(text.replaceAll('-', '+').replaceAll('_', '/'), 'base64');
  return key.length === KEY_BYTES ? key : undefined;
}

/**
 * PAYLOAD_ENCRYPTION_KEY: one base64 key of 32 bytes, or a comma-separated list of `id:base64key` (bare keys
 * allowed too) for rotation: the first encrypts, every one decrypts. Returns the keys, or what is wrong
 * (never the key material itself).
 */
export function parsePayloadKeys(text: string): PayloadKey[] | string {
  const entries = text.split(',').map((entry) => entry.trim());
  const keys: PayloadKey[] = [];
  for (const [index, entry] of entries.entries()) {
    const where = entries.length > 1 ? `entry ${index + 1}: ` : '';
    const colon = entry.indexOf(':');
    const id = colon < 0 ? undefined : entry.slice(0, colon);
    const key = decodeKey(colon < 0 ? entry : entry.slice(colon + 1));
    if (id !== undefined && !KEY_ID.test(id))
      return `${where}expected a key id of 1-64 letters, digits or . _ - before the colon`;
    if (!key)
      return `${where}expected ${KEY_BYTES} bytes in base64 (\`openssl rand -base64 32\`), optionally as id:key, several separated by commas`;
    const keyId = id ?? keyIdOf(key);
    if (keys.some((other) => other.id === keyId)) return `${where}key id "${keyId}" is given twice`;
    keys.push({ id: keyId, key });
  }
  return keys;
}

/** The list form of keys, as PAYLOAD_ENCRYPTION_KEY reads it. */
export function formatPayloadKeys(keys: PayloadKey[]): string {
  return keys.map((key) => `${key.id}:${key.key.toString('base64')}`).join(',');
}
