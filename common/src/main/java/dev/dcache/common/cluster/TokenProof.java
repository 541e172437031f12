package dev.dcache.common.cluster;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Lets an aux node prove to a master that it knows the cluster token, without sending it: the
 * master puts a fresh random nonce in each heartbeat and the node answers with
 * HMAC-SHA256(token, nonce). The token in the request header proves the master to the node; the
 * proof in the reply proves the node to the master, so a process that merely answers at a
 * listed address cannot join the ring.
 */
public final class TokenProof {
    private static final SecureRandom RANDOM = new SecureRandom();

    private TokenProof() {
    }

    /** A fresh nonce for one heartbeat. */
    public static String nonce() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** The proof for {@code nonce}, or null when there is no token or no nonce. */
    public static String prove(String token, String nonce) {
        if (token == null || nonce == null) {
            return null;
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(token.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(nonce.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** True when {@code proof} answers {@code nonce} under {@code token} (constant time). */
    public static boolean verify(String token, String nonce, String proof) {
        String expected = prove(token, nonce);
        return expected != null && proof != null
                && MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII), proof.getBytes(StandardCharsets.US_ASCII));
    }
}
