import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { WhoAmIClient as _whoami_v1_WhoAmIClient, WhoAmIDefinition as _whoami_v1_WhoAmIDefinition } from './whoami/v1/WhoAmI';
import type { WhoReply as _whoami_v1_WhoReply, WhoReply__Output as _whoami_v1_WhoReply__Output } from './whoami/v1/WhoReply';
import type { WhoRequest as _whoami_v1_WhoRequest, WhoRequest__Output as _whoami_v1_WhoRequest__Output } from './whoami/v1/WhoRequest';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  whoami: {
    v1: {
      /**
       * WhoAmI answers with the identity of the pod that served the call.
       */
      WhoAmI: SubtypeConstructor<typeof grpc.Client, _whoami_v1_WhoAmIClient> & { service: _whoami_v1_WhoAmIDefinition }
      WhoReply: MessageTypeDefinition<_whoami_v1_WhoReply, _whoami_v1_WhoReply__Output>
      WhoRequest: MessageTypeDefinition<_whoami_v1_WhoRequest, _whoami_v1_WhoRequest__Output>
    }
  }
}

