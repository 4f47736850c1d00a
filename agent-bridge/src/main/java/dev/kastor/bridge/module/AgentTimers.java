package dev.kastor.bridge.module;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** The timers agent modules run their state on. */
public final class AgentTimers {
    private AgentTimers() {}

    private static volatile boolean virtual;

    /**
     * A single-threaded scheduler. Its thread is a platform daemon thread: a {@code kastor-agent} has four timers, and
     * with virtual ones its start deadlocked on a 2-core machine (two timers loading gRPC's classes pinned both carrier
     * threads, while the one holding the class loader's jar lock was a third timer waiting for a carrier).
     */
    public static ScheduledExecutorService single(String name) {
        Thread.Builder threads = virtual ? Thread.ofVirtual().name(name) : Thread.ofPlatform().name(name).daemon();
        return Executors.newSingleThreadScheduledExecutor(threads.factory());
    }

    /**
     * Makes every timer made from now on in this process a virtual thread: for a process that runs thousands of agents
     * (the fleet bench), where four platform threads each would collapse it. It starts its first agent on its own,
     * before the others, so that the classes the deadlock above needs are loaded by then.
     */
    public static void virtualThreadsInThisProcess() {
        virtual = true;
    }
}
