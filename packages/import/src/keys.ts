import { createHash } from 'node:crypto';

/** Agents up to this long are their own cache key; longer ones (padded, scanners) are keyed by a hash. */
export const AGENT_KEY_CHARS = 256;

/**
 * A bounded stand-in for an agent in a cache key: the agent itself when short, else a SHA-256 of it. Parsed agents
 * hold no control characters, so the NUL in front cannot make a hash equal to a real agent.
 */
export function agentKey(ua: string): string {
  return ua.length <= AGENT_KEY_CHARS ? ua : `\u0000${createHash('sha256').update(ua).digest('base64')}`;
}

/**
 * A copy of `text` that keeps nothing else alive. V8 makes a regex capture, a slice or a concatenation point into
 * the string it came from, so a cache key cut from a log line would hold the whole line (agent and address
 * included) for as long as the entry lives: measured, 2,000 keys cut from 100 KB lines kept 200 MB. Slicing a fresh
 * concatenation makes V8 flatten it into a new string of the key's own length.
 */
export function detach(text: string): string {
  return (` ${text}`).slice(1);
}
