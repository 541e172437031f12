package dev.dcache.client.cli;

import dev.dcache.client.DcacheClient;
import dev.dcache.client.DcacheClientBuilder;
import dev.dcache.client.error.BadRequestException;
import dev.dcache.client.error.DcacheException;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * {@code dcache}, the command line of the cache: {@code get}, {@code set}, {@code del}, {@code mget},
 * {@code mset}, {@code ttl}, {@code stats}, {@code cluster} on {@link DcacheClient}. Run it with
 * {@code bin/dcache} or {@code java -jar client/target/dcache-cli.jar}; {@code --help} prints the
 * commands, options and exit codes ({@link ExitCode}). Results go to stdout, errors to stderr.
 */
public final class Dcache {
    private Dcache() {
    }

    /** Runs the command line and exits with its {@link ExitCode}. */
    public static void main(String[] args) {
        System.exit(run(args, System.in, System.out, System.err, System.getenv()));
    }

    /**
     * Runs one command line in this process (for tests and embedding).
     *
     * @param args the command line
     * @param in   stdin, where {@code set} reads a value it was not given
     * @param out  stdout, for results
     * @param err  stderr, for errors
     * @param env  the environment ({@code DCACHE_HOST})
     * @return the exit status, one of {@link ExitCode}'s
     */
    public static int run(String[] args, InputStream in, PrintStream out, PrintStream err, Map<String, String> env) {
        Invocation cmd;
        try {
            cmd = Invocation.parse(args, env);
        } catch (UsageException e) {
            err.println("dcache: " + e.getMessage() + " (dcache --help lists the commands)");
            return ExitCode.USAGE.status();
        }
        if (cmd.help()) {
            out.print(Usage.text());
            out.flush();
            return ExitCode.OK.status();
        }
        ExitCode code = execute(cmd, in, out, err);
        out.flush();
        return code.status();
    }

    private static ExitCode execute(Invocation cmd, InputStream in, PrintStream out, PrintStream err) {
        try (DcacheClient client = client(cmd)) {
            ExitCode code = new CommandRunner(client, in, out).run(cmd);
            if (code == ExitCode.NOT_FOUND) {
                err.println("dcache: no such key: " + cmd.operands().get(0));
            }
            return code;
        } catch (UsageException | IllegalArgumentException e) {
            err.println("dcache: " + e.getMessage());
            return ExitCode.USAGE;
        } catch (BadRequestException e) {
            err.println("dcache: refused: " + e.getMessage());
            return ExitCode.REFUSED;
        } catch (DcacheException e) {
            err.println("dcache: " + e.getMessage());
            return ExitCode.UNAVAILABLE;
        } catch (IOException e) {
            err.println("dcache: " + e);
            return ExitCode.UNAVAILABLE;
        }
    }

    private static DcacheClient client(Invocation cmd) {
        DcacheClientBuilder b = DcacheClient.builder();
        for (URI host : cmd.hosts()) {
            b.host(host);
        }
        if (cmd.timeout() != null) {
            b.requestTimeout(cmd.timeout());
            b.connectTimeout(cmd.timeout().compareTo(Duration.ofSeconds(2)) < 0 ? cmd.timeout() : Duration.ofSeconds(2));
        }
        if (cmd.retries() != null) {
            b.maxRetries(cmd.retries());
        }
        return b.build();
    }
}
