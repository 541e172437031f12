package dev.dcache.client.cli;

import java.util.Locale;
import java.util.Set;

/** The commands of {@code dcache}: how many operands each takes and which options apply to it. */
enum Command {
    GET(1, 1, Set.of("raw", "json"), "get [--raw | --json] KEY",
            "print the value: a JSON string as its text, any other JSON value as compact JSON,\n"
                    + "raw bytes as they are; --json prints strings quoted too; --raw prints the value's\n"
                    + "own bytes (a JSON string's UTF-8 text, raw bytes as stored) and no newline"),
    SET(1, 2, Set.of("ttl", "json", "raw", "type"), "set [--ttl N] [--json | --raw [--type CT]] KEY [VALUE]",
            "store VALUE (from stdin when absent or '-', one final newline dropped unless --raw)\n"
                    + "as a JSON string; --json parses it as JSON; --raw stores its bytes with type CT\n"
                    + "(default application/octet-stream)"),
    DEL(1, 1, Set.of(), "del KEY", "delete the key"),
    MGET(1, Integer.MAX_VALUE, Set.of(), "mget KEY...",
            "print one line per key, in order: its value as JSON (strings quoted, raw bytes as\n"
                    + "their text or base64 string), or null when the key holds none"),
    MSET(2, Integer.MAX_VALUE, Set.of("ttl", "json"), "mset [--ttl N] [--json] KEY VALUE [KEY VALUE...]",
            "store many values in one request (JSON strings, or JSON with --json)"),
    TTL(1, 1, Set.of(), "ttl KEY", "print the seconds left before the key expires, -1 when it does not"),
    STATS(0, 0, Set.of(), "stats", "print the master's metrics (Prometheus text; --host must be a master)"),
    CLUSTER(0, 0, Set.of(), "cluster", "print the master's view of the cluster as JSON (--host must be a master)");

    private final int minOperands;
    private final int maxOperands;
    private final Set<String> options;
    private final String synopsis;
    private final String description;

    Command(int minOperands, int maxOperands, Set<String> options, String synopsis, String description) {
        this.minOperands = minOperands;
        this.maxOperands = maxOperands;
        this.options = options;
        this.synopsis = synopsis;
        this.description = description;
    }

    /** The command named {@code name}. @throws UsageException when there is none */
    static Command named(String name) {
        for (Command c : values()) {
            if (c.name().toLowerCase(Locale.ROOT).equals(name)) {
                return c;
            }
        }
        throw new UsageException("unknown command '" + name + "'");
    }

    /** Checks the operand count and the options given. @throws UsageException naming what is wrong */
    void check(int operands, Set<String> given) {
        String name = name().toLowerCase(Locale.ROOT);
        if (operands < minOperands || operands > maxOperands) {
            throw new UsageException("usage: dcache " + synopsis);
        }
        for (String option : given) {
            if (!options.contains(option)) {
                throw new UsageException("--" + option + " does not apply to " + name);
            }
        }
    }

    String synopsis() {
        return synopsis;
    }

    String description() {
        return description;
    }
}
