package dev.dcache.master.membership;

import dev.dcache.common.ring.NodeAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

class NodeSourceTest {
    @TempDir
    Path dir;

    private static InetAddress ip(String text) {
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void dns_everyAddressIsANode_idsFromTheNodes_andNewAddressesArePickedUp() {
        AtomicReference<InetAddress[]> answer = new AtomicReference<>(new InetAddress[]{ip("10.0.0.1"), ip("10.0.0.2")});
        List<String> asked = new ArrayList<>();
        NodeSource source = new NodeSource(List.of(), null, "aux:9000", node -> {
            asked.add(node.host());
            return "aux-" + node.host().substring(node.host().lastIndexOf('.') + 1);
        }, name -> answer.get());

        assertThat(source.current()).containsExactly(new NodeAddress("aux-1", "10.0.0.1", 9000),
                new NodeAddress("aux-2", "10.0.0.2", 9000));

        answer.set(new InetAddress[]{ip("10.0.0.1"), ip("10.0.0.2"), ip("10.0.0.3")}); // --scale aux=3
        assertThat(source.current()).extracting(NodeAddress::id).containsExactly("aux-1", "aux-2", "aux-3");
        assertThat(asked).containsExactly("10.0.0.1", "10.0.0.2", "10.0.0.3"); // each address asked once
    }

    @Test
    void dns_addressThatDoesNotAnswerYet_isLeftOutUntilItDoes() {
        AtomicReference<String> id = new AtomicReference<>(null);
        NodeSource source = new NodeSource(List.of(), null, "aux:9000", node -> id.get(),
                name -> new InetAddress[]{ip("10.0.0.7")});
        assertThat(source.current()).isEmpty();
        id.set("aux-7");
        assertThat(source.current()).containsExactly(new NodeAddress("aux-7", "10.0.0.7", 9000));
    }

    @Test
    void dns_failingLookup_keepsTheLastList() {
        AtomicReference<Boolean> fail = new AtomicReference<>(false);
        NodeSource source = new NodeSource(List.of(), null, "aux:9000", node -> "n", name -> {
            if (fail.get()) {
                throw new UnknownHostException(name);
            }
            return new InetAddress[]{ip("10.0.0.9")};
        });
        assertThat(source.current()).hasSize(1);
        fail.set(true);
        assertThat(source.current()).hasSize(1);
    }

    @Test
    void file_isReReadWhenItChanges_andABadFileKeepsTheLastList() throws IOException {
        Path file = dir.resolve("aux-nodes.txt");
        Files.writeString(file, "aux-1@127.0.0.1:9001\n");
        NodeSource source = new NodeSource(List.of(), file, null, node -> null);
        assertThat(source.current()).extracting(NodeAddress::id).containsExactly("aux-1");

        Files.writeString(file, "aux-1@127.0.0.1:9001\naux-2@127.0.0.1:9002\n");
        Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 5000));
        assertThat(source.current()).extracting(NodeAddress::id).containsExactly("aux-1", "aux-2");

        Files.writeString(file, "not an address\n");
        Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 10000));
        assertThat(source.current()).extracting(NodeAddress::id).containsExactly("aux-1", "aux-2");
    }

    @Test
    void staticListAndFile_areMerged_staticWinsOnTheSameId() throws IOException {
        Path file = dir.resolve("nodes");
        Files.writeString(file, "aux-1@10.9.9.9:1\naux-3@127.0.0.1:9003\n");
        NodeSource source = new NodeSource(List.of(new NodeAddress("aux-1", "127.0.0.1", 9001)), file, null, n -> null);
        assertThat(source.current()).containsExactly(new NodeAddress("aux-1", "127.0.0.1", 9001),
                new NodeAddress("aux-3", "127.0.0.1", 9003));
    }
}
