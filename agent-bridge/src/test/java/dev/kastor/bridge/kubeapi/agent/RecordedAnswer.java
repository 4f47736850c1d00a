package dev.kastor.bridge.kubeapi.agent;

import dev.kastor.bridge.tunnel.agent.TunnelExchange;
import dev.kastor.bridge.tunnel.rpc.Header;
import java.io.ByteArrayInputStream;
import java.io.InputStream;

/** KAS's end of a tunnel stream, for tests that hand the forwarder a request: an empty request body, the answer recorded. */
final class RecordedAnswer implements TunnelExchange {
    volatile int status;
    volatile String message;

    @Override
    public InputStream requestBody() {
        return new ByteArrayInputStream(new byte[0]);
    }

    @Override
    public void header(Header header) {
        status = header.getStatus();
    }

    @Override
    public void write(byte[] data, int off, int len) {}

    @Override
    public void trailer() {}

    @Override
    public void error(int status, String message) {
        this.status = status;
        this.message = message;
    }

    @Override
    public void onCancel(Runnable r) {}

    @Override
    public boolean cancelled() {
        return false;
    }
}
