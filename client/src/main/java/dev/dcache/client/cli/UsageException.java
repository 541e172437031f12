package dev.dcache.client.cli;

/** A wrong command line; its message says what is wrong, and the CLI exits with {@link ExitCode#USAGE}. */
final class UsageException extends RuntimeException {
    UsageException(String message) {
        super(message, null, false, false);
    }
}
