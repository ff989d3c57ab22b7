import { writeFile } from 'node:fs/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import { PREBUILT_BUNDLE, workflowsPath } from './workflows-path.js';

/** Build step: bundles the workflow code once so production workers start without webpack. */
const { code } = await bundleWorkflowCode({ workflowsPath: workflowsPath() });
await writeFile(PREBUILT_BUNDLE, code);
console.log(`workflow bundle written to ${PREBUILT_BUNDLE} (${Math.round(code.length / 1024)} KiB)`);
