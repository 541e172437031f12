package dev.dcache.common.http;

import dev.dcache.common.error.ApiException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckedBodyTest {
    /** Hands out at most {@code piece} bytes per read, so sequences are cut at every boundary. */
    private static InputStream inPieces(byte[] b, int piece) {
        return new ByteArrayInputStream(b) {
            @Override
            public synchronized int read(byte[] buf, int off, int len) {
                return super.read(buf, off, Math.min(len, piece));
            }
        };
    }

    private static byte[] readAll(CheckedBody body) throws IOException {
        return body.readAllBytes();
    }

    @Test
    void read_wellFormedUtf8CutAtEveryByte_passesUnchanged() throws IOException {
        byte[] text = "{\"k\":\"ключ 😀 ü €\"}".getBytes(StandardCharsets.UTF_8);
        for (int piece = 1; piece <= 4; piece++) {
            assertThat(readAll(new CheckedBody(inPieces(text, piece), 1000, true))).isEqualTo(text);
        }
    }

    @Test
    void read_encodedSurrogate_isRefusedWith400() {
        byte[] bad = {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'};
        CheckedBody body = new CheckedBody(inPieces(bad, 2), 1000, true);

        assertThatThrownBy(() -> readAll(body)).isInstanceOf(IOException.class);
        assertThatThrownBy(body::throwIfRefused)
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400));
    }

    @Test
    void read_sequenceTruncatedAtTheEnd_isRefusedWith400() {
        byte[] bad = {'"', (byte) 0xE2, (byte) 0x82};
        CheckedBody body = new CheckedBody(new ByteArrayInputStream(bad), 1000, true);

        assertThatThrownBy(() -> readAll(body)).isInstanceOf(IOException.class);
        assertThatThrownBy(body::throwIfRefused)
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400));
    }

    @Test
    void read_overlongForm_isRefusedWith400() {
        byte[] bad = {(byte) 0xC0, (byte) 0xAF};
        CheckedBody body = new CheckedBody(new ByteArrayInputStream(bad), 1000, true);

        assertThatThrownBy(() -> readAll(body)).isInstanceOf(IOException.class);
        assertThatThrownBy(body::throwIfRefused).isInstanceOf(ApiException.class);
    }

    @Test
    void read_pastTheLimit_isRefusedWith413() {
        CheckedBody body = new CheckedBody(new ByteArrayInputStream(new byte[101]), 100, false);

        assertThatThrownBy(() -> readAll(body)).isInstanceOf(IOException.class);
        assertThatThrownBy(body::throwIfRefused)
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(413));
    }

    @Test
    void read_exactlyTheLimitWithoutUtf8Check_passes() throws IOException {
        byte[] b = new byte[100];
        b[0] = (byte) 0xFF; // not UTF-8, and not checked
        CheckedBody body = new CheckedBody(new ByteArrayInputStream(b), 100, false);

        assertThat(readAll(body)).hasSize(100);
        assertThat(body.bytesRead()).isEqualTo(100);
        body.throwIfRefused();
    }
}
