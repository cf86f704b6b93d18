import { domainToASCII } from 'node:url';

/**
 * Goals: what a site counts as a conversion. Declared in TOKUMEI_GOALS (the seed, read once by loadConfig) and
 * through `PUT /api/sites/:site/goals`; both go through `parseGoals`, so a goal the API refuses cannot come in
 * through the configuration either. The wire shape follows Plausible's Sites API (`page_path` / `event_name`,
 * `display_name`).
 */
export type Goal =
  | { readonly kind: 'page'; readonly name: string; readonly path: string }
  | { readonly kind: 'event'; readonly name: string; readonly event: string };

export const GOAL_LIMITS = { goals: 100, pathLength: 256, eventLength: 120, nameLength: 120 } as const;

/** A refusal that names the field (`goals[2].page_path`); the config and the API each wrap it in their own error. */
export class GoalError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
// Control characters would only hide what a goal matches; a name is shown on dashboards.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const KEYS = new Set(['goal_type', 'page_path', 'event_name', 'display_name']);

function text(raw: unknown, at: string, max: number): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > max || CONTROL.test(raw) || raw.trim() !== raw) {
    throw new GoalError(`${at}: must be a string of 1 to ${max} characters without control characters or surrounding spaces`);
  }
  return raw;
}

function goal(raw: unknown, at: string): Goal {
  if (!isObject(raw)) throw new GoalError(`${at}: a goal is an object {page_path | event_name, display_name?}`);
  for (const key of Object.keys(raw)) if (!KEYS.has(key)) throw new GoalError(`${at}: unknown field ${/^[a-z_]{1,32}$/.test(key) ? `'${key}'` : '(unnamed)'}`);
  const page = raw.page_path;
  const event = raw.event_name;
  if ((page === undefined) === (event === undefined)) throw new GoalError(`${at}: give exactly one of page_path and event_name`);
  const type = raw.goal_type;
  if (type !== undefined && type !== (page === undefined ? 'event' : 'page')) {
    throw new GoalError(`${at}.goal_type: must be '${page === undefined ? 'event' : 'page'}' for a goal with ${page === undefined ? 'event_name' : 'page_path'}`);
  }
  if (page !== undefined) {
    const path = text(page, `${at}.page_path`, GOAL_LIMITS.pathLength);
    if (!path.startsWith('/')) throw new GoalError(`${at}.page_path: must start with /`);
    const name = raw.display_name === undefined ? `Visit ${path}` : text(raw.display_name, `${at}.display_name`, GOAL_LIMITS.nameLength);
    return { kind: 'page', name, path };
  }
  const name = text(event, `${at}.event_name`, GOAL_LIMITS.eventLength);
  if (name === 'pageview') throw new GoalError(`${at}.event_name: 'pageview' is not a custom event; use page_path`);
  return { kind: 'event', name: raw.display_name === undefined ? name : text(raw.display_name, `${at}.display_name`, GOAL_LIMITS.nameLength), event: name };
}

/** One site's goal list; display names are unique (they are the values of the `event:goal` dimension). */
export function parseGoals(raw: unknown, at = 'goals'): Goal[] {
  if (!Array.isArray(raw)) throw new GoalError(`${at}: must be a list of goals`);
  if (raw.length > GOAL_LIMITS.goals) throw new GoalError(`${at}: at most ${GOAL_LIMITS.goals} goals per site`);
  const goals = raw.map((g, i) => goal(g, `${at}[${i}]`));
  const seen = new Set<string>();
  goals.forEach((g, i) => {
    if (seen.has(g.name)) throw new GoalError(`${at}[${i}].display_name: another goal of the site has the same name`);
    seen.add(g.name);
  });
  return goals;
}

/** The wire shape of a goal, as the API answers and TOKUMEI_GOALS is written. */
export function goalJson(g: Goal): Record<string, string> {
  return g.kind === 'page'
    ? { goal_type: 'page', page_path: g.path, display_name: g.name }
    : { goal_type: 'event', event_name: g.event, display_name: g.name };
}

/** TOKUMEI_GOALS' content: `{"<site>": [goal, …], …}`. Site keys are lower-cased ASCII host names, as sites are stored. */
export function parseGoalsFile(raw: unknown): ReadonlyMap<string, readonly Goal[]> {
  if (!isObject(raw)) throw new GoalError('must be a JSON object {"<site>": [goals]}');
  const out = new Map<string, readonly Goal[]>();
  for (const [site, list] of Object.entries(raw)) {
    // As TOKUMEI_SITES: the form browsers report host names in (ASCII, punycode for IDN), which is how sites are stored.
    const key = (domainToASCII(site.normalize('NFKC')) || site).toLowerCase();
    if (!/^[a-z0-9.:-]{1,100}$/.test(key)) throw new GoalError('a site key must be a host name of at most 100 characters');
    out.set(key, parseGoals(list, `${key}`));
  }
  return out;
}
