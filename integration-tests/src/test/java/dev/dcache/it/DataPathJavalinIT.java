package dev.dcache.it;

/** The data path with the single-key routes served by Javalin ({@code MASTER_FAST_PATH=false}). */
class DataPathJavalinIT extends DataPathContract {
    @Override
    String transport() {
        return "binary";
    }

    @Override
    boolean fastPath() {
        return false;
    }
}
