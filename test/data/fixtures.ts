import { readTable } from '../../src/data/readers/index.js';
import { CREDIT } from '../helpers.js';

/** Customers with planted personal data, some of it with broken checksums that must not count. */
export function plantedCustomers(n = 40): Record<string, string | number>[] {
  const cards = ['4111 1111 1111 1111', '5500-0000-0000-0004', '340000000000009'];
  const ibans = ['GB82 WEST 1234 5698 7654 32', 'DE89370400440532013000', 'FR1420041010050500013M02606'];
  const ids = ['11010519491231002X', '440524199003071236'];
  return Array.from({ length: n }, (_, i) => ({
    customer_name: `Person ${i}`,
    email: `user${i}@example.com`,
    phone: `+44 20 7946 ${String(1000 + i).padStart(4, '0')}`,
    card: cards[i % cards.length]!,
    iban: ibans[i % ibans.length]!,
    national_id: ids[i % ids.length]!,
    last_ip: `10.0.${i % 256}.${(i * 7) % 256}`,
    note: i % 2 ? 'prefers email' : 'call after 5pm',
    amount: 100 + i,
  }));
}

/** credit-g, deliberately dirtied: duplicates, holes, outliers, personal data, a leak, a constant. */
export async function dirtyCredit(): Promise<Record<string, string | number | null>[]> {
  const t = await readTable(CREDIT);
  const rows = Array.from({ length: t.numRows }, (_, r) => Object.fromEntries(t.columnNames.map((c) => [c, t.cell(c, r) as string | number | null])));
  rows.forEach((row, i) => {
    if (i % 20 === 0) row.age = null;
    if (i % 250 === 0) row.credit_amount = 10_000_000;
    row.email = `applicant${i}@bank.example`;
    row.decision_code = row.class === 'bad' ? 'R' : 'A'; // recorded after the outcome: a leak
    row.branch = 'main';
  });
  return [...rows, ...rows.slice(0, 15).map((r) => ({ ...r }))];
}
