// Original file: protos/todos.proto


export interface GetTodosRequest {
  /**
   * The most todos to return. 0 (the default, so an empty request) returns up to 1000.
   * Values above 1000 are capped at 1000.
   */
  'limit'?: (number);
}

export interface GetTodosRequest__Output {
  /**
   * The most todos to return. 0 (the default, so an empty request) returns up to 1000.
   * Values above 1000 are capped at 1000.
   */
  'limit': (number);
}
