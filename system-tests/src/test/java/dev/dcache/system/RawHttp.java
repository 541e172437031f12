package dev.dcache.system;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.1 exchange over a plain socket, for the overload tests: the body is written piece by
 * piece (never whole in memory), optionally at a set pace (a slow sender), and what the client
 * saw is classified honestly: a status code, or how the connection failed. {@code java.net.http}
 * hides the difference between "the server answered early and closed" and "the connection
 * broke", which is exactly what these tests must tell apart.
 *
 * <p>Like most clients (curl without {@code Expect}, the JDK's client), it writes the whole body
 * before it reads; when a write fails it still tries to read an answer the server may have sent
 * before closing, and only when there is none does the exchange count as broken.
 */
final class RawHttp {
    private static final int CHUNK = 64 * 1024;
    /** Closes the socket of an exchange that outlives its deadline: a blocked write has no timeout of its own. */
    private static final java.util.concurrent.ScheduledExecutorService DEADLINES =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "raw-http-deadlines");
                t.setDaemon(true);
                return t;
            });

    private RawHttp() {
    }

    /** A request body written in pieces. */
    interface Body {
        long length();

        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * What one exchange got.
     *
     * @param outcome the status code ("200", "503", ...) or "broken", "timeout", "no-answer"
     * @param detail  the exception or the first bytes of the answer, for messages
     * @param millis  from connect to the end of the answer (or the failure)
     */
    record Result(String outcome, String detail, long millis) {
        boolean isStatus() {
            return Character.isDigit(outcome.charAt(0));
        }
    }

    /** A body of bytes already in memory (small bodies). */
    static Body bytes(byte[] b) {
        return new Body() {
            @Override
            public long length() {
                return b.length;
            }

            @Override
            public void writeTo(OutputStream out) throws IOException {
                out.write(b);
            }
        };
    }

    /**
     * {@code [{"key": "<prefix>-<i>", "value": "vvv..."}, ...]}: {@code items} items whose values
     * are {@code valueBytes} ASCII bytes each, generated as it is written.
     */
    static Body bulk(String prefix, int items, int valueBytes) {
        return items(prefix, items, valueBytes, "\"}");
    }

    /** As {@link #bulk}, shaped as an aux node's internal batch: every entry at version 1, no expiry. */
    static Body entries(String prefix, int items, int valueBytes) {
        return items(prefix, items, valueBytes, "\",\"version\":1,\"expiresAt\":0}");
    }

    private static Body items(String prefix, int items, int valueBytes, String tail) {
        byte[] value = new byte[valueBytes];
        java.util.Arrays.fill(value, (byte) 'v');
        byte[] end = tail.getBytes(StandardCharsets.US_ASCII);
        long length = 2; // [ ]
        for (int i = 0; i < items; i++) {
            length += itemHead(prefix, i).length + valueBytes + end.length + (i > 0 ? 1 : 0);
        }
        long total = length;
        return new Body() {
            @Override
            public long length() {
                return total;
            }

            @Override
            public void writeTo(OutputStream out) throws IOException {
                out.write('[');
                for (int i = 0; i < items; i++) {
                    if (i > 0) {
                        out.write(',');
                    }
                    out.write(itemHead(prefix, i));
                    out.write(value);
                    out.write(end);
                }
                out.write(']');
            }
        };
    }

    private static byte[] itemHead(String prefix, int i) {
        return ("{\"key\":\"" + prefix + "-" + i + "\",\"value\":\"").getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Sends one request on a fresh connection ({@code Connection: close}) and reads the answer.
     *
     * @param body           null for none
     * @param bytesPerSecond pace of the body, 0 for as fast as the socket takes it
     * @param timeout        bound on connecting and on every read, and on the whole exchange beyond
     *                       the pacing time of a paced body (then it counts as "timeout")
     */
    static Result exchange(int port, String method, String path, Map<String, String> headers, Body body,
                           long bytesPerSecond, Duration timeout) {
        long start = System.nanoTime();
        long paceMillis = body != null && bytesPerSecond > 0 ? body.length() * 1000 / bytesPerSecond : 0;
        java.util.concurrent.atomic.AtomicBoolean expired = new java.util.concurrent.atomic.AtomicBoolean();
        try (Socket socket = new Socket()) {
            var deadline = DEADLINES.schedule(() -> {
                expired.set(true);
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }, timeout.toMillis() + paceMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
            try {
                Result r = exchange(socket, port, method, path, headers, body, bytesPerSecond, timeout, start);
                return expired.get() ? new Result("timeout", "deadline passed; " + r.detail(), millis(start)) : r;
            } finally {
                deadline.cancel(false);
            }
        } catch (IOException e) {
            return new Result(expired.get() ? "timeout" : "broken", e.toString(), millis(start));
        }
    }

    private static Result exchange(Socket socket, int port, String method, String path, Map<String, String> headers,
                                   Body body, long bytesPerSecond, Duration timeout, long start) throws IOException {
        try {
            socket.connect(new InetSocketAddress("127.0.0.1", port), (int) timeout.toMillis());
            socket.setSoTimeout((int) timeout.toMillis());
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), CHUNK);
            InputStream in = new BufferedInputStream(socket.getInputStream(), CHUNK);
            StringBuilder head = new StringBuilder();
            head.append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
            headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
            if (body != null) {
                head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length()).append("\r\n");
            }
            head.append("\r\n");
            IOException writeFailure = null;
            try {
                out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
                if (body != null) {
                    body.writeTo(bytesPerSecond > 0 ? new Paced(out, bytesPerSecond) : out);
                }
                out.flush();
            } catch (IOException e) {
                writeFailure = e;
            }
            try {
                return readAnswer(in, start);
            } catch (SocketTimeoutException e) {
                return new Result("timeout", String.valueOf(writeFailure == null ? e : writeFailure), millis(start));
            } catch (IOException e) {
                return new Result(writeFailure == null ? "no-answer" : "broken",
                        (writeFailure == null ? e : writeFailure).toString(), millis(start));
            }
        } catch (SocketTimeoutException e) {
            return new Result("timeout", e.toString(), millis(start));
        }
    }

    private static Result readAnswer(InputStream in, long start) throws IOException {
        String status = line(in);
        if (status == null || !status.startsWith("HTTP/1.")) {
            throw new IOException("no status line: " + status);
        }
        String code = status.split(" ", 3)[1];
        long length = -1;
        boolean chunked = false;
        for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
            String lower = h.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(lower.substring(15).trim());
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            }
        }
        ByteArrayOutputStream shown = new ByteArrayOutputStream();
        if (chunked) {
            for (String size = line(in); size != null; size = line(in)) {
                long n = Long.parseLong(size.split(";", 2)[0].trim(), 16);
                if (n == 0) {
                    break;
                }
                skip(in, n, shown);
                line(in); // CRLF after the chunk
            }
        } else if (length >= 0) {
            skip(in, length, shown);
        } else {
            skip(in, Long.MAX_VALUE, shown);
        }
        return new Result(code, shown.toString(StandardCharsets.UTF_8), millis(start));
    }

    /** Reads {@code n} bytes (or to the end), keeping the first 200 to show. */
    private static void skip(InputStream in, long n, ByteArrayOutputStream shown) throws IOException {
        byte[] buf = new byte[CHUNK];
        long left = n;
        while (left > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) {
                if (n == Long.MAX_VALUE) {
                    return;
                }
                throw new IOException("answer ended early");
            }
            if (shown.size() < 200) {
                shown.write(buf, 0, Math.min(r, 200 - shown.size()));
            }
            left -= r;
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c = in.read(); c >= 0; c = in.read()) {
            if (c == '\n') {
                int len = sb.length();
                return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
            }
            sb.append((char) c);
            if (sb.length() > 16 * 1024) {
                throw new IOException("header line too long");
            }
        }
        return sb.isEmpty() ? null : sb.toString();
    }

    private static long millis(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    /** Writes at most {@code rate} bytes a second, in pieces of 8 KiB. */
    private static final class Paced extends OutputStream {
        private final OutputStream out;
        private final long rate;
        private final long start = System.nanoTime();
        private long written;

        Paced(OutputStream out, long rate) {
            this.out = out;
            this.rate = rate;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[]{(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                int n = Math.min(len, 8192);
                out.write(b, off, n);
                out.flush();
                written += n;
                off += n;
                len -= n;
                long dueNanos = written * 1_000_000_000L / rate;
                long sleep = (dueNanos - (System.nanoTime() - start)) / 1_000_000;
                if (sleep > 0) {
                    try {
                        Thread.sleep(sleep); // a slow client: the body goes out at rate bytes/s
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted");
                    }
                }
            }
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }
    }
}
