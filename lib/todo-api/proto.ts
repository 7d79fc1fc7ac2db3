/**
 * The todos protocol (`protos/todos.proto`), loaded at run time with @grpc/proto-loader using the
 * whoami program's loader options, so the generated types in `generated/` follow the same rules
 * (`proto.test.ts` proves they match the .proto).
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { LOADER_OPTIONS } from '../grpc/proto';
import type { ProtoGrpcType } from './generated/todos';
import type { TodosClient } from './generated/todos/v1/Todos';

export type { TodosClient, TodosHandlers } from './generated/todos/v1/Todos';

export const TODOS_PROTO = 'todos.proto';
/** Fully qualified name of the todos service. */
export const TODOS_SERVICE = 'todos.v1.Todos';

let cached: protoLoader.PackageDefinition | undefined;

export function todosPackageDefinition(): protoLoader.PackageDefinition {
  cached ??= protoLoader.loadSync(TODOS_PROTO, LOADER_OPTIONS);
  return cached;
}

/** todos and grpc.health.v1 as written in their .proto files: what server reflection describes. */
export function reflectedTodosDefinition(): protoLoader.PackageDefinition {
  const asWritten = { ...LOADER_OPTIONS, keepCase: true };
  return {
    ...protoLoader.loadSync(TODOS_PROTO, asWritten),
    ...protoLoader.loadSync(healthProtoPath, { ...asWritten, includeDirs: [] }),
  };
}

export function todosPackage(): ProtoGrpcType {
  return grpc.loadPackageDefinition(todosPackageDefinition()) as unknown as ProtoGrpcType;
}

/** A todos client on `target` (`host:port`), plaintext. */
export function todosClient(target: string, options: grpc.ChannelOptions = {}): TodosClient {
  const Todos = todosPackage().todos.v1.Todos;
  return new Todos(target, grpc.credentials.createInsecure(), options);
}
