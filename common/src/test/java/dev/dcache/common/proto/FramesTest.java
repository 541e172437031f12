package dev.dcache.common.proto;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The binary protocol's request codec, ordering ops and their request ids included. */
class FramesTest {
    private static Frames.Request roundTrip(byte op, String value, String requestId) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Frames.writeRequest(new DataOutputStream(bytes), 7, op, 42, 99, "k é", value, requestId);
        return Frames.readRequest(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    }

    @Test
    void orderingPut_carriesItsRequestId() throws IOException {
        assertThat(roundTrip(Frames.PUT_ORDERING, "v", "req-1"))
                .isEqualTo(new Frames.Request(7, Frames.PUT_ORDERING, 42, 99, "k é", "v", "req-1"));
    }

    @Test
    void orderingDelete_withoutRequestId_readsNull() throws IOException {
        assertThat(roundTrip(Frames.DELETE_ORDERING, null, null).requestId()).isNull();
    }

    @Test
    void plainOps_carryNoRequestId_evenWhenGivenOne() throws IOException {
        assertThat(roundTrip(Frames.PUT, "v", "ignored").requestId()).isNull();
        assertThat(roundTrip(Frames.GET, null, null)).isEqualTo(new Frames.Request(7, Frames.GET, 42, 99, "k é", null, null));
    }

    @Test
    void orderingFrame_whoseIdOverrunsItsLength_isRefused() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Frames.writeRequest(new DataOutputStream(bytes), 7, Frames.PUT_ORDERING, 1, 0, "k", "v", "abc");
        byte[] frame = bytes.toByteArray();
        frame[frame.length - 4] = 9; // the id's length now says 9 bytes
        assertThatThrownBy(() -> Frames.readRequest(new DataInputStream(new ByteArrayInputStream(frame))))
                .hasMessageContaining("inconsistent");
    }

    @Test
    void requestIdLongerThanTheLimit_isNotWritten() {
        assertThatThrownBy(() -> Frames.writeRequest(new DataOutputStream(new ByteArrayOutputStream()), 1,
                Frames.DELETE_ORDERING, 1, 0, "k", null, "x".repeat(Frames.MAX_REQUEST_ID + 1)))
                .hasMessageContaining("request id too long");
    }
}
