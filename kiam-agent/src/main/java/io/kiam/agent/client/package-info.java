/**
 * The agent's gRPC client to the kiam-servers.
 *
 * <p>What it relies on, so that agents never stick to a stale server list (kiam's failure):
 *
 * <ul>
 *   <li>{@link io.kiam.agent.client.ServerAddressResolver} looks the servers' name up (a headless
 *       Service: one A record per server) at start, every 30 s, and whenever gRPC's round-robin
 *       balancer asks for it, which it does when a connection closes or fails, at most once per 2
 *       s. A failed look-up keeps the last good addresses. The JVM caches successful look-ups for
 *       30 s by default ({@code networkaddress.cache.ttl}), which bounds how stale a timer look-up
 *       can be.
 *   <li>The server closes every connection after a maximum age (with GOAWAY), so even an agent
 *       whose servers never fail looks the name up again and spreads onto servers added since.
 *   <li>Keepalive pings every 30 s, also without calls, find a silently dead server in at most 40
 *       s; the server permits pings every 10 s without calls.
 *   <li>gRPC's retry policy retries UNAVAILABLE (a server down, restarting, not synced, or unable
 *       to reach STS) up to 3 attempts with 10-50 ms backoff. On top of it, each attempt has its
 *       own deadline (half the call timeout) and one that runs out (a server that died silently) is
 *       tried again. Every retry goes to a connected server the call has not tried yet ({@code
 *       SkipTriedBalancer}), not to round robin's next turn, which other calls and the node stream
 *       share. One deadline (800 ms by default) covers the call and its retries, inside the AWS
 *       SDKs' 1 s budget. Other codes are final and become {@link
 *       io.kiam.agent.client.ServerFailure} kinds.
 *   <li>With a node name, {@link io.kiam.agent.client.NodeAwareClient} subscribes to WatchNode and
 *       answers from memory; the server's heartbeat (every second) tells a silent server within
 *       three, faster than keepalive can (gRPC clamps it to 10 s or more).
 * </ul>
 *
 * <p>This package is the one place where gRPC and protobuf types become the agent's own records
 * ({@link io.kiam.agent.client.PodRole}, {@link io.kiam.agent.client.PodCredentials}) and typed
 * failures; the HTTP side never sees the wire.
 */
package io.kiam.agent.client;
