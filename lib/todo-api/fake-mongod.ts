/**
 * An in-process MongoDB stand-in for the tests: a TCP server on 127.0.0.1 that speaks the MongoDB wire
 * protocol (OP_QUERY for the driver's first `hello`, OP_MSG for everything after) so that the official
 * `mongodb` driver runs unmodified against it: connection handshake, server monitoring, command
 * encoding, cursors and write results all go through the driver's real code.
 *
 * It keeps documents in memory and understands only what todo-api sends: hello/isMaster, ping,
 * buildInfo, find (equality filters, one-field sort, limit), insert, update (replacement or
 * $set/$setOnInsert, upsert), delete, drop, endSessions, killCursors. Anything else gets MongoDB's
 * CommandNotFound error. It does not do authentication, replica sets, transactions or compression.
 *
 * Test hooks: `failNext(command, message)` makes the next such command fail the way a server would,
 * and `commands` records every command name received, in order.
 */
import * as net from 'net';
import { BSON, Document } from 'mongodb';

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;
const MAX_WIRE_VERSION = 21; // MongoDB 7.0

export interface FakeMongod {
  /** `mongodb://127.0.0.1:<port>/?directConnection=true` */
  readonly uri: string;
  readonly port: number;
  /** Names of the commands received, in order (handshake and monitoring included). */
  readonly commands: string[];
  /** The message kind each command came in, in the same order. */
  readonly opCodes: ('OP_QUERY' | 'OP_MSG')[];
  /** The documents of `db.collection`, as stored (a copy). */
  documents(db: string, collection: string): Document[];
  /** Makes the next `command` fail with `message` (MongoDB error code 8, UnknownError). */
  failNext(command: string, message: string): void;
  /** Closes the listener and every connection. */
  stop(): Promise<void>;
}

type Collection = Map<string, Document>;

function keyOf(id: unknown): string {
  return JSON.stringify(BSON.EJSON.serialize({ id }, { relaxed: false }));
}

function matches(doc: Document, filter: Document): boolean {
  return Object.entries(filter).every(([field, value]) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).some((k) => k.startsWith('$'))) {
      throw new CommandError(`fake-mongod: filter operator ${Object.keys(value).join(',')} is not supported`, 2);
    }
    return keyOf(doc[field]) === keyOf(value);
  });
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return (a as string | number) < (b as string | number) ? -1 : 1;
}

class CommandError extends Error {
  constructor(message: string, readonly code: number, readonly codeName = 'BadValue') {
    super(message);
  }
}

function applyUpdate(existing: Document | undefined, update: Document, filter: Document): Document {
  const operators = Object.keys(update).filter((k) => k.startsWith('$'));
  if (operators.length === 0) {
    // A replacement keeps the _id of the document it replaces (or the filter's, when it upserts).
    return { _id: existing?._id ?? update._id ?? filter._id, ...update };
  }
  if (operators.length !== Object.keys(update).length) throw new CommandError('fake-mongod: update mixes operators and fields', 9, 'FailedToParse');
  const doc: Document = existing ? { ...existing } : { ...filter };
  for (const op of operators) {
    if (op === '$set' || (op === '$setOnInsert' && !existing)) Object.assign(doc, update[op]);
    else if (op !== '$setOnInsert') throw new CommandError(`fake-mongod: update operator ${op} is not supported`, 2);
  }
  return doc;
}

