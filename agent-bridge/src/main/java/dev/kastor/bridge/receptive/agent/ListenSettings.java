package dev.kastor.bridge.receptive.agent;

import java.io.File;
import java.net.InetSocketAddress;

/**
 * Where and how the agent listens for KAS: {@code --listen ADDRESS}, its TLS certificate and key
 * ({@code --listen-cert}, {@code --listen-key}, PEM) and the CA whose client certificates it accepts
 * ({@code --listen-client-ca}): the CA that signed KAS's {@code receptive_agents.client_certificate_file}.
 */
public record ListenSettings(InetSocketAddress address, File certificateFile, File keyFile, File clientCaFile) {
    public ListenSettings {
        if (address == null || certificateFile == null || keyFile == null || clientCaFile == null) {
            throw new IllegalArgumentException("--listen needs --listen-cert, --listen-key and --listen-client-ca: the agent accepts"
                    + " only callers that present a client certificate of that CA (KAS's)");
        }
    }
}
