import type { ClickHouseClient } from '@clickhouse/client';
import { TokumeiError } from '@tokumei/errors';
import { storeError, type StatsDb } from '../query-limits.js';
import { hashPassword, newLinkId, newToken, tokenHash } from './secrets.js';

export interface SharedLink {
  readonly id: string;
  readonly site: string;
  readonly name: string;
  /** '' for a link without a password, else secrets.ts's `scrypt$…`. */
  readonly passwordHash: string;
  /** ISO time. */
  readonly created: string;
  readonly revoked: boolean;
}

interface Row {
  id: string; site: string; name: string; password_hash: string; created: string; revoked: number | string; version: string;
}

/** Live links per site: a list an operator reads, and a bound on what one token's lookups scan. */
export const MAX_LINKS_PER_SITE = 100;
const COLUMNS = "id, site, name, password_hash, formatDateTime(created, '%Y-%m-%dT%H:%i:%SZ') AS created, revoked, toString(version) AS version";

const link = (r: Row): SharedLink & { version: number } => ({
  id: r.id, site: r.site, name: r.name, passwordHash: r.password_hash, created: r.created, revoked: Number(r.revoked) === 1, version: Number(r.version),
});

/**
 * `shared_links` (migration 011): one row per link and version (ReplacingMergeTree); revoking writes a newer version
 * with `revoked = 1`. Reads take each link's newest row explicitly (ORDER BY version DESC), never a merge's timing,
 * so a revoked link is refused by the very next request.
 */
export class SharedLinkStore {
  constructor(private readonly client: ClickHouseClient, private readonly clock: () => number = Date.now) {}

  /** The link a token opens, if any (revoked ones too: the caller refuses them). */
  async byToken(db: StatsDb, token: string): Promise<SharedLink | undefined> {
    const rows = await db.rows<Row>(`SELECT ${COLUMNS} FROM shared_links WHERE token_hash = {hash:String} ORDER BY version DESC LIMIT 1`, { hash: tokenHash(token) });
    return rows[0] === undefined ? undefined : link(rows[0]);
  }

  /** A site's live links, newest first. */
  async list(db: StatsDb, site: string): Promise<SharedLink[]> {
    const rows = await db.rows<Row>(
      `SELECT ${COLUMNS} FROM shared_links WHERE site = {site:String} ORDER BY version DESC LIMIT 1 BY id`, { site });
    return rows.map(link).filter((l) => !l.revoked).sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : a.id.localeCompare(b.id)));
  }

  /** Makes a link; the token is returned this once and only its hash is stored. */
  async create(db: StatsDb, site: string, name: string, password: string | undefined): Promise<{ link: SharedLink; token: string }> {
    if ((await this.list(db, site)).length >= MAX_LINKS_PER_SITE) {
      throw new TokumeiError('TKM_INVALID_QUERY', `site: at most ${MAX_LINKS_PER_SITE} shared links per site; revoke one first`);
    }
    const token = newToken();
    const now = this.clock();
    const created = new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    const made: SharedLink = { id: newLinkId(), site, name, passwordHash: password === undefined ? '' : await hashPassword(password), created, revoked: false };
    await this.write(made, tokenHash(token), now);
    return { link: made, token };
  }

  /** Revokes a live link of this site; false when there is none with that id. */
  async revoke(db: StatsDb, site: string, id: string): Promise<boolean> {
    const rows = await db.rows<Row & { token_hash: string }>(
      `SELECT ${COLUMNS}, token_hash FROM shared_links WHERE site = {site:String} AND id = {id:String} ORDER BY version DESC LIMIT 1`, { site, id });
    const row = rows[0];
    if (row === undefined || Number(row.revoked) === 1) return false;
    const current = link(row);
    // Above the last version even within one millisecond, so the revocation is the newest row.
    await this.write({ ...current, revoked: true }, row.token_hash, Math.max(this.clock(), current.version + 1));
    return true;
  }

  private async write(l: SharedLink, hash: string, version: number): Promise<void> {
    try {
      await this.client.insert({
        table: 'shared_links',
        values: [{ id: l.id, site: l.site, name: l.name, token_hash: hash, password_hash: l.passwordHash, created: l.created.slice(0, 19).replace('T', ' '), revoked: l.revoked ? 1 : 0, version }],
        format: 'JSONEachRow',
      });
    } catch (error) {
      throw storeError(error);
    }
  }
}
