// Original file: protos/whoami.proto


export interface WhoRequest {
  /**
   * Milliseconds the server waits before it answers, for demonstrating and testing graceful
   * shutdown with a call in flight. 0 (the default) answers at once. Values above 10000 are
   * capped at 10000. The wait ends early, without an answer, when the caller cancels the call.
   */
  'delayMs'?: (number);
}

export interface WhoRequest__Output {
  /**
   * Milliseconds the server waits before it answers, for demonstrating and testing graceful
   * shutdown with a call in flight. 0 (the default) answers at once. Values above 10000 are
   * capped at 10000. The wait ends early, without an answer, when the caller cancels the call.
   */
  'delayMs': (number);
}
