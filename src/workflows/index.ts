/** The workflow bundle's entry: every workflow the worker runs. */
export { sessionWorkflow } from './session.js';
