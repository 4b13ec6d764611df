/**
 * A corpus picker (Features: feature statistics, SAE training): a stored dataset's id, or
 * DEMO_CORPUS for the stories the demo model wrote (resources/demo/stories-corpus.txt).
 */
export const DEMO_CORPUS = 'demo-corpus';

/** The picker's value as job params: `{corpusFile}` for the demo stories, else `{datasetId}`. */
export function corpusParams(choice: string, demoCorpus: string | null): { corpusFile: string } | { datasetId: string } {
  return choice === DEMO_CORPUS && demoCorpus ? { corpusFile: demoCorpus } : { datasetId: choice };
}
