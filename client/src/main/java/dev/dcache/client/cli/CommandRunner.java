package dev.dcache.client.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcache.client.BulkRead;
import dev.dcache.client.DcacheClient;
import dev.dcache.client.Entry;
import dev.dcache.client.RawValue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs one {@link Invocation} against a client: reads stdin where the command takes its value from
 * there, writes the result to stdout, and says how it went as an {@link ExitCode}. Failures of the
 * call itself are thrown ({@link dev.dcache.client.error.DcacheException}) for {@link Dcache} to map.
 */
final class CommandRunner {
    private final DcacheClient client;
    private final InputStream in;
    private final OutputStream out;
    private final ObjectMapper mapper = DcacheClient.newObjectMapper();

    CommandRunner(DcacheClient client, InputStream in, OutputStream out) {
        this.client = client;
        this.in = in;
        this.out = out;
    }

    /** Runs {@code cmd}; returns {@link ExitCode#NOT_FOUND} when its key holds no value. */
    ExitCode run(Invocation cmd) throws IOException {
        List<String> ops = cmd.operands();
        Duration ttl = cmd.ttlSeconds() == null ? null : Duration.ofSeconds(cmd.ttlSeconds());
        switch (cmd.command()) {
            case GET -> {
                return cmd.raw() ? getRaw(ops.get(0)) : get(ops.get(0), cmd.json());
            }
            case SET -> set(cmd, ops.get(0), ops.size() > 1 ? ops.get(1) : "-", ttl);
            case DEL -> {
                if (!client.delete(ops.get(0))) {
                    return ExitCode.NOT_FOUND;
                }
                line("OK");
            }
            case MGET -> mget(ops);
            case MSET -> {
                Map<String, Object> values = new LinkedHashMap<>();
                for (int i = 0; i < ops.size(); i += 2) {
                    values.put(ops.get(i), cmd.json() ? json(ops.get(i + 1)) : ops.get(i + 1));
                }
                client.putAll(values, ttl);
                line("OK");
            }
            case TTL -> {
                Optional<Entry> e = client.get(ops.get(0));
                if (e.isEmpty()) {
                    return ExitCode.NOT_FOUND;
                }
                line(Long.toString(e.get().ttl().orElse(-1)));
            }
            case STATS -> out.write(client.stats().getBytes(StandardCharsets.UTF_8));
            case CLUSTER -> line(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(client.cluster()));
        }
        return ExitCode.OK;
    }

    private ExitCode get(String key, boolean asJson) throws IOException {
        Optional<Entry> found = client.get(key);
        if (found.isEmpty()) {
            return ExitCode.NOT_FOUND;
        }
        Entry e = found.get();
        if (e.isRaw() && !asJson) {
            out.write(e.bytes());
        } else if (e.value().isTextual() && !asJson) {
            line(e.value().asText());
        } else {
            line(mapper.writeValueAsString(e.value()));
        }
        return ExitCode.OK;
    }

    private ExitCode getRaw(String key) throws IOException {
        Optional<RawValue> found = client.getRaw(key);
        if (found.isEmpty()) {
            return ExitCode.NOT_FOUND;
        }
        out.write(found.get().bytes());
        return ExitCode.OK;
    }

    private void set(Invocation cmd, String key, String value, Duration ttl) throws IOException {
        boolean fromStdin = value.equals("-");
        byte[] bytes = fromStdin ? in.readAllBytes() : value.getBytes(StandardCharsets.UTF_8);
        if (cmd.raw()) {
            client.putRaw(key, bytes, cmd.type(), ttl);
        } else {
            String text = utf8(bytes);
            if (fromStdin) {
                text = text.endsWith("\r\n") ? text.substring(0, text.length() - 2)
                        : text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
            }
            client.put(key, cmd.json() ? json(text) : text, ttl);
        }
        line("OK");
    }

    private void mget(List<String> keys) throws IOException {
        BulkRead r = client.getAll(keys);
        StringBuilder lines = new StringBuilder();
        for (String key : keys) {
            Entry e = r.found().get(key);
            lines.append(e == null ? "null" : mapper.writeValueAsString(e.value())).append('\n');
        }
        out.write(lines.toString().getBytes(StandardCharsets.UTF_8));
    }

    private JsonNode json(String text) {
        try {
            return mapper.readTree(text);
        } catch (JsonProcessingException e) {
            throw new UsageException("--json: not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new UsageException("the value is not UTF-8 text; store bytes with --raw");
        }
    }

    private void line(String text) throws IOException {
        out.write((text + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
