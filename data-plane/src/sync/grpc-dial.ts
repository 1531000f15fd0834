import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { ConfigSyncClient, type ControlPlaneMessage } from '@turnpike/proto';
import {
  type ClusterChannelOptions,
  channelCredentials,
  channelOptions,
  NODE_ID_METADATA,
} from '@turnpike/shared/cluster';
import type { ConnectionFailure, Dial } from './transport.ts';

export interface GrpcDialOptions {
  /** `cluster_control_plane`: host:port. */
  address: string;
  tls: ClusterChannelOptions;
  /** Sent as call metadata too, so that a control plane refusing the certificate can name us. */
  nodeId: string;
  /** `cluster_max_payload`. */
  maxPayload: number;
}

/**
 * A ConfigSync stream over gRPC + mTLS (a hybrid data plane's). Each attempt opens a fresh
 * channel, closed with the stream, so that grpc-js's own reconnect backoff never adds to the
 * transport's.
 */
export function grpcDial(options: GrpcDialOptions): Dial {
  return (events) => {
    const client = new ConfigSyncClient(options.address, channelCredentials(options.tls), {
      ...channelOptions(options.tls),
      'grpc.max_receive_message_length': options.maxPayload + 1024 * 1024,
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
    });
    const metadata = new Metadata();
    metadata.set(NODE_ID_METADATA, options.nodeId);
    const call = client.sync(metadata, {});
    call.on('metadata', () => events.opened());
    call.on('data', (message: ControlPlaneMessage) => events.message(message));
    call.on('error', (error: ServiceError) => events.failed(failureOf(error)));
    call.on('status', () => events.ended());
    call.on('end', () => events.ended());
    return {
      write: (message) => call.write(message),
      cancel: () => call.cancel(),
      release: () => client.close(),
    };
  };
}

function failureOf(error: ServiceError): ConnectionFailure {
  const reason =
    error.code === status.UNAUTHENTICATED || error.code === status.PERMISSION_DENIED
      ? 'refused'
      : error.code === status.CANCELLED
        ? 'cancelled'
        : 'error';
  return { reason, code: error.code, details: error.details || error.message };
}
