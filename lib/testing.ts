/** Helpers shared by the project's tests (never part of the published package). */

/** The message of the error `f` throws; fails the test when it throws nothing. */
export function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e: any) {
    return e.message;
  }
  throw new Error('expected an error');
}
