/**
 * The HTTP server both node kinds run: {@link dev.dcache.common.http.HttpServers} builds the Javalin
 * server on Jetty with virtual threads, admission before a body is read ({@link
 * dev.dcache.common.http.AdmittedRoutes}), request metrics, {@code GET /metrics} and one JSON error
 * shape. {@link dev.dcache.common.http.CheckedBody} bounds and UTF-8-checks a
 * streamed request body, {@link dev.dcache.common.http.Json} is the strict Jackson mapper used on every
 * wire, and {@link dev.dcache.common.http.TokenGuard} requires the cluster token on internal routes. The
 * routes themselves live in {@code aux.api} and {@code master.api}, the limits in {@code
 * common.admission}.
 */
package dev.dcache.common.http;
