package dev.dcache.common.client;

import dev.dcache.common.proto.Frames;
import dev.dcache.common.ring.NodeAddress;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One multiplexed connection: many writers, one reader. Its socket stays in blocking mode and
 * only platform threads touch it: the reader, callers that write without waiting, and a writer
 * thread of its own for frames handed off (by virtual threads, and when the node is behind).
 *
 * <h2>Design: fewer syscalls, no wake-ups</h2>
 * Frames leave in as few writes as the traffic allows, and no thread is woken to write one.
 * A platform caller queues its frame and writes the queue if the write lock is free; if it is
 * not, the holder writes the queue before it lets go and checks again after (a frame is never
 * left behind: whoever queued last either takes the lock or sees it held by a thread that will
 * look at the queue once more). A reply reader that completes calls while more whole replies are
 * buffered only buffers the frames those calls send ({@link Cork}) and flushes each connection
 * once at the end of the batch. Only what could block (the node not reading, a virtual caller)
 * goes to the writer thread. This is one class because those paths share one invariant (every
 * frame written under the lock is flushed by somebody, soon) that only holds read together.
 */
final class BinaryConnection {
    private final NodeAddress node;
    private final SocketChannel socket;
    /** Frames of platform threads waiting for {@link #writeLock}: written by whoever holds it ({@link #writeWaiting}). */
    private final java.util.concurrent.ConcurrentLinkedQueue<Frame> waitingForLock = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Frames handed to {@link #writeLoop}, which writes all it finds and flushes once. */
    private final LinkedBlockingQueue<Frame> handedOff = new LinkedBlockingQueue<>();
    private final Thread writer;
    private final DataOutputStream out;
    private final DataInputStream in;
    private final ReplyBuffer replies;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ConcurrentHashMap<Integer, Waiting> pending = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    /** Upper bound of the request bytes written so far; guarded by {@link #writeLock}. */
    private long written;
    /** {@link Waiting#writtenAt} of the latest answered request; written by the reader only. */
    private volatile long acked;
    private volatile boolean open = true;

    /** @param token the cluster token its hello carries; null for none */
    BinaryConnection(NodeAddress node, SocketChannel socket, String token) throws IOException {
        this.node = node;
        this.socket = socket;
        this.out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(socket), 64 * 1024));
        this.replies = new ReplyBuffer(Channels.newInputStream(socket));
        this.in = new DataInputStream(replies);
        if (token != null) {
            // pipelined: not awaited (buffered, it leaves with the first request); a refusal
            // closes the connection and fails what follows
            Frames.writeRequest(out, 0, Frames.HELLO, 0, 0, "", token);
        }
        Thread.ofPlatform().daemon().name("aux-reader-" + node.id()).start(this::readLoop);
        this.writer = Thread.ofPlatform().daemon().name("aux-writer-" + node.id()).start(this::writeLoop);
    }

    boolean isOpen() {
        return open;
    }

    /**
     * Sends one request; {@code answer} is completed by the reader, the sweeper or a failure.
     *
     * <p>Never waits. A platform thread (Jetty's selector, a reply reader, the deadline sweeper:
     * they all end up here through the asynchronous data path) queues the frame and writes it,
     * with whatever else is queued, if the lock is free; if not, the thread holding the lock writes
     * it before it lets go ({@link #writeWaiting}), so no thread is woken for it. Past
     * {@link BinaryAuxClient#NON_BLOCKING_WRITE_BYTES} not yet read by the node (more than the
     * kernel's buffers surely absorb without blocking), and always for a virtual thread (which would
     * turn the socket non-blocking), the frame goes to the connection's writer thread. The call is registered first, so {@link BinaryAuxClient#MAX_PENDING}
     * bounds the frames handed off too, and one whose deadline passed meanwhile is not written.
     */
    <T> void send(byte op, long version, long expiresAt, String key, String value, String requestId,
                  long deadlineNanos, NodeAddress node, BinaryAuxClient.Decoder<T> decoder, CompletableFuture<T> answer) {
        if (pending.size() >= BinaryAuxClient.MAX_PENDING) {
            // the node has stopped reading (paused, overloaded): fail fast rather than queue
            answer.completeExceptionally(new AuxCallException(node.id(), AuxCallException.Kind.TIMEOUT,
                    BinaryAuxClient.MAX_PENDING + " requests already waiting for this node", null));
            return;
        }
        int id = ids.incrementAndGet() & Integer.MAX_VALUE;
        if (id == 0) {
            id = 1; // 0 is the HELLO's
        }
        Waiting w = new Waiting(node, decoder, answer, deadlineNanos);
        pending.put(id, w);
        Frame frame = new Frame(id, w, Frames.maxRequestBytes(key, value), op, version, expiresAt, key, value,
                requestId);
        if (!Thread.currentThread().isVirtual() && frame.bound() <= BinaryAuxClient.NON_BLOCKING_WRITE_BYTES) {
            waitingForLock.add(frame);
            writeWaiting(CORK.get());
            return;
        }
        handedOff.add(frame);
        if (!open && handedOff.remove(frame)) {
            w.fail(AuxCallException.Kind.IO, "connection to " + node.id() + " is closed", null);
            pending.remove(id);
        }
    }

    /**
     * Writes the frames waiting for the lock, for as long as there are some and the lock is free:
     * the thread that holds the lock last writes what others queued meanwhile, under one flush
     * (or, on a corked reply reader, at the end of its batch). Frames that would take the bytes
     * the node has not read past {@link BinaryAuxClient#NON_BLOCKING_WRITE_BYTES} go to the writer
     * thread, which may wait for the socket.
     */
    private void writeWaiting(Cork cork) {
        while (!waitingForLock.isEmpty() && writeLock.tryLock()) {
            Frame last = null;
            try {
                for (Frame f; (f = waitingForLock.peek()) != null; ) {
                    if (written - acked + f.bound() > BinaryAuxClient.NON_BLOCKING_WRITE_BYTES) {
                        for (Frame g; (g = waitingForLock.poll()) != null; ) {
                            handedOff.add(g);
                        }
                        break;
                    }
                    waitingForLock.poll();
                    if (pending.get(f.id()) == f.waiting() && write(f)) { // else timed out or failed meanwhile
                        last = f;
                    }
                }
                if (last != null) {
                    if (cork == null) {
                        flush(last);
                    } else {
                        cork.add(this); // flushed once the reader's batch of replies is done
                    }
                }
            } finally {
                writeLock.unlock();
            }
        }
    }

    /**
     * Writes the frames handed off, as many as are queued under one lock and one flush: under
     * load they leave in one syscall. Runs until the connection closes.
     */
    private void writeLoop() {
        try {
            while (open) {
                Frame frame = handedOff.take();
                writeLock.lock();
                try {
                    Frame last = null;
                    for (Frame f = frame; f != null; f = handedOff.poll()) {
                        if (pending.get(f.id()) == f.waiting() && write(f)) { // else timed out or failed meanwhile
                            last = f;
                        }
                    }
                    if (last != null) {
                        flush(last);
                    }
                } finally {
                    writeLock.unlock();
                }
                writeWaiting(null); // what others queued while this thread held the lock
            }
        } catch (InterruptedException closed) {
            // close() stops the writer; it fails whatever is still waiting
        }
    }

    /** Buffers one frame; under {@link #writeLock}. False when the connection failed (the call is failed). */
    private boolean write(Frame f) {
        try {
            if (!open) {
                throw new IOException("connection to " + node.id() + " is closed");
            }
            written += f.bound();
            f.waiting().writtenAt = written;
            Frames.writeRequest(out, f.id(), f.op(), f.version(), f.expiresAt(), f.key(), f.value(), f.requestId());
            return true;
        } catch (IOException e) {
            failed(f, e);
            return false;
        }
    }

    /** Sends what is buffered; under {@link #writeLock}. {@code last} is failed with the connection. */
    private void flush(Frame last) {
        try {
            out.flush();
        } catch (IOException e) {
            failed(last, e);
        }
    }

    private void failed(Frame f, IOException e) {
        Waiting failed = pending.remove(f.id());
        if (failed != null) {
            failed.fail(AuxCallException.Kind.IO, "connection failed: " + e, e);
        }
        close(e);
    }

    /** Fails the calls whose deadline passed; their late replies will find no one waiting. */
    void expire(long nowNanos) {
        for (var it = pending.entrySet().iterator(); it.hasNext(); ) {
            Waiting p = it.next().getValue();
            if (nowNanos - p.deadlineNanos >= 0) {
                it.remove();
                p.fail(AuxCallException.Kind.TIMEOUT, "request timed out", null);
            }
        }
    }

    /**
     * Reads replies and completes their calls. The calls completed here write their next frames
     * (a write's copies after its ordering reply, a read's next owner) from this thread: while more
     * whole replies are already buffered, those frames are only buffered ({@link Cork}), and leave
     * in one flush per connection once the batch is done, before this thread waits for the socket.
     */
    private void readLoop() {
        Cork cork = new Cork();
        CORK.set(cork);
        try {
            while (open) {
                if (!replies.holdsWholeFrame()) {
                    cork.flush(); // nothing more to complete without waiting: send what it wrote
                }
                Frames.Reply r = Frames.readReply(in);
                if (r.id() == 0) {
                    if (r.status() != Frames.OK) {
                        throw new IOException(node.id() + " refused the cluster token");
                    }
                    continue;
                }
                Waiting p = pending.remove(r.id());
                if (p != null) {
                    // replies come in request order: the node has read everything up to this frame
                    acked = Math.max(acked, p.writtenAt);
                    p.complete(r);
                }
            }
        } catch (IOException e) {
            close(e);
        } finally {
            cork.flush();
            CORK.remove();
        }
    }

    /** Sends what a corked thread buffered, unless another writer holds the lock (it flushes then). */
    private void flushCorked() {
        if (writeLock.tryLock()) {
            try {
                out.flush();
            } catch (IOException e) {
                close(e);
            } finally {
                writeLock.unlock();
            }
            writeWaiting(null); // what others queued while this thread held the lock
        }
    }

    /** The reader threads' connections with frames buffered but not yet flushed; null on other threads. */
    private static final ThreadLocal<Cork> CORK = new ThreadLocal<>();

    /**
     * Frames a reply reader wrote while completing a batch of replies, flushed together. Whoever
     * holds a connection's write lock flushes before it lets go or, if corked itself, at the end of
     * its own batch; so when the lock is taken at flush time, its holder sends these frames too.
     */
    private static final class Cork {
        private final java.util.ArrayList<BinaryConnection> dirty = new java.util.ArrayList<>(4);

        void add(BinaryConnection c) {
            if (!dirty.contains(c)) {
                dirty.add(c);
            }
        }

        void flush() {
            for (int i = 0; i < dirty.size(); i++) {
                dirty.get(i).flushCorked();
            }
            dirty.clear();
        }
    }

    /** The reply stream's buffer, which can tell whether a whole frame is already in it. */
    private static final class ReplyBuffer extends BufferedInputStream {
        ReplyBuffer(java.io.InputStream in) {
            super(in, 64 * 1024);
        }

        /** True when the buffer holds at least one whole frame (reading it will not wait for the socket). */
        synchronized boolean holdsWholeFrame() {
            int n = count - pos;
            if (n < 4) {
                return false;
            }
            int length = (buf[pos] & 0xff) << 24 | (buf[pos + 1] & 0xff) << 16 | (buf[pos + 2] & 0xff) << 8
                    | (buf[pos + 3] & 0xff);
            return length >= 0 && n - 4 >= length;
        }
    }

    void close(IOException cause) {
        open = false;
        closeQuietly(socket);
        writer.interrupt();
        waitingForLock.clear(); // their calls are failed below
        for (var it = pending.values().iterator(); it.hasNext(); ) {
            it.next().fail(AuxCallException.Kind.IO, "connection failed: " + cause, cause);
            it.remove();
        }
    }

    /** A call waiting for its reply, and when it gives up. */
    static final class Waiting {
        final NodeAddress node;
        final BinaryAuxClient.Decoder<?> decoder;
        final CompletableFuture<?> answer;
        final long deadlineNanos;
        /** The connection's byte count once this frame was written (set under the write lock). */
        volatile long writtenAt;

        Waiting(NodeAddress node, BinaryAuxClient.Decoder<?> decoder, CompletableFuture<?> answer, long deadlineNanos) {
            this.node = node;
            this.decoder = decoder;
            this.answer = answer;
            this.deadlineNanos = deadlineNanos;
        }

        @SuppressWarnings("unchecked")
        void complete(Frames.Reply reply) {
            CompletableFuture<Object> f = (CompletableFuture<Object>) answer;
            try {
                f.complete(decoder.decode(reply));
            } catch (AuxCallException | RuntimeException e) {
                f.completeExceptionally(e);
            }
        }

        void fail(AuxCallException.Kind kind, String message, Throwable cause) {
            answer.completeExceptionally(new AuxCallException(node.id(), kind, message, cause));
        }
    }

    /** A request frame on its way to the wire, and the call waiting for its reply. */
    record Frame(int id, Waiting waiting, long bound, byte op, long version, long expiresAt, String key,
                         String value, String requestId) {
    }

    static void closeQuietly(java.io.Closeable s) {
        if (s == null) {
            return;
        }
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}
