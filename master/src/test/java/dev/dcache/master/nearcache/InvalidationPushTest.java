package dev.dcache.master.nearcache;

import dev.dcache.common.concurrent.Await;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.wire.Invalidation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

class InvalidationPushTest {
    private static final NodeAddress B = new NodeAddress("m-2", "127.0.0.1", 8002);
    private static final NodeAddress C = new NodeAddress("m-3", "127.0.0.1", 8003);
    /** A keep-alive interval no test reaches, so only pushes with keys are sent. */
    private static final java.time.Duration QUIET = java.time.Duration.ofHours(1);

    private record Delivery(NodeAddress peer, Invalidation batch) {
    }

    /** Pushes with keys, as the test's own sender saw them. */
    private final List<Delivery> delivered = Collections.synchronizedList(new ArrayList<>());
    /** Every push each peer got, keep-alives included, in order. */
    private final List<Delivery> stream = Collections.synchronizedList(new ArrayList<>());
    private volatile List<NodeAddress> peers = List.of(B, C);
    private InvalidationPush push;

    @AfterEach
    void tearDown() {
        if (push != null) {
            push.close();
        }
    }

    /** A push whose keep-alives are recorded in {@link #stream} and never reach {@code sender}. */
    private InvalidationPush start(InvalidationPush.Sender sender, int capacity, long maxBatchBytes,
                                   java.time.Duration keepAlive) {
        return new InvalidationPush("m-1", () -> peers, (peer, batch) -> {
            stream.add(new Delivery(peer, batch));
            if (!batch.keys().isEmpty()) {
                sender.send(peer, batch);
            }
        }, capacity, maxBatchBytes, keepAlive);
    }

    private static void await(BooleanSupplier condition) {
        Await.until(java.time.Duration.ofSeconds(10), java.time.Duration.ofMillis(5), () -> "condition", condition);
    }

    private List<String> keysSentTo(NodeAddress peer) {
        synchronized (delivered) {
            return delivered.stream().filter(d -> d.peer().equals(peer)).flatMap(d -> d.batch().keys().stream()).toList();
        }
    }

