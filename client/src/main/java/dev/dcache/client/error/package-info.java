/**
 * The exceptions of the client, all unchecked, rooted at {@link dev.dcache.client.error.DcacheException}:
 * one type per thing a caller may want to do differently (fix the request, wait, check whether a
 * write happened).
 */
package dev.dcache.client.error;
