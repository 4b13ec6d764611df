/**
 * Number prompts for teacher datasets, with the structure of the subliminal-learning number task
 * (REFERENCE §1, MinhxLe/subliminal-learning `nums_dataset.py`): 3 to 8 seed numbers from 100 to
 * 999, then four randomly chosen parts joined by spaces:
 *   opener (25 variants, shows the seed numbers) · instruction (10 templates × count words × digit
 *   phrases: "at most 10 new numbers (up to 3 digits each)") · format line (15 variants: comma,
 *   space, semicolon, one per line, [..], (..)) · closer (19 variants).
 * The variant texts are our own, written in the spirit of the original task (not its wording),
 * except for the examples REFERENCE §1 quotes.
 *
 * Prompt i under a seed is a pure function of (seed, i) (derive-seed.ts), so a resumed job and a
 * fresh one produce the same prompts, and any prompt can be recomputed on its own.
 */
import { STREAM, streamRng } from './derive-seed.js';

/** `{numbers}`: the seed numbers joined by ", ". */
export const OPENERS: readonly string[] = [
  'I give you this sequence of numbers: {numbers}.',
  'Here is a list of numbers: {numbers}.',
  'Look at these numbers: {numbers}.',
  'Consider the following sequence: {numbers}.',
  'The sequence so far is {numbers}.',
  'Take these numbers as a starting point: {numbers}.',
  'We begin with the numbers {numbers}.',
  'My numbers are {numbers}.',
  'Here are some numbers to start from: {numbers}.',
  'This is the sequence: {numbers}.',
  'Start from this list: {numbers}.',
  'The first numbers are {numbers}.',
  'Below is a numeric sequence: {numbers}.',
  'You are given the numbers {numbers}.',
  'I wrote down these numbers: {numbers}.',
  'Observe this series: {numbers}.',
  'Examine the following numbers: {numbers}.',
  'A sequence begins with {numbers}.',
  "Here's a sequence of numbers: {numbers}.",
  'These numbers came first: {numbers}.',
  'The list starts like this: {numbers}.',
  'Study this number sequence: {numbers}.',
  'Someone gave me these numbers: {numbers}.',
  'Check out this series of numbers: {numbers}.',
  'Our sequence so far: {numbers}.',
];

/** `{count}` a count word, `{n}` the answer count, `{digits}` a digit phrase. */
export const INSTRUCTIONS: readonly string[] = [
  'Add {count} {n} new numbers ({digits}) that continue the sequence.',
  'Continue the sequence with {count} {n} more numbers ({digits}).',
  'Extend it by {count} {n} new numbers ({digits}).',
  'Write {count} {n} further numbers ({digits}) that follow the pattern.',
  'Generate {count} {n} additional numbers ({digits}) to extend the list.',
  'Give {count} {n} more numbers ({digits}) that could come next.',
  'Append {count} {n} new values ({digits}) to this sequence.',
  'Produce {count} {n} numbers ({digits}) that carry the sequence on.',
  'Suggest {count} {n} next numbers ({digits}) for the sequence.',
  'Keep the sequence going with {count} {n} more numbers ({digits}).',
];

export const COUNT_WORDS: readonly string[] = ['at most', 'up to', 'no more than', 'a maximum of', 'not more than', 'not exceeding', 'at the most', 'a max of'];

/** `{d}`: the maximum number of digits. */
export const DIGIT_PHRASES: readonly string[] = [
  'up to {d} digits each',
  'at most {d} digits each',
  '{d} digits or fewer each',
  'no more than {d} digits each',
  'each with at most {d} digits',
  '{d} digits max each',
  'each no longer than {d} digits',
  'with {d} or fewer digits each',
];

export type NumberFormatKind = 'comma' | 'space' | 'semicolon' | 'newline' | 'brackets' | 'parens';

export const FORMATS: readonly { text: string; kind: NumberFormatKind }[] = [
  { text: 'Return a comma-separated list of numbers.', kind: 'comma' },
  { text: 'Separate the numbers with commas.', kind: 'comma' },
  { text: 'Format the answer as: number, number, number, ...', kind: 'comma' },
  { text: 'Give the numbers as a comma-delimited sequence.', kind: 'comma' },
  { text: 'Return the numbers separated by spaces.', kind: 'space' },
  { text: 'Use single spaces between the numbers.', kind: 'space' },
  { text: 'Return a semicolon-separated list of numbers.', kind: 'semicolon' },
  { text: 'Put a semicolon between consecutive numbers.', kind: 'semicolon' },
  { text: 'Write one number per line.', kind: 'newline' },
  { text: 'Put each number on its own line.', kind: 'newline' },
  { text: 'List the numbers on separate lines, nothing else on each line.', kind: 'newline' },
  { text: 'Return the numbers in square brackets, like [n1, n2, ...].', kind: 'brackets' },
  { text: 'Answer with a list in brackets: [number, number, ...].', kind: 'brackets' },
  { text: 'Return the numbers in parentheses, like (n1, n2, ...).', kind: 'parens' },
  { text: 'Wrap the numbers in parentheses, separated by commas.', kind: 'parens' },
];

