/**
 * ARFF reader (Weka's format): @attribute declarations give the schema, nominal attributes
 * keep their declared category order (so class order is stable), `?` is missing.
 * @module
 */
import { LeptonError } from '../../errors.js';
import type { ColumnSchema } from '../table.js';
import type { RawCell, RawTable } from '../infer.js';

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t' };

/** Splits "a, 'b c', \"d\"" on commas outside quotes, unquoting each field. */
export function splitQuoted(s: string, at: () => string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= s.length) {
    while (s[i] === ' ' || s[i] === '\t') i++;
    let field = '';
    const q = s[i];
    if (q === "'" || q === '"') {
      i++;
      while (i < s.length && s[i] !== q) {
        if (s[i] === '\\' && i + 1 < s.length) {
          // Weka writes line breaks and tabs inside strings as \n, \r, \t.
          const c = s[++i]!;
          field += ESCAPES[c] ?? c;
          i++;
          continue;
        }
        field += s[i++];
      }
      if (i >= s.length) throw new LeptonError('E_PARSE', `${at()}: a quote is never closed`, 'close the quote');
      i++;
      while (s[i] === ' ' || s[i] === '\t') i++;
    } else {
      while (i < s.length && s[i] !== ',') field += s[i++];
      field = field.trim();
    }
    out.push(field);
    if (i < s.length && s[i] !== ',') throw new LeptonError('E_PARSE', `${at()}: expected ',' after a quoted value`, 'check the quoting');
    i++;
  }
  return out;
}

/** The line without a trailing `% comment` outside quotes (Weka allows one after a declaration). */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '%') return line.slice(0, i).trimEnd();
  }
  return line;
}

export function parseArff(text: string, source: string): RawTable {
  const lines = text.split(/\r?\n/);
  const declared = new Map<string, ColumnSchema>();
  const names: string[] = [];
  let dataStart = -1;
  for (let ln = 0; ln < lines.length; ln++) {
    const line = stripComment(lines[ln]!.trim());
    if (!line) continue;
    const at = () => `${source} line ${ln + 1}`;
    const lower = line.toLowerCase();
    if (lower.startsWith('@relation')) continue;
    if (lower.startsWith('@data')) {
      dataStart = ln + 1;
      break;
    }
    if (!lower.startsWith('@attribute')) throw new LeptonError('E_PARSE', `${at()}: unexpected '${line.slice(0, 40)}' in the header`, 'ARFF headers hold @relation, @attribute and @data lines');
    const m = /^@attribute\s+('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\S+)\s+(.+)$/i.exec(line);
    if (!m) throw new LeptonError('E_PARSE', `${at()}: malformed @attribute line`, "write '@attribute NAME TYPE'");
    const name = m[1]!.replace(/^['"]|['"]$/g, '');
    const type = m[2]!.trim();
    let schema: ColumnSchema;
    if (type.startsWith('{')) {
      if (!type.endsWith('}')) throw new LeptonError('E_PARSE', `${at()}: nominal list is not closed with '}'`, 'close the list');
      schema = { name, type: 'categorical', categories: splitQuoted(type.slice(1, -1), at) };
    } else if (/^(numeric|real|integer)$/i.test(type)) schema = { name, type: 'numeric' };
    else if (/^string$/i.test(type)) schema = { name, type: 'text' };
    else if (/^date/i.test(type)) schema = { name, type: 'date' };
    else throw new LeptonError('E_PARSE', `${at()}: unsupported attribute type '${type}'`, 'use numeric, {nominal,…}, string or date');
    if (declared.has(name)) throw new LeptonError('E_PARSE', `${at()}: attribute '${name}' is declared twice`, 'rename one of them');
    declared.set(name, schema);
    names.push(name);
  }
  if (dataStart < 0) throw new LeptonError('E_PARSE', `${source}: no @data section`, 'an ARFF file needs @attribute lines then @data');
  const cells: RawCell[][] = names.map(() => []);
  const rowLines: number[] = [];
  for (let ln = dataStart; ln < lines.length; ln++) {
    const line = lines[ln]!.trim();
    if (!line || line.startsWith('%')) continue;
    const at = () => `${source} line ${ln + 1}`;
    if (line.startsWith('{')) throw new LeptonError('E_PARSE', `${at()}: sparse ARFF rows are not supported yet`, 'convert the file to dense ARFF or CSV');
    const fields = splitQuoted(line, at);
    if (fields.length !== names.length) {
      throw new LeptonError('E_PARSE', `${at()}: ${fields.length} values, but ${names.length} attributes are declared`, 'fix that row');
    }
    fields.forEach((f, c) => cells[c]!.push(f));
    rowLines.push(ln + 1);
  }
  return { names, cells, lines: Int32Array.from(rowLines), source, declared };
}
