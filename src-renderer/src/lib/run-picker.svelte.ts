/**
 * Picking a run in a list (Runs, Detect): the address names it (#<route>/<id>), and once its
 * detail is shown (below a list that may be long) it is scrolled into view. Call during a
 * component's initialisation (it registers an effect).
 */
export function runPicker(route: string, shownId: () => string | undefined): (id: string) => void {
  let pending = $state<string>();
  $effect(() => {
    if (!pending || shownId() !== pending) return;
    pending = undefined;
    requestAnimationFrame(() => document.querySelector('[data-testid=run-detail]')?.scrollIntoView({ block: 'start' }));
  });
  return (id: string) => {
    pending = id;
    location.hash = `#${route}/${id}`;
  };
}
