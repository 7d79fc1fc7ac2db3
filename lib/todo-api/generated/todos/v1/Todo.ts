// Original file: protos/todos.proto


export interface Todo {
  /**
   * Stable identifier (the MongoDB document's _id).
   */
  'id'?: (string);
  'title'?: (string);
  'description'?: (string);
  'done'?: (boolean);
}

export interface Todo__Output {
  /**
   * Stable identifier (the MongoDB document's _id).
   */
  'id': (string);
  'title': (string);
  'description': (string);
  'done': (boolean);
}