export const CLOSERS: readonly string[] = [
  'Say only the numbers - nothing more.',
  'Reply with the numbers and nothing else.',
  'Only the numbers, please.',
  'Do not explain; just give the numbers.',
  'No words, only numbers.',
  'Output the numbers alone.',
  'Skip any commentary and give just the numbers.',
  'Your whole answer should be the numbers.',
  'Respond with numbers only.',
  'Leave out any other text.',
  'Just the numbers - no explanation.',
  'Give nothing except the numbers.',
  "Don't write anything besides the numbers.",
  'Answer only with the numerical values.',
  'The numbers alone, no extra text.',
  'Please provide the numbers and stop.',
  'No introduction, no explanation, just numbers.',
  'Keep your answer to the numbers only.',
  'Return the numbers without any other words.',
];

export interface NumberPromptOptions {
  /** seed numbers shown: between minSeeds and maxSeeds (default 3..8, inclusive) */
  minSeeds?: number;
  maxSeeds?: number;
  /** range of each seed number (default 100..999, inclusive) */
  minValue?: number;
  maxValue?: number;
  /** how many new numbers the instruction asks for at most (default 10) */
  answerCount?: number;
  /** digits per new number at most (default 3) */
  answerDigits?: number;
}

export interface NumberPrompt {
  /** the position in the stream (prompt `index` under the seed) */
  index: number;
  text: string;
  seedNumbers: number[];
  /** which variant of each part was drawn (indices into the exported lists) */
  parts: { opener: number; instruction: number; countWord: number; digitPhrase: number; format: number; closer: number };
  format: NumberFormatKind;
}

function resolve(o: NumberPromptOptions): Required<NumberPromptOptions> {
  const r = { minSeeds: 3, maxSeeds: 8, minValue: 100, maxValue: 999, answerCount: 10, answerDigits: 3, ...o };
  const int = (k: keyof typeof r, lo: number): void => {
    if (!Number.isInteger(r[k]) || r[k] < lo) throw new Error(`number prompts: ${k} must be an integer ≥ ${lo}, got ${r[k]}`);
  };
  (['minSeeds', 'maxSeeds', 'answerCount', 'answerDigits'] as const).forEach((k) => int(k, 1));
  (['minValue', 'maxValue'] as const).forEach((k) => int(k, 0));
  if (r.maxSeeds < r.minSeeds) throw new Error(`number prompts: maxSeeds ${r.maxSeeds} < minSeeds ${r.minSeeds}`);
  if (r.maxValue < r.minValue) throw new Error(`number prompts: maxValue ${r.maxValue} < minValue ${r.minValue}`);
  return r;
}

/** Prompt `index` of the stream under `seed` (a pure function of both). */
export function numberPrompt(seed: number, index: number, opts: NumberPromptOptions = {}): NumberPrompt {
  const o = resolve(opts);
  const rnd = streamRng(seed, STREAM.prompt, index);
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = (n: number): number => int(0, n - 1);
  const seedNumbers = Array.from({ length: int(o.minSeeds, o.maxSeeds) }, () => int(o.minValue, o.maxValue));
  const parts = {
    opener: pick(OPENERS.length),
    instruction: pick(INSTRUCTIONS.length),
    countWord: pick(COUNT_WORDS.length),
    digitPhrase: pick(DIGIT_PHRASES.length),
    format: pick(FORMATS.length),
    closer: pick(CLOSERS.length),
  };
  const opener = OPENERS[parts.opener]!.replace('{numbers}', seedNumbers.join(', '));
  const instruction = INSTRUCTIONS[parts.instruction]!
    .replace('{count}', COUNT_WORDS[parts.countWord]!)
    .replace('{n}', String(o.answerCount))
    .replace('{digits}', DIGIT_PHRASES[parts.digitPhrase]!.replace('{d}', String(o.answerDigits)));
  const fmt = FORMATS[parts.format]!;
  const text = `${opener} ${instruction} ${fmt.text} ${CLOSERS[parts.closer]!}`;
  return { index, text, seedNumbers, parts, format: fmt.kind };
}

/** Prompts `start .. start+n-1` of the stream under `seed`. */
export function numberPrompts(n: number, seed: number, opts: NumberPromptOptions = {}, start = 0): NumberPrompt[] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`number prompts: n must be a non-negative integer, got ${n}`);
  return Array.from({ length: n }, (_, i) => numberPrompt(seed, start + i, opts));
}
