package dev.kastor.bridge.flux.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kastor.bridge.flux.rpc.OciPush;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which Flux sources belong to the GitLab instance, and which pushes an OCI source follows. */
class InstanceSourcesTest {
    private final InstanceSources instance = new InstanceSources(
            List.of("https://gitlab.example.com/", "ssh://git@gitlab.example.com/", "git@gitlab.example.com:"), List.of("Registry.Example.com:5050"));

    @Test
    void aProjectUrlOfTheInstanceNamesItsFullPathInLowerCase() {
        assertThat(instance.gitProject("https://gitlab.example.com/Group/Sub/App.git")).contains("group/sub/app");
        assertThat(instance.gitProject("https://gitlab.example.com/group/app/")).contains("group/app");
        assertThat(instance.gitProject("ssh://git@gitlab.example.com/group/app.git")).contains("group/app");
        assertThat(instance.gitProject("git@gitlab.example.com:group/app.git")).contains("group/app");
    }

    @Test
    void urlsOfOtherServersOrWithoutAProjectPathAreNotTheInstances() {
        assertThat(instance.gitProject("https://github.com/group/app.git")).isEmpty();
        assertThat(instance.gitProject("https://gitlab.example.com.evil.test/group/app.git")).isEmpty();
        assertThat(instance.gitProject("https://gitlab.example.com/")).isEmpty();
        assertThat(instance.gitProject("https://gitlab.example.com/group/../other/app.git")).isEmpty();
        assertThat(instance.gitProject("https://gitlab.example.com/group//app")).isEmpty();
        assertThat(instance.gitProject(null)).isEmpty();
    }

    @Test
    void anOciRepositoryOnAListedRegistryIsTheInstancesWhateverTheHostsCase() {
        assertThat(instance.ociRepository("oci://registry.example.com:5050/group/app/manifests")).contains("registry.example.com:5050/group/app/manifests");
        assertThat(instance.ociRepository("oci://registry.example.com/group/app")).isEmpty();
        assertThat(instance.ociRepository("oci://registry.example.com:5050/")).isEmpty();
        assertThat(instance.ociRepository("https://registry.example.com:5050/group/app")).isEmpty();
    }

    @Test
    void anOciSourceFollowsItsTagItsDigestAnySemverTagAndLatestByDefault() {
        OciPush v2 = OciPush.newBuilder().setTag("v2").setDigest("sha256:aa").build();
        OciPush byDigest = OciPush.newBuilder().setDigest("sha256:bb").build();
        assertThat(oci("v2", null, null).follows(v2)).isTrue();
        assertThat(oci("v1", null, null).follows(v2)).isFalse();
        assertThat(oci("v1", null, null).follows(byDigest)).isTrue();
        assertThat(oci(null, ">=1.0.0", null).follows(v2)).isTrue();
        assertThat(oci(null, null, "sha256:AA").follows(v2)).isTrue();
        assertThat(oci(null, null, "sha256:cc").follows(v2)).isFalse();
        assertThat(oci(null, null, null).follows(v2)).isFalse();
        assertThat(oci(null, null, null).follows(OciPush.newBuilder().setTag("latest").setDigest("sha256:aa").build())).isTrue();
    }

    private static FluxSource oci(String tag, String semver, String digest) {
        return new FluxSource(FluxSource.Kind.OCI_REPOSITORY, "apps", "app", "uid-1", "oci://registry.example.com:5050/group/app", tag, semver, digest);
    }
}
