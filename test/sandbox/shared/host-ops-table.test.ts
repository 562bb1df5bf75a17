import { describe, expect, it } from 'vitest';
import { BOOTSTRAP_SOURCE } from '../../../sandbox/child/bootstrap.ts';
import { HostOps, type HostCallContext } from '../../../sandbox/host/host-ops.ts';
import { resolveLimits } from '../../../sandbox/host/limits.ts';
import type { SandboxHost } from '../../../sandbox/host/types.ts';
import { bindingOf, HOST_OP_TABLE, HOST_OPS, REPLY_TEXT } from '../../../sandbox/shared/host-ops-table.ts';

const tableOps = Object.values(HOST_OPS);

function hostOps(): HostOps {
  // every call below is refused before it reaches a store or the network
  return new HostOps({} as SandboxHost, resolveLimits(1_000));
}

const ctx: HostCallContext = { scope: { kind: 'gateway' }, http: 0, warn: () => undefined };

describe('host-op table', () => {
  it('names each op once, and each op maps back to its binding', () => {
    expect(new Set(tableOps).size).toBe(tableOps.length);
    for (const [binding, op] of Object.entries(HOST_OPS)) expect(bindingOf(op)).toBe(binding);
    expect(bindingOf('nope')).toBeUndefined();
  });

  it('is exactly the set of ops the host handles', () => {
    expect([...hostOps().handledOps].sort()).toEqual([...tableOps].sort());
  });

  it('lets the host answer every op of the table and no other', async () => {
    const ops = hostOps();
    const unknown = (op: string): string => `e${REPLY_TEXT.unknownOp}${op}`;
    for (const op of tableOps) expect(await ops.call(op, [undefined, undefined, undefined], ctx)).not.toBe(unknown(op));
    for (const op of ['nope', 'toString', '__proto__', 'constructor', 'hasOwnProperty', 'KGET']) {
      expect(await ops.call(op, [], ctx)).toBe(unknown(op));
    }
  });

  it('is what the isolate bootstrap calls the host with: every binding through the table, no op written by hand', () => {
    const used = new Set([...BOOTSTRAP_SOURCE.matchAll(/\bhost\(\s*OP\.(\w+)/g)].map((m) => m[1]));
    expect([...used].sort()).toEqual(Object.keys(HOST_OPS).sort());
    expect([...BOOTSTRAP_SOURCE.matchAll(/\bhost\(/g)].length - 1).toBe(used.size); // minus the definition
    for (const op of tableOps) expect(BOOTSTRAP_SOURCE).not.toMatch(new RegExp(`['"]${op}['"]`));
    for (const text of [REPLY_TEXT.keyNotFound, REPLY_TEXT.hostCallFailed]) expect(BOOTSTRAP_SOURCE).not.toContain(text);
  });

  it('survives the JSON crossing into the isolate unchanged', () => {
    expect(JSON.parse(JSON.stringify(HOST_OP_TABLE))).toEqual(HOST_OP_TABLE);
  });
});
