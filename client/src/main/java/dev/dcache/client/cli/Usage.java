package dev.dcache.client.cli;

/** The text of {@code dcache --help}: commands, options and exit codes. */
final class Usage {
    private Usage() {
    }

    static String text() {
        StringBuilder b = new StringBuilder("""
                dcache - the command line of the distributed cache (docs/api.md)

                usage: dcache [OPTIONS] COMMAND [ARGS]

                commands:
                """);
        for (Command c : Command.values()) {
            b.append("  ").append(c.synopsis()).append('\n');
            for (String line : c.description().split("\n")) {
                b.append("      ").append(line).append('\n');
            }
        }
        b.append("""

                options (before or after the command; '--' ends them):
                  --host URL      where to send requests; repeatable or comma separated, tried in
                                  turn (default: $DCACHE_HOST, else %s)
                  --timeout S     each request's limit in seconds (default 10; connecting: 2 at most)
                  --retries N     retries of a request that failed for a reason a retry can fix (default 3)
                  -h, --help      print this text

                exit codes:
                  0  ok
                  1  the key holds no value (get, del, ttl)
                  2  usage error (unknown command or option, wrong operands, invalid number or JSON)
                  3  request refused by the server (4xx: invalid key, value or TTL, too large); nothing written
                  4  cluster unavailable (503), other 5xx, a write of unknown outcome (504), or no connection
                  5  bin/dcache could not start the CLI (no JDK >= 21, or the jar could not be built)
                """.formatted(Invocation.DEFAULT_HOST));
        return b.toString();
    }
}
