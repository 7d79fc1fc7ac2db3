import { generatedTypes } from '../grpc/gen-types';
import { REPO } from '../grpc/processes';
import { TODOS_PROTO, todosPackage, todosPackageDefinition } from './proto';

test('lib/todo-api/generated is what proto-loader-gen-types makes of protos/todos.proto', () => {
  const { fresh, committed } = generatedTypes(REPO, TODOS_PROTO, 'lib/todo-api/generated');
  expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
  for (const [file, text] of fresh) expect({ file, text: committed.get(file) }).toEqual({ file, text });
});

test('todos.v1.Todos has GetTodos, unary, and the response is a repeated Todo in field 1', () => {
  const def = todosPackageDefinition();
  expect(Object.keys(def).sort()).toEqual(['todos.v1.GetTodosRequest', 'todos.v1.GetTodosResponse', 'todos.v1.Todo', 'todos.v1.Todos']);
  const service = todosPackage().todos.v1.Todos.service;
  expect(Object.keys(service)).toEqual(['GetTodos']);
  expect(service.GetTodos.path).toBe('/todos.v1.Todos/GetTodos');
  expect(service.GetTodos.requestStream || service.GetTodos.responseStream).toBe(false);
  // An empty request (what the Locust test sends) encodes to zero bytes and decodes to the defaults.
  expect(service.GetTodos.requestSerialize({}).length).toBe(0);
  expect(service.GetTodos.requestDeserialize(Buffer.alloc(0))).toEqual({ limit: 0 });
  const response = { todos: [{ id: 'a', title: 't', description: '', done: true }] };
  const bytes = service.GetTodos.responseSerialize(response);
  expect(bytes[0]).toBe((1 << 3) | 2); // field 1, length-delimited
  expect(service.GetTodos.responseDeserialize(bytes)).toEqual(response);
});
