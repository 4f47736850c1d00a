package dev.kastor.steps.flux;

import dev.kastor.oci.UsageException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.Arrays;
import java.util.Locale;

/** The Flux object kinds Kastor talks to, with their API group, version and plural (no generated model classes needed). */
public enum FluxKind {
    OCIRepository("source.toolkit.fluxcd.io", "v1", "ocirepositories"),
    GitRepository("source.toolkit.fluxcd.io", "v1", "gitrepositories"),
    HelmRepository("source.toolkit.fluxcd.io", "v1", "helmrepositories"),
    HelmChart("source.toolkit.fluxcd.io", "v1", "helmcharts"),
    Bucket("source.toolkit.fluxcd.io", "v1", "buckets"),
    Kustomization("kustomize.toolkit.fluxcd.io", "v1", "kustomizations"),
    HelmRelease("helm.toolkit.fluxcd.io", "v2", "helmreleases"),
    Receiver("notification.toolkit.fluxcd.io", "v1", "receivers"),
    ImageRepository("image.toolkit.fluxcd.io", "v1beta2", "imagerepositories"),
    ImageUpdateAutomation("image.toolkit.fluxcd.io", "v1beta2", "imageupdateautomations");

    public final String group;
    public final String version;
    public final String plural;

    FluxKind(String group, String version, String plural) {
        this.group = group;
        this.version = version;
        this.plural = plural;
    }

    public ResourceDefinitionContext type() {
        return new ResourceDefinitionContext.Builder().withGroup(group).withVersion(version).withKind(name()).withPlural(plural)
                .withNamespaced(true).build();
    }

    /** Accepts the kind as Flux's CLI does: {@code kustomization}, {@code Kustomization}, {@code ks}, {@code hr}, plural forms. */
    public static FluxKind parse(String s) {
        String k = s.toLowerCase(Locale.ROOT);
        switch (k) {
            case "ks": return Kustomization;
            case "hr": return HelmRelease;
            case "oci", "source oci": return OCIRepository;
            default: break;
        }
        for (FluxKind f : values()) {
            String n = f.name().toLowerCase(Locale.ROOT);
            if (k.equals(n) || k.equals(f.plural) || k.equals(n + "s")) return f;
        }
        throw new UsageException("unknown Flux kind '" + s + "': one of "
                + String.join(", ", Arrays.stream(values()).map(v -> v.name().toLowerCase(Locale.ROOT)).toList()));
    }
}
