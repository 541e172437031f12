package dev.dcache.it;

/** The data path with masters using only the aux nodes' internal HTTP API. */
class DataPathHttpIT extends DataPathContract {
    @Override
    String transport() {
        return "http";
    }
}
