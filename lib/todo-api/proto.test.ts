import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GEN_TYPES_ARGS } from '../grpc/proto';
import { REPO } from '../grpc/processes';
import { TODOS_PROTO, todosPackage, todosPackageDefinition } from './proto';

function filesUnder(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.set(path.relative(dir, full), fs.readFileSync(full, 'utf8'));
    }
  };
  walk(dir);
  return files;
}

test('lib/todo-api/generated is what proto-loader-gen-types makes of protos/todos.proto', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'todos-types-'));
  try {
    const bin = path.join(path.dirname(require.resolve('@grpc/proto-loader')), '../bin/proto-loader-gen-types.js');
    execFileSync(process.execPath, [bin, ...GEN_TYPES_ARGS, '-O', out, TODOS_PROTO], { cwd: REPO, stdio: 'pipe' });
    const fresh = filesUnder(out);
    const committed = filesUnder(path.join(REPO, 'lib/todo-api/generated'));
    expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
    for (const [file, text] of fresh) expect({ file, text: committed.get(file) }).toEqual({ file, text });
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
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
