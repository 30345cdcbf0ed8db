export { jobWorkflow } from './job.js';
export { syncRunWorkflow } from './run.js';
export { chainRunWorkflow } from './chain.js';
export { scheduledJobWorkflow, scheduledChainWorkflow } from './scheduled.js';
export { previewWorkflow } from './preview.js';
