package dev.dcache.common.client;

import dev.dcache.common.wire.Entry;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class HttpAuxClientChunksTest {
    private static List<Entry> entries(int n, int valueChars) {
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new Entry("k" + i, "v".repeat(valueChars), i + 1, 0));
        }
        return out;
    }

    @Test
    void chunks_manySmallRecords_areCutAtTheByteBound() {
        List<Entry> all = entries(5000, 1000);

        List<List<Entry>> chunks = HttpAuxClient.chunks(all);

        assertThat(chunks).hasSizeGreaterThan(1);
        assertThat(chunks.stream().mapToInt(List::size).sum()).isEqualTo(5000);
        for (List<Entry> c : chunks) {
            long chars = c.stream().mapToLong(e -> e.key().length() + e.value().length()).sum();
            assertThat(chars).isLessThanOrEqualTo(HttpAuxClient.BATCH_BYTES);
        }
        assertThat(chunks.get(0).get(0)).isSameAs(all.get(0)); // in order
        assertThat(chunks.get(chunks.size() - 1).get(chunks.get(chunks.size() - 1).size() - 1)).isSameAs(all.get(4999));
    }

    @Test
    void chunks_recordLargerThanTheBound_goesAlone() {
        List<Entry> all = entries(3, (int) HttpAuxClient.BATCH_BYTES + 1);

        assertThat(HttpAuxClient.chunks(all)).hasSize(3).allSatisfy(c -> assertThat(c).hasSize(1));
    }

    @Test
    void chunks_noRecords_isOneEmptyCall() {
        assertThat(HttpAuxClient.chunks(List.of())).containsExactly(List.of());
    }
}
