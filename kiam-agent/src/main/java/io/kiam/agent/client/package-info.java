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
 *       to reach STS) up to 3 attempts with 10-50 ms backoff; round robin sends each attempt to the
 *       next server. One deadline (800 ms by default) covers the call and its retries, inside the
 *       AWS SDKs' 1 s budget. Other codes are final and reach the caller unchanged.
 * </ul>
 */
package io.kiam.agent.client;
