package dev.kastor.oci.registry;

import java.io.IOException;
import java.io.InputStream;

/**
 * Where a downloaded blob's bytes go while they arrive: a file, or an extraction. The stream reports its end only
 * once the registry sent exactly the declared size with the declared digest; otherwise the read that would have
 * ended it throws {@link RegistryException}. So a sink that keeps its result only after reading to the end (moving
 * a file into place, placing an extracted tree) never keeps bytes that do not match. A sink may be called again
 * with a fresh stream when a download breaks off and is retried.
 */
@FunctionalInterface
public interface BlobSink<T> {
    T receive(InputStream verifiedBlob) throws IOException;
}
