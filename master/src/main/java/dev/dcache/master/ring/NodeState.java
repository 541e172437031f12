package dev.dcache.master.ring;

/** Whether a master routes to an aux node. */
public enum NodeState {
    /** Answering probes; on the ring. */
    UP,
    /** Ejected after failures; off the ring until enough probes succeed in a row. */
    DOWN
}
