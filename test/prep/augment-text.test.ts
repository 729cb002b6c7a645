import { describe, expect, it } from 'vitest';
import { augmentText, parseSynonyms } from '../../src/prep/augment-text.js';
import { LeptonError } from '../../src/errors.js';

const TEXTS = [
  'The quick brown fox jumps over the lazy dog',
  'A good movie with a great cast and a happy ending.',
  'Terrible service, cold food and a rude waiter!',
  'Fast shipping; the product works as described',
  'I would not buy this again',
  'Good',
  '',
];

const words = (s: string) => s.split(/\s+/).filter(Boolean);

const SYNONYMS = `
# sentiment-safe replacements
good: fine, decent
great: excellent, superb
movie: film
quick: fast, rapid
`;

describe('prep: text augmentation', () => {
  it('parses a synonym list: groups go both ways, comments and blank lines are skipped', () => {
    const syn = parseSynonyms(SYNONYMS);
    expect(syn.get('good')).toEqual(['fine', 'decent']);
    expect(syn.get('fine')).toEqual(['good', 'decent']);
    expect(syn.get('film')).toEqual(['movie']);
    expect(syn.get('fast')).toEqual(['quick', 'rapid']);
    expect(syn.has('# sentiment-safe replacements')).toBe(false);
    expect(parseSynonyms('big: large\nlarge: huge').get('large')).toEqual(['big', 'huge']);
    expect(() => parseSynonyms('good: fine\nbad stuff', 'syn.txt')).toThrow(/syn.txt line 2: expected 'word: synonym, synonym', got 'bad stuff'/);
    expect(() => parseSynonyms('lonely:')).toThrow(/line 1/);
  });

  it('is fixed by the seed and differs between seeds; every option off changes nothing', () => {
    const opts = { deleteProb: 0.2, swaps: 2, synonymProb: 0.5, synonyms: parseSynonyms(SYNONYMS) };
    const a = augmentText(TEXTS, opts, 1);
    expect(a).toHaveLength(TEXTS.length);
    expect(augmentText(TEXTS, opts, 1)).toEqual(a);
    expect(augmentText(TEXTS, opts, 2)).not.toEqual(a);
    expect(augmentText(TEXTS, {}, 1)).toEqual(TEXTS);
    expect(augmentText(['spaced   out  text '], { deleteProb: 0 }, 1)).toEqual(['spaced   out  text ']);
  });

  it('deletion drops words in order and never empties a text', () => {
    for (let seed = 0; seed < 20; seed++) {
      const all = augmentText(TEXTS, { deleteProb: 1 }, seed);
      TEXTS.forEach((t, i) => {
        if (!t) return expect(all[i]).toBe('');
        expect(words(all[i]!)).toHaveLength(1);
        expect(words(t)).toContain(all[i]);
      });
      const some = augmentText(TEXTS, { deleteProb: 0.3 }, seed);
      TEXTS.forEach((t, i) => {
        const kept = words(some[i]!);
        if (t) expect(kept.length).toBeGreaterThan(0);
        // A subsequence of the original words.
        let j = 0;
        for (const w of words(t)) if (w === kept[j]) j++;
        expect(j).toBe(kept.length);
      });
    }
    const dropped = augmentText(TEXTS, { deleteProb: 0.3 }, 4).reduce((s, t, i) => s + words(TEXTS[i]!).length - words(t).length, 0);
    expect(dropped).toBeGreaterThan(0);
  });

  it('swaps keep the multiset of words and move some', () => {
    const out = augmentText(TEXTS, { swaps: 3 }, 5);
    TEXTS.forEach((t, i) => expect(words(out[i]!).sort()).toEqual(words(t).sort()));
    expect(out.filter((t, i) => t !== TEXTS[i]).length).toBeGreaterThan(3);
    expect(augmentText(['Good'], { swaps: 5 }, 1)).toEqual(['Good']);
  });

  it('replaces only listed words, only by their synonyms, keeping capitals and punctuation', () => {
    const syn = parseSynonyms(SYNONYMS);
    const out = augmentText(TEXTS, { synonymProb: 1, synonyms: syn }, 3);
    expect(out[0]).toMatch(/^The (fast|rapid) brown fox jumps over the lazy dog$/);
    expect(out[1]).toMatch(/^A (fine|decent) (film) with a (excellent|superb) cast and a happy ending\.$/);
    expect(out[5]).toMatch(/^(Fine|Decent)$/); // capital kept
    expect(out[2]).toBe(TEXTS[2]); // nothing listed
    expect(augmentText(['(Movie!)'], { synonymProb: 1, synonyms: syn }, 1)).toEqual(['(Film!)']);
    // With a probability, each replaced word is the original or one of its synonyms.
    const map = new Map([['fox', ['vixen']], ['dog', ['hound', 'mutt']]]);
    const seen = new Set<string>();
    for (let seed = 0; seed < 30; seed++) {
      const [t] = augmentText([TEXTS[0]!], { synonymProb: 0.5, synonyms: map }, seed);
      const got = words(t!);
      words(TEXTS[0]!).forEach((w, k) => {
        expect([w, ...(map.get(w) ?? [])]).toContain(got[k]);
        seen.add(got[k]!);
      });
    }
    expect([...seen]).toEqual(expect.arrayContaining(['fox', 'vixen', 'dog', 'hound', 'mutt']));
  });

  it('names what is wrong with the options', () => {
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e as LeptonError;
      }
      throw new Error('expected an error');
    };
    expect(err(() => augmentText(TEXTS, { deleteProb: 1.5 }, 1)).message).toMatch(/deleteProb/);
    expect(err(() => augmentText(TEXTS, { swaps: -1 }, 1)).message).toMatch(/swaps/);
    expect(err(() => augmentText(TEXTS, { synonymProb: 0.5 }, 1)).message).toMatch(/synonymProb needs a synonyms list/);
    expect(err(() => augmentText(TEXTS, { swaps: 1 }, -3)).code).toBe('E_OPTION');
  });
});
