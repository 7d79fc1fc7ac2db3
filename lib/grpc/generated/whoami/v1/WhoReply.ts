// Original file: protos/whoami.proto


export interface WhoReply {
  /**
   * The host name of the server's machine or container (in Kubernetes: the pod's name).
   */
  'hostname'?: (string);
  /**
   * The pod's name, from the downward-API variable POD_NAME; the host name off-cluster.
   */
  'podName'?: (string);
  /**
   * The pod's namespace, from POD_NAMESPACE; empty off-cluster.
   */
  'namespace'?: (string);
  /**
   * The pod's IP address, from POD_IP; off-cluster, the machine's first non-internal IPv4 address,
   * or 127.0.0.1 when it has none.
   */
  'podIp'?: (string);
  /**
   * The node the pod runs on, from NODE_NAME; the host name off-cluster.
   */
  'nodeName'?: (string);
  /**
   * The server's version: WHOAMI_VERSION if set (the image tag), otherwise the mega8s package version.
   */
  'version'?: (string);
  /**
   * When the server started: RFC 3339 in UTC with milliseconds, e.g. 2024-05-01T12:34:56.789Z.
   * A string, not google.protobuf.Timestamp: @grpc/reflection does not serve imported well-known types
   * in a form grpcurl can resolve (grpc/grpc-node#2958), and grpcurl must be able to call this service.
   */
  'startedAt'?: (string);
}

export interface WhoReply__Output {
  /**
   * The host name of the server's machine or container (in Kubernetes: the pod's name).
   */
  'hostname': (string);
  /**
   * The pod's name, from the downward-API variable POD_NAME; the host name off-cluster.
   */
  'podName': (string);
  /**
   * The pod's namespace, from POD_NAMESPACE; empty off-cluster.
   */
  'namespace': (string);
  /**
   * The pod's IP address, from POD_IP; off-cluster, the machine's first non-internal IPv4 address,
   * or 127.0.0.1 when it has none.
   */
  'podIp': (string);
  /**
   * The node the pod runs on, from NODE_NAME; the host name off-cluster.
   */
  'nodeName': (string);
  /**
   * The server's version: WHOAMI_VERSION if set (the image tag), otherwise the mega8s package version.
   */
  'version': (string);
  /**
   * When the server started: RFC 3339 in UTC with milliseconds, e.g. 2024-05-01T12:34:56.789Z.
   * A string, not google.protobuf.Timestamp: @grpc/reflection does not serve imported well-known types
   * in a form grpcurl can resolve (grpc/grpc-node#2958), and grpcurl must be able to call this service.
   */
  'startedAt': (string);
}
