import { describe, expect, it } from 'vitest';
import { tableFromRows } from '../../src/data/readers/index.js';
import { applyPiiPolicy, classifyValue, detectPii, isCard, isChineseId, isIban, luhn } from '../../src/data/pii.js';
import { isDict } from '../../src/data/table.js';
import { plantedCustomers } from './fixtures.js';

describe('data: personal data', () => {
  it('validates cards by Luhn, IBANs by country, length and mod-97, Chinese ids by their check character', () => {
    expect(luhn('79927398713')).toBe(true);
    expect(isCard('4111 1111 1111 1111')).toBe(true);
    expect(isCard('4111 1111 1111 1112')).toBe(false);
    expect(isIban('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(isIban('GB82 WEST 1234 5698 7654 33')).toBe(false);
    // The shape and a passing mod-97 but no such country: an HMAC that `hash` wrote in a CI run.
    expect(isIban('aa1217ac8e0b90126163ee8890cacb4a')).toBe(false);
    expect(isIban('GB82 WEST 1234 5698 7654 3')).toBe(false); // a GB IBAN has 22 characters
    expect(isChineseId('11010519491231002X')).toBe(true);
    expect(isChineseId('110105194912310021')).toBe(false); // wrong check character
    expect(isChineseId('110105194913310028')).toBe(false); // no 13th month
    expect(classifyValue('a.b@example.com')).toBe('email');
    expect(classifyValue('+1 (555) 123-4567')).toBe('phone');
    expect(classifyValue('2001:db8::1')).toBe('ip');
    expect(classifyValue('12345')).toBeUndefined();
    expect(classifyValue('2024-01-01')).toBeUndefined();
  });

  it('finds every planted column, and a masked copy holds none of it', () => {
    const t = tableFromRows(plantedCustomers());
    const found = Object.fromEntries(detectPii(t).map((f) => [f.column, f.kind]));
    expect(found).toEqual({ customer_name: 'person_name', email: 'email', phone: 'phone', card: 'card', iban: 'iban', national_id: 'cn_id', last_ip: 'ip' });
    const masked = applyPiiPolicy(t, detectPii(t), {}, 'secret');
    expect(detectPii(masked).filter((f) => f.kind !== 'person_name')).toEqual([]);
    for (const c of masked.columns) {
      if (!isDict(c) || c.name === 'note') continue;
      for (const v of c.dictionary) expect(classifyValue(v), `${c.name}: ${v}`).toBeUndefined();
    }
    expect(masked.cell('email', 0)).toBe('***@example.com');
    expect(masked.cell('card', 0)).toBe('**** **** **** 1111');
    expect(masked.cell('note', 0)).toBe('call after 5pm');
  });

  it('hashes with the project secret (joinable, not readable) and drops on request', () => {
    const t = tableFromRows(plantedCustomers(4));
    const a = applyPiiPolicy(t, detectPii(t), { email: 'hash', card: 'drop' }, 's1');
    const b = applyPiiPolicy(t, detectPii(t), { email: 'hash' }, 's2');
    expect(a.has('card')).toBe(false);
    expect(String(a.cell('email', 0))).toMatch(/^[0-9a-f]{32}$/);
    expect(a.cell('email', 0)).not.toBe(b.cell('email', 0));
    expect(applyPiiPolicy(t, detectPii(t), { email: 'hash' }, 's1').cell('email', 1)).toBe(a.cell('email', 1));
  });
});
