/**
 * {@link dev.dcache.common.error.ApiException}: a request that cannot be served, carrying the HTTP status
 * (and headers such as {@code Retry-After}) to answer with. Handlers throw it and {@code
 * common.http.HttpServers} turns it into the {@code {"error": "..."}} body; its factories fix the meaning
 * of the statuses, such as 503 (nothing happened, a retry may succeed) against 504 (a write whose outcome
 * is unknown).
 */
package dev.dcache.common.error;
