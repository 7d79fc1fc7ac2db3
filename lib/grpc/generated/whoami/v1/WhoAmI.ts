// Original file: protos/whoami.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { WhoReply as _whoami_v1_WhoReply, WhoReply__Output as _whoami_v1_WhoReply__Output } from '../../whoami/v1/WhoReply';
import type { WhoRequest as _whoami_v1_WhoRequest, WhoRequest__Output as _whoami_v1_WhoRequest__Output } from '../../whoami/v1/WhoRequest';

/**
 * WhoAmI answers with the identity of the pod that served the call.
 */
export interface WhoAmIClient extends grpc.Client {
  /**
   * Who returns the serving pod's identity. It has no side effects and may be called at any rate.
   */
  Who(argument: _whoami_v1_WhoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_whoami_v1_WhoReply__Output>): grpc.ClientUnaryCall;
  Who(argument: _whoami_v1_WhoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_whoami_v1_WhoReply__Output>): grpc.ClientUnaryCall;
  Who(argument: _whoami_v1_WhoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_whoami_v1_WhoReply__Output>): grpc.ClientUnaryCall;
  Who(argument: _whoami_v1_WhoRequest, callback: grpc.requestCallback<_whoami_v1_WhoReply__Output>): grpc.ClientUnaryCall;
  /**
   * Who returns the serving pod's identity. It has no side effects and may be called at any rate.
   */
  who(argument: _whoami_v1_WhoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_whoami_v1_WhoReply__Output>): grpc.ClientUnaryCall;
  who(argument: _whoami_v1_WhoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_whoami_v1_WhoReply__Output>): grpc.ClientUnaryCall;
  who(argument: _whoami_v1_WhoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_whoami_v1_WhoReply__Output>): grpc.ClientUnaryCall;
  who(argument: _whoami_v1_WhoRequest, callback: grpc.requestCallback<_whoami_v1_WhoReply__Output>): grpc.ClientUnaryCall;
  
}

/**
 * WhoAmI answers with the identity of the pod that served the call.
 */
export interface WhoAmIHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Who returns the serving pod's identity. It has no side effects and may be called at any rate.
   */
  Who: grpc.handleUnaryCall<_whoami_v1_WhoRequest__Output, _whoami_v1_WhoReply>;
  
}

export interface WhoAmIDefinition extends grpc.ServiceDefinition {
  Who: MethodDefinition<_whoami_v1_WhoRequest, _whoami_v1_WhoReply, _whoami_v1_WhoRequest__Output, _whoami_v1_WhoReply__Output>
}
