/**
 * Personal data detection and treatment. Values are checked with real validators, not just
 * patterns: payment cards by Luhn, IBANs by ISO 13616 mod-97, Chinese resident identity numbers
 * by their ISO 7064 MOD 11-2 check character; e-mail addresses, phone numbers and IP addresses
 * by pattern; person names by column header. A policy per column keeps, masks, hashes (HMAC
 * with a per-project secret) or drops.
 * @module
 */
import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import { LeptonError } from '../errors.js';
import { isDict, Table, type Column } from './table.js';

export const PII_KINDS = ['email', 'phone', 'card', 'iban', 'cn_id', 'ip', 'person_name'] as const;
export type PiiKind = (typeof PII_KINDS)[number];
export type PiiAction = 'keep' | 'mask' | 'hash' | 'drop';

export interface PiiFinding {
  column: string;
  kind: PiiKind;
  /** Share of non-missing values that are this kind (1 for a name column found by header). */
  share: number;
  examples: string[];
}

const EMAIL = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;
const EMAIL_IN = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const PHONE = /^\+?[\d\s().-]{9,20}$/;
const NAME_HEADER = /^(full_?name|first_?name|last_?name|surname|given_?name|family_?name|customer_?name|person|name|contact_?name|holder_?name|patient_?name)$/i;

export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export function isCard(v: string): boolean {
  const digits = v.replace(/[\s-]/g, '');
  return /^\d{13,19}$/.test(digits) && luhn(digits);
}

/**
 * IBAN lengths by country (SWIFT's IBAN registry). Checking the country and its length, not
 * only mod-97, keeps one in 97 random codes from passing: a 32-digit hex HMAC such as
 * 'aa1217ac…' (what `hash` writes) has the shape and can have the check digits.
 */
const IBAN_LENGTHS: Record<string, number> = Object.fromEntries(
  'AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DK18 DO28 EE20 EG29 ES24 FI18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 MC27 MD24 ME22 MK19 MR27 MT31 MU30 NL18 NO15 PK24 PL28 PS29 PT25 QA29 RO24 RS22 SA24 SC31 SE24 SI19 SK24 SM27 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20'
    .split(' ')
    .map((e) => [e.slice(0, 2), Number(e.slice(2))]),
);

export function isIban(v: string): boolean {
  const s = v.replace(/\s/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(s) || IBAN_LENGTHS[s.slice(0, 2)] !== s.length) return false;
  const moved = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const code = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of code) rem = (rem * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return rem === 1;
}

/** 18-character PRC resident identity number: 17 digits, a check character, a valid birth date. */
export function isChineseId(v: string): boolean {
  const s = v.trim().toUpperCase();
  if (!/^\d{17}[\dX]$/.test(s)) return false;
  const y = Number(s.slice(6, 10));
  const m = Number(s.slice(10, 12));
  const d = Number(s.slice(12, 14));
  const date = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return false;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = weights.reduce((acc, w, i) => acc + w * (s.charCodeAt(i) - 48), 0);
  return '10X98765432'[sum % 11] === s[17];
}

function isPhone(v: string): boolean {
  if (!PHONE.test(v)) return false;
  const digits = v.replace(/\D/g, '');
  // Separators or a leading + make a number look like a phone; bare long digit runs are ids.
  return digits.length >= 9 && digits.length <= 15 && (/[\s().+-]/.test(v) || v.startsWith('0'));
}

// Most specific first: an 18-digit resident id (birth date + check character) can pass Luhn by chance.
const CHECKS: [Exclude<PiiKind, 'person_name'>, (v: string) => boolean][] = [
  ['email', (v) => EMAIL.test(v)],
  ['cn_id', isChineseId],
  ['iban', isIban],
  ['card', isCard],
  ['ip', (v) => isIP(v) !== 0],
  ['phone', isPhone],
];

/** What kind of personal data one value is, if any. */
export function classifyValue(v: string): Exclude<PiiKind, 'person_name'> | undefined {
  const s = v.trim();
  return CHECKS.find(([, check]) => check(s))?.[0];
}

