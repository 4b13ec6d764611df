import type { Command } from '../command.js';
import { apiCommand } from './api.js';
import { serveCommand } from './serve.js';
import { selfcheck } from './selfcheck.js';
import { infoCommand } from './info.js';
import { tokenizeCommand } from './tokenize.js';
import { logitsCommand } from './logits.js';
import { generateCommand } from './generate.js';
import { scoreCommand } from './score.js';
import { readoutCommand } from './readout.js';
import { runsCommand } from './runs.js';
import { jobsStartCommand } from './jobs-start.js';
import { jobsResumeCommand } from './jobs-resume.js';
import { jobsCancelCommand } from './jobs-cancel.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { backupCommand } from './backup.js';
import { datasetsCommand } from './datasets.js';
import { saeInfoCommand } from './sae-info.js';
import { featureCommand } from './feature.js';
import { numberPromptsCommand } from './number-prompts.js';
import { filterCheckCommand } from './filter-check.js';
import { genDatasetCommand } from './gen-dataset.js';
import { prefsCommand } from './prefs.js';
import { featureStatsCommand } from './feature-stats.js';

/** Every CLI command, in `help` order. Add one line per command file. */
export const commands: Command[] = [
  selfcheck,
  apiCommand,
  serveCommand,
  infoCommand,
  tokenizeCommand,
  logitsCommand,
  generateCommand,
  scoreCommand,
  readoutCommand,
  runsCommand,
  jobsStartCommand,
  jobsResumeCommand,
  jobsCancelCommand,
  backupCommand,
  datasetsCommand,
  exportCommand,
  importCommand,
  saeInfoCommand,
  featureCommand,
  numberPromptsCommand,
  filterCheckCommand,
  genDatasetCommand,
  prefsCommand,
  featureStatsCommand,
];