export async function startFakeMongod(): Promise<FakeMongod> {
  const dbs = new Map<string, Map<string, Collection>>();
  const commands: string[] = [];
  const opCodes: ('OP_QUERY' | 'OP_MSG')[] = [];
  const failures = new Map<string, string>();
  const sockets = new Set<net.Socket>();
  const collection = (db: string, name: string, create: boolean): Collection | undefined => {
    let colls = dbs.get(db);
    if (!colls && create) dbs.set(db, (colls = new Map()));
    let coll = colls?.get(name);
    if (!coll && create) colls!.set(name, (coll = new Map()));
    return coll;
  };

  const hello = (): Document => ({
    helloOk: true, ismaster: true, isWritablePrimary: true, maxBsonObjectSize: 16 * 1024 * 1024,
    maxMessageSizeBytes: 48_000_000, maxWriteBatchSize: 100_000, localTime: new Date(0),
    minWireVersion: 0, maxWireVersion: MAX_WIRE_VERSION, readOnly: false, ok: 1,
  });

  const run = (cmd: Document): Document => {
    const name = Object.keys(cmd)[0];
    commands.push(name);
    const failure = failures.get(name);
    if (failure !== undefined) {
      failures.delete(name);
      throw new CommandError(failure, 8, 'UnknownError');
    }
    const db = String(cmd.$db ?? 'admin');
    switch (name) {
      case 'hello': case 'isMaster': case 'ismaster':
        return hello();
      case 'ping': case 'endSessions':
        return { ok: 1 };
      case 'buildInfo': case 'buildinfo':
        return { version: '7.0.0-fake', versionArray: [7, 0, 0, 0], ok: 1 };
      case 'find': {
        const coll = collection(db, cmd.find, false);
        let docs = [...(coll?.values() ?? [])].filter((d) => matches(d, cmd.filter ?? {}));
        const sort = Object.entries((cmd.sort ?? {}) as Record<string, number>);
        if (sort.length > 1) throw new CommandError('fake-mongod: sort on more than one field is not supported', 2);
        if (sort.length === 1) {
          const [field, direction] = sort[0];
          docs.sort((a, b) => compare(a[field], b[field]) * (direction < 0 ? -1 : 1));
        }
        if (cmd.limit) docs = docs.slice(0, Number(cmd.limit));
        return { cursor: { id: BSON.Long.ZERO, ns: `${db}.${cmd.find}`, firstBatch: docs }, ok: 1 };
      }
      case 'insert': {
        const coll = collection(db, cmd.insert, true)!;
        const writeErrors: Document[] = [];
        (cmd.documents as Document[]).forEach((doc, index) => {
          const key = keyOf(doc._id);
          if (coll.has(key)) writeErrors.push({ index, code: 11000, errmsg: `E11000 duplicate key error collection: ${db}.${cmd.insert} index: _id_` });
          else coll.set(key, doc);
        });
        return { n: cmd.documents.length - writeErrors.length, ...(writeErrors.length ? { writeErrors } : {}), ok: 1 };
      }
      case 'update': {
        const coll = collection(db, cmd.update, true)!;
        let n = 0;
        let nModified = 0;
        const upserted: Document[] = [];
        (cmd.updates as Document[]).forEach((u, index) => {
          const targets = [...coll.values()].filter((d) => matches(d, u.q));
          if (targets.length === 0) {
            if (!u.upsert) return;
            const doc = applyUpdate(undefined, u.u, u.q);
            if (doc._id === undefined) throw new CommandError('fake-mongod: upsert without an _id is not supported', 2);
            coll.set(keyOf(doc._id), doc);
            upserted.push({ index, _id: doc._id });
            n++;
            return;
          }
          for (const target of u.multi ? targets : targets.slice(0, 1)) {
            const doc = applyUpdate(target, u.u, u.q);
            n++;
            if (keyOf(doc) !== keyOf(target)) {
              nModified++;
              coll.set(keyOf(target._id), doc);
            }
          }
        });
        return { n, nModified, ...(upserted.length ? { upserted } : {}), ok: 1 };
      }
      case 'delete': {
        const coll = collection(db, cmd.delete, false);
        let n = 0;
        for (const d of cmd.deletes as Document[]) {
          const targets = [...(coll?.values() ?? [])].filter((doc) => matches(doc, d.q));
          for (const target of d.limit === 1 ? targets.slice(0, 1) : targets) {
            coll!.delete(keyOf(target._id));
            n++;
          }
        }
        return { n, ok: 1 };
      }
      case 'drop':
        if (!dbs.get(db)?.delete(cmd.drop)) throw new CommandError('ns not found', 26, 'NamespaceNotFound');
        return { ns: `${db}.${cmd.drop}`, ok: 1 };
      case 'killCursors':
        return { cursorsKilled: [], cursorsNotFound: cmd.cursors ?? [], cursorsAlive: [], cursorsUnknown: [], ok: 1 };
      default:
        throw new CommandError(`no such command: '${name}'`, 59, 'CommandNotFound');
    }
  };

  const answer = (cmd: Document): Document => {
    try {
      return run(cmd);
    } catch (err) {
      const e = err instanceof CommandError ? err : new CommandError((err as Error).message, 8, 'UnknownError');
      return { ok: 0, errmsg: e.message, code: e.code, codeName: e.codeName };
    }
  };

  const frame = (opCode: number, responseTo: number, body: Buffer): Buffer => {
    const header = Buffer.alloc(16);
    header.writeInt32LE(16 + body.length, 0);
    header.writeInt32LE(0, 4);
    header.writeInt32LE(responseTo, 8);
    header.writeInt32LE(opCode, 12);
    return Buffer.concat([header, body]);
  };

  const handle = (message: Buffer): Buffer | undefined => {
    const requestId = message.readInt32LE(4);
    const opCode = message.readInt32LE(12);
    if (opCode === OP_QUERY) {
      let offset = 20;
      const end = message.indexOf(0, offset);
      offset = end + 1 + 8; // collection name, numberToSkip, numberToReturn
      const size = message.readInt32LE(offset);
      const query = BSON.deserialize(message.subarray(offset, offset + size));
      opCodes.push('OP_QUERY');
      const reply = BSON.serialize(answer(query.$query ?? query));
      const head = Buffer.alloc(20);
      head.writeInt32LE(0, 0); // responseFlags
      head.writeBigInt64LE(0n, 4); // cursorID
      head.writeInt32LE(0, 12); // startingFrom
      head.writeInt32LE(1, 16); // numberReturned
      return frame(OP_REPLY, requestId, Buffer.concat([head, reply]));
    }
    if (opCode === OP_MSG) {
      const flags = message.readUInt32LE(16);
      if (flags & 1) throw new Error('fake-mongod: OP_MSG checksums are not supported');
      let cmd: Document | undefined;
      let offset = 20;
      while (offset < message.length) {
        const kind = message.readUInt8(offset++);
        const size = message.readInt32LE(offset);
        if (kind === 0) {
          cmd = BSON.deserialize(message.subarray(offset, offset + size));
        } else {
          // A document sequence: `documents` of an insert, `updates` of an update, ...
          const nameEnd = message.indexOf(0, offset + 4);
          const field = message.toString('utf8', offset + 4, nameEnd);
          const docs: Document[] = [];
          for (let at = nameEnd + 1; at < offset + size;) {
            const docSize = message.readInt32LE(at);
            docs.push(BSON.deserialize(message.subarray(at, at + docSize)));
            at += docSize;
          }
          cmd = { ...cmd, [field]: docs };
        }
        offset += size;
      }
      opCodes.push('OP_MSG');
      const reply = answer(cmd ?? {});
      if (flags & 2) return undefined; // moreToCome: the client wants no answer
      const body = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), BSON.serialize(reply)]);
      return frame(OP_MSG, requestId, body);
    }
    throw new Error(`fake-mongod: opCode ${opCode} is not supported`);
  };

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
        const length = pending.readInt32LE(0);
        const message = pending.subarray(0, length);
        pending = pending.subarray(length);
        try {
          const reply = handle(message);
          if (reply) socket.write(reply);
        } catch {
          socket.destroy();
          return;
        }
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    uri: `mongodb://127.0.0.1:${port}/?directConnection=true`,
    port,
    commands,
    opCodes,
    documents: (db, name) => [...(collection(db, name, false)?.values() ?? [])].map((d) => ({ ...d })),
    failNext: (command, message) => { failures.set(command, message); },
    stop: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
