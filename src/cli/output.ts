/**
 * How the CLI talks: errors as one clear message with a fix and a non-zero exit (no stack
 * trace unless LEPTON_DEBUG=1), JSON for scripts, progress only on a terminal.
 * @module
 */
import { LeptonError } from '../errors.js';

export function printJson(value: unknown): void {
  // NaN/Infinity are not JSON; they never reach scripts as invalid text.
  process.stdout.write(`${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
}

export function fail(e: unknown): never {
  const debug = Boolean(process.env.LEPTON_DEBUG);
  if (e instanceof LeptonError) {
    process.stderr.write(`error: ${e.message}\n`);
    if (e.hint) process.stderr.write(`  fix: ${e.hint}\n`);
    if (debug) process.stderr.write(`${e.stack}\n`);
    process.exit(1);
  }
  const err = e as Error;
  process.stderr.write(`error: ${err?.message ?? String(e)}\n  this is a bug in Lepton; rerun with LEPTON_DEBUG=1 and report the stack trace\n`);
  if (debug) process.stderr.write(`${err?.stack}\n`);
  process.exit(1);
}

/** Runs a command action, turning any failure into a clear message and exit code 1. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      fail(e);
    }
  };
}

export function parseIntOption(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new LeptonError('E_OPTION', `${name} must be a non-negative integer (got '${v}')`);
    return n;
  };
}

export function parseNumberOption(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new LeptonError('E_OPTION', `${name} must be a positive number (got '${v}')`);
    return n;
  };
}

export function parseList(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}
