/**
 * The wire-protocol fake refuses what it does not implement, the way a server refuses a bad command,
 * so that a test can never pass on semantics the fake only pretends to have.
 */
import { MongoClient, MongoServerError } from 'mongodb';
import { FakeMongod, startFakeMongod } from './fake-mongod';

let mongod: FakeMongod;
let client: MongoClient;

beforeEach(async () => {
  mongod = await startFakeMongod();
  client = new MongoClient(mongod.uri, { serverSelectionTimeoutMS: 2000 });
});
afterEach(async () => {
  await client.close();
  await mongod.stop();
});

test('the driver completes its handshake over OP_QUERY and then speaks OP_MSG', async () => {
  await client.db('x').command({ ping: 1 });
  expect(mongod.commands[0]).toMatch(/^(hello|isMaster|ismaster)$/);
  expect(mongod.opCodes[0]).toBe('OP_QUERY');
  const ping = mongod.commands.indexOf('ping');
  expect(mongod.opCodes[ping]).toBe('OP_MSG');
});

test('an unknown command is CommandNotFound (59)', async () => {
  const err = await client.db('x').command({ collStats: 'y' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(MongoServerError);
  expect(err).toMatchObject({ code: 59, codeName: 'CommandNotFound' });
});

test('query and update operators it does not implement are refused, not ignored', async () => {
  const coll = client.db('x').collection<{ _id: string; n: number }>('y');
  await coll.insertOne({ _id: 'a', n: 1 });
  await expect(coll.find({ n: { $gt: 0 } }).toArray()).rejects.toThrow('fake-mongod: filter operator $gt is not supported');
  await expect(coll.updateOne({ _id: 'a' }, { $inc: { n: 1 } })).rejects.toThrow('fake-mongod: update operator $inc is not supported');
  expect(mongod.documents('x', 'y')).toEqual([{ _id: 'a', n: 1 }]);
});

test('a duplicate _id is a write error 11000, as on a server', async () => {
  const coll = client.db('x').collection<{ _id: string }>('y');
  await coll.insertOne({ _id: 'a' });
  await expect(coll.insertOne({ _id: 'a' })).rejects.toMatchObject({ code: 11000 });
});
