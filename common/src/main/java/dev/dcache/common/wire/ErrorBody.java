package dev.dcache.common.wire;

/** The body of every error response: {@code {"error": "..."}}. */
public record ErrorBody(String error) {
}
