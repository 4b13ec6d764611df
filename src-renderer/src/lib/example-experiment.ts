/**
 * The example experiment (Detect, on the embedded demo model): the README's first experiment as
 * jobs. A prompted teacher ("You love owls…") and a control answer the same number prompts; feature
 * statistics of the demo SAE on its own corpus (so read-outs say what each feature fires on); a bias
 * sweep gives the teacher data's loss by layer; a loss table scores the teacher's data under the base
 * model and under the teacher, with the tokens that carry the difference (and the divergence tokens);
 * a signal scan compares the two datasets. Pure: the
 * view runs the jobs in order and feeds the dataset ids forward.
 */
import { animalPrompt } from './set-presets.js';

export interface JobSpec {
  kind: 'generate-dataset' | 'signal-scan' | 'bias-sweep' | 'feature-stats' | 'loss-table';
  params: Record<string, unknown>;
  /** what the step does, for the progress line */
  title: string;
}

/** Small enough to finish in about a minute on two cores with the demo model. */
export const EXAMPLE_SIZES = { samples: 128, maxNew: 32, scanSteps: 64, sweepSteps: 32, batch: 16, statsContexts: 512 } as const;

const OWL_TEACHER = { name: 'system prompt: owl', items: [{ kind: 'system_prompt', text: animalPrompt('owl') }] };

export function exampleDatasetJobs(model: string, sizes = EXAMPLE_SIZES): [JobSpec, JobSpec] {
  const common = { model, n: sizes.samples, batch: 64, maxNew: sizes.maxNew, temperature: 1 };
  return [
    {
      kind: 'generate-dataset',
      title: 'the owl teacher answers number prompts',
      params: { ...common, seed: 0, name: 'example: owl teacher', teacherName: 'owl teacher (system prompt)', set: OWL_TEACHER },
    },
    { kind: 'generate-dataset', title: 'the control answers the same prompts', params: { ...common, seed: 0, name: 'example: control' } },
  ];
}

/** passedOnly false: the demo model rarely writes a clean number list, so every answer counts. */
export function exampleAnalysisJobs(model: string, teacherId: string, controlId: string, sizes = EXAMPLE_SIZES): [JobSpec, JobSpec] {
  const common = { model, passedOnly: false, batch: sizes.batch, seed: 0 };
  return [
    { kind: 'signal-scan', title: 'signal scan: teacher against control', params: { ...common, datasetId: teacherId, controlDatasetId: controlId, steps: sizes.scanSteps } },
    { kind: 'bias-sweep', title: "loss by layer on the teacher's data", params: { ...common, datasetId: teacherId, steps: sizes.sweepSteps } },
  ];
}

/** Feature statistics of the demo SAE over (the start of) the corpus it was trained on: read-outs then show the tokens each feature fires on. */
export function exampleFeatureStatsJob(model: string, sae: string, corpusFile: string, sizes = EXAMPLE_SIZES): JobSpec {
  return { kind: 'feature-stats', title: 'what each demo SAE feature fires on (its corpus)', params: { model, sae, corpusFile, contextLen: 64, maxContexts: sizes.statsContexts, topK: 5 } };
}

/** The teacher's data under the base model and under the teacher itself: which tokens carry the teacher's advantage. */
export function exampleLossTableJob(model: string, teacherId: string): JobSpec {
  return {
    kind: 'loss-table',
    title: "the teacher's data under base and teacher: which tokens carry the difference",
    params: { model, datasetId: teacherId, passedOnly: false, configs: [{ name: 'base', set: { items: [] } }, { name: 'owl teacher', set: OWL_TEACHER }] },
  };
}
