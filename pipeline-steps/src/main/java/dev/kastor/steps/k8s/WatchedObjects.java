package dev.kastor.steps.k8s;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ListOptions;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Follows a set of named objects (and, optionally, the core Events about them) with watches, never by polling: each
 * object is read once, then watched from that resourceVersion; every new version lands in one queue the waiting
 * thread takes from. When the API server says a watch's resourceVersion is too old (410 Gone, the normal expiry of
 * a long watch), the object is read again and watched from the latest resourceVersion.
 */
public final class WatchedObjects implements AutoCloseable {
    /** Something that happened: a new version of an object (null when deleted), an Event about one, or a broken watch. */
    public sealed interface Update permits Changed, Noticed, Broken {}

    public record Changed(ObjectRef ref, GenericKubernetesResource object) implements Update {}

    public record Noticed(ObjectRef ref, Event event) implements Update {}

    public record Broken(String what, Exception cause) implements Update {}

    private record Restart(ObjectRef ref) {}

    private final KubeConnection conn;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final Map<ObjectRef, Watch> watches = new ConcurrentHashMap<>();
    private final List<Watch> eventWatches = new ArrayList<>();
    private final Set<ObjectRef> followed = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    public WatchedObjects(KubeConnection conn) {
        this.conn = conn;
    }

    /** Reads the object now and watches it from there on; returns what it is now (null when it does not exist). */
    public GenericKubernetesResource follow(ObjectRef ref) {
        followed.add(ref);
        return readAndWatch(ref);
    }

    private GenericKubernetesResource readAndWatch(ObjectRef ref) {
        Resource<GenericKubernetesResource> resource = resource(ref);
        GenericKubernetesResource now;
        try {
            now = resource.get();
        } catch (KubernetesClientException e) {
            throw conn.explain("reading " + ref, e);
        }
        ListOptions options = new ListOptionsBuilder().withAllowWatchBookmarks(true)
                .withResourceVersion(now == null ? null : now.getMetadata().getResourceVersion()).build();
        try {
            Watch w = resource.watch(options, new Watcher<>() {
                @Override
                public void eventReceived(Action action, GenericKubernetesResource o) {
                    switch (action) {
                        case ADDED, MODIFIED -> queue.add(new Changed(ref, o));
                        case DELETED -> queue.add(new Changed(ref, null));
                        default -> { } // BOOKMARK: only moves the resourceVersion on; ERROR comes as onClose
                    }
                }

                @Override
                public void onClose(WatcherException cause) {
                    if (closed) return;
                    // Expiry (410) is routine: read again and go on from the latest version, on the waiting thread.
                    queue.add(cause.isHttpGone() ? new Restart(ref) : new Broken("watch of " + ref, cause));
                }
            });
            Watch old = watches.put(ref, w);
            if (old != null) old.close();
        } catch (KubernetesClientException e) {
            throw conn.explain("watching " + ref, e);
        }
        return now;
    }

    /** Also delivers core Events whose involvedObject is one of the followed objects, from now on (older ones are not replayed). */
    public void followEvents(Set<String> namespaces) {
        for (String ns : new HashSet<>(namespaces)) watchEvents(ns);
    }

    private void watchEvents(String ns) {
        var events = conn.client().v1().events().inNamespace(ns);
        String rv;
        try {
            rv = events.list(new ListOptionsBuilder().withLimit(1L).build()).getMetadata().getResourceVersion();
        } catch (KubernetesClientException e) {
            // Events are a courtesy: without RBAC to read them the wait still works.
            queue.add(new Broken("reading events in " + ns + " (" + e.getCode() + ")", null));
            return;
        }
        Watch w = events.watch(new ListOptionsBuilder().withResourceVersion(rv).build(), new Watcher<>() {
            @Override
            public void eventReceived(Action action, Event e) {
                if (action != Action.ADDED && action != Action.MODIFIED) return;
                var io = e.getInvolvedObject();
                if (io == null) return;
                for (ObjectRef ref : followed) {
                    if (ref.kind().equals(io.getKind()) && ref.name().equals(io.getName()) && Objects.equals(ref.namespace(), io.getNamespace())) {
                        queue.add(new Noticed(ref, e));
                    }
                }
            }

            @Override
            public void onClose(WatcherException cause) {
                if (!closed && cause.isHttpGone()) queue.add(new EventRestart(ns));
            }
        });
        synchronized (eventWatches) {
            eventWatches.add(w);
        }
    }

    private record EventRestart(String namespace) {}

    /**
     * The next update, waiting at most {@code timeout}; null when none came in time. Restarts after 410 happen here,
     * so the callbacks of the HTTP client never block on a request.
     */
    public Update next(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            Object o = queue.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
            if (o == null) return null;
            if (o instanceof Restart r) {
                queue.add(new Changed(r.ref(), readAndWatch(r.ref())));
            } else if (o instanceof EventRestart er) {
                watchEvents(er.namespace());
            } else {
                return (Update) o;
            }
        }
    }

    public Resource<GenericKubernetesResource> resource(ObjectRef ref) {
        var op = conn.client().genericKubernetesResources(ref.type());
        return ref.namespace() == null ? op.withName(ref.name()) : op.inNamespace(ref.namespace()).withName(ref.name());
    }

    @Override
    public void close() {
        closed = true;
        watches.values().forEach(Watch::close);
        synchronized (eventWatches) {
            eventWatches.forEach(Watch::close);
        }
    }
}
