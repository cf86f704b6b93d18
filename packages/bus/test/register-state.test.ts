import { describe, expect, it } from 'vitest';
import { TokumeiError } from '@tokumei/errors';
import { RegisterState, registerKeyOf } from '../src/register-state.js';

const text = (b: Buffer | undefined) => b?.toString();

describe('RegisterState (the shared register without Kafka)', () => {
  it('takes the register key from before the last slash', () => {
    expect(registerKeyOf('2026-11-25/ab12')).toBe('2026-11-25');
    expect(registerKeyOf('a/b/c1')).toBe('a/b');
    expect(registerKeyOf('no-nonce')).toBeUndefined();
    expect(registerKeyOf('/only-nonce')).toBeUndefined();
  });

  it('lets the lowest live offset win, and the next one once it is tombstoned', () => {
    const state = new RegisterState();
    state.apply(0n, 'day/a', Buffer.from('first'));
    state.apply(1n, 'day/b', Buffer.from('second'));
    state.apply(2n, 'other/c', Buffer.from('third'));
    expect(text(state.winners().get('day'))).toBe('first');
    state.apply(3n, 'day/a', null);
    expect(text(state.winners().get('day'))).toBe('second');
    state.apply(4n, 'day/b', null);
    expect(state.winners().has('day')).toBe(false);
    expect([...state.winners().keys()]).toEqual(['other']);
  });

  it('ignores offsets it has applied already (a rejoined consumer reads from the beginning again)', () => {
    const state = new RegisterState();
    state.apply(0n, 'day/a', Buffer.from('first'));
    state.apply(1n, 'day/a', null);
    state.apply(0n, 'day/a', Buffer.from('first'));
    expect(state.winners().size).toBe(0);
    expect(state.position).toBe(2n);
  });

  it('wipes forgotten values and hands out copies', () => {
    const state = new RegisterState();
    state.apply(0n, 'day/a', Buffer.from('secret'));
    const held = state.winner('day')?.value;
    const copy = state.winners().get('day');
    state.apply(1n, 'day/a', null);
    expect(held?.equals(Buffer.alloc(6))).toBe(true);
    expect(text(copy)).toBe('secret');
  });

  it('forgets what retention removed and does not wait for it', async () => {
    const state = new RegisterState();
    state.apply(0n, 'old/a', Buffer.from('x'));
    state.apply(1n, 'new/b', Buffer.from('y'));
    state.forgetBefore(1n);
    expect([...state.winners().keys()]).toEqual(['new']);
    state.forgetBefore(10n);
    expect(state.winners().size).toBe(0);
    await expect(state.reached(10n, 50)).resolves.toBeUndefined();
  });

  it('wakes waiters when the reader advances, and times out otherwise', async () => {
    const state = new RegisterState();
    const waiting = state.reached(3n, 1000);
    state.apply(0n, 'day/a', Buffer.from('v'));
    state.advance(3n);
    await expect(waiting).resolves.toBeUndefined();
    await expect(state.reached(5n, 20)).rejects.toBeInstanceOf(TokumeiError);
    const closing = state.reached(9n, 1000);
    state.clear(new TokumeiError('TKM_BUS_CLOSED'));
    await expect(closing).rejects.toMatchObject({ code: 'TKM_BUS_CLOSED' });
  });
});
