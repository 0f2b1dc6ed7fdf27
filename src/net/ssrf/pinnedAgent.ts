import { Agent, buildConnector } from 'undici';
import type { VettedTarget } from './vetUrl.js';

/** Where a connection is about to go: the exact address the socket is opened to. */
export interface ConnectTarget {
  /** The URL's host name (what TLS verifies and Host carries). */
  hostname: string;
  /** The vetted IP address the socket connects to. */
  address: string;
  family: 4 | 6;
  port: number;
  protocol: 'http:' | 'https:';
}

/**
 * Called right before each socket is opened, with the address it is opened to. Throwing
 * refuses the connection. Tests use it to prove nothing leaves 127.0.0.1.
 */
export type ConnectHook = (target: ConnectTarget) => void;

export interface PinnedAgentOptions {
  connect?: ConnectHook;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}

/**
 * An undici dispatcher that can reach exactly one vetted target. Its connector replaces the
 * host name with the vetted address, so undici never resolves the name itself: a DNS answer
 * that changes between our check and the connect (DNS rebinding) cannot move the request.
 * TLS still verifies the certificate against the host name, because `host` (which undici
 * derives the SNI server name from) is left as it was.
 */
export function pinnedAgent(target: VettedTarget, options: PinnedAgentOptions): Agent {
  const base = buildConnector({ timeout: options.connectTimeoutMs });
  return new Agent({
    headersTimeout: options.headersTimeoutMs,
    bodyTimeout: options.bodyTimeoutMs,
    // One request per agent; keeping the socket would only hold a file descriptor.
    pipelining: 0,
    connect(connectOptions, callback) {
      try {
        const host = connectOptions.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase().replace(/\.$/, '');
        if (host !== target.hostname) throw new Error(`refusing to connect to '${host}': this connection is pinned to '${target.hostname}'`);
        options.connect?.({ hostname: target.hostname, address: target.address, family: target.family, port: target.port, protocol: target.protocol });
      } catch (error) {
        callback(error as Error, null);
        return;
      }
      base({ ...connectOptions, hostname: target.address }, callback);
    },
  });
}
