import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { GetTodosRequest as _todos_v1_GetTodosRequest, GetTodosRequest__Output as _todos_v1_GetTodosRequest__Output } from './todos/v1/GetTodosRequest';
import type { GetTodosResponse as _todos_v1_GetTodosResponse, GetTodosResponse__Output as _todos_v1_GetTodosResponse__Output } from './todos/v1/GetTodosResponse';
import type { Todo as _todos_v1_Todo, Todo__Output as _todos_v1_Todo__Output } from './todos/v1/Todo';
import type { TodosClient as _todos_v1_TodosClient, TodosDefinition as _todos_v1_TodosDefinition } from './todos/v1/Todos';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  todos: {
    v1: {
      GetTodosRequest: MessageTypeDefinition<_todos_v1_GetTodosRequest, _todos_v1_GetTodosRequest__Output>
      GetTodosResponse: MessageTypeDefinition<_todos_v1_GetTodosResponse, _todos_v1_GetTodosResponse__Output>
      Todo: MessageTypeDefinition<_todos_v1_Todo, _todos_v1_Todo__Output>
      /**
       * Todos reads the todo list.
       */
      Todos: SubtypeConstructor<typeof grpc.Client, _todos_v1_TodosClient> & { service: _todos_v1_TodosDefinition }
    }
  }
}

