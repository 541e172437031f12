package dev.dcache.common.ring;

import dev.dcache.common.hash.HashFunction;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class HashRingTest {
    private static final int VNODES = 256;
    private static final HashFunction HASH = HashFunction.FNV1A_MIX;
    private static final List<String> THREE = List.of("aux-1", "aux-2", "aux-3");

    /**
     * Places everything by hand: a key's hash is the number it spells, and vnode {@code i} of
     * node {@code "<n>"} (hashed as {@code "<n>#<i>"}) sits at {@code n + 1000 * i}. Anything else
     * (the fingerprint's input) is hashed normally.
     */
    private static final HashFunction BY_HAND = data -> {
        String s = new String(data, StandardCharsets.UTF_8);
        if (s.matches("-?\\d+")) {
            return Long.parseLong(s);
        }
        if (s.matches("\\d+#\\d+")) {
            int sharp = s.indexOf('#');
            return Long.parseLong(s.substring(0, sharp)) + 1000L * Integer.parseInt(s.substring(sharp + 1));
        }
        return HASH.hash(data);
    };

    private static List<String> randomKeys(int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<String> keys = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            keys.add("user:" + random.nextLong(1_000_000_000_000L));
        }
        return keys;
    }

    private static Map<String, String> primaries(HashRing ring, List<String> keys) {
        Map<String, String> owners = new HashMap<>();
        for (String key : keys) {
            owners.put(key, ring.primary(key));
        }
        return owners;
    }

    @Test
    void new_sameNodesInAnyOrderOrRepeated_buildsSameRing() {
        HashRing a = new HashRing(List.of("aux-1", "aux-2", "aux-3"), VNODES, HASH);
        HashRing b = new HashRing(List.of("aux-3", "aux-1", "aux-2", "aux-1"), VNODES, HASH);

        assertThat(b.fingerprint()).isEqualTo(a.fingerprint());
        assertThat(b.nodes()).containsExactly("aux-1", "aux-2", "aux-3");
        for (String key : randomKeys(10_000, 1)) {
            assertThat(b.owners(key, 3)).isEqualTo(a.owners(key, 3));
        }
    }

    @Test
    void fingerprint_differentNodesOrVnodes_differs() {
        HashRing base = new HashRing(THREE, VNODES, HASH);

        assertThat(new HashRing(List.of("aux-1", "aux-2"), VNODES, HASH).fingerprint())
                .isNotEqualTo(base.fingerprint());
        assertThat(new HashRing(List.of("aux-1", "aux-2", "aux-4"), VNODES, HASH).fingerprint())
                .isNotEqualTo(base.fingerprint());
        assertThat(new HashRing(THREE, 128, HASH).fingerprint()).isNotEqualTo(base.fingerprint());
    }

    @Test
    void owners_anyReplicationFactor_returnsMinOfRfAndNodesDistinctNodesPrimaryFirst() {
        HashRing ring = new HashRing(THREE, VNODES, HASH);

        for (String key : randomKeys(2_000, 2)) {
            for (int rf = 1; rf <= 5; rf++) {
                List<String> owners = ring.owners(key, rf);
                assertThat(owners).hasSize(Math.min(rf, 3)).doesNotHaveDuplicates();
                assertThat(owners.get(0)).isEqualTo(ring.primary(key));
                assertThat(THREE).containsAll(owners);
            }
        }
    }

    @Test
    void owners_zeroCount_isEmpty() {
        assertThat(new HashRing(THREE, VNODES, HASH).owners("k", 0)).isEmpty();
    }

    @Test
    void owners_growingCount_extendsThePreviousList() {
        HashRing ring = new HashRing(List.of("a", "b", "c", "d", "e"), VNODES, HASH);

        for (String key : randomKeys(500, 3)) {
            List<String> all = ring.owners(key, 5);
            for (int rf = 1; rf <= 5; rf++) {
                assertThat(ring.owners(key, rf)).isEqualTo(all.subList(0, rf));
            }
            assertThat(ring.ownersOfHash(ring.hashOf(key), 5)).isEqualTo(all);
        }
    }

    @Test
    void emptyRing_hasNoOwners() {
        HashRing ring = new HashRing(List.of(), VNODES, HASH);

        assertThat(ring.isEmpty()).isTrue();
        assertThat(ring.nodes()).isEmpty();
        assertThat(ring.primary("k")).isNull();
        assertThat(ring.owners("k", 2)).isEmpty();
    }

    @Test
    void primary_100kKeysOnThreeNodes_mostLoadedHoldsAtMost115PercentOfMean() {
        HashRing ring = new HashRing(THREE, VNODES, HASH);
        List<String> keys = randomKeys(100_000, 4);

        Map<String, Integer> load = new HashMap<>();
        for (String key : keys) {
            load.merge(ring.primary(key), 1, Integer::sum);
        }

        double mean = keys.size() / 3.0;
        double maxRatio = load.values().stream().mapToInt(Integer::intValue).max().orElseThrow() / mean;
        System.out.printf("ring %s: loads %s, max/mean %.3f%n", ring, load, maxRatio);
        assertThat(load).containsOnlyKeys(THREE);
        assertThat(maxRatio).isLessThanOrEqualTo(1.15);
    }

    @Test
    void withNodes_addingFourthNode_movesAboutAQuarterOfKeysAllToTheNewNode() {
        HashRing three = new HashRing(THREE, VNODES, HASH);
        HashRing four = three.withNodes(List.of("aux-1", "aux-2", "aux-3", "aux-4"));
        List<String> keys = randomKeys(100_000, 5);
        Map<String, String> before = primaries(three, keys);

        int moved = 0;
        for (String key : keys) {
            String now = four.primary(key);
            if (!now.equals(before.get(key))) {
                moved++;
                assertThat(now).as("new primary of moved key %s", key).isEqualTo("aux-4");
            }
        }

        double fraction = moved / (double) keys.size();
        System.out.printf("adding aux-4 to %s moved %.4f of keys%n", three.nodes(), fraction);
        assertThat(four.vnodes()).isEqualTo(VNODES);
        assertThat(fraction).isBetween(0.20, 0.30);
    }

    @Test
    void withNodes_removingNode_movesOnlyThatNodesKeys() {
        HashRing four = new HashRing(List.of("aux-1", "aux-2", "aux-3", "aux-4"), VNODES, HASH);
        HashRing three = four.withNodes(List.of("aux-1", "aux-3", "aux-4"));
        List<String> keys = randomKeys(100_000, 6);

        int moved = 0;
        for (String key : keys) {
            String was = four.primary(key);
            String now = three.primary(key);
            if (was.equals("aux-2")) {
                moved++;
                assertThat(now).isNotEqualTo("aux-2");
            } else {
                assertThat(now).as("owner of %s", key).isEqualTo(was);
            }
        }
        assertThat(moved).isPositive();
    }

    @Test
    void withNodes_removingNode_promotesItsFirstReplica() {
        HashRing four = new HashRing(List.of("aux-1", "aux-2", "aux-3", "aux-4"), VNODES, HASH);
        HashRing three = four.withNodes(List.of("aux-1", "aux-3", "aux-4"));

        for (String key : randomKeys(10_000, 7)) {
            List<String> owners = new ArrayList<>(four.owners(key, 4));
            owners.remove("aux-2");
            assertThat(three.owners(key, 3)).isEqualTo(owners);
        }
    }

    @Test
    void primary_handPlacedPoints_isFirstPointClockwise() {
        HashRing ring = new HashRing(List.of("100", "200", "300"), 1, BY_HAND);

        assertThat(ring.primary("0")).isEqualTo("100");
        assertThat(ring.primary("100")).isEqualTo("100"); // a key on a point belongs to it
        assertThat(ring.primary("101")).isEqualTo("200");
        assertThat(ring.primary("200")).isEqualTo("200");
        assertThat(ring.primary("250")).isEqualTo("300");
        assertThat(ring.primary("-5")).isEqualTo("100");
    }

    @Test
    void primary_handPlacedPastLastPoint_wrapsToFirst() {
        HashRing ring = new HashRing(List.of("100", "200", "300"), 1, BY_HAND);

        assertThat(ring.primary("301")).isEqualTo("100");
        assertThat(ring.primary(String.valueOf(Long.MAX_VALUE))).isEqualTo("100");
        assertThat(ring.owners("301", 3)).containsExactly("100", "200", "300");
        assertThat(ring.owners("250", 3)).containsExactly("300", "100", "200");
    }

    @Test
    void owners_handPlacedVnodes_skipRepeatsOfTheSameNode() {
        // points 100, 200, 1100, 1200, 2100, 2200 alternate between the two nodes
        HashRing ring = new HashRing(List.of("100", "200"), 3, BY_HAND);

        assertThat(ring.primary("1150")).isEqualTo("200");
        assertThat(ring.primary("1050")).isEqualTo("100");
        assertThat(ring.primary("2201")).isEqualTo("100"); // wraps to 100
        assertThat(ring.owners("150", 2)).containsExactly("200", "100");
        assertThat(ring.owners("150", 5)).containsExactly("200", "100");
    }

    @Test
    void hashOf_key_isTheHashFunctionOfItsUtf8Bytes() {
        HashRing ring = new HashRing(THREE, VNODES, HASH);

        assertThat(ring.hashOf("clé")).isEqualTo(HASH.hash("clé".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void new_vnodesBelowOne_isRejected() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new HashRing(THREE, 0, HASH))
                .withMessage("vnodes must be >= 1, was 0");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new HashRing(THREE, -3, HASH))
                .withMessageContaining("-3");
    }
}
