package dev.dcache.master.nearcache;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class FrequencySketchTest {

    @Test
    void frequency_neverSeenKey_isZero() {
        assertThat(new FrequencySketch(1000).frequency("nobody")).isZero();
    }

    @Test
    void increment_fewKeys_estimatesAreExact() {
        FrequencySketch sketch = new FrequencySketch(1000);
        for (int i = 1; i <= 10; i++) {
            for (int n = 0; n < i; n++) {
                sketch.increment("key-" + i);
            }
        }
        for (int i = 1; i <= 10; i++) {
            assertThat(sketch.frequency("key-" + i)).as("key-" + i).isEqualTo(i);
        }
    }

    @Test
    void increment_pastFifteen_saturates() {
        FrequencySketch sketch = new FrequencySketch(1000);
        for (int n = 0; n < 100; n++) {
            sketch.increment("hot");
        }
        assertThat(sketch.frequency("hot")).isEqualTo(FrequencySketch.MAX_COUNT);
    }

    @Test
    void aging_afterSampleSizeIncrements_halvesEveryCounter() {
        FrequencySketch sketch = new FrequencySketch(100); // sample size 1000
        for (int n = 0; n < 12; n++) {
            sketch.increment("hot");
        }
        int before = sketch.frequency("hot");
        assertThat(before).isEqualTo(12);
        for (int i = 0; i < sketch.sampleSize() - 13; i++) {
            sketch.increment("filler-" + i); // distinct keys, each read once
        }
        assertThat(sketch.frequency("hot")).as("not aged yet").isEqualTo(before);
        sketch.increment("filler-last"); // the sample-size-th increment
        assertThat(sketch.additions()).isEqualTo(sketch.sampleSize() / 2);
        assertThat(sketch.frequency("hot")).isEqualTo(before / 2);
    }

    @Test
    void aging_keyNoLongerRead_fadesToCold() {
        FrequencySketch sketch = new FrequencySketch(100);
        for (int n = 0; n < 15; n++) {
            sketch.increment("was-hot");
        }
        for (int i = 0; i < 5 * sketch.sampleSize(); i++) {
            sketch.increment("other-" + i);
        }
        assertThat(sketch.frequency("was-hot")).isLessThanOrEqualTo(1);
    }

    @Test
    void scan_ofManyColdKeys_leavesThemCold_andHotKeysHot() {
        FrequencySketch sketch = new FrequencySketch(10_000);
        int threshold = 3;
        int scanned = 200_000; // two aging periods' worth of distinct keys, each read once
        for (int i = 0; i < scanned; i++) {
            sketch.increment("scan-" + i);
            if (i % 1000 == 0) {
                sketch.increment("hot-a"); // a hot key read all along
                sketch.increment("hot-a");
                sketch.increment("hot-a");
            }
        }
        int hotByMistake = 0;
        for (int i = 0; i < scanned; i++) {
            if (sketch.frequency("scan-" + i) >= threshold) {
                hotByMistake++;
            }
        }
        assertThat(hotByMistake).as("cold keys rated hot").isLessThan(scanned / 10_000); // < 0.01 %
        assertThat(sketch.frequency("hot-a")).isGreaterThanOrEqualTo(threshold);
    }
}
