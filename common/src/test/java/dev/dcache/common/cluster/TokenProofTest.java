package dev.dcache.common.cluster;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TokenProofTest {
    @Test
    void verify_proofFromTheSameToken_isAccepted() {
        String nonce = TokenProof.nonce();
        assertThat(TokenProof.verify("s3cret", nonce, TokenProof.prove("s3cret", nonce))).isTrue();
    }

    @Test
    void verify_wrongTokenOtherNonceOrMissingProof_isRejected() {
        String nonce = TokenProof.nonce();
        assertThat(TokenProof.verify("s3cret", nonce, TokenProof.prove("guess", nonce))).isFalse();
        assertThat(TokenProof.verify("s3cret", nonce, TokenProof.prove("s3cret", TokenProof.nonce()))).isFalse();
        assertThat(TokenProof.verify("s3cret", nonce, null)).isFalse();
        assertThat(TokenProof.verify("s3cret", null, "x")).isFalse();
    }

    @Test
    void nonce_isFreshEachTime() {
        assertThat(TokenProof.nonce()).isNotEqualTo(TokenProof.nonce()).hasSize(32);
    }
}
