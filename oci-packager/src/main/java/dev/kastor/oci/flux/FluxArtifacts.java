package dev.kastor.oci.flux;

import dev.kastor.oci.Causes;
import dev.kastor.oci.Descriptor;
import dev.kastor.oci.Digest;
import dev.kastor.oci.InvalidInputException;
import dev.kastor.oci.KastorException;
import dev.kastor.oci.MediaTypes;
import dev.kastor.oci.Scratch;
import dev.kastor.oci.artifact.ArtifactBuilder;
import dev.kastor.oci.artifact.BuiltLayer;
import dev.kastor.oci.artifact.IgnoreRules;
import dev.kastor.oci.artifact.SourceTree;
import dev.kastor.oci.artifact.TreeDiff;
import dev.kastor.oci.extract.SafeExtractor;
import dev.kastor.oci.layout.OciLayout;
import dev.kastor.oci.registry.BlobPushOutcome;
import dev.kastor.oci.registry.BlobSink;
import dev.kastor.oci.registry.Reference;
import dev.kastor.oci.registry.Registry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * What a user does with Flux artifacts — build, push, pull, tag, list, diff — over a registry or an OCI layout.
 * The CLI is a thin shell over these verbs, so tests, benchmarks and the command run the same code.
 */
public final class FluxArtifacts {
    private final Function<String, Registry> registries;

    /** @param registries a connected {@link Registry} for a host, with that host's credentials and options */
    public FluxArtifacts(Function<String, Registry> registries) {
        this.registries = registries;
    }

    /** Writes the artifact's layer (tar+gzip) to {@code output}. */
    public BuiltLayer build(PackagingSpec spec, Path output) {
        return builder(spec).build(output);
    }

    /** Blob upload figures of one push; a re-push of unchanged content uploads nothing. */
    public record Transfer(int blobsUploaded, int blobsSkipped, int blobsMounted, long bytesUploaded, double uploadSeconds) {}

    public record PushResult(String url, String repository, String tag, Digest digest, String revision, BuiltLayer layer,
                             Transfer transfer) {}

    /** Builds the artifact and stores it at {@code target}: blobs first, the manifest (and so the tag) last. */
    public PushResult push(PackagingSpec spec, ArtifactMetadata metadata, ArtifactLocation target, String mountFrom) {
        return switch (target) {
            case ArtifactLocation.InRegistry r -> pushToRegistry(spec, metadata, r.reference(), mountFrom);
            case ArtifactLocation.InLayout l -> pushToLayout(spec, metadata, l);
        };
    }

    private PushResult pushToRegistry(PackagingSpec spec, ArtifactMetadata metadata, Reference ref, String mountFrom) {
        if (ref.tag() == null || ref.digest() != null) {
            throw new InvalidInputException("push needs a tag and no digest: write " + Reference.PREFIX + ref.name() + ":TAG"
                    + " (for example :" + "$CI_COMMIT_REF_SLUG)");
        }
        // The config blob is known before the layer is built: setting up the registry's client and pushing the config
        // meanwhile also opens the connection and fetches the push token the layer's upload needs, so all of that waits
        // on the network (and loads its classes) while the build uses the cores.
        try (Scratch scratch = tempFile(); var early = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Registry> connected = early.submit(() -> registries.apply(ref.host()));
            Future<BlobPushOutcome> config = early.submit(() -> join(connected).pushBlob(ref.repository(), FluxManifest.CONFIG, FluxManifest.CONFIG_BLOB));
            Path layerFile = scratch.path();
            BuiltLayer layer;
            try {
                layer = builder(spec).build(layerFile);
            } catch (RuntimeException e) {
                config.cancel(true); // the input's error comes first, not after the registry's retries
                throw e;
            }
            FluxManifest manifest = FluxManifest.of(layer.descriptor(), metadata);
            long start = System.nanoTime();
            Registry registry = join(connected);
            // The config's push has fetched the tokens the layer's needs by now (or fails first): the layer then goes up
            // with them, rather than asking the token service again beside a config push still under way (a 401 was
            // seen once in CI with both token flows running at once).
            BlobPushOutcome configPushed = join(config);
            var outcomes = new ArrayList<BlobPushOutcome>();
            outcomes.add(registry.pushBlob(ref.repository(), layer.descriptor(), layerFile, mountFrom));
            outcomes.add(configPushed);
            double seconds = (System.nanoTime() - start) / 1e9;
            Digest digest = registry.pushManifest(ref.repository(), ref.tag(), manifest.toJson(), MediaTypes.OCI_MANIFEST);
            long uploaded = outcomes.get(0) == BlobPushOutcome.UPLOADED ? layer.size() : 0;
            if (outcomes.get(1) == BlobPushOutcome.UPLOADED) uploaded += FluxManifest.CONFIG_BLOB.length;
            var transfer = new Transfer(count(outcomes, BlobPushOutcome.UPLOADED), count(outcomes, BlobPushOutcome.EXISTED),
                    count(outcomes, BlobPushOutcome.MOUNTED), uploaded, seconds);
            return new PushResult(ref.toString(), ref.name(), ref.tag(), digest, metadata.revision(), layer, transfer);
        }
    }

