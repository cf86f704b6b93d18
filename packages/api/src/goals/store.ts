import type { ClickHouseClient } from '@clickhouse/client';
import { parseGoals, type Goal } from '@tokumei/config';
import { storeError, type StatsDb } from '../query-limits.js';

export type GoalSource = 'api' | 'config' | 'none';
export interface SiteGoals { readonly goals: readonly Goal[]; readonly source: GoalSource }

/**
 * Where a site's goals come from. TOKUMEI_GOALS is the seed; the first `PUT` for a site stores a list in
 * `site_goals` that replaces the seed for that site from then on (also an empty list, which clears the seed's goals).
 * Each PUT is a new version of the site's row (ReplacingMergeTree); the newest version is the site's list.
 */
export class GoalStore {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly seed: ReadonlyMap<string, readonly Goal[]>,
    private readonly clock: () => number = Date.now,
  ) {}

  private async latest(db: StatsDb, site: string): Promise<{ goals: string; version: string } | undefined> {
    const rows = await db.rows<{ goals: string; version: string }>(
      'SELECT goals, toString(version) AS version FROM site_goals WHERE site = {site:String} ORDER BY version DESC LIMIT 1',
      { site },
    );
    return rows[0];
  }

  async get(db: StatsDb, site: string): Promise<SiteGoals> {
    const key = site.toLowerCase();
    const stored = await this.latest(db, key);
    // Stored lists were checked by parseGoals on the way in; checking again keeps a hand-edited row from reaching SQL unchecked.
    if (stored !== undefined) return { goals: parseGoals(JSON.parse(stored.goals) as unknown), source: 'api' };
    const seeded = this.seed.get(key);
    return seeded === undefined ? { goals: [], source: 'none' } : { goals: seeded, source: 'config' };
  }

  async put(db: StatsDb, site: string, goals: readonly Goal[], wire: readonly Record<string, string>[]): Promise<SiteGoals> {
    const key = site.toLowerCase();
    const previous = await this.latest(db, key);
    // The clock in ms, but always above the last version, so two PUTs in one millisecond keep their order.
    const version = Math.max(this.clock(), previous === undefined ? 0 : Number(previous.version) + 1);
    try {
      await this.client.insert({ table: 'site_goals', values: [{ site: key, goals: JSON.stringify(wire), version }], format: 'JSONEachRow' });
    } catch (error) {
      throw storeError(error);
    }
    return { goals, source: 'api' };
  }
}
