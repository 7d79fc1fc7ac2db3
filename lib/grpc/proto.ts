/**
 * The whoami protocol, loaded at run time from `protos/whoami.proto` with @grpc/proto-loader, plus the
 * grpc.health.v1 client the programs share.
 *
 * The static types come from `lib/grpc/generated/` (proto-loader-gen-types, run with the options in
 * `GEN_TYPES_ARGS`; `proto.test.ts` proves the committed output matches the .proto).
 */
import * as path from 'path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath, service as healthServiceDefinition } from 'grpc-health-check';
import type { ProtoGrpcType } from './generated/whoami';
import type { WhoAmIClient } from './generated/whoami/v1/WhoAmI';

export type { WhoAmIClient } from './generated/whoami/v1/WhoAmI';
export type { WhoAmIHandlers } from './generated/whoami/v1/WhoAmI';
export type { WhoReply, WhoReply__Output } from './generated/whoami/v1/WhoReply';
export type { WhoRequest__Output } from './generated/whoami/v1/WhoRequest';

/** Directory of the project's .proto files (works from the sources and from the compiled image layout). */
export const PROTO_DIR = path.resolve(__dirname, '../../protos');
export const WHOAMI_PROTO = 'whoami.proto';
/** Fully qualified name of the whoami service. */
export const WHOAMI_SERVICE = 'whoami.v1.WhoAmI';
/** Fully qualified name of the standard health service. */
export const HEALTH_SERVICE = 'grpc.health.v1.Health';

/** proto-loader options; the generated types assume exactly these (camelCase fields, int64 as strings). */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

/** Arguments of proto-loader-gen-types that match `LOADER_OPTIONS` (run from the project root). */
export const GEN_TYPES_ARGS = [
  '--longs=String', '--enums=String', '--defaults', '--oneofs', '--includeComments',
  '--grpcLib=@grpc/grpc-js', '-I', 'protos',
];

let cachedWhoami: protoLoader.PackageDefinition | undefined;

/** The whoami package definition (loaded once per process). */
export function whoamiPackageDefinition(): protoLoader.PackageDefinition {
  cachedWhoami ??= protoLoader.loadSync(WHOAMI_PROTO, LOADER_OPTIONS);
  return cachedWhoami;
}

/**
 * whoami and grpc.health.v1 in one package definition: what server reflection describes, so that
 * `grpcurl -plaintext host:port list` shows both. Loaded with the .proto's own field names (`pod_name`,
 * not `podName`) so that the descriptors grpcurl receives match the file.
 */
export function reflectedPackageDefinition(): protoLoader.PackageDefinition {
  const asWritten = { ...LOADER_OPTIONS, keepCase: true };
  return {
    ...protoLoader.loadSync(WHOAMI_PROTO, asWritten),
    ...protoLoader.loadSync(healthProtoPath, { ...asWritten, includeDirs: [] }),
  };
}

/** The typed whoami package (client constructor and service definition). */
export function whoamiPackage(): ProtoGrpcType {
  return grpc.loadPackageDefinition(whoamiPackageDefinition()) as unknown as ProtoGrpcType;
}

/** A whoami client on `target` (`host:port`), plaintext. */
export function whoamiClient(target: string, options: grpc.ChannelOptions = {}): WhoAmIClient {
  const WhoAmI = whoamiPackage().whoami.v1.WhoAmI;
  return new WhoAmI(target, grpc.credentials.createInsecure(), options);
}

/** grpc.health.v1 serving status as proto-loader reports it (enums as strings). */
export type HealthStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

export interface HealthClient extends grpc.Client {
  check(
    request: { service: string },
    options: grpc.CallOptions,
    callback: (err: grpc.ServiceError | null, reply?: { status: HealthStatus }) => void,
  ): grpc.ClientUnaryCall;
  watch(request: { service: string }, options?: grpc.CallOptions): grpc.ClientReadableStream<{ status: HealthStatus }>;
}

/** A grpc.health.v1.Health client on `target`, built from grpc-health-check's own service definition. */
export function healthClient(target: string, options: grpc.ChannelOptions = {}): HealthClient {
  const Health = grpc.makeClientConstructor(healthServiceDefinition as grpc.ServiceDefinition, 'Health');
  return new Health(target, grpc.credentials.createInsecure(), options) as unknown as HealthClient;
}
