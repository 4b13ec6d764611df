/**
 * The model and SAE folders the lab views work on, shared by Detect, Compare and Features and kept
 * across reloads (localStorage), so a path is typed once.
 */
const KEYS = { model: 'undertone.modelPath', sae: 'undertone.saePath' } as const;

function read(key: string): string {
  try {
    return localStorage.getItem(key) ?? '';
  } catch {
    return '';
  }
}

function write(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // storage refused (private mode): the path lasts for this page only
  }
}

class LabPaths {
  #model = $state(read(KEYS.model));
  #sae = $state(read(KEYS.sae));

  get model(): string {
    return this.#model;
  }
  set model(v: string) {
    this.#model = v;
    write(KEYS.model, v);
  }
  get sae(): string {
    return this.#sae;
  }
  set sae(v: string) {
    this.#sae = v;
    write(KEYS.sae, v);
  }
}

export const labPaths = new LabPaths();
