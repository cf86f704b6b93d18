import { describe, expect, it } from 'vitest';
import { createLogger } from '@tokumei/config';
import { startTokumei } from '../../apps/tokumei/src/runtime.js';
import { postBeacon, summary, testConfig, waitUntil } from '../helpers/pipeline.js';

const logger = createLogger({ level: 'warn' });

describe('embedded mode across restarts', () => {
  // The in-process bus starts anew with each process; the worker skips offset ranges it finds stored. Offsets that
  // restarted at 0 made a restarted instance skip its first beacons as "already stored".
  it('counts the beacons a restarted instance receives', async () => {
    const config = testConfig();
    for (const round of [1, 2]) {
      const tokumei = await startTokumei(config, logger);
      try {
        for (let i = 0; i < 3; i += 1) {
          expect(await postBeacon(tokumei.urls.ingest ?? '', { site: 'restart.example.com', url: `https://restart.example.com/${round}/${i}`, sid: `s${round}-${i}` })).toBe(202);
        }
        await waitUntil(() => summary(tokumei.urls.api ?? '', 'restart.example.com'), (s) => s.pageviews === 3 * round, 5000);
      } finally {
        await tokumei.stop();
      }
    }
  });
});
