package dev.kastor.bridge.module;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** The timers agent modules run their state on. */
public final class AgentTimers {
    private AgentTimers() {}

    /**
     * A single-threaded scheduler whose thread is virtual: a module's timer sleeps between short tasks (opening a
     * stream, a registration every 5 minutes), so a parked virtual thread costs a few hundred bytes where a platform
     * thread holds a stack and an OS thread. With four per agent, a process that runs thousands of agents (the fleet
     * bench, an agent with many replicas' worth of connections) stays at a handful of OS threads.
     */
    public static ScheduledExecutorService single(String name) {
        return Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name(name).factory());
    }
}
