import type { Config } from '../config/index.js';

/** A workflow's page in the Temporal Web UI (its latest run), for the API's answers and the CLI. */
export function workflowUiUrl(config: Config, workflowId: string): string {
  return `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
