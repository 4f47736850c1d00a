package dev.kastor.oci.registry;

import dev.kastor.oci.Descriptor;
import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.Progress;
import java.net.URI;
import java.util.Map;

/**
 * Puts one blob into a repository, sending no bytes when the registry has it already (HEAD) or can mount it
 * from another repository. Returns only after the registry confirmed the digest with 201, so a manifest pushed
 * afterwards never references a missing blob. Each attempt starts a fresh upload session: a half-done session
 * after a broken connection cannot be trusted.
 */
public final class PushBlobStep {
    private static final String OCTET_STREAM = "application/octet-stream";

    private final Transport transport;
    private final Retry retry;
    private final String repository;
    private final Descriptor descriptor;
    private final BlobSource source;
    private final String mountFrom;
    private final Transport.Op op;

    PushBlobStep(Transport transport, Retry retry, String repository, Descriptor descriptor, BlobSource source, String mountFrom) {
        if (source.size() != descriptor.size()) {
            throw new InvalidInputException("blob " + descriptor.digest() + " has " + source.size()
                    + " bytes but its descriptor says " + descriptor.size());
        }
        this.transport = transport;
        this.retry = retry;
        this.repository = repository;
        this.descriptor = descriptor;
        this.source = source;
        this.mountFrom = mountFrom == null || mountFrom.equals(repository) ? null : mountFrom;
        this.op = Transport.Op.push(repository);
    }

    public BlobPushOutcome call() {
        return retry.call("the push of blob " + descriptor.digest().shortForm() + " to " + repository, this::attempt);
    }

    private BlobPushOutcome attempt() {
        if (exists()) {
            return BlobPushOutcome.EXISTED;
        }
        URI session = null;
        if (mountFrom != null) {
            session = tryMount();
            if (session == null) {
                return BlobPushOutcome.MOUNTED;
            }
        }
        if (session == null || session.toString().isEmpty()) {
            var started = transport.expect(op, "upload session", transport.post(op, transport.resolve(uploadsPath()), Map.of()), 202);
            session = location(started);
        }
        Transport.Response done = source.size() <= transport.options().chunkSize() ? monolithic(session) : chunked(session);
        String confirmed = done.header("Docker-Content-Digest");
        if (confirmed != null && !confirmed.equals(descriptor.digest().toString())) {
            throw new RegistryException("registry " + transport.host() + " stored blob " + descriptor.digest() + " in "
                    + repository + " under digest " + confirmed + ": it does not store what was sent", 201);
        }
        return BlobPushOutcome.UPLOADED;
    }

    private boolean exists() {
        var head = transport.head(op, transport.resolve("/v2/" + repository + "/blobs/" + descriptor.digest()), Map.of());
        return transport.expect(op, "blob " + descriptor.digest(), head, 200, 404).status() == 200;
    }

    /** {@code null} when mounted; else the upload session the registry opened instead, or an empty URI. */
    private URI tryMount() {
        URI uri = URI.create(transport.resolve(uploadsPath()) + "?mount=" + descriptor.digest() + "&from=" + mountFrom);
        Transport.Response r;
        try {
            r = transport.post(op, uri, Map.of());
        } catch (RegistryException notPossible) {
            // No pull access on the source, or a token service that cannot grant two repositories at once:
            // a plain upload still works.
            return URI.create("");
        }
        if (r.status() == 201) {
            return null;
        }
        if (r.status() == 202 && r.header("Location") != null) {
            return location(r);
        }
        if (r.status() == 429 || r.status() >= 500) {
            transport.expect(op, "blob mount", r, 201);
        }
        return URI.create("");
    }

    private Transport.Response monolithic(URI session) {
        URI put = Transport.withQuery(session, "digest", descriptor.digest().toString());
        try (Progress.Transfer transfer = begin()) {
            var r = transport.putStream(op, put, source.size(),
                    () -> new CountingInputStream(source.open(0, source.size()), transfer), Map.of("Content-Type", OCTET_STREAM));
            return transport.expect(op, "upload of blob " + descriptor.digest(), r, 201);
        }
    }

    private Transport.Response chunked(URI session) {
        long size = source.size();
        long chunk = transport.options().chunkSize();
        try (Progress.Transfer transfer = begin()) {
            for (long offset = 0; offset < size; offset += chunk) {
                long start = offset;
                long length = Math.min(chunk, size - offset);
                var headers = Map.of("Content-Type", OCTET_STREAM, "Content-Range", start + "-" + (start + length - 1));
                var r = transport.patchStream(op, session, length,
                        () -> new CountingInputStream(source.open(start, length), transfer), headers);
                session = location(transport.expect(op, "chunk at " + start + " of blob " + descriptor.digest(), r, 202));
            }
        }
        var r = transport.put(op, Transport.withQuery(session, "digest", descriptor.digest().toString()), new byte[0],
                Map.of("Content-Type", OCTET_STREAM));
        return transport.expect(op, "upload of blob " + descriptor.digest(), r, 201);
    }

    private Progress.Transfer begin() {
        return transport.options().progress().begin("push " + descriptor.digest().shortForm(), source.size());
    }

    private URI location(Transport.Response r) {
        String location = r.header("Location");
        if (location == null || location.isEmpty()) {
            throw new RegistryException("registry " + transport.host() + " opened an upload to " + repository
                    + " without a Location header: it does not follow the OCI distribution spec", r.status());
        }
        // Relative Locations are allowed by the spec; absolute ones point wherever the registry wants.
        return transport.resolve(location);
    }

    private String uploadsPath() {
        return "/v2/" + repository + "/blobs/uploads/";
    }
}
