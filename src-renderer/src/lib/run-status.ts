/** Run statuses: which are still moving, which can be cancelled or resumed. */
import type { JobStatus } from '../../../src-main/api/contract-types.js';

export const ACTIVE: readonly JobStatus[] = ['queued', 'running'];
export const RESUMABLE: readonly JobStatus[] = ['interrupted', 'failed', 'cancelled'];

export const isActive = (s: JobStatus): boolean => ACTIVE.includes(s);
export const isResumable = (s: JobStatus): boolean => RESUMABLE.includes(s);
