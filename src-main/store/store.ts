/** The experiment store: one SQLite file, opened with its repositories. */
import { resolve } from 'node:path';
import { openDatabase, integrityCheck, type Db } from './db.js';
import { modelsRepo, saesRepo } from './models.js';
import { interventionSetsRepo } from './interventions.js';
import { datasetsRepo } from './datasets.js';
import { samplesRepo } from './samples.js';
import { runsRepo } from './runs.js';
import { checkpointsRepo } from './checkpoints.js';
import { metricsRepo } from './metrics.js';
import { vectorsRepo } from './vectors.js';
import { annotationsRepo } from './annotations.js';
import { figuresRepo } from './figures.js';
import { featureStatsRepo } from './feature-stats.js';
import { schemaVersion } from './migrations.js';

export function openStore(file: string) {
  const path = resolve(file);
  const db: Db = openDatabase(path);
  return {
    path,
    db,
    models: modelsRepo(db),
    saes: saesRepo(db),
    interventionSets: interventionSetsRepo(db),
    datasets: datasetsRepo(db),
    samples: samplesRepo(db),
    runs: runsRepo(db),
    checkpoints: checkpointsRepo(db),
    metrics: metricsRepo(db),
    vectors: vectorsRepo(db),
    annotations: annotationsRepo(db),
    figures: figuresRepo(db),
    featureStats: featureStatsRepo(db),
    /** Run `fn` in one IMMEDIATE transaction (all its writes commit together or not at all). */
    transaction<T>(fn: () => T): T {
      return db.transaction(fn).immediate();
    },
    schemaVersion: (): number => schemaVersion(db),
    /** 'ok' or the problems `PRAGMA integrity_check` found. */
    integrityCheck: (): string => integrityCheck(db),
    close(): void {
      db.close();
    },
  };
}

export type Store = ReturnType<typeof openStore>;