    private PushResult pushToLayout(PackagingSpec spec, ArtifactMetadata metadata, ArtifactLocation.InLayout target) {
        OciLayout layout = OciLayout.createOrOpen(target.directory());
        Path layerFile = layout.scratchFile();
        try {
            BuiltLayer layer = builder(spec).build(layerFile);
            FluxManifest manifest = FluxManifest.of(layer.descriptor(), metadata);
            byte[] json = manifest.toJson();
            Digest digest = Digest.of(json);
            boolean had = Files.exists(layout.blobPath(layer.digest()));
            layout.moveBlob(layer.digest(), layerFile);
            layout.writeBlob(manifest.config().digest(), FluxManifest.CONFIG_BLOB);
            layout.writeBlob(digest, json);
            layout.tag(target.tag(), new Descriptor(MediaTypes.OCI_MANIFEST, digest, json.length));
            var transfer = new Transfer(had ? 0 : 1, had ? 1 : 0, 0, had ? 0 : layer.size(), 0);
            return new PushResult(target.toString(), target.directory().toString(), target.tag(), digest, metadata.revision(), layer, transfer);
        } finally {
            deleteQuietly(layerFile);
        }
    }

    public record PullResult(String url, Digest digest, Path directory, int files, long bytes, Map<String, String> annotations) {
        /** The artifact by its digest, for messages: see {@link FluxArtifacts#pinned}. */
        public String pinnedUrl() {
            return pinned(url, digest);
        }
    }

    /** An artifact by its digest, for messages: {@code url@digest}, or the url alone when it already names the digest. */
    private static String pinned(String url, Digest digest) {
        return url.endsWith("@" + digest) ? url : url + "@" + digest;
    }

    /**
     * Fetches an artifact and extracts its layer into {@code directory}, all or nothing. From a registry the layer is
     * extracted while it downloads, into the extractor's staging directory, which is placed only once the layer's
     * size and digest were verified.
     */
    public PullResult pull(ArtifactLocation source, Path directory, SafeExtractor extractor) {
        try {
            Layer<SafeExtractor.Extracted> layer = readLayer(source, in -> extractor.extract(in, directory));
            SafeExtractor.Extracted x = layer.result();
            return new PullResult(source.toString(), layer.digest(), directory, x.files(), x.totalBytes(), layer.manifest().annotations());
        } catch (IOException | UncheckedIOException e) {
            throw new KastorException("cannot extract " + source + " into " + directory + ": " + Causes.describe(e), e);
        }
    }

    public record TagResult(String repository, Digest digest, List<String> tags) {}

    /** Points more tags at an artifact already in the registry; no blob moves. */
    public TagResult tag(Reference source, List<String> tags) {
        if (tags.isEmpty()) throw new InvalidInputException("no tag given: add --tag TAG");
        Digest digest = registries.apply(source.host()).retag(source.repository(), source.tagOrDigest(), tags);
        return new TagResult(source.name(), digest, List.copyOf(tags));
    }

    public record Listed(String tag, Digest digest, String created, String source, String revision) {
        /** When the artifact was created, by its {@link ArtifactMetadata#CREATED} annotation; empty when it has no readable one. */
        public Optional<Instant> createdAt() {
            return Optional.ofNullable(CreationTime.parseTimestamp(created));
        }
    }

    /** The most recently created of {@code listed} (the greater tag of two created at once); empty when none says when. */
    public static Optional<Listed> newest(List<Listed> listed) {
        return listed.stream().filter(l -> l.createdAt().isPresent())
                .max(Comparator.comparing((Listed l) -> l.createdAt().orElseThrow()).thenComparing(Listed::tag));
    }

