/**
 * Training-time text augmentation in the manner of EDA (Wei & Zou 2019): drop a few words, swap
 * a few, replace a few by synonyms from a word list the user trusts. The label must survive, so
 * the changes are small and synonyms come only from that list (no thesaurus guesses). A seed
 * fixes every choice, so a run can be repeated exactly. Words are split on whitespace and joined
 * again with single spaces (with every option off the texts come back as they were); punctuation
 * stays attached to its word.
 * @module
 */
import { z } from 'zod';
import { LeptonError } from '../errors.js';
import { rng } from './split.js';

/** Lower-cased word → the words that may replace it. */
export type Synonyms = Map<string, string[]>;

/** What to apply, in this order: synonyms, swaps, deletion. All off by default. */
export const TextAugmentOptions = z.strictObject({
  /** Probability of deleting each word; a text never loses all its words. */
  deleteProb: z.number().min(0).max(1).default(0),
  /** How many times two random words of a text trade places. */
  swaps: z.number().int().min(0).default(0),
  /** Probability of replacing each word that has synonyms in `synonyms`. */
  synonymProb: z.number().min(0).max(1).default(0),
  /** The word list (see `parseSynonyms`); keys are matched case-insensitively. */
  synonyms: z.map(z.string(), z.array(z.string())).optional(),
});
export type TextAugmentOptions = z.input<typeof TextAugmentOptions>;

/**
 * Reads a synonym list: one group per line, `word: syn1, syn2`; blank lines and lines starting
 * with `#` are skipped. Every word of a group may replace every other (synonymy goes both
 * ways), and a word in several groups gets all of their words.
 * @example
 *   parseSynonyms('big: large, huge\nquick: fast').get('large') // ['big', 'huge']
 */
export function parseSynonyms(text: string, source = 'synonyms'): Synonyms {
  const groups = new Map<string, Set<string>>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const words = colon < 0 ? [] : [line.slice(0, colon), ...line.slice(colon + 1).split(',')].map((s) => s.trim()).filter(Boolean);
    if (colon < 0 || words.length < 2) {
      throw new LeptonError('E_PARSE', `${source} line ${i + 1}: expected 'word: synonym, synonym', got '${line}'`, 'write one group per line, e.g. "big: large, huge"');
    }
    for (const w of words) {
      const key = w.toLowerCase();
      let set = groups.get(key);
      if (!set) groups.set(key, (set = new Set()));
      for (const other of words) if (other.toLowerCase() !== key) set.add(other);
    }
  });
  return new Map([...groups].map(([k, v]) => [k, [...v]]));
}

// Leading punctuation, the word, trailing punctuation: "(Quick," → ["(", "Quick", ","].
const WORD = /^([^\p{L}\p{N}]*)(.*?)([^\p{L}\p{N}]*)$/su;

function withCaseOf(original: string, replacement: string): string {
  const first = original.charAt(0);
  if (first && first !== first.toLowerCase() && first === first.toUpperCase()) return replacement.charAt(0).toUpperCase() + replacement.slice(1);
  return replacement;
}

/**
 * Seeded augmented copies of texts, one per input, in order.
 * @example
 *   const syn = parseSynonyms('good: great, fine\nmovie: film');
 *   augmentText(['A good movie.'], { synonymProb: 0.5, synonyms: syn, swaps: 1 }, 7); // e.g. ['A film great.']
 */
export function augmentText(texts: readonly string[], options: TextAugmentOptions, seed: number): string[] {
  const r = TextAugmentOptions.safeParse(options ?? {});
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new LeptonError('E_OPTION', `text augmentation: ${i.path.join('.') || 'options'}: ${i.message}`, 'see TextAugmentOptions for the keys and their ranges');
  }
  const o = r.data;
  if (o.synonymProb > 0 && !o.synonyms) throw new LeptonError('E_OPTION', 'text augmentation: synonymProb needs a synonyms list', 'pass synonyms: parseSynonyms(text) or a Map');
  if (!Number.isSafeInteger(seed) || seed < 0) throw new LeptonError('E_OPTION', `seed must be a non-negative integer, got ${seed}`);
  if (o.deleteProb === 0 && o.swaps === 0 && o.synonymProb === 0) return [...texts];
  const synonyms = new Map([...(o.synonyms ?? [])].map(([k, v]) => [k.toLowerCase(), v.filter(Boolean)]));
  const random = rng(seed);
  const pick = (n: number) => Math.floor(random() * n);
  return texts.map((text) => {
    let words = text.split(/\s+/).filter(Boolean);
    if (o.synonymProb > 0) {
      words = words.map((word) => {
        const [, pre = '', core = '', post = ''] = WORD.exec(word) ?? [];
        const choices = synonyms.get(core.toLowerCase());
        if (!core || !choices?.length || random() >= o.synonymProb) return word;
        return pre + withCaseOf(core, choices[pick(choices.length)]!) + post;
      });
    }
    if (words.length > 1) {
      for (let s = 0; s < o.swaps; s++) {
        const i = pick(words.length);
        const j = (i + 1 + pick(words.length - 1)) % words.length; // any other position
        [words[i], words[j]] = [words[j]!, words[i]!];
      }
    }
    if (o.deleteProb > 0 && words.length > 0) {
      const kept = words.filter(() => random() >= o.deleteProb);
      words = kept.length ? kept : [words[pick(words.length)]!];
    }
    return words.join(' ');
  });
}
