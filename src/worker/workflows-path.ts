import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The workflows entry file: index.ts under tsx (dev, tests), index.js once built. */
export function workflowsPath(): string {
  const candidates = ['../workflows/index.ts', '../workflows/index.js'].map((relative) =>
    fileURLToPath(new URL(relative, import.meta.url)),
  );
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`workflow code not found at ${candidates.join(' or ')}`);
  return found;
}

/** Where `npm run build` writes the prebuilt workflow bundle (dist/workflow-bundle.js). */
export const PREBUILT_BUNDLE = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url));
