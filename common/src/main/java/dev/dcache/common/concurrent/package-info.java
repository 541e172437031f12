/**
 * Small threading helpers: {@link dev.dcache.common.concurrent.Carriers} widens the virtual-thread
 * scheduler to four carrier threads per core (call it first in {@code main}) so heartbeats are not queued
 * behind CPU-bound request parsing, and {@link dev.dcache.common.concurrent.Futures} starts, unwraps and
 * awaits the {@code CompletableFuture}s of the asynchronous data path.
 */
package dev.dcache.common.concurrent;
