import { generatedTypes } from './gen-types';
import { WHOAMI_PROTO, whoamiPackage, whoamiPackageDefinition } from './proto';
import { REPO } from './processes';

test('lib/grpc/generated is what proto-loader-gen-types makes of protos/whoami.proto', () => {
  const { fresh, committed } = generatedTypes(REPO, WHOAMI_PROTO, 'lib/grpc/generated');
  expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
  for (const [file, text] of fresh) expect({ file, text: committed.get(file) }).toEqual({ file, text });
});

test('the loaded package has the WhoAmI service with its one method, Who', () => {
  const def = whoamiPackageDefinition();
  expect(Object.keys(def).sort()).toEqual(['whoami.v1.WhoAmI', 'whoami.v1.WhoReply', 'whoami.v1.WhoRequest']);
  const service = whoamiPackage().whoami.v1.WhoAmI.service;
  expect(Object.keys(service)).toEqual(['Who']);
  expect(service.Who.path).toBe('/whoami.v1.WhoAmI/Who');
  expect(service.Who.requestStream || service.Who.responseStream).toBe(false);
});
