package dev.dcache.it;

/** The data path with masters using the binary protocol for single-key calls (the default). */
class DataPathBinaryIT extends DataPathContract {
    @Override
    String transport() {
        return "binary";
    }
}
