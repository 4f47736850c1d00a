package dev.kastor.oci.registry;

import dev.kastor.oci.Progress;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Reports the bytes that pass through to a progress transfer. */
final class CountingInputStream extends FilterInputStream {
    private final Progress.Transfer transfer;

    CountingInputStream(InputStream in, Progress.Transfer transfer) {
        super(in);
        this.transfer = transfer;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            transfer.add(1);
        }
        return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        if (n > 0) {
            transfer.add(n);
        }
        return n;
    }
}
