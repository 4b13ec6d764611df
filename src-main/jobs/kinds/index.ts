/** The job kinds: kind → module (loaded lazily, so a host only pays for the kinds it runs). Add one line per kind. */
import type { JobKind } from '../kind.js';
import { invalid } from '../../store/index.js';

export const jobKinds: Record<string, () => Promise<JobKind>> = {
  'demo-train': async () => (await import('./demo-train.js')).default,
  'demo-generate': async () => (await import('./demo-generate.js')).default,
  'train-bias': async () => (await import('./train-bias.js')).default,
  'loss-table': async () => (await import('./loss-table.js')).default,
  'generate-dataset': async () => (await import('./generate-dataset.js')).default,
  'prefs-eval': async () => (await import('./prefs-eval.js')).default,
  'bias-sweep': async () => (await import('./bias-sweep.js')).default,
  'signal-scan': async () => (await import('./signal-scan.js')).default,
  'mean-activation': async () => (await import('./mean-activation.js')).default,
  finetune: async () => (await import('./finetune.js')).default,
  'feature-stats': async () => (await import('./feature-stats.js')).default,
  'train-sae': async () => (await import('./train-sae.js')).default,
};

export async function loadJobKind(kind: string): Promise<JobKind> {
  const load = jobKinds[kind];
  if (!load) throw invalid(`unknown job kind '${kind}' (known: ${Object.keys(jobKinds).join(', ')})`);
  return load();
}
