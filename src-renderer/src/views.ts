/** The workbench's views, in nav order. */
export interface View {
  id: string;
  label: string;
}

export const VIEWS: View[] = [
  { id: 'engine', label: 'Engine' },
  { id: 'jobs', label: 'Jobs' },
  { id: 'runs', label: 'Runs' },
  { id: 'datasets', label: 'Datasets' },
  { id: 'detect', label: 'Detect' },
  { id: 'compare', label: 'Compare' },
  { id: 'features', label: 'Features' },
];

/** `#runs/<id>` → the runs view with param `<id>`; anything unknown → the first view. */
export function routeFromHash(hash: string): { view: View; param?: string } {
  const [id, ...rest] = hash.replace(/^#/, '').split('/');
  const view = VIEWS.find((v) => v.id === id) ?? VIEWS[0]!;
  const param = view.id === id && rest.length ? decodeURIComponent(rest.join('/')) : undefined;
  return param ? { view, param } : { view };
}
