/** Child processes, timeouts and log tails for the test harness. */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export const LOG_TAIL_LINES = 60;

// ---------------------------------------------------------------------------
// Small helpers

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Runs a command to completion, capturing stdout and stderr interleaved. */
export function run(cmd: string, args: string[], opts: { timeoutMs: number; missingHint: string }): Promise<RunResult> {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let timedOut = false;
    // Not spawn's own `timeout` option: its timer is only cleared on exit, so a
    // command missing from PATH would hold the event loop open until it fires.
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.once('error', (error) => {
      clearTimeout(timer);
      rejectRun(new Error(`${describeSpawnError(cmd, error)}; ${opts.missingHint}`, { cause: error }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const output = Buffer.concat(chunks).toString('utf8');
      const note = timedOut ? `\n(killed after the ${seconds(opts.timeoutMs)} timeout)` : '';
      resolveRun({ code, signal, output: output + note });
    });
  });
}

export function describeSpawnError(cmd: string, error: Error): string {
  return (error as NodeJS.ErrnoException).code === 'ENOENT'
    ? `\`${cmd}\` was not found on PATH`
    : `could not run \`${cmd}\`: ${error.message}`;
}

export function describeExit(info: { code: number | null; signal: NodeJS.Signals | null }): string {
  return info.signal !== null ? `killed by ${info.signal}` : `exit code ${info.code ?? '?'}`;
}

export async function logTail(file: string): Promise<string> {
  try {
    return tail(await readFile(file, 'utf8'), LOG_TAIL_LINES) || '(empty)';
  } catch {
    return '(no log)';
  }
}

export function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}

/** Whether `promise` settles within `ms`, without leaving a timer behind. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolveTimeout) => (timer = setTimeout(() => resolveTimeout(false), ms)));
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function withTimeout(promise: Promise<void>, ms: number, signal: AbortSignal, message: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const failure = new Promise<never>((_, rejectFailure) => {
    timer = setTimeout(() => rejectFailure(new Error(message)), ms);
    onAbort = (): void => rejectFailure(new Error('aborted: broker exited'));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([promise, failure]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}

