import { describe, expect, it } from 'vitest';
import { resolveSettings } from '../src/config.js';

describe('settings added for the daemon', () => {
  it("honours the seed's port names and AI_CS_API_URL, flags first", () => {
    const cwd = '/nonexistent-aics-test';
    expect(resolveSettings({}, { HTTP_API_PORT: '6061' }, cwd).port).toBe(6061);
    expect(resolveSettings({ port: 7000 }, { AI_CS_PORT: '6062' }, cwd).port).toBe(7000);
    expect(resolveSettings({}, {}, cwd).apiUrl).toBe('http://127.0.0.1:6060');
    expect(resolveSettings({ host: '0.0.0.0', port: 8080 }, {}, cwd).apiUrl).toBe('http://127.0.0.1:8080');
    expect(resolveSettings({ host: '::' }, {}, cwd).apiUrl).toBe('http://[::1]:6060');
    expect(resolveSettings({}, { AI_CS_API_URL: 'http://10.0.0.5:6060/' }, cwd).apiUrl).toBe('http://10.0.0.5:6060');
  });

  it('reads AICS_LOG_LEVEL and refuses an unknown level, naming it', () => {
    const cwd = '/nonexistent-aics-test';
    expect(resolveSettings({}, {}, cwd).logLevel).toBe('info');
    expect(resolveSettings({}, { AICS_LOG_LEVEL: 'DEBUG' }, cwd).logLevel).toBe('debug');
    expect(() => resolveSettings({}, { AICS_LOG_LEVEL: 'loud' }, cwd)).toThrow(/AICS_LOG_LEVEL: "loud"/);
  });

  it('reads AICS_DB_SYNC (default normal) and --db-sync first, refusing another value, naming it', () => {
    const cwd = '/nonexistent-aics-test';
    expect(resolveSettings({}, {}, cwd).dbSync).toBe('normal');
    expect(resolveSettings({}, { AICS_DB_SYNC: 'FULL' }, cwd).dbSync).toBe('full');
    expect(resolveSettings({ dbSync: 'normal' }, { AICS_DB_SYNC: 'full' }, cwd).dbSync).toBe('normal');
    expect(() => resolveSettings({}, { AICS_DB_SYNC: 'extra' }, cwd)).toThrow(/AICS_DB_SYNC: "extra" is not one of normal, full/);
  });

  it('reads AICS_LLM_CONNECTIONS (default 64) and refuses a bad value, naming it', () => {
    const cwd = '/nonexistent-aics-test';
    expect(resolveSettings({}, {}, cwd).agent.llmConnections).toBe(64);
    expect(resolveSettings({}, { AICS_LLM_CONNECTIONS: '8' }, cwd).agent.llmConnections).toBe(8);
    expect(() => resolveSettings({}, { AICS_LLM_CONNECTIONS: '0' }, cwd)).toThrow(/AICS_LLM_CONNECTIONS/);
    expect(() => resolveSettings({}, { AICS_LLM_CONNECTIONS: 'many' }, cwd)).toThrow(/AICS_LLM_CONNECTIONS/);
  });
});