    /** The tags of a repository with what their manifests say. */
    public List<Listed> list(Reference repository) {
        Registry registry = registries.apply(repository.host());
        List<String> tags = registry.listTags(repository.repository());
        // One manifest GET per tag; run them side by side, a repository may hold hundreds of tags.
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            var futures = new ArrayList<Future<Listed>>();
            for (String tag : tags) {
                futures.add(pool.submit(() -> {
                    var m = registry.getManifest(repository.repository(), tag);
                    Map<String, String> a = annotationsOf(m.bytes(), repository.withTag(tag).toString());
                    return new Listed(tag, m.digest(), a.get(ArtifactMetadata.CREATED), a.get(ArtifactMetadata.SOURCE), a.get(ArtifactMetadata.REVISION));
                }));
            }
            var listed = new ArrayList<Listed>();
            for (var f : futures) listed.add(join(f));
            return listed;
        }
    }

    public record DiffResult(String url, Digest digest, TreeDiff diff) {
        /** The artifact by its digest, for messages: see {@link FluxArtifacts#pinned}. */
        public String pinnedUrl() {
            return pinned(url, digest);
        }
    }

    /** Compares a local tree, filtered as for a push, with the content of a stored artifact. */
    public DiffResult diff(PackagingSpec spec, ArtifactLocation remote) {
        SourceTree local = builder(spec).scan();
        try {
            Layer<TreeDiff> layer = readLayer(remote, in -> TreeDiff.between(local, in));
            return new DiffResult(remote.toString(), layer.digest(), layer.result());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An artifact's manifest digest and manifest, and what its content layer gave {@link #readLayer}'s sink. */
    private record Layer<T>(Digest digest, FluxManifest manifest, T result) {}

    /** Streams an artifact's content layer into {@code sink}: from a registry as it downloads (verified, see {@link BlobSink}). */
    private <T> Layer<T> readLayer(ArtifactLocation source, BlobSink<T> sink) throws IOException {
        return switch (source) {
            case ArtifactLocation.InRegistry r -> {
                Reference ref = requireTagOrDigest(r.reference());
                Registry registry = registries.apply(ref.host());
                var m = registry.getManifest(ref.repository(), ref.tagOrDigest());
                FluxManifest manifest = FluxManifest.parse(m.bytes(), ref.toString());
                yield new Layer<>(m.digest(), manifest, registry.fetchBlob(ref.repository(), contentLayer(manifest, ref.toString()), sink));
            }
            case ArtifactLocation.InLayout l -> {
                OciLayout layout = OciLayout.open(l.directory());
                Descriptor d = layout.resolve(l.tag()).orElseThrow(() -> new InvalidInputException(
                        "OCI layout " + l.directory() + " has no tag '" + l.tag() + "' (it has: " + String.join(", ", layout.tags()) + ")"));
                FluxManifest manifest = FluxManifest.parse(layout.readBlob(d.digest()), l.toString());
                try (InputStream in = Files.newInputStream(layout.blobPath(contentLayer(manifest, l.toString()).digest()))) {
                    yield new Layer<>(d.digest(), manifest, sink.receive(in));
                }
            }
        };
    }

    private static Reference requireTagOrDigest(Reference ref) {
        if (ref.tag() == null && ref.digest() == null) {
            throw new InvalidInputException("'" + ref + "' names no tag or digest: add :TAG or @sha256:DIGEST");
        }
        return ref;
    }

    /** The Flux content layer; any single tar+gzip layer is accepted too, as Flux's layer selector does by default. */
    private static Descriptor contentLayer(FluxManifest manifest, String where) {
        for (Descriptor l : manifest.layers()) {
            if (MediaTypes.FLUX_CONTENT.equals(l.mediaType())) return l;
        }
        for (Descriptor l : manifest.layers()) {
            if (l.mediaType().endsWith("tar+gzip")) return l;
        }
        throw new InvalidInputException(where + " is not a Flux artifact: it has no " + MediaTypes.FLUX_CONTENT + " layer"
                + " (layers: " + manifest.layers().stream().map(Descriptor::mediaType).toList() + ")");
    }

    private static Map<String, String> annotationsOf(byte[] manifest, String where) {
        try {
            return FluxManifest.parse(manifest, where).annotations();
        } catch (InvalidInputException notAnImageManifest) {
            return Map.of(); // an index or foreign manifest in the repository: list it without annotations
        }
    }

    private static ArtifactBuilder builder(PackagingSpec spec) {
        ArtifactBuilder b = spec.stdin() != null ? ArtifactBuilder.fromStdin(spec.stdinName(), spec.stdin()) : ArtifactBuilder.fromPath(spec.source());
        IgnoreRules rules = spec.ignorePaths() == null ? IgnoreRules.fluxDefaults() : IgnoreRules.of(spec.ignorePaths());
        return b.ignoreRules(rules.plus(spec.addIgnorePaths())).resolveSymlinks(spec.resolveSymlinks()).warnings(spec.warnings());
    }

    private static int count(List<BlobPushOutcome> outcomes, BlobPushOutcome which) {
        return (int) outcomes.stream().filter(o -> o == which).count();
    }

    private static <T> T join(Future<T> f) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new KastorException(Causes.describe(e.getCause()), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KastorException("interrupted", e);
        }
    }

    /** A layer file in the temp dir, removed on close and when a signal stops the process. */
    private static Scratch tempFile() {
        try {
            return Scratch.track(Files.createTempFile("kastor-layer-", ".tgz"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary file in " + System.getProperty("java.io.tmpdir"), e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a leftover temp file is harmless; the result of the step is what matters
        }
    }
}
