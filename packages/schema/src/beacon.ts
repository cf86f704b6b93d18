import { Type, type Static } from '@sinclair/typebox';

/** What a website sends to `POST /collect`. Limits keep one beacon small enough to never dominate a batch. */
export const BeaconSchema = Type.Object(
  {
    site: Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\s\\u0000-\\u001f]+$' }),
    url: Type.String({ minLength: 1, maxLength: 2048, pattern: '^https?://' }),
    referrer: Type.Optional(Type.String({ maxLength: 2048 })),
    sid: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    event: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' })),
    w: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
    lang: Type.Optional(Type.String({ maxLength: 35, pattern: '^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$' })),
  },
  { additionalProperties: false },
);

export type Beacon = Static<typeof BeaconSchema>;

export const DEFAULT_EVENT = 'pageview';
