// Original file: protos/todos.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetTodosRequest as _todos_v1_GetTodosRequest, GetTodosRequest__Output as _todos_v1_GetTodosRequest__Output } from '../../todos/v1/GetTodosRequest';
import type { GetTodosResponse as _todos_v1_GetTodosResponse, GetTodosResponse__Output as _todos_v1_GetTodosResponse__Output } from '../../todos/v1/GetTodosResponse';

/**
 * Todos reads the todo list.
 */
export interface TodosClient extends grpc.Client {
  /**
   * GetTodos returns the todos ordered by id. It has no side effects.
   */
  GetTodos(argument: _todos_v1_GetTodosRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_todos_v1_GetTodosResponse__Output>): grpc.ClientUnaryCall;
  GetTodos(argument: _todos_v1_GetTodosRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_todos_v1_GetTodosResponse__Output>): grpc.ClientUnaryCall;
  GetTodos(argument: _todos_v1_GetTodosRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_todos_v1_GetTodosResponse__Output>): grpc.ClientUnaryCall;
  GetTodos(argument: _todos_v1_GetTodosRequest, callback: grpc.requestCallback<_todos_v1_GetTodosResponse__Output>): grpc.ClientUnaryCall;
  /**
   * GetTodos returns the todos ordered by id. It has no side effects.
   */
  getTodos(argument: _todos_v1_GetTodosRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_todos_v1_GetTodosResponse__Output>): grpc.ClientUnaryCall;
  getTodos(argument: _todos_v1_GetTodosRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_todos_v1_GetTodosResponse__Output>): grpc.ClientUnaryCall;
  getTodos(argument: _todos_v1_GetTodosRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_todos_v1_GetTodosResponse__Output>): grpc.ClientUnaryCall;
  getTodos(argument: _todos_v1_GetTodosRequest, callback: grpc.requestCallback<_todos_v1_GetTodosResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * Todos reads the todo list.
 */
export interface TodosHandlers extends grpc.UntypedServiceImplementation {
  /**
   * GetTodos returns the todos ordered by id. It has no side effects.
   */
  GetTodos: grpc.handleUnaryCall<_todos_v1_GetTodosRequest__Output, _todos_v1_GetTodosResponse>;
  
}

export interface TodosDefinition extends grpc.ServiceDefinition {
  GetTodos: MethodDefinition<_todos_v1_GetTodosRequest, _todos_v1_GetTodosResponse, _todos_v1_GetTodosRequest__Output, _todos_v1_GetTodosResponse__Output>
}
