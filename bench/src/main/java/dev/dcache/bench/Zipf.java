package dev.dcache.bench;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Draws indexes in {@code [0, n)} with Zipf-distributed popularity: the item of rank {@code r}
 * (1-based) is drawn with probability proportional to {@code 1 / r^s}. Ranks are mapped to indexes
 * through a random permutation, so the popular items are not the low indexes (a "scrambled" Zipf,
 * as YCSB's and Caffeine's benchmarks use).
 *
 * <p>Built once per benchmark setup: the cumulative distribution is an {@code n}-entry table and a
 * draw is a binary search in it. Benchmarks precompute their draws with {@link #fill} so the
 * measured loop only reads an array.
 */
final class Zipf {
    private final double[] cdf;
    private final int[] rankToIndex;
    private final SplittableRandom random;

    /**
     * @param n    how many distinct items, at least 1
     * @param s    the exponent, at least 0 (0 is uniform; 1.0 is the classic Zipf)
     * @param seed the random seed, so runs draw the same sequence
     * @throws IllegalArgumentException if {@code n < 1} or {@code s < 0}
     */
    Zipf(int n, double s, long seed) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, was " + n);
        }
        if (!(s >= 0)) {
            throw new IllegalArgumentException("s must be >= 0, was " + s);
        }
        this.random = new SplittableRandom(seed);
        this.cdf = new double[n];
        double sum = 0;
        for (int r = 1; r <= n; r++) {
            sum += 1 / Math.pow(r, s);
            cdf[r - 1] = sum;
        }
        for (int i = 0; i < n; i++) {
            cdf[i] /= sum;
        }
        this.rankToIndex = new int[n];
        for (int i = 0; i < n; i++) {
            rankToIndex[i] = i;
        }
        for (int i = n - 1; i > 0; i--) { // Fisher-Yates
            int j = random.nextInt(i + 1);
            int t = rankToIndex[i];
            rankToIndex[i] = rankToIndex[j];
            rankToIndex[j] = t;
        }
    }

    /** The next index. */
    int next() {
        int rank = Arrays.binarySearch(cdf, random.nextDouble());
        if (rank < 0) {
            rank = -rank - 1;
        }
        return rankToIndex[Math.min(rank, cdf.length - 1)];
    }

    /** Fills {@code out} with draws. */
    int[] fill(int[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = next();
        }
        return out;
    }
}
