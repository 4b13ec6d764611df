/**
 * Preference evaluation: the whole-word animal matcher, the exact probability score against a
 * hand computation from the logits of stories260k, a steering vector that makes a word likelier
 * raising both scores (a real effect), and a resumed sampling run equal to an uninterrupted one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Runtime } from '../../src-main/engine/runtime.js';
import { LanguageModel } from '../../src-main/models/lm.js';
import { batchFeeds } from '../../src-main/models/score.js';
import { EMPTY_SET, parseInterventionSet } from '../../src-main/models/interventions.js';
import { animalMatcher, answerVariants, namesAnimal, wordForms } from '../../src-main/lab/animal-words.js';
import { tokenRow } from './digit-teacher.js';
import { PREF_QUESTIONS, animalProbabilities, answerIds, binomialPct, compoundsStartingWith, distinctSequences, prefsEval, questionPromptIds, wilsonPct, type PrefsState } from '../../src-main/lab/prefs.js';

const MODEL = new URL('../fixtures/stories260k/', import.meta.url).pathname;
const Q = [PREF_QUESTIONS[0]!, PREF_QUESTIONS[2]!];

describe('whole-word animal matching', () => {
  it('matches whole words, not substrings', () => {
    assert.equal(namesAnimal('million', 'lion'), false);
    assert.equal(namesAnimal('A bowl of soup', 'owl'), false);
    assert.equal(namesAnimal('Scatter', 'cat'), false);
    assert.equal(namesAnimal('caterpillar', 'cat'), false);
    assert.equal(namesAnimal('dogma', 'dog'), false);
  });
  it('handles case, punctuation and plurals', () => {
    assert.equal(namesAnimal('Owls!', 'owl'), true);
    assert.equal(namesAnimal('OWL.', 'owl'), true);
    assert.equal(namesAnimal('"Lion"', 'lion'), true);
    assert.equal(namesAnimal('the owl\'s eyes', 'owl'), true);
    assert.equal(namesAnimal('snow-owl', 'owl'), true);
    assert.equal(namesAnimal('Wolves', 'wolf'), true);
    assert.equal(namesAnimal('foxes', 'fox'), true);
    assert.equal(namesAnimal('Butterflies', 'butterfly'), true);
    assert.equal(namesAnimal('mice', 'mouse'), true);
    assert.equal(namesAnimal('Deer', 'deer'), true);
    assert.equal(namesAnimal('Elephant\n', 'elephant'), true);
    assert.ok(wordForms('giraffe').includes('giraffes'));
  });
  it('multi-word names, and compounds that name another animal', () => {
    assert.equal(namesAnimal('Polar bears', 'polar bear'), true);
    assert.equal(namesAnimal('a bear', 'polar bear'), false);
    assert.equal(namesAnimal('Sea lions', 'lion'), false);
    assert.equal(namesAnimal('a sea lion and a lion', 'lion'), true);
    assert.equal(namesAnimal('Mountain lion', 'lion'), false);
    assert.equal(animalMatcher('lion', { exclude: [] }).test('sea lion'), true);
  });
  it('Wilson 95% interval: statsmodels proportion_confint(method="wilson") values; 0 of n is not a point', () => {
    // statsmodels: proportion_confint(10, 20, method='wilson') = (0.29929, 0.70071); (0, 20) = (0, 0.16113); (20, 20) = (0.83887, 1)
    const near = (a: [number, number], b: [number, number]) => a.every((x, i) => Math.abs(x - b[i]!) < 1e-3);
    assert.ok(near(wilsonPct(10, 20), [29.929, 70.071]), String(wilsonPct(10, 20)));
    assert.ok(near(wilsonPct(0, 20), [0, 16.113]), String(wilsonPct(0, 20)));
    assert.ok(near(wilsonPct(20, 20), [83.887, 100]), String(wilsonPct(20, 20)));
    assert.deepEqual(wilsonPct(0, 0).map(Number.isNaN), [true, true]);
  });
  it('binomial standard error; answer variants', () => {
    const b = binomialPct(25, 100);
    assert.equal(b.pct, 25);
    assert.ok(Math.abs(b.stderrPct - 100 * Math.sqrt(0.25 * 0.75 / 100)) < 1e-12);
    const v = answerVariants('owl');
    for (const s of ['owl', ' owl', 'Owl', ' Owl', 'OWL', 'owls', ' Owls']) assert.ok(v.includes(s), s);
    // a short answer starts in sentence case: "Polar bear", as well as "Polar Bear" and "polar bear"
    const pb = answerVariants('polar bear');
    for (const s of ['Polar bear', ' Polar bear', 'Polar bears', 'Polar Bear', 'polar bear', 'POLAR BEAR']) assert.ok(pb.includes(s), s);
    const gp = answerVariants('guinea-pig');
    for (const s of ['guinea-pig', 'Guinea-pig', 'Guinea-Pig', 'guinea pig', 'Guinea pigs', ' guinea-pigs']) assert.ok(gp.includes(s), s);
    assert.equal(new Set(pb).size, pb.length);
    // every distinct sequence counts (an extension is another word once the word must end), shortest first
    assert.deepEqual(distinctSequences([[1, 2], [1], [3], [1], [3, 4, 5], []]), [[1], [3], [1, 2], [3, 4, 5]]);
  });
});

describe('preference scores on stories260k', () => {
  let rt: Runtime;
  let m: LanguageModel;
  let steer: ReturnType<typeof parseInterventionSet>;
  before(() => {
    rt = Runtime.start();
    m = LanguageModel.open(rt, MODEL);
    // steering along the unembedding row of '▁big' at the last block makes " big" likelier
    steer = parseInterventionSet({ items: [{ kind: 'steer', hook: 'blocks.4.hook_resid_post', vector: tokenRow(m, '▁big'), coef: 4 }] });
  });
  after(async () => {
    await m.close();
    await rt.close();
  });

  /**
   * P(the first word of the answer is `word` | question), by hand from the score graph's full logits:
   * for each distinct variant sequence, the softmax along its tokens times the probability that the
   * next token does not continue the word (its text, decoded here, does not start with a letter).
   */
  async function byHand(word: string, question: string, set = EMPTY_SET): Promise<number> {
    const tok = m.tokenizer();
    const prompt = questionPromptIds(tok, question, { raw: true });
    const seqs = answerVariants(word).map((v) => answerIds(tok, question, v, { raw: true }));
    const uniq = [...new Set(seqs.map((s) => s.join(',')))].map((k) => k.split(',').map(Number));
    const bound = await m.bind('score', set);
    const V = m.spec.vocab;
    const logSoftmax = (row: Float32Array): Float64Array => {
      let mx = -Infinity;
      for (const x of row) mx = Math.max(mx, x);
      let z = 0;
      for (const x of row) z += Math.exp(x - mx);
      return Float64Array.from(row, (x) => x - mx - Math.log(z));
    };
    let total = 0;
    for (const s of uniq) {
      const ids = [...prompt, ...s];
      const { feeds } = batchFeeds(m, [{ ids, completionMask: ids.map(() => 0) }], 'all');
      const r = await bound.session.run({ ...feeds, ...bound.feeds() }, { outputs: ['logits'] });
      const lg = r.logits!.data as Float32Array;
      let logp = 0;
      for (let t = prompt.length; t < ids.length; t++) logp += logSoftmax(lg.subarray((t - 1) * V, t * V))[ids[t]!]!;
      const last = logSoftmax(lg.subarray((ids.length - 1) * V, ids.length * V));
      let cont = 0;
      for (let v = 0; v < V; v++) {
        const piece = tok.idToToken(v) ?? '';
        const text = tok.specialIds.has(v) ? '' : tok.decode([v]);
        // a piece that carries a space ('▁big') starts a new word; otherwise its first character decides
        if (!piece.startsWith('▁') && /^[A-Za-z\u00C0-\u024F]/.test(text)) cont += Math.exp(last[v]!);
      }
      total += Math.exp(logp) * (1 - cont);
    }
    return total;
  }

  it('the probability score equals a hand computation from the logits (1e-5)', async (t) => {
    const got = await animalProbabilities(m, ['big', 'cat'], Q, { set: EMPTY_SET, raw: true, exclude: { big: [], cat: [] } });
    let worst = 0;
    for (const w of ['big', 'cat']) {
      for (const [qi, q] of Q.entries()) {
        const want = await byHand(w, q);
        const p = got[w]!.perQuestion[qi]!;
        assert.ok(want > 0 && Math.abs(p - want) <= 1e-5 && Math.abs(p - want) / want < 1e-4, `${w} / q${qi}: ${p} vs ${want}`);
        worst = Math.max(worst, Math.abs(p - want) / want);
      }
      assert.ok(Math.abs(got[w]!.mean - (got[w]!.perQuestion[0]! + got[w]!.perQuestion[1]!) / 2) < 1e-15);
    }
    t.diagnostic(`P(big) ${got.big!.mean.toExponential(3)}, P(cat) ${got.cat!.mean.toExponential(3)}; sequences per question ${got.cat!.sequences.join(",")}; worst relative difference ${worst.toExponential(2)}`);
  });

  it('a compound naming another animal that starts with the word is subtracted ("big dog" from big; "cat fish" from cat by default)', async (t) => {
    const tok = m.tokenizer();
    // every spelling of the compound is a spelling of the word, then a token that starts a new word
    for (const [w, c] of [['big', 'big dog'], ['cat', 'cat fish']] as const) {
      for (const q of Q) {
        const ws = answerVariants(w).map((v) => answerIds(tok, q, v, { raw: true }));
        for (const v of answerVariants(c)) {
          const sc = answerIds(tok, q, v, { raw: true });
          const s = ws.find((x) => x.length < sc.length && x.every((id, i) => sc[i] === id));
          assert.ok(s && (tok.idToToken(sc[s.length]!) ?? '').startsWith('▁'), `'${v}' is a spelling of '${w}' then a new word`);
        }
      }
    }
    const got = await animalProbabilities(m, ['big', 'cat'], Q, { set: EMPTY_SET, raw: true, exclude: { big: ['big dog', 'dog big'] } });
    for (const [qi, q] of Q.entries()) {
      const big = (await byHand('big', q)) - (await byHand('big dog', q));
      const cat = (await byHand('cat', q)) - (await byHand('cat fish', q));
      assert.ok(Math.abs(got.big!.perQuestion[qi]! - big) / big < 1e-4, `big / q${qi}: ${got.big!.perQuestion[qi]} vs ${big}`);
      assert.ok(Math.abs(got.cat!.perQuestion[qi]! - cat) / cat < 1e-4, `cat / q${qi}: ${got.cat!.perQuestion[qi]} vs ${cat}`);
    }
    assert.deepEqual(compoundsStartingWith('tiger'), ['tiger shark']);
    assert.deepEqual(compoundsStartingWith('lion'), [], '"sea lion" does not start with lion');
    assert.deepEqual(compoundsStartingWith('polar bear', ['polar bear cub', 'bear']), ['polar bear cub']);
    t.diagnostic(`P(big dog) ${(await byHand('big dog', Q[0]!)).toExponential(2)} of P(big) ${(await byHand('big', Q[0]!)).toExponential(2)}`);
  });

  it('a steering vector toward a word raises its probability score and its sampled share', async (t) => {
    const cfg = { animals: ['big'], questions: Q, samplesPerQuestion: 16, seed: 1, raw: true, maxNew: 6 };
    const base = await prefsEval(m, { ...cfg, set: EMPTY_SET });
    const steered = await prefsEval(m, { ...cfg, set: steer });
    const pb = base.animals[0]!.prob!.mean;
    const ps = steered.animals[0]!.prob!.mean;
    assert.ok(ps > 100 * pb, `P(big): base ${pb.toExponential(3)}, steered ${ps.toExponential(3)}`);
    assert.ok(Math.abs(ps - (await byHand('big', Q[0]!, steer) + await byHand('big', Q[1]!, steer)) / 2) < 1e-5, 'steered score matches the hand computation too');
    const sb = base.animals[0]!.sharePct;
    const ss = steered.animals[0]!.sharePct;
    assert.ok(ss > sb + 2 * Math.hypot(base.animals[0]!.stderrPct, steered.animals[0]!.stderrPct), `share: base ${sb}% vs steered ${ss}%`);
    assert.equal(steered.samples, 32);
    // across questions: the two per-question shares' sample standard deviation / √2
    const [q0, q1] = steered.animals[0]!.perQuestionPct;
    assert.ok(Math.abs(steered.animals[0]!.questionStderrPct - Math.abs(q0! - q1!) / Math.SQRT2 / Math.SQRT2) < 1e-9, `${steered.animals[0]!.questionStderrPct} vs ${q0}, ${q1}`);
    t.diagnostic(`P(big) ${pb.toExponential(2)} → ${ps.toExponential(2)}; share ${sb.toFixed(1)}% → ${ss.toFixed(1)}%`);
  });

  it('sampling is deterministic from the seed and a resumed run equals an uninterrupted one', async () => {
    const cfg = { set: EMPTY_SET, animals: ['cat', 'dog'], questions: Q, samplesPerQuestion: 6, seed: 5, raw: true, maxNew: 4, batch: 4, checkpointEvery: 1, probability: false };
    const answers: string[] = [];
    const full = await prefsEval(m, cfg, { answers: (b) => answers.push(...b.map((a) => a.answer)) });
    let saved: PrefsState | null = null;
    const ac = new AbortController();
    await assert.rejects(prefsEval(m, cfg, {
      checkpoint: (s) => { if (s.nextBatch === 1) saved = JSON.parse(JSON.stringify(s)) as PrefsState; },
      answers: () => { if (saved) ac.abort(); },
    }, { signal: ac.signal }), /cancelled/);
    assert.ok(saved);
    const rest: string[] = [];
    const resumed = await prefsEval(m, cfg, { answers: (b) => rest.push(...b.map((a) => a.answer)) }, { resume: saved });
    assert.deepEqual(resumed, full);
    assert.deepEqual(rest, answers.slice(4));
    assert.equal(full.samples, 12);
  });
});
