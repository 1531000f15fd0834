import type { ControlPlaneMessage, DataPlaneMessage } from '@turnpike/proto';
import { type PipeEnd, pipePair } from '@turnpike/shared/sync';
import type { PeerLink, SyncHub } from './hub.ts';

/** The data plane's end of an in-process sync stream. */
export type DataPlaneEnd = PipeEnd<DataPlaneMessage, ControlPlaneMessage>;

/** Where a traditional node's data plane is shown to come from, as its loopback stream did. */
const LOOPBACK = '127.0.0.1';

/**
 * Opens sync streams from a data plane in this process (a traditional node's): each call is one
 * stream, a pipe (`@turnpike/shared/sync` pipePair) whose other end the hub serves as it serves
 * a gRPC call — same session, registry, heartbeats, sweep — without listener, certificate or
 * protobuf. The data plane is listed with the loopback address and no `cert_details` (there is
 * no certificate).
 */
export function inProcessConnector(hub: SyncHub): () => DataPlaneEnd {
  return () => {
    const [dataPlane, controlPlane] = pipePair<DataPlaneMessage, ControlPlaneMessage>();
    // Its closures run only after this returns (the close of a stopped hub schedules its own).
    const link: PeerLink = hub.accept({
      send: (message) => controlPlane.send(message),
      close: (code, details) => {
        if (controlPlane.ended) return;
        controlPlane.end(code === undefined ? {} : { code, ...(details === undefined ? {} : { details }) });
        // As a gRPC call's 'close' event follows its end.
        setImmediate(() => link.closed());
      },
      peerIp: LOOPBACK,
      certDetails: undefined,
    });
    controlPlane.listen({
      message: (message) => link.receive(message),
      end: () => link.closed(),
    });
    return dataPlane;
  };
}
