import { TokumeiError } from '@tokumei/errors';
import { ENGAGEMENT_EVENT } from '@tokumei/schema';
import { EVENT_NAME_RULE, PROPS_VALUE_RULE, eventName, foreignProps, isObject, unknownKeys, type Mapped } from './foreign.js';

/**
 * Umami's `POST /api/send` (`{type, payload}`) as its clients send it, mapped onto Tokumei beacons.
 *
 * `payload.website` (a UUID) names the site through TOKUMEI_UMAMI_WEBSITES; an id not listed is `403
 * TKM_UNKNOWN_WEBSITE`. `url` is a path (the browser script and @umami/node send one) joined to `hostname`, or an
 * absolute http(s) URL; without it the event is filed under the site's root page `/` (as Umami's own `track(name)`
 * sends none). `screen` ("1920x1080") gives the width, `data` the custom properties, `name` a custom event.
 * `title` and `tag` are accepted and not stored. `id` (Umami's distinct id, an identifier of a person chosen by
 * the site) is dropped unread and counted, and so is every `type: "identify"` call: Tokumei stores no identifier.
 */

const PAYLOAD_FIELDS: ReadonlySet<string> = new Set(['website', 'url', 'hostname', 'referrer', 'language', 'screen', 'title', 'name', 'data', 'tag', 'id']);
const ENVELOPE: ReadonlySet<string> = new Set(['type', 'payload']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A host name, optionally with a port: what `location.hostname` gives; nothing that could turn it into a path or userinfo. */
const HOSTNAME = /^(?=.{1,253}(:|$))[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?(?::\d{1,5})?$/;
const SCREEN = /^(\d{1,6})x\d{1,6}$/;

export type UmamiMapped = Mapped | { readonly ok: true; readonly identify: true; readonly dropped: readonly string[] };

const fail = (message: string): Mapped => ({ ok: false, error: new TokumeiError('TKM_INVALID_BEACON', message) });

/** Reads an optional string field; `fail` when it is there and not a string. */
function text(payload: Record<string, unknown>, field: string): string | undefined | Mapped {
  const value = payload[field];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : fail(`body payload.${field}: must be a string`);
}

export function mapUmami(body: unknown, websites: ReadonlyMap<string, string>): UmamiMapped {
  if (!isObject(body)) return fail('body: must be a JSON object');
  const unknown = unknownKeys('body', body, ENVELOPE);
  if (unknown !== undefined) return fail(unknown);
  const { type, payload } = body;
  if (type !== 'event' && type !== 'identify') return fail('body type: must be "event" or "identify"');
  if (!isObject(payload)) return fail('body payload: must be an object');
  const website = payload.website;
  if (typeof website !== 'string' || !UUID.test(website)) return fail('body payload.website: must be an Umami website id (a UUID)');
  const site = websites.get(website.toLowerCase());
  if (site === undefined) return { ok: false, error: new TokumeiError('TKM_UNKNOWN_WEBSITE') };
  // Identification links a visitor to who they are: nothing of it is read, let alone published.
  if (type === 'identify') return { ok: true, identify: true, dropped: ['identify'] };

  const extra = unknownKeys('body payload', payload, PAYLOAD_FIELDS);
  if (extra !== undefined) return fail(extra);
  const fields: Partial<Record<string, string | undefined>> = {};
  for (const field of ['url', 'hostname', 'referrer', 'language', 'screen', 'title', 'name', 'tag', 'id']) {
    const value = text(payload, field);
    if (typeof value === 'object') return value;
    fields[field] = value;
  }
  const { hostname, referrer, language, screen, name: rawName, id } = fields;

  if (hostname !== undefined && hostname !== '' && !HOSTNAME.test(hostname)) return fail('body payload.hostname: must be a host name');
  const url = pageUrl(fields.url, hostname === undefined || hostname === '' ? site : hostname);
  if (url === undefined) return fail('body payload.url: must be a path starting with / or an absolute http(s) URL');

  let event: string | undefined;
  if (rawName !== undefined && rawName !== '') {
    event = eventName(rawName);
    if (event === undefined) return fail(`body payload.name: ${EVENT_NAME_RULE}`);
    if (event === ENGAGEMENT_EVENT) return fail('body payload.name: "engagement" is reserved for engagement beacons');
  }

  let width: number | undefined;
  if (screen !== undefined && screen !== '') {
    const match = SCREEN.exec(screen);
    if (match === null) return fail('body payload.screen: must be WIDTHxHEIGHT in pixels, e.g. 1920x1080');
    width = Number(match[1]);
  }

  let props: Record<string, string> | undefined;
  if (payload.data !== undefined) {
    if (!isObject(payload.data)) return fail('body payload.data: must be an object');
    const converted = foreignProps(payload.data);
    if (!converted.ok) return fail(`body payload.data: ${PROPS_VALUE_RULE}`);
    props = converted.props;
  }

  return {
    ok: true,
    beacons: [{
      site,
      url,
      ...(referrer === undefined || referrer === '' ? {} : { referrer }),
      ...(event === undefined ? {} : { event }),
      ...(width === undefined ? {} : { w: width }),
      ...(language === undefined || language === '' ? {} : { lang: language }),
      ...(props === undefined ? {} : { props }),
    }],
    fields: {
      site: 'payload.website', url: 'payload.url', referrer: 'payload.referrer', event: 'payload.name', props: 'payload.data',
      w: 'payload.screen', lang: 'payload.language',
    },
    dropped: id === undefined ? [] : ['id'],
  };
}

/** Umami sends a path (and the host apart); the page is `https://<host><path>`: Umami's clients send no scheme. */
function pageUrl(url: string | undefined, host: string): string | undefined {
  if (url === undefined || url === '') return `https://${host}/`;
  if (/^https?:\/\//i.test(url)) return url;
  if (url.startsWith('/') && !url.startsWith('//')) return `https://${host}${url}`;
  return undefined;
}
