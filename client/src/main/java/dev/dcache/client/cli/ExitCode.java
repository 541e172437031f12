package dev.dcache.client.cli;

/** The exit status of {@code dcache}, for scripts; {@code bin/dcache --help} lists them. */
public enum ExitCode {
    /** The command did what it was asked. */
    OK(0),
    /** The key holds no value ({@code get}, {@code del}, {@code ttl}). */
    NOT_FOUND(1),
    /** The command line was wrong (unknown command or option, missing or extra operands, bad number, invalid JSON). */
    USAGE(2),
    /** The server refused the request (a 4xx: invalid key, value or TTL, too large, ...); nothing was written. */
    REFUSED(3),
    /** The cluster could not serve it: unavailable (503), a 5xx, a write of unknown outcome (504), or no connection. */
    UNAVAILABLE(4);

    private final int status;

    ExitCode(int status) {
        this.status = status;
    }

    /** The process exit status. */
    public int status() {
        return status;
    }
}