/** Columns holding personal data: at least `minShare` of their values, or a name-like header. */
export function detectPii(table: Table, minShare = 0.5): PiiFinding[] {
  const out: PiiFinding[] = [];
  for (const c of table.columns) {
    if (!isDict(c)) continue;
    if (NAME_HEADER.test(c.name)) {
      out.push({ column: c.name, kind: 'person_name', share: 1, examples: c.dictionary.slice(0, 2) });
      continue;
    }
    const counts = new Map<PiiKind, { n: number; examples: string[] }>();
    let present = 0;
    const kinds = c.dictionary.map((v) => classifyValue(v));
    for (const code of c.codes) {
      if (code < 0) continue;
      present++;
      const k = kinds[code];
      if (!k) continue;
      const e = counts.get(k) ?? { n: 0, examples: [] };
      e.n++;
      if (e.examples.length < 2 && !e.examples.includes(c.dictionary[code]!)) e.examples.push(c.dictionary[code]!);
      counts.set(k, e);
    }
    for (const [kind, e] of counts) if (present > 0 && e.n / present >= minShare) out.push({ column: c.name, kind, share: e.n / present, examples: e.examples });
  }
  return out;
}

/** Masks a value, keeping its shape: e-mail domain, the last 4 card digits, the rest as '*'. */
export function maskValue(v: string, kind: PiiKind): string {
  if (kind === 'email') return v.replace(EMAIL_IN, (m) => `***@${m.split('@')[1]}`);
  if (kind === 'card' || kind === 'iban') return v.replace(/[A-Za-z0-9](?=(?:[\s-]*[A-Za-z0-9]){4})/g, '*');
  if (kind === 'person_name') return v.trim() ? `${v.trim()[0]}***` : v;
  return v.replace(/[A-Za-z0-9]/g, '*');
}

/**
 * A new table with each listed column kept, masked, hashed or dropped. Hashing uses HMAC-SHA256
 * with the project's secret, so equal values stay joinable without being readable.
 */
export function applyPiiPolicy(table: Table, findings: readonly PiiFinding[], policy: Partial<Record<string, PiiAction>>, secret: string, fallback: PiiAction = 'mask'): Table {
  const kindOf = new Map(findings.map((f) => [f.column, f.kind]));
  const columns: Column[] = [];
  for (const c of table.columns) {
    const kind = kindOf.get(c.name);
    const action = kind ? (policy[c.name] ?? fallback) : (policy[c.name] ?? 'keep');
    if (action === 'drop') continue;
    if (action === 'keep' || !isDict(c)) {
      columns.push(c);
      continue;
    }
    const f = action === 'hash' ? (v: string) => createHmac('sha256', secret).update(v).digest('hex').slice(0, 32) : (v: string) => maskValue(v, kind ?? 'phone');
    // Transform the dictionary once; equal inputs stay equal (masked values may merge).
    const mapped = c.dictionary.map(f);
    const dictionary = [...new Set(mapped)];
    const index = new Map(dictionary.map((d, i) => [d, i]));
    const remap = mapped.map((m) => index.get(m)!);
    columns.push({ name: c.name, type: c.type, dictionary, codes: c.codes.map((code) => (code < 0 ? -1 : remap[code]!)) });
  }
  return new Table(columns, table.numRows, { source: table.source, lines: table.sourceLines });
}

/** How an ingest treats personal data: `policy` per column, `fallback` for other detected columns. */
export interface IngestPii {
  policy: Record<string, string>;
  fallback: PiiAction;
}

/** `col=action,col=action` (CLI --policy, HTTP mask) → rules; actions are checked where they are applied. */
export function parsePiiRules(text: string): Record<string, string> {
  const policy: Record<string, string> = {};
  for (const rule of text.split(',').map((x) => x.trim()).filter(Boolean)) {
    const [col, act] = rule.split('=');
    if (!col || !act) throw new LeptonError('E_OPTION', `invalid policy rule '${rule}'`, 'write column=keep|mask|hash|drop');
    policy[col] = act;
  }
  return policy;
}

/** `--pii hash` (every detected column) or `--pii email=hash,phone=drop` (other detected columns masked). */
export function parseIngestPii(text: string): IngestPii {
  const one = text.trim();
  if (!one.includes('=')) {
    if (!['keep', 'mask', 'hash', 'drop'].includes(one)) throw new LeptonError('E_OPTION', `invalid --pii '${one}'`, 'give mask, hash, drop or keep, or rules like email=hash,phone=drop');
    return { policy: {}, fallback: one as PiiAction };
  }
  return { policy: parsePiiRules(one), fallback: 'mask' };
}

