/** The workflow bundle's entry: every workflow the worker runs. */
export { sessionWorkflow } from './session.js';
export { recentZoomReportSyncWorkflow, reportSyncWorkflow } from './report-sync.js';
export { reportPushWorkflow } from './report-push.js';
