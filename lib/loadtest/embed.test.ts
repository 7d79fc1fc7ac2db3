import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EMBEDDED_MODULE, embeddedModuleSource, locustfileNames } from './embed';
import { LOCUSTFILES } from './locustfiles.generated';
import { LOCUST_DIR } from './locust';

test('locustfiles.generated.ts is what `npm run loadtest:embed` makes of lib/loadtest/locust/', () => {
  expect(fs.readFileSync(EMBEDDED_MODULE, 'utf8')).toBe(embeddedModuleSource());
});

test('it holds every locustfile, byte for byte, and no other module', () => {
  expect(Object.keys(LOCUSTFILES)).toEqual(['todos_locustfile.py', 'whoami_locustfile.py']);
  for (const name of locustfileNames()) expect(LOCUSTFILES[name]).toBe(fs.readFileSync(path.join(LOCUST_DIR, name), 'utf8'));
  expect(LOCUSTFILES['grpc_user.py']).toBeUndefined();
});

test('a changed locustfile changes the module (quotes and newlines escaped)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embed-'));
  try {
    fs.writeFileSync(path.join(dir, 'a_locustfile.py'), 'print("x")\n');
    fs.writeFileSync(path.join(dir, 'helper.py'), 'ignored\n');
    expect(embeddedModuleSource(dir)).toContain('  "a_locustfile.py": "print(\\"x\\")\\n",\n};');
    expect(embeddedModuleSource(dir)).not.toContain('helper');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
