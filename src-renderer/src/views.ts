/** The workbench's views, in nav order. A view with a `plan` is not built yet and says so. */
export interface View {
  id: string;
  label: string;
  /** what the view will hold, shown until it lands */
  plan?: string;
}

export const VIEWS: View[] = [
  { id: 'engine', label: 'Engine' },
  { id: 'jobs', label: 'Jobs' },
  { id: 'runs', label: 'Runs' },
  { id: 'datasets', label: 'Datasets' },
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

/** `#runs/<id>` → the runs view with param `<id>`; anything unknown → the first view. */
export function routeFromHash(hash: string): { view: View; param?: string } {
  const [id, ...rest] = hash.replace(/^#/, '').split('/');
  const view = VIEWS.find((v) => v.id === id) ?? VIEWS[0]!;
  const param = view.id === id && rest.length ? decodeURIComponent(rest.join('/')) : undefined;
  return param ? { view, param } : { view };
}
