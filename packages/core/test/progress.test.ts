import { describe, expect, it } from 'vitest';
import { ProgressBar, formatBytes } from '../src/index.js';

describe('ProgressBar', () => {
  it('redraws one line on a terminal', () => {
    const out: string[] = [];
    const bar = new ProgressBar({ total: 4, label: 'epoch 1', stream: { isTTY: true, write: (t: string) => out.push(t) } });
    bar.update(1, 'loss 0.5');
    bar.finish('done');
    expect(out[0]).toMatch(/^\repoch 1 \[######-+\]  25% 1\/4 .*loss 0\.5\x1b\[K$/);
    expect(out[out.length - 1]).toMatch(/^\repoch 1 \[#+-+\]  25% 1\/4 .*done\x1b\[K\n$/);
    expect(out.join('').split('\n').length).toBe(2); // a single line, ended once
  });

  it('prints periodic whole lines without a terminal', () => {
    const out: string[] = [];
    const bar = new ProgressBar({ total: 10, label: 'dl', bytes: true, lineEverySeconds: 0, stream: { write: (t: string) => out.push(t) } });
    bar.update(2048);
    bar.update(4096);
    bar.finish();
    expect(out.every((line) => line.endsWith('\n') && !line.includes('\r'))).toBe(true);
    expect(out[0]).toContain('2.0 KiB');
    expect(out.length).toBe(3);
    const silent: string[] = [];
    new ProgressBar({ silent: true, stream: { write: (t: string) => silent.push(t) } }).finish();
    expect(silent).toEqual([]);
  });

  it('formats byte counts in binary units', () => {
    expect([512, 1536, 12.3 * (1 << 20), 1.25 * (1 << 30)].map(formatBytes)).toEqual(['512 B', '1.5 KiB', '12.3 MiB', '1.25 GiB']);
  });
});
