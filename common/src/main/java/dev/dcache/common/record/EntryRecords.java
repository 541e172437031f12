package dev.dcache.common.record;

import dev.dcache.common.wire.Entry;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The one codec for an {@link Entry} stored on disk. All numbers are big-endian; a string is an
 * {@code int} byte count followed by that many bytes of standard UTF-8 (a string holding an
 * unpaired surrogate is not representable and comes back with {@code '?'} in its place).
 *
 * <h2>Two layouts, kept byte for byte</h2>
 * Two files held records before this codec existed, each with its own field order:
 * <ul>
 *   <li>{@link Layout#KIND_FIRST}, the aux snapshot (format version 1):
 *       {@code byte kind (1 value, 2 tombstone) | long version | long expiresAt | key | value},
 *       the value only in a value record. The snapshot checks its records with one running
 *       CRC32C over the whole body.</li>
 *   <li>{@link Layout#KEY_FIRST}, the payload of a master backup log frame:
 *       {@code key | value, or the int -1 for a tombstone | long version | long expiresAt}, each
 *       record in its own {@link CrcFraming} frame.</li>
 * </ul>
 * Both files are kept exactly as they are written today rather than moved to one layout. Moving
 * either would not remove a decoder, only add one: files already on disk must still be read. The
 * backup volume is shared by every master, so during a rolling upgrade a master of the previous
 * build would read a new master's file and misread or reject its records; and the snapshot's
 * version check would make an aux node rolled back discard its snapshot as damaged. So the
 * record code (strings, numbers, the tombstone mark, every length checked against the bytes left)
 * is written once here and the layout is a parameter; the framing shared by logs is
 * {@link CrcFraming}. A new file format should take {@link Layout#KIND_FIRST}: its kind byte says
 * what a record is without a sentinel length.
 */
public final class EntryRecords {
    private EntryRecords() {
    }

    /** The field order of a record; see the class comment for which file uses which. */
    public enum Layout {
        /** {@code byte kind | long version | long expiresAt | key | value (value records only)}. */
        KIND_FIRST(1 + 8 + 8 + 4) {
            @Override
            void write(DataOutput out, Entry e) throws IOException {
                out.writeByte(e.isTombstone() ? KIND_TOMBSTONE : KIND_VALUE);
                out.writeLong(e.version());
                out.writeLong(e.expiresAt());
                writeString(out, e.key());
                if (!e.isTombstone()) {
                    writeString(out, e.value());
                }
            }

            @Override
            Entry read(Reader in) throws IOException {
                byte kind = in.readByte();
                if (kind != KIND_VALUE && kind != KIND_TOMBSTONE) {
                    throw new CorruptRecordException("unknown kind " + kind);
                }
                long version = in.readLong();
                long expiresAt = in.readLong();
                String key = in.readString("key", false);
                String value = kind == KIND_VALUE ? in.readString("value", false) : null;
                return in.decoding ? new Entry(key, value, version, expiresAt) : null;
            }
        },
        /** {@code key | value, or the int -1 for a tombstone | long version | long expiresAt}. */
        KEY_FIRST(4 + 4 + 8 + 8) {
            @Override
            void write(DataOutput out, Entry e) throws IOException {
                writeString(out, e.key());
                if (e.isTombstone()) {
                    out.writeInt(TOMBSTONE_LENGTH);
                } else {
                    writeString(out, e.value());
                }
                out.writeLong(e.version());
                out.writeLong(e.expiresAt());
            }

            @Override
            Entry read(Reader in) throws IOException {
                String key = in.readString("key", false);
                String value = in.readString("value", true);
                long version = in.readLong();
                long expiresAt = in.readLong();
                return in.decoding ? new Entry(key, value, version, expiresAt) : null;
            }
        };

        private static final byte KIND_VALUE = 1;
        private static final byte KIND_TOMBSTONE = 2;
        private static final int TOMBSTONE_LENGTH = -1;

        private final int minSize;

        Layout(int minSize) {
            this.minSize = minSize;
        }

        /** The fewest bytes a record can take: an empty key, and a tombstone where that is shorter. */
        public int minSize() {
            return minSize;
        }

        abstract void write(DataOutput out, Entry e) throws IOException;

        /** The record, or null when {@code in} only checks the framing. */
        abstract Entry read(Reader in) throws IOException;
    }

    /** Writes {@code e} as one record. */
    public static void write(DataOutput out, Entry e, Layout layout) throws IOException {
        layout.write(out, e);
    }

    /** {@code e} as the bytes of one record. */
    public static byte[] encode(Entry e, Layout layout) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(64 + (e.value() == null ? 0 : e.value().length()));
        try {
            layout.write(new DataOutputStream(buf), e);
        } catch (IOException impossible) {
            throw new UncheckedIOException(impossible); // a byte array does not fail
        }
        return buf.toByteArray();
    }

    /**
     * Decodes the record at the start of {@code record}; bytes after it are ignored.
     *
     * @throws CorruptRecordException when the bytes do not hold a whole record
     */
    public static Entry decode(byte[] record, Layout layout) throws CorruptRecordException {
        Reader in = new Reader(new DataInputStream(new ByteArrayInputStream(record)), layout, record.length);
        try {
            return in.next();
        } catch (EOFException e) {
            throw new CorruptRecordException("record cut short: " + record.length + " bytes");
        } catch (CorruptRecordException e) {
            throw e;
        } catch (IOException impossible) {
            throw new UncheckedIOException(impossible); // a byte array does not fail
        }
    }

    private static void writeString(DataOutput out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    /**
     * Reads records one after another from a stream holding at most {@code limit} more bytes of
     * them, checking every length against what is left before reading it, so a damaged length
     * fails as corrupt instead of allocating or skipping past the end. Not thread-safe.
     */
    public static final class Reader {
        private final DataInput in;
        private final Layout layout;
        private final long limit;
        private long consumed;
        private boolean decoding;
        private byte[] scratch = new byte[256];

        /**
         * @param in     where the records are
         * @param layout their field order
         * @param limit  the bytes of records {@code in} holds from here: no length may reach past it
         */
        public Reader(DataInput in, Layout layout, long limit) {
            this.in = in;
            this.layout = layout;
            this.limit = limit;
        }

        /**
         * The next record.
         *
         * @throws CorruptRecordException when its kind or a length is impossible
         * @throws EOFException           when {@code in} ends inside it
         */
        public Entry next() throws IOException {
            decoding = true;
            return layout.read(this);
        }

        /**
         * Passes over the next record making every check {@link #next} makes, building no string.
         *
         * @throws CorruptRecordException when its kind or a length is impossible
         * @throws EOFException           when {@code in} ends inside it
         */
        public void skip() throws IOException {
            decoding = false;
            layout.read(this);
        }

        /** Bytes read so far, over every record. */
        public long consumed() {
            return consumed;
        }

        private byte readByte() throws IOException {
            byte b = in.readByte();
            consumed += 1;
            return b;
        }

        private long readLong() throws IOException {
            long l = in.readLong();
            consumed += 8;
            return l;
        }

        /** The string; null when only checking, or for a negative length where that marks a tombstone. */
        private String readString(String what, boolean negativeIsNull) throws IOException {
            int length = in.readInt();
            consumed += 4;
            if (negativeIsNull && length < 0) {
                return null;
            }
            if (length < 0 || length > limit - consumed) {
                throw new CorruptRecordException(what + " length " + length + " does not fit in the "
                        + (limit - consumed) + " bytes left");
            }
            consumed += length;
            if (!decoding) {
                if (in.skipBytes(length) != length) {
                    throw new EOFException();
                }
                return null;
            }
            if (length > scratch.length) {
                scratch = new byte[Math.max(length, scratch.length * 2)];
            }
            in.readFully(scratch, 0, length);
            return new String(scratch, 0, length, StandardCharsets.UTF_8);
        }
    }
}
