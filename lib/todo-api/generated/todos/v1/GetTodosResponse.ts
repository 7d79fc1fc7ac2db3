// Original file: protos/todos.proto

import type { Todo as _todos_v1_Todo, Todo__Output as _todos_v1_Todo__Output } from '../../todos/v1/Todo';

export interface GetTodosResponse {
  'todos'?: (_todos_v1_Todo)[];
}

export interface GetTodosResponse__Output {
  'todos': (_todos_v1_Todo__Output)[];
}
