/** The workbench's views, in nav order. Only `engine` is live so far. */
export interface View {
  id: string;
  label: string;
  /** what the view will hold, shown until it lands */
  plan?: string;
}

export const VIEWS: View[] = [
  { id: 'engine', label: 'Engine' },
  {
    id: 'datasets',
    label: 'Datasets',
    plan: 'Teacher-generated number datasets: samples, filter results and pass rate, and the teacher that made them.',
  },
  { id: 'runs', label: 'Runs', plan: 'Every job and run with its config, progress, checkpoints and provenance.' },
  {
    id: 'detect',
    label: 'Detect',
    plan: 'Train a residual or SAE-feature bias on a dataset and watch its loss against base, teacher and student.',
  },
  {
    id: 'features',
    label: 'Features',
    plan: "Read a trained vector: its top SAE features, direct logit attribution, and cosine with every decoder row.",
  },
  { id: 'compare', label: 'Compare', plan: 'Put runs side by side: losses by layer, preferences, and the features they surface.' },
];
