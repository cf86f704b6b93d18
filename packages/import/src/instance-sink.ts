import { TokumeiError } from '@tokumei/errors';
import type { RecordSink, SinkMessage } from './sink.js';

/**
 * `tokumei start` runs on the data directory (chDB admits one process): records go to its ingest service's
 * `/internal/*` routes, guarded by the control token from its instance.json, and its worker stores them.
 */
export class InstanceSink implements RecordSink {
  readonly kind = 'instance' as const;
  readonly keyed = false;

  constructor(private readonly ingestUrl: string, private readonly token: string) {}

  async send(stream: string, first: number, messages: readonly SinkMessage[]): Promise<number> {
    // The records are JSON already: the body is spliced from them rather than parsed and serialized again.
    const body = `{"stream":${JSON.stringify(stream)},"first":"${first}","records":[${messages.map((m) => m.value.toString('utf8')).join(',')}]}`;
    const answer = await this.post('/internal/records', body);
    return Number((answer as { next: string }).next);
  }

  async finish(run: string): Promise<{ saltsDestroyed: number }> {
    return (await this.post(`/internal/import-runs/${encodeURIComponent(run)}/finish`, '{}')) as { saltsDestroyed: number };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private async post(route: string, body: string): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.ingestUrl}${route}`, {
        method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      });
    } catch (error) {
      throw new TokumeiError('TKM_BUS_UNAVAILABLE', `the running Tokumei (${this.ingestUrl}) does not answer`, { cause: error });
    }
    const text = await response.text();
    if (!response.ok) {
      let detail = text.slice(0, 200);
      try {
        const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
        detail = `${parsed.error?.code ?? ''}: ${parsed.error?.message ?? ''}`;
      } catch { /* not JSON: the raw start of the answer is the best there is */ }
      throw new TokumeiError('TKM_BUS_UNAVAILABLE', `the running Tokumei refused the records (${response.status} ${detail})`);
    }
    return JSON.parse(text) as unknown;
  }
}
