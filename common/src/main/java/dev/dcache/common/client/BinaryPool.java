package dev.dcache.common.client;

import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.wire.NodeHealth;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The binary connections {@link BinaryAuxClient} keeps to one aux node: a few slots, each opened on
 * first use and again after it failed, by a blocking connect on a platform thread. The node's
 * binary port is learned from its {@code /health} and forgotten when a connect fails, so a
 * restarted node on a new port is found again.
 */
final class BinaryPool {
    private final NodeAddress node;
    private final HttpAuxClient http;
    private final int connectionsPerNode;
    private final ExecutorService connects;
    private final int connectTimeoutMillis;
    private final String token;
    private final BinaryConnection[] slots;
    private final ReentrantLock[] slotLocks;
    private volatile int binaryPort; // 0 = not known yet

    /**
     * @param http     learns the node's binary port from its {@code /health}
     * @param connects platform threads that connect (see {@link #connectOnPlatformThread})
     * @param token    the cluster token each connection's hello carries; null for none
     */
    BinaryPool(NodeAddress node, HttpAuxClient http, int connectionsPerNode, ExecutorService connects,
               int connectTimeoutMillis, String token) {
        this.node = node;
        this.http = http;
        this.connectionsPerNode = connectionsPerNode;
        this.connects = connects;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.token = token;
        this.slots = new BinaryConnection[connectionsPerNode];
        this.slotLocks = new ReentrantLock[connectionsPerNode];
        for (int i = 0; i < connectionsPerNode; i++) {
            slotLocks[i] = new ReentrantLock();
        }
    }

    /** The slot a call uses: any one of the node's connections. */
    private int slot() {
        return connectionsPerNode == 1 ? 0 : ThreadLocalRandom.current().nextInt(connectionsPerNode);
    }

    /** An open connection if one is at hand, without connecting; else null. */
    BinaryConnection openConnection() {
        BinaryConnection c = slots[slot()];
        return c != null && c.isOpen() ? c : null;
    }

    /** An open connection, connecting if needed (blocks up to the connect timeout). */
    BinaryConnection connection() throws AuxCallException {
        int i = slot();
        BinaryConnection c = slots[i];
        if (c != null && c.isOpen()) {
            return c;
        }
        slotLocks[i].lock();
        try {
            c = slots[i];
            if (c == null || !c.isOpen()) {
                c = open();
                slots[i] = c;
            }
            return c;
        } finally {
            slotLocks[i].unlock();
        }
    }

    private BinaryConnection open() throws AuxCallException {
        int port = binaryPort;
        if (port == 0) {
            NodeHealth h = http.health(node);
            if (h.binaryPort() <= 0) {
                throw new AuxCallException(node.id(), AuxCallException.Kind.BAD_STATUS, "binary protocol disabled", null);
            }
            port = h.binaryPort();
            binaryPort = port;
        }
        SocketChannel ch = null;
        try {
            ch = connectOnPlatformThread(new InetSocketAddress(node.host(), port));
            return new BinaryConnection(node, ch, token);
        } catch (ConnectException e) {
            binaryPort = 0;
            BinaryConnection.closeQuietly(ch);
            throw new AuxCallException(node.id(), AuxCallException.Kind.REFUSED, "connection refused", e);
        } catch (SocketTimeoutException e) {
            binaryPort = 0;
            BinaryConnection.closeQuietly(ch);
            throw new AuxCallException(node.id(), AuxCallException.Kind.TIMEOUT, "connect timed out", e);
        } catch (IOException e) {
            binaryPort = 0;
            BinaryConnection.closeQuietly(ch);
            throw new AuxCallException(node.id(), AuxCallException.Kind.IO, "cannot connect: " + e, e);
        }
    }

    /**
     * {@link #connect} on a platform thread, waited for: the JDK turns a socket non-blocking for
     * good when a virtual thread connects it. Bounded by the connect timeout; connects to one
     * slot are serialised by its lock, so the pool never holds more threads than slots.
     */
    private SocketChannel connectOnPlatformThread(InetSocketAddress address) throws IOException {
        Future<SocketChannel> connecting = connects.submit(() -> connect(address));
        try {
            return connecting.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            connecting.cancel(true);
            throw new InterruptedIOException("interrupted while connecting");
        } catch (RejectedExecutionException e) {
            throw new IOException("client closed", e);
        }
    }

    /**
     * A connected channel in blocking mode. The connect itself waits on a selector of its own,
     * bounded by the connect timeout; the JDK's timed connect (and any use by a virtual thread)
     * would switch the socket to non-blocking for good, and every read of the reply reader
     * would then cost a failed read and a {@code poll} before the read that gets data.
     */
    private SocketChannel connect(InetSocketAddress address) throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
            ch.configureBlocking(false);
            if (!ch.connect(address)) {
                try (Selector selector = Selector.open()) {
                    ch.register(selector, SelectionKey.OP_CONNECT);
                    if (selector.select(connectTimeoutMillis) == 0) {
                        throw new SocketTimeoutException("connect timed out");
                    }
                    ch.finishConnect();
                } // closing the selector deregisters the channel, which blocking mode requires
            }
            ch.configureBlocking(true);
            return ch;
        } catch (IOException | RuntimeException e) {
            BinaryConnection.closeQuietly(ch);
            throw e;
        }
    }

    void expire(long nowNanos) {
        for (BinaryConnection c : slots) {
            if (c != null) {
                c.expire(nowNanos);
            }
        }
    }

    void close() {
        for (BinaryConnection c : slots) {
            if (c != null) {
                c.close(new IOException("client closed"));
            }
        }
    }
}
