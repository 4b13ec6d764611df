/** The workbench's views, in nav order: a researcher's path first (the first one opens by default, on the demo model when the store is new). */
export interface View {
  id: string;
  label: string;
}

export const VIEWS: View[] = [
  { id: 'detect', label: 'Detect' },
  { id: 'datasets', label: 'Datasets' },
  { id: 'compare', label: 'Compare' },
  { id: 'features', label: 'Features' },
  { id: 'runs', label: 'Runs' },
  { id: 'jobs', label: 'Jobs' },
  { id: 'engine', label: 'Engine' },
];

/** `#runs/<id>` → the runs view with param `<id>`; anything unknown → the first view. */
export function routeFromHash(hash: string): { view: View; param?: string } {
  const [id, ...rest] = hash.replace(/^#/, '').split('/');
  const view = VIEWS.find((v) => v.id === id) ?? VIEWS[0]!;
  const param = view.id === id && rest.length ? decodeURIComponent(rest.join('/')) : undefined;
  return param ? { view, param } : { view };
}
