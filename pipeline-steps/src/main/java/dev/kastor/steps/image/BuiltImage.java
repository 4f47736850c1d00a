package dev.kastor.steps.image;

import java.util.List;

/**
 * What a build produced.
 *
 * @param image where it went: {@code host/repo:tag}, {@code oci-layout:DIR:TAG} or {@code tar:FILE}
 * @param digest manifest digest (of the image index when several platforms were built)
 * @param imageId digest of the container configuration (what {@code docker images} shows as the id)
 * @param tags every tag written
 * @param repository {@code host/repo} for registry targets, else {@code null}
 */
public record BuiltImage(String image, String digest, String imageId, List<String> tags, String repository) {
    public BuiltImage {
        tags = List.copyOf(tags);
    }
}
