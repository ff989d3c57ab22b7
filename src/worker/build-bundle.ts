import { writeFile } from 'node:fs/promises';
import { bundleWorkflows } from './bundle.js';
import { PREBUILT_BUNDLE } from './workflows-path.js';

/** Build step: bundles the workflow code once so production workers start without webpack. */
const code = await bundleWorkflows();
await writeFile(PREBUILT_BUNDLE, code);
console.log(`workflow bundle written to ${PREBUILT_BUNDLE} (${Math.round(code.length / 1024)} KiB)`);
