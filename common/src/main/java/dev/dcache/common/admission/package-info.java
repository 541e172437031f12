/**
 * A node's front-door limits: {@link dev.dcache.common.admission.Admission} caps the requests in flight
 * and {@link dev.dcache.common.admission.ByteBudget} caps the bytes of request and response bodies held at
 * once, reserved before a body is read, so overload becomes short waits and then 503 (or 413 for a body
 * too large for the node), never an {@code OutOfMemoryError}. Applying them to HTTP routes is done in
 * {@code common.http.HttpServers}, and their meters are in {@code common.metrics.AdmissionMetrics}.
 */
package dev.dcache.common.admission;
