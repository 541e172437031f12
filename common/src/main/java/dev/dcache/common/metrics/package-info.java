/**
 * Meters shared by masters and aux nodes: {@link dev.dcache.common.metrics.Registries} creates a node's
 * Prometheus registry with JVM and process meters and the role and node tags, {@link
 * dev.dcache.common.metrics.HttpMetrics} times requests by route template, method and status, and {@link
 * dev.dcache.common.metrics.AdmissionMetrics} exports the admission limits and the requests shed. Each
 * module's own meters are in {@code aux.metrics} and {@code master.metrics}.
 */
package dev.dcache.common.metrics;
