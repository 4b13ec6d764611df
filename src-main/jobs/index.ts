/** The job runner's public surface, for api/ and the hosts. */
export { JobRunner, type RunnerOptions } from './runner.js';
export { defineJobKind, JobCancelled, type JobKind, type JobContext, type CheckpointInput } from './kind.js';
export { jobKinds, loadJobKind } from './kinds/index.js';
export { describeEvent, type JobEvent } from './events.js';
export { jobStartSchema, runIdInputSchema, type JobStart, type RunIdInput } from './schemas.js';
export { codeVersion } from './code-version.js';
export { followRun, exitCodeOf, dieOfSigint } from './foreground.js';
