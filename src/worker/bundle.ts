import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowsPath } from './workflows-path.js';

const quiet = () => undefined;

/** Bundles the workflow code with webpack, keeping only its warnings and errors. */
export async function bundleWorkflows(): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: workflowsPath(),
    logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: console.warn, error: console.error },
  });
  return code;
}
