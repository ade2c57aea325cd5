import { describe, expect, it } from 'vitest';
import { fleetView, servingDaemons, stateOf } from '../../src/daemon/fleet/fleet-policy.js';
import type { DaemonRecord } from '../../src/store/index.js';

const NOW = 1_000_000;
const STALE = 15_000;
const record = (id: string, over: Partial<DaemonRecord> = {}): DaemonRecord => ({
  id,
  host: 'pc1',
  pid: 1,
  accounts: [],
  api_url: `http://${id}`,
  version: '1',
  started_at: '2026-02-27T08:00:00.000Z',
  heartbeat_at: NOW,
  stopped_at: null,
  ...over,
});
const self = { id: 'daemon:pc1:1', host: 'pc1', api_url: 'http://pc1:6060', accounts: ['wx_b', 'wx_a'] };

describe('fleet policy', () => {
  it('a daemon alone on its database fires everything (no scope), as one daemon always did', () => {
    const view = fleetView([record(self.id, { api_url: self.api_url })], self, NOW, STALE);
    expect(view.scope).toBeUndefined();
    expect(view.deadOwners).toEqual([]);
    expect(fleetView([], self, NOW, STALE).scope).toBeUndefined();
  });

  it("with another daemon on record it fires only its own accounts' tasks (and those with none)", () => {
    const view = fleetView([record(self.id), record('daemon:pc2:7', { host: 'pc2', accounts: ['wx_c'] })], self, NOW, STALE);
    expect(view.scope).toEqual({ accounts: ['wx_a', 'wx_b'] });
  });

  it("a daemon that stopped beating is stale: its leases are taken back, its accounts' tasks still wait for it", () => {
    const dead = record('daemon:pc2:7', { host: 'pc2', accounts: ['wx_c'], heartbeat_at: NOW - STALE - 1 });
    const view = fleetView([record(self.id), dead], self, NOW, STALE);
    expect(view.daemons.map((d) => [d.id, d.state, d.self])).toEqual([
      [self.id, 'alive', true],
      ['daemon:pc2:7', 'stale', false],
    ]);
    expect(view.deadOwners).toEqual(['daemon:pc2:7']);
    expect(view.scope).toEqual({ accounts: ['wx_a', 'wx_b'] });
    expect(servingDaemons(view.daemons, 'wx_c')).toEqual([]);
    expect(servingDaemons(view.daemons, 'wx_c')).toHaveLength(0);
  });

  it('a cleanly stopped daemon holds no leases; one just within its beats is alive', () => {
    expect(stateOf({ heartbeat_at: NOW - STALE, stopped_at: null }, NOW, STALE)).toBe('alive');
    expect(stateOf({ heartbeat_at: NOW, stopped_at: '2026-02-27T09:00:00.000Z' }, NOW, STALE)).toBe('stopped');
    const view = fleetView([record(self.id), record('daemon:pc2:7', { host: 'pc2', stopped_at: 'x' })], self, NOW, STALE);
    expect(view.deadOwners).toEqual([]);
  });

  it('the same daemon before a restart (this host, this API address, not alive) is forgotten and leaves no scope', () => {
    const before = record('daemon:pc1:0', { api_url: self.api_url, heartbeat_at: NOW - 60_000 });
    const view = fleetView([before, record(self.id, { api_url: self.api_url })], self, NOW, STALE);
    expect(view.predecessors).toEqual(['daemon:pc1:0']);
    expect(view.deadOwners).toEqual(['daemon:pc1:0']);
    expect(view.scope).toBeUndefined();
    // Another daemon on this host with another API address is a peer, dead or not.
    const peer = record('daemon:pc1:9', { api_url: 'http://pc1:6061', heartbeat_at: NOW - 60_000 });
    expect(fleetView([peer], self, NOW, STALE).scope).toEqual({ accounts: ['wx_a', 'wx_b'] });
  });
});
