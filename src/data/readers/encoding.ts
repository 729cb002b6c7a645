/**
 * Text encodings of data files. UTF-8 is the default and is checked strictly: a file that is
 * not UTF-8 is refused with the line where it stops being UTF-8 (instead of silently turning
 * bytes into U+FFFD), and the hint names `--encoding`. A UTF-16 byte-order mark is honoured
 * without being asked. Legacy single-byte encodings from spreadsheet exports (Latin-1,
 * Windows-1252) are read when the user names them.
 * @module
 */
import { LeptonError } from '../../errors.js';

export const TEXT_ENCODINGS = ['utf-8', 'latin1', 'windows-1252', 'utf-16le'] as const;
export type TextEncoding = (typeof TEXT_ENCODINGS)[number];

/** Accepts the spellings people use (UTF8, iso-8859-1, cp1252, utf16) for the supported encodings. */
export function parseEncoding(name: string): TextEncoding {
  const n = name.toLowerCase().replace(/[_\s]/g, '-');
  if (['utf-8', 'utf8'].includes(n)) return 'utf-8';
  if (['latin1', 'latin-1', 'iso-8859-1', 'iso8859-1'].includes(n)) return 'latin1';
  if (['windows-1252', 'cp1252', 'win1252'].includes(n)) return 'windows-1252';
  if (['utf-16le', 'utf16le', 'utf-16', 'utf16'].includes(n)) return 'utf-16le';
  throw new LeptonError('E_OPTION', `unknown encoding '${name}'`, `use one of ${TEXT_ENCODINGS.join(', ')}`);
}

/** Decodes a file's bytes; `source` names it in messages. */
export function decodeText(bytes: Uint8Array, source: string, encoding: TextEncoding = 'utf-8'): string {
  if (bytes.length === 0) throw new LeptonError('E_PARSE', `${source} is empty (0 bytes)`, 'give a file with a header row and at least one data row');
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (encoding === 'utf-16le') return new TextDecoder('utf-16le').decode(bytes);
  if (encoding === 'latin1') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  if (encoding === 'windows-1252') return decodeWindows1252(bytes);
  const fatal = new TextDecoder('utf-8', { fatal: true });
  try {
    return fatal.decode(bytes);
  } catch {
    throw new LeptonError('E_PARSE', `${source} line ${firstBadLine(bytes)} is not valid UTF-8`, 'give the file\'s encoding (e.g. --encoding latin1 or --encoding windows-1252), or save it as UTF-8');
  }
}

function firstBadLine(bytes: Uint8Array): number {
  const fatal = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try {
        fatal.decode(bytes.subarray(start, i));
      } catch {
        return line;
      }
      line++;
      start = i + 1;
    }
  }
  return line;
}

// Windows-1252 is Latin-1 except 0x80–0x9F, where it has printable characters (€, curly quotes,
// dashes) instead of control codes. Node 20's TextDecoder('windows-1252') returns the control
// codes, so the 32 differences are mapped here; 0 marks the five unassigned bytes.
const CP1252_HIGH = [
  0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
  0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
];

function decodeWindows1252(bytes: Uint8Array): string {
  const latin = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return latin.replace(/[\u0080-\u009f]/g, (c) => {
    const mapped = CP1252_HIGH[c.charCodeAt(0) - 0x80]!;
    return mapped ? String.fromCharCode(mapped) : c;
  });
}
