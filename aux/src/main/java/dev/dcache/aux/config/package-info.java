/**
 * {@link dev.dcache.aux.config.AuxConfig}: everything an aux node is configured with, read once from the
 * environment at start ({@code AUX_*}, {@code CLUSTER_TOKEN}, {@code MAX_HEADER_BYTES}), with defaults and
 * range checks. Typed reading of variables is in {@code common.config}.
 */
package dev.dcache.aux.config;
