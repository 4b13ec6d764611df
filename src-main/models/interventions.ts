/**
 * Intervention sets: the one vocabulary for "a model plus some interventions". A set is a typed,
 * serialisable value; the same set drives generation, scoring, training and the UI, so a teacher
 * that generated a dataset is exactly the one that scores it.
 *
 * Values (vectors, coefficients, biases, LoRA factors) become graph inputs. The graph depends only
 * on the set's *structure* (`structureKey`): sweeping a coefficient, feature or value reuses it.
 */
import { z } from 'zod';
import { LORA_TARGETS } from './graph.js';

const hookName = z.string().min(1).max(200).regex(/^[A-Za-z0-9_.*]+$/, 'hook names use TransformerLens spelling, e.g. blocks.12.hook_resid_post');
const vector = z.array(z.number().finite()).max(1 << 20);
/** where an SAE comes from: a folder on disk (SAELens or Gemma Scope) */
const saeRef = z.string().min(1).max(4096);

export const interventionSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('system_prompt'), text: z.string().max(20000) }),
  z.strictObject({ kind: z.literal('steer'), hook: hookName, vector, coef: z.number().finite().default(1) }),
  z.strictObject({ kind: z.literal('steer_sae'), sae: saeRef, feature: z.number().int().min(0), coef: z.number().finite() }),
  z.strictObject({ kind: z.literal('sae_splice'), sae: saeRef, withError: z.boolean().default(true) }),
  z.strictObject({
    kind: z.literal('feature_bias'), sae: saeRef, mode: z.enum(['spliced', 'projected']),
    withError: z.boolean().default(true), values: vector.optional(), trainable: z.boolean().default(false),
  }),
  z.strictObject({ kind: z.literal('resid_bias'), hook: hookName, values: vector.optional(), trainable: z.boolean().default(false) }),
  z.strictObject({
    kind: z.literal('lora'), targets: z.array(z.enum(LORA_TARGETS)).min(1).max(7), rank: z.number().int().min(1).max(1024),
    alpha: z.number().positive(), layers: z.array(z.number().int().min(0)).max(1024).optional(), trainable: z.boolean().default(false),
    /** initial factors by input name (`lora.{layer}.{target}.A|B`), flattened row-major */
    values: z.array(z.strictObject({ name: z.string().max(100), values: vector })).max(4096).optional(),
  }),
]);

export const interventionSetSchema = z.strictObject({
  name: z.string().max(200).optional(),
  items: z.array(interventionSchema).max(64),
});

export type Intervention = z.infer<typeof interventionSchema>;
export type InterventionSet = z.infer<typeof interventionSetSchema>;

export const EMPTY_SET: InterventionSet = { items: [] };

/** Parse and validate (errors name the path, e.g. `items.1.hook`). */
export function parseInterventionSet(v: unknown, where = 'intervention set'): InterventionSet {
  const r = interventionSetSchema.safeParse(v);
  if (!r.success) throw new Error(`${where}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** The system prompt of a set (the last one wins), if any. */
export function systemPromptOf(set: InterventionSet): string | undefined {
  let s: string | undefined;
  for (const i of set.items) if (i.kind === 'system_prompt') s = i.text;
  return s;
}

/** What the compiled graph depends on: kinds, hooks, SAEs, modes, LoRA shapes — never values. */
export function structureKey(set: InterventionSet): string {
  return JSON.stringify(
    set.items.flatMap((i): unknown[][] => {
      switch (i.kind) {
        case 'system_prompt':
          return [];
        case 'steer':
          return [['add', i.hook]];
        case 'steer_sae':
          return [['steer_sae', i.sae]];
        case 'sae_splice':
          return [['splice', i.sae, i.withError]];
        case 'feature_bias':
          return [['fbias', i.sae, i.mode, i.mode === 'spliced' ? i.withError : null]];
        case 'resid_bias':
          // a trainable bias is an input of its own when fixed vectors share its hook (intervened.ts)
          return [i.trainable ? ['add', i.hook, 'trainable'] : ['add', i.hook]];
        case 'lora':
          return [['lora', [...i.targets].sort(), i.rank, i.alpha, i.layers ?? null]];
      }
    }),
  );
}
