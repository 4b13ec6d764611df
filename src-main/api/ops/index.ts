/** Every API operation. A new area = one file in ops/ and one spread here. */
import type { OpDef } from '../op.js';
import { engineOps } from './engine.js';

export const ops = {
  ...engineOps,
} satisfies Record<string, OpDef>;

export type OpRegistry = Record<string, OpDef>;
