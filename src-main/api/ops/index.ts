/** Every API operation. A new area = one file in ops/ and one spread here. */
import type { OpDef } from '../op.js';
import { annotationOps } from './annotations.js';
import { datasetOps } from './datasets.js';
import { engineOps } from './engine.js';
import { experimentOps } from './experiments.js';
import { figureOps } from './figures.js';
import { interventionOps } from './interventions.js';
import { jobOps } from './jobs.js';
import { labOps } from './lab.js';
import { modelOps } from './models.js';
import { runOps } from './runs.js';
import { storeOps } from './store.js';
import { uiFeatureStatsOps } from './ui-feature-stats.js';
import { uiSaeOps } from './ui-sae.js';
import { vectorOps } from './vectors.js';

export const ops = {
  ...engineOps,
  ...storeOps,
  ...jobOps,
  ...runOps,
  ...datasetOps,
  ...vectorOps,
  ...modelOps,
  ...interventionOps,
  ...annotationOps,
  ...figureOps,
  ...experimentOps,
  ...labOps,
  ...uiSaeOps,
  ...uiFeatureStatsOps,
} satisfies Record<string, OpDef>;

export type OpRegistry = Record<string, OpDef>;
