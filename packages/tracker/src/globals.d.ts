// Types for the browser tracker's type check (tracker.js is plain JavaScript with `// @ts-check`).

/** Replaced by the build with the deployment's consent policy. */
declare const __TOKUMEI_CONSENT__: 'count' | 'drop' | 'ignore';

/** The page's `tokumei(...)` function: the stub from the README queues calls in `q` until the script has run. */
interface TokumeiApi {
  (command: string, name?: unknown, options?: unknown): void;
  loaded?: boolean;
  q?: [string, unknown?, unknown?][];
}

interface Window {
  tokumei?: TokumeiApi;
}

interface Navigator {
  /** Global Privacy Control (not yet in TypeScript's DOM types). */
  readonly globalPrivacyControl?: boolean;
}

interface Document {
  /** Speculation rules' prerendering (not yet in TypeScript's DOM types of this version). */
  readonly prerendering?: boolean;
}
