import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import {
  handshakeStatus,
  isWebSocketOnly,
  isWebSocketUpgrade,
  upgradeAcceptance,
} from './websocket-handshake.ts';

function handshake(
  extra: Partial<IncomingMessage> = {},
  headers: Record<string, string> = {},
): IncomingMessage {
  return {
    method: 'GET',
    httpVersionMajor: 1,
    httpVersionMinor: 1,
    headers: {
      upgrade: 'websocket',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'sec-websocket-version': '13',
      ...headers,
    },
    ...extra,
  } as IncomingMessage;
}

describe('WebSocket handshakes', () => {
  it('takes only Upgrade: websocket, in any case', () => {
    assert.equal(isWebSocketUpgrade(handshake({}, { upgrade: 'WebSocket' })), true);
    assert.equal(isWebSocketUpgrade(handshake({}, { upgrade: 'h2c' })), false);
  });

  it('accepts a well-formed handshake and refuses other methods, HTTP/1.0, bodies and bad keys', () => {
    assert.equal(handshakeStatus(handshake(), -1, false), 0);
    assert.equal(handshakeStatus(handshake({ method: 'POST' }), -1, false), 405);
    assert.equal(handshakeStatus(handshake({ httpVersionMinor: 0 }), -1, false), 400);
    assert.equal(handshakeStatus(handshake(), 3, false), 400);
    assert.equal(handshakeStatus(handshake(), -1, true), 400);
    assert.equal(handshakeStatus(handshake({}, { 'sec-websocket-key': 'short' }), -1, false), 400);
    const noVersion = handshake();
    delete noVersion.headers['sec-websocket-version'];
    assert.equal(handshakeStatus(noVersion, -1, false), 400);
  });

  it('lets http and ws routes take plain handshakes, https and wss routes TLS ones', () => {
    assert.equal(upgradeAcceptance(undefined, false), 'ok');
    assert.equal(upgradeAcceptance(['ws'], false), 'ok');
    assert.equal(upgradeAcceptance(['wss'], true), 'ok');
    assert.equal(upgradeAcceptance(['wss'], false), 'https');
    assert.equal(upgradeAcceptance(['https'], false), 'https');
    assert.equal(upgradeAcceptance(['ws'], true), 'no');
    assert.equal(upgradeAcceptance(['grpc'], false), 'no');
  });

  it('calls a route WebSocket-only when its protocols are all ws or wss', () => {
    assert.equal(isWebSocketOnly(['ws', 'wss']), true);
    assert.equal(isWebSocketOnly(['ws', 'http']), false);
    assert.equal(isWebSocketOnly([]), false);
    assert.equal(isWebSocketOnly(null), false);
  });
});
