import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isProcessAlive } from '@tokumei/config';

describe('isProcessAlive', () => {
  it('is true for this process and for one of another user (pid 1 answers EPERM or exists)', () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(1)).toBe(true);
  });

  it('is false for a process that has exited', () => {
    const child = spawnSync(process.execPath, ['-e', '']);
    expect(child.status).toBe(0);
    expect(isProcessAlive(child.pid ?? 0)).toBe(false);
  });
});
