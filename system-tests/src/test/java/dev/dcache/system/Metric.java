package dev.dcache.system;

import java.util.Locale;

/**
 * A figure a system test measured, printed on a line of its own for scripts to collect:
 * {@code METRIC scenario=<scenario> <name>=<value>}, e.g. {@code grep '^METRIC' build.log}.
 */
final class Metric {
    private Metric() {
    }

    static void print(String scenario, String name, Object value) {
        String shown = value instanceof Double d ? String.format(Locale.ROOT, "%.3f", d) : String.valueOf(value);
        System.out.println("METRIC scenario=" + scenario + " " + name + "=" + shown);
    }

    /** The client side of a scenario: operations done, and failures in all and since {@code sinceNanos}. */
    static void printLoad(String scenario, ClientLoad.Report report, long sinceNanos) {
        print(scenario, "client_ops", report.operations());
        print(scenario, "client_writes", report.writes() + report.deletes());
        print(scenario, "client_reads", report.reads());
        print(scenario, "client_failed_requests", report.requestFailures().size());
        print(scenario, "client_stale_reads", report.staleReads().size());
        print(scenario, "client_errors_after_event", report.failuresSince(sinceNanos).size());
        print(scenario, "client_max_latency_ms", report.maxLatencyMillis());
        print(scenario, "client_ops_over_1s", report.slowOver1s());
        if (!report.failures().isEmpty()) {
            System.out.println("client errors by second after the event: " + report.histogram(sinceNanos));
            report.failures().stream().limit(20).forEach(f -> System.out.printf(Locale.ROOT,
                    "  client error t%+d ms %s %s: %s%n", (f.atNanos() - sinceNanos) / 1_000_000, f.op(), f.key(), f.what()));
        }
    }
}
