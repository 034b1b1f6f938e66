// Shared by the lab/config tests: the module under test, and the one-message check for errors.
import { expect } from 'vitest';
import { ScenarioError } from '../../../lab/scenario';

export * from '../../../lab/config';

/** Runs `f`, which must throw one ScenarioError on one line; answers its message. */
export function errorOf(f: () => unknown): string {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ScenarioError);
  const message = (error as ScenarioError).message;
  expect(message).not.toContain('\n');
  return message;
}
