/**
 * @turnpike/proto: the sync protocol's messages and the grpc-js service definition, generated
 * by ts-proto from turnpike/sync/v1/sync.proto (read that file for each message's contract).
 * and the standard gRPC health protocol (grpc/health/v1/health.proto: the active probe of grpc upstreams).
 * Regenerate with `pnpm --filter @turnpike/proto generate`; never edit src/gen by hand.
 */

export type { HealthServer } from './gen/grpc/health/v1/health.ts';
export {
  HealthCheckRequest,
  HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
  HealthClient,
  HealthService,
} from './gen/grpc/health/v1/health.ts';
export type { ConfigSyncServer, DeepPartial, MessageFns } from './gen/turnpike/sync/v1/sync.ts';
export {
  Ack,
  Change,
  CommandResult,
  ConfigSyncClient,
  ConfigSyncService,
  ControlPlaneHeartbeat,
  ControlPlaneMessage,
  DataPlaneHeartbeat,
  DataPlaneMessage,
  Delta,
  Encoding,
  encodingFromJSON,
  encodingToJSON,
  HealthReport,
  Hello,
  Nack,
  Op,
  opFromJSON,
  opToJSON,
  PluginInfo,
  protobufPackage,
  Refusal,
  SetTargetHealth,
  Snapshot,
  TargetHealth,
  UpstreamHealth,
} from './gen/turnpike/sync/v1/sync.ts';