    @Test
    void everyPeerGetsEveryKey_namedAsFromThisMaster() throws Exception {
        push = start((peer, batch) -> delivered.add(new Delivery(peer, batch)), 1000, 1 << 20, QUIET);
        for (int i = 0; i < 50; i++) {
            push.publish("k" + i);
        }
        await(() -> push.sent() == 100);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            expected.add("k" + i);
        }
        assertThat(keysSentTo(B)).containsExactlyElementsOf(expected);
        assertThat(keysSentTo(C)).containsExactlyElementsOf(expected);
        assertThat(delivered).allSatisfy(d -> assertThat(d.batch().from()).isEqualTo("m-1"));
        assertThat(push.failed()).isZero();
        assertThat(push.peerCount()).isEqualTo(2);
    }

    @Test
    void withNoPeer_nothingIsQueuedOrSent() throws Exception {
        peers = List.of();
        push = start((peer, batch) -> delivered.add(new Delivery(peer, batch)), 1000, 1 << 20, QUIET);
        push.publish("k");
        peers = List.of(B); // a peer appearing later does not get keys written before it was known
        push.publish("k2");
        await(() -> push.sent() == 1);
        assertThat(keysSentTo(B)).containsExactly("k2");
    }

    /** Records every batch; the first send waits for {@link #release} so keys pile up behind it. */
    private final CountDownLatch inFirstSend = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);

    private void startHeldAtFirstSend(int capacity, String first) throws InterruptedException {
        peers = List.of(B);
        push = start((peer, batch) -> {
            delivered.add(new Delivery(peer, batch));
            inFirstSend.countDown();
            release.await();
        }, capacity, 1 << 20, QUIET);
        push.publish(first);
        assertThat(inFirstSend.await(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void keysWrittenWhileABatchIsOnTheWire_goOutTogether_duplicatesOnce() throws Exception {
        startHeldAtFirstSend(1000, "first");
        for (String k : List.of("a", "b", "a", "a", "c", "b")) {
            push.publish(k);
        }
        release.countDown();
        await(() -> push.sent() == 4);
        assertThat(delivered).hasSize(2);
        assertThat(delivered.get(1).batch().keys()).containsExactly("a", "b", "c");
    }

    @Test
    void aPeerThatFails_isCounted_andDoesNotKeepTheOthersFromTheirKeys() throws Exception {
        push = start((peer, batch) -> {
            if (peer.equals(C)) {
                throw new java.io.IOException("connection refused");
            }
            delivered.add(new Delivery(peer, batch));
        }, 1000, 1 << 20, QUIET);
        push.publish("x");
        push.publish("y");
        await(() -> push.sent() + push.failed() == 4);
        assertThat(push.sent()).isEqualTo(2);
        assertThat(push.failed()).isEqualTo(2);
        assertThat(keysSentTo(B)).containsExactly("x", "y");
    }

    @Test
    void aFullQueue_dropsAndCounts_neverBlocksTheWriter() throws Exception {
        startHeldAtFirstSend(2, "on-the-wire");
        push.publish("q1");
        push.publish("q2");
        push.publish("q3"); // the queue holds two
        assertThat(push.dropped()).isEqualTo(1);
        release.countDown();
        await(() -> push.sent() == 3);
        assertThat(keysSentTo(B)).containsExactly("on-the-wire", "q1", "q2");
    }

    @Test
    void close_stopsEveryLane_andDropsWhatIsQueued() throws Exception {
        startHeldAtFirstSend(1000, "on-the-wire");
        push.publish("queued");
        Thread lane = push.laneThread(B);
        push.close(); // interrupts the held send and waits for the lane to end
        assertThat(lane.isAlive()).isFalse();
        release.countDown();
        push.publish("late");
        // no lane is left that could still send "late" (publish after close starts none)
        await(() -> {
            Thread t = push.laneThread(B);
            return t == null || !t.isAlive();
        });
        assertThat(keysSentTo(B)).containsExactly("on-the-wire");
        assertThat(push.sent()).isZero();
        assertThat(push.failed()).as("the send interrupted by close").isEqualTo(1);
    }

    @Test
    void aSlowPeer_fillsOnlyItsOwnQueue_theOthersGetTheirKeys() throws Exception {
        CountDownLatch cIsStuck = new CountDownLatch(1);
        CountDownLatch unstickC = new CountDownLatch(1);
        push = start((peer, batch) -> {
            if (peer.equals(C)) {
                cIsStuck.countDown();
                unstickC.await();
            }
            delivered.add(new Delivery(peer, batch));
        }, 1000, 1 << 20, QUIET);
        push.publish("k1");
        assertThat(cIsStuck.await(10, TimeUnit.SECONDS)).isTrue();
        push.publish("k2");
        push.publish("k3");
        await(() -> keysSentTo(B).size() == 3);
        assertThat(keysSentTo(B)).containsExactly("k1", "k2", "k3");
        assertThat(keysSentTo(C)).as("still stuck on its first call").isEmpty();
        unstickC.countDown();
        await(() -> keysSentTo(C).size() == 3);
    }

    @Test
    void aBatchStaysUnderTheByteCap() throws Exception {
        peers = List.of(B);
        CountDownLatch firstHeld = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        long cap = 2 * InvalidationPush.encodedBound("key-0"); // two such keys a batch
        push = start((peer, batch) -> {
            delivered.add(new Delivery(peer, batch));
            firstHeld.countDown();
            go.await();
        }, 1000, cap, QUIET);
        push.publish("key-0");
        assertThat(firstHeld.await(10, TimeUnit.SECONDS)).isTrue();
        for (int i = 1; i <= 5; i++) {
            push.publish("key-" + i);
        }
        go.countDown();
        await(() -> push.sent() == 6);
        assertThat(delivered).extracting(d -> d.batch().keys().size()).containsExactly(1, 2, 2, 1);
    }

    @Test
    void aPeerThatLeaves_getsNoMoreKeys() throws Exception {
        push = start((peer, batch) -> delivered.add(new Delivery(peer, batch)),
                1000, 1 << 20, QUIET);
        push.publish("x");
        await(() -> push.sent() == 2);
        Thread cLane = push.laneThread(C);
        peers = List.of(B);
        push.publish("y");
        await(() -> push.sent() == 3);
        await(() -> !cLane.isAlive()); // C's lane has ended: nothing more can reach C
        assertThat(keysSentTo(B)).containsExactly("x", "y");
        assertThat(keysSentTo(C)).containsExactly("x");
        assertThat(push.laneThread(C)).isNull();
    }

    @Test
    void eachPeerGetsANumberedStream_oneNumberPerPush_evenWhenItFails() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean cFails = new java.util.concurrent.atomic.AtomicBoolean(true);
        push = start((peer, batch) -> {
            delivered.add(new Delivery(peer, batch));
            if (peer.equals(C) && cFails.get()) {
                throw new java.io.IOException("refused");
            }
        }, 1000, 1 << 20, QUIET);
        push.publish("a");
        await(() -> push.sent() + push.failed() == 2);
        cFails.set(false);
        push.publish("b");
        await(() -> push.sent() + push.failed() == 4);
        List<Invalidation> toB = streamTo(B);
        List<Invalidation> toC = streamTo(C);
        assertThat(toB.get(0).keys()).as("a lane opens its stream with an empty push").isEmpty();
        assertThat(keyedTo(B)).extracting(Invalidation::seq).containsExactly(2L, 3L);
        assertThat(keyedTo(C)).extracting(Invalidation::seq).as("the failed push used number 2").containsExactly(2L, 3L);
        assertThat(toB).extracting(Invalidation::epoch).containsOnly(toB.get(0).epoch());
        assertThat(toB.get(0).epoch()).as("a stream per peer").isNotEqualTo(toC.get(0).epoch());
    }

    @Test
    void aKeyThatDidNotFitTheQueue_skipsANumber() throws Exception {
        startHeldAtFirstSend(1, "held");
        push.publish("q1");
        push.publish("lost"); // the queue holds one
        release.countDown();
        await(() -> push.sent() == 2);
        assertThat(keyedTo(B)).extracting(Invalidation::seq).containsExactly(2L, 4L);
        assertThat(push.dropped()).isEqualTo(1);
    }

    @Test
    void anIdleLane_pushesEmptyKeepAlives_inTheSameStream() throws Exception {
        peers = List.of(B);
        push = start((peer, batch) -> delivered.add(new Delivery(peer, batch)),
                1000, 1 << 20, java.time.Duration.ofMillis(20));
        push.publish("k");
        await(() -> streamTo(B).size() >= 4);
        List<Invalidation> sent = streamTo(B).subList(0, 4);
        assertThat(sent).extracting(Invalidation::seq).as("one stream, no gaps").containsExactly(1L, 2L, 3L, 4L);
        assertThat(sent).filteredOn(b -> !b.keys().isEmpty()).extracting(Invalidation::keys)
                .containsExactly(List.of("k"));
        assertThat(push.sent()).as("keep-alives carry no keys").isEqualTo(1);
    }

    @Test
    void aPeerHearsKeepAlives_fromWhenItIsKnown_beforeAnyWrite() throws Exception {
        peers = List.of(B);
        push = start((peer, batch) -> delivered.add(new Delivery(peer, batch)),
                1000, 1 << 20, java.time.Duration.ofMillis(20));
        push.refreshPeers();
        await(() -> streamTo(B).size() >= 2);
        assertThat(streamTo(B)).allSatisfy(b -> assertThat(b.keys()).isEmpty());
    }

    /** Every push {@code peer} got, keep-alives included. */
    private List<Invalidation> streamTo(NodeAddress peer) {
        synchronized (stream) {
            return stream.stream().filter(d -> d.peer().equals(peer)).map(Delivery::batch).toList();
        }
    }

    /** The pushes with keys {@code peer} got (delivered or not). */
    private List<Invalidation> keyedTo(NodeAddress peer) {
        return streamTo(peer).stream().filter(b -> !b.keys().isEmpty()).toList();
    }
}
